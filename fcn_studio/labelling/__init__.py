"""Label mode's core (no Qt), for the GUI's Label mode and the command line.

- label_store: F/masks/<stem>.png and F/classes.txt, atomic saves, class editing
- edits: brush, eraser, flood fill, polygon fill as numpy functions returning a Change
- history: LabelEditor, the mask being edited with bounded undo/redo
- feature_cache: backbone features computed once (memory and disk bounded)
- head_trainer: retrain (one click), LiveHead (after each stroke), fast head steps
- versions: <name>-v2, -v3 ... install, list, choose (roll back)
- uncertainty: unlabelled images ranked by the model's mean uncertainty
"""
