"""Names the dead-code check (vulture, [tool.vulture] in pyproject.toml) cannot see used, each
with who uses it. A name belongs here only when something outside Python's own calls uses it;
code that nothing uses is deleted, not listed."""

# Python calls it: the package's lazy attributes (fcn_studio/__init__.py).
__getattr__

# Qt calls them: overridden event handlers and paint methods.
_.paint  # gui/labelling/label_layer.py (QGraphicsItem)
_.eventFilter  # gui/labelling/tools.py
_.dragEnterEvent  # gui/main_window.py
_.dropEvent  # gui/main_window.py
_.wheelEvent  # gui/shared/canvas.py
_.paintEvent  # gui/shared/plot_widget.py
_._keep  # gui/shared/overlay.py: keeps the array a QImage points into alive
QT_GAPS  # gui/qt_strings.py: read by lupdate, which puts Qt's missing texts into the catalogue

# Libraries read them: settings of objects they own.
_.benchmark  # torch.backends.cudnn (inference/predictor.py)
_.intra_op_num_threads  # onnxruntime.SessionOptions (inference/sessions.py)
_.inter_op_num_threads
_.graph_optimization_level
_.log_severity_level
_.optimized_model_filepath
_.get_next  # onnxruntime's CalibrationDataReader protocol (inference/conversion.py)
_.__class__  # inference/precision.py: a quantised module keeps its float class's name
_.__qualname__
convert_file  # inference/conversion.py: run in a child process from a code string (inference/runtime.py)

# The public Python API (README, "Python API"): for users, not for the package itself.
_.class_at  # api.py
_.architecture  # api.py

# Recorded for people: fields of records that are printed, saved as JSON or shown in benchmarks.
codec  # inference/video.py VideoInfo
inference_fp32_s  # inference/precision.py: the measured timings behind the choice
training_fp32_s
created  # labelling/versions.py ModelVersion: the time a version was made
_.freezing  # bench/bench_inference.py

# Unused today, in files their owners are rewriting (issue 26: the retrain round; gui/labelling):
# to go with that rewrite, not in a parallel branch.
_.toolbar  # gui/labelling/label_mode.py
CLASS_KEYS  # gui/labelling/panel.py
_.loaded_from_disk  # gui/labelling/session.py
CACHE_ENV  # training/feature_cache.py
separable  # training/head_solver.py

# pytest uses them by name: fixtures a test asks for by its side effect, module marks, hooks, and
# the methods http.server calls on the test server's handler.
pytestmark
pytest_collection_modifyitems  # a hook (tests/conftest.py)
voc_home
umask_022
no_bf16_cpu
_.log_message
_.do_GET
_.close_connection
