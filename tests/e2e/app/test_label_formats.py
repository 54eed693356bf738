"""Label mode in other tools' datasets, with real mouse events: a VOC export is edited in
place (only the painted pixels of SegmentationClass/x.png change), a labelme folder shows
its JSON shapes as labels and saves edits as masks/x.png, leaving the JSON as it was."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt

from fcn_studio.data.formats.labelme import read_labelme_mask
from tests.e2e.app.label_kit import drag, key, open_and_label
from tests.unit.data.formats_builders import labelme_folder, voc_export


def _saved_when(qtbot, lm, path, changed_from: np.ndarray) -> np.ndarray:
    def written() -> bool:
        with Image.open(path) as im:
            return not lm.session.dirty and not np.array_equal(np.array(im), changed_from)

    qtbot.waitUntil(written, timeout=5000)
    with Image.open(path) as im:
        return np.array(im)


def test_voc_export_root_opens_and_its_mask_is_edited_in_place(qtbot, win, tmp_path):
    root = voc_export(tmp_path / "voc")
    mask_file = root / "SegmentationClass" / "v0.png"
    with Image.open(mask_file) as im:
        before, palette = np.array(im), im.getpalette()
    with qtbot.waitSignal(win.workspace.image_shown, timeout=30_000):
        win.open_paths([str(root)])  # the dataset's root: its JPEGImages
    assert win.workspace.current_path == root / "JPEGImages" / "v0.jpg"
    lm = open_and_label(qtbot, win, root / "JPEGImages" / "v0.jpg")
    assert lm.state.label_set.classes == ("_background_", "cat", "dog")  # class_names.txt's names
    np.testing.assert_array_equal(lm.session.mask, before)  # the dataset's labels, not an empty start
    lm.state.set_radius(0)
    key(qtbot, win, Qt.Key.Key_2)  # class 2
    drag(qtbot, win, [(2, 30), (6, 30)])
    after = _saved_when(qtbot, lm, mask_file, before)
    changed = after != before
    assert changed.sum() == 5 and (after[30, 2:7] == 2).all()
    with Image.open(mask_file) as im:
        assert im.getpalette() == palette
    assert not (root / "JPEGImages" / "masks").exists() and not (root / "JPEGImages" / "classes.txt").exists()


def test_labelme_shapes_shown_as_labels_and_edits_saved_as_a_mask(qtbot, win, tmp_path):
    root = labelme_folder(tmp_path / "lm")
    json_text = (root / "p0.json").read_text()
    lm = open_and_label(qtbot, win, root / "p0.jpg")
    expected = read_labelme_mask(root / "p0.json", ["_background_", "cat", "dog"])
    np.testing.assert_array_equal(lm.session.mask, expected)
    lm.state.set_radius(0)
    key(qtbot, win, Qt.Key.Key_1)  # class 1
    drag(qtbot, win, [(30, 5), (34, 5)])
    path = root / "masks" / "p0.png"
    qtbot.waitUntil(lambda: path.is_file() and not lm.session.dirty, timeout=5000)
    with Image.open(path) as im:
        saved = np.array(im)
    assert (saved[5, 30:35] == 1).all() and np.count_nonzero(saved != expected) == 5
    assert (root / "p0.json").read_text() == json_text


def test_export_labels_as_voc_from_the_file_menu(qtbot, win, tmp_path):
    from fcn_studio.data.dataset import scan_dataset

    root = labelme_folder(tmp_path / "lm")
    with qtbot.waitSignal(win.workspace.image_shown, timeout=30_000):
        win.open_paths([str(root / "p0.jpg")])
    file_menu = win.menuBar().actions()[0].menu()
    assert win.label_export.action in file_menu.actions()
    task = win.label_export.export(root, "voc", tmp_path / "export")
    with qtbot.waitSignal(task.finished, timeout=30_000):
        pass
    report = scan_dataset(tmp_path / "export")
    assert report.ok and len(report.pairs) == 3 and report.class_names == ["_background_", "cat", "dog"]
    qtbot.waitUntil(lambda: win.label_export.message is not None and win.label_export.message.isVisible())
    assert "3 labelled images written" in win.label_export.message.text()
    win.label_export.message.close()


def test_compare_view_names_the_dense_ground_truth_over_scribbles(qtbot, tmp_path):
    from fcn_studio.gui.compare.view import CompareView
    from tests.builders import palette_png

    root = voc_export(tmp_path / "voc")
    scribbles = np.full((40, 48), 255, np.uint8)
    scribbles[10:12, 10:30] = 1
    (root / "JPEGImages" / "masks").mkdir()
    palette_png(scribbles, root / "JPEGImages" / "masks" / "v0.png")
    view = CompareView()
    qtbot.addWidget(view)
    image = root / "JPEGImages" / "v0.jpg"
    view.set_image(str(image), np.asarray(Image.open(image).convert("RGB")))
    assert view.gt_path == root / "SegmentationClass" / "v0.png"
    assert view.gt_label.text() == "Ground truth: SegmentationClass/v0.png, 98 % labelled"  # 48 boundary px of 1920
    view.shutdown()
