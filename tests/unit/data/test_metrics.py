"""Metrics from one confusion matrix, checked against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fcn_studio.data.metrics import ConfusionMatrix, infer_num_classes
from fcn_studio.errors import FCNStudioError


def test_hand_computed_three_class_case():
    gt = np.array([[0, 0, 1, 1], [2, 2, 2, 255]])
    pred = np.array([[0, 1, 1, 1], [2, 2, 0, 1]])
    cm = ConfusionMatrix(3)
    cm.update(gt, pred)
    # rows = truth: class0 -> [1,1,0], class1 -> [0,2,0], class2 -> [1,0,2]; 255 ignored
    assert cm.hist.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 2]]
    s = cm.scores()
    assert s.pixel_accuracy == pytest.approx(5 / 7)
    assert s.mean_accuracy == pytest.approx((1 / 2 + 2 / 2 + 2 / 3) / 3)
    iou = [1 / (2 + 2 - 1), 2 / (2 + 3 - 2), 2 / (3 + 2 - 2)]
    assert s.per_class_iou == pytest.approx(iou)
    assert s.mean_iou == pytest.approx(sum(iou) / 3)
    freq = [2 / 7, 2 / 7, 3 / 7]
    assert s.fw_iou == pytest.approx(sum(f * i for f, i in zip(freq, iou, strict=True)))


def test_dataset_metric_is_one_matrix_not_an_average_of_images():
    cm = ConfusionMatrix(2)
    cm.update(np.array([[0, 0, 0, 1]]), np.array([[0, 0, 0, 0]]))  # image IoU: class1 = 0
    cm.update(np.array([[1, 1, 1, 1]]), np.array([[1, 1, 1, 1]]))  # image IoU: class1 = 1
    s = cm.scores()
    assert s.per_class_iou[1] == pytest.approx(4 / 5)
    assert s.per_class_iou[0] == pytest.approx(3 / 4)


def test_absent_classes_are_nan_and_skipped_in_means():
    cm = ConfusionMatrix(4)
    cm.update(np.array([[0, 1]]), np.array([[0, 1]]))
    s = cm.scores()
    assert math.isnan(s.per_class_iou[2]) and math.isnan(s.per_class_iou[3])
    assert s.mean_iou == 1.0 and s.mean_accuracy == 1.0
    assert s.to_json()["per_class_iou"] == [1.0, 1.0, None, None]


def test_prediction_out_of_range_is_an_error_not_a_silent_alias():
    cm = ConfusionMatrix(2)
    with pytest.raises(FCNStudioError, match="outside 0..1"):
        cm.update(np.array([[0, 1]]), np.array([[0, 2]]), "a.png")
    with pytest.raises(FCNStudioError, match="a.png"):
        cm.update(np.zeros((2, 2)), np.zeros((3, 2)), "a.png")


def test_infer_num_classes_ignores_255():
    assert infer_num_classes(np.array([0, 3, 255]), np.array([1])) == 4


def test_label_counts_are_exact_on_large_maps():
    from fcn_studio.data.stats import label_counts

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, (4100, 4200), dtype=np.uint8)  # > 2**24 pixels: several chunks
    labels[0, 0] = 255
    assert np.array_equal(label_counts(labels), np.bincount(labels.ravel(), minlength=256))
