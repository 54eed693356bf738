"""One class list for a dataset, whoever reads it (#29): train's scan, eval's mask decoding
and Label mode's dataset reading follow data/class_source.py's one order of precedence."""

from __future__ import annotations

import numpy as np
import pytest

from fcn_studio.data.annotations import dataset_classes
from fcn_studio.data.class_source import (
    class_list_files,
    match_by_name,
    name_key,
    resolve_classes,
)
from fcn_studio.data.dataset import folder_encoding, scan_dataset
from fcn_studio.errors import FCNStudioError
from tests.unit.data.formats_builders import labelme_folder


def labelme_example(tmp_path):
    """labelme's examples/semantic_segmentation: labels.txt one level above data_annotated/,
    listing the classes in an order other than the sorted labels the JSON files use."""
    folder = labelme_folder(tmp_path / "example" / "data_annotated")
    (folder / "labels.txt").unlink()
    (tmp_path / "example" / "labels.txt").write_text("__ignore__\n_background_\ndog\ncat\nbird\n")
    return folder


def test_train_eval_and_label_mode_agree_on_labelmes_example_folder(tmp_path):
    folder = labelme_example(tmp_path)
    expected = ["_background_", "dog", "cat", "bird"]
    report = scan_dataset(folder)
    assert report.class_names == expected, "train read the labels the files use, not labels.txt one level up"
    assert folder_encoding(folder).names == expected  # eval's decoding
    assert dataset_classes(folder).names == expected  # Label mode's reading
    from fcn_studio.labelling.label_store import LabelStore

    assert list(LabelStore(folder).label_set().classes) == expected  # Label mode's classes for painting
    assert any("labels.txt" in n.english() for n in report.notes if hasattr(n, "english")), report.notes
    # the same ids: dog is 1 in every mask
    from fcn_studio.data.dataset import read_mask

    mask = read_mask(report.pairs[0][1], report.encoding)
    assert set(np.unique(mask).tolist()) == {0, 1, 2, 255}
    assert mask[30, 30] == 1  # the dog rectangle


def test_the_order_of_precedence(tmp_path):
    root = tmp_path / "ds"
    (root / "masks").mkdir(parents=True)
    (tmp_path / "labels.txt").write_text("far\n")
    assert class_list_files(root / "masks") == [tmp_path / "labels.txt"]  # two levels up
    (root / "classes.txt").write_text("a\nb\n")
    assert class_list_files(root / "masks") == [root / "classes.txt"]  # the nearest level wins
    (root / "masks" / "classes.txt").write_text("x\ny\n")
    assert resolve_classes(root / "masks").names == ["x", "y"]
    assert resolve_classes(root / "masks", explicit=["q"]).names == ["q"]
    unnamed = resolve_classes(tmp_path / "a" / "b" / "nowhere")
    assert unnamed.names is None and not unnamed.named and "classes.txt" in unnamed.describe()


def test_names_match_whatever_their_spelling():
    assert name_key("_background_") == name_key("Background") == name_key("background")
    assert name_key("potted plant") == name_key("pottedplant")


def test_match_by_name_maps_ground_truth_ids_onto_the_models():
    model = ["background", "cat", "dog", "car"]
    gt = ["_background_", "dog", "cat", "horse"]
    match = match_by_name(model, gt, pred_what="the model", gt_what="the ground truth")
    assert match.gt_to_pred == {0: 0, 1: 2, 2: 1}
    assert match.only_gt == ["horse"] and match.only_pred == ["car"]
    assert match.names == [*model, "horse"]
    gt_mask = np.array([[0, 1, 2, 3, 255]], np.uint8)
    assert match.remap_gt(gt_mask).tolist() == [[0, 2, 1, 4, 255]]
    assert "matched by name: 3" in match.summary() and "horse" in match.summary()


def test_no_shared_name_is_refused():
    with pytest.raises(FCNStudioError, match="no class name is shared"):
        match_by_name(["background", "cat"], ["road", "sky"], pred_what="the model", gt_what="the ground truth")
