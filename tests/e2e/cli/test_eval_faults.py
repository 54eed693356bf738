"""`eval` given what it should not score (#22 items 6 and 14), and scores that say they are
percentages in `eval` and `compare` output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fcn_studio.cli.main import main
from tests.builders import make_image


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def saved_cm(path: Path, hist) -> Path:
    path.write_text(
        json.dumps({"format": "fcn-studio/confusion-1", "num_classes": 2, "class_names": None, "hist": hist})
    )
    return path


@pytest.mark.parametrize(
    ("count", "says"),
    [
        ("1.5", "not a whole number"),
        ("1e400", "not a whole number"),
        ("12345678901234567890123456", "too large"),
        ("-3", "negative"),
    ],
)
def test_merge_refuses_counts_that_are_not_exact_whole_numbers(capsys, tmp_path, count, says):
    path = tmp_path / "cm.json"
    hist = "[[" + count + ", 0], [0, 1]]"  # written as JSON text: json.dumps would not keep 1e400 as it is
    path.write_text('{"format": "fcn-studio/confusion-1", "num_classes": 2, "hist": ' + hist + "}")
    code, _, err = run(capsys, "eval", "--merge", str(path))
    assert code == 1 and says in err and "Traceback" not in err and err.count("\n") == 1, err


def test_merge_refuses_counts_whose_sum_would_wrap(capsys, tmp_path):
    big = 2**62
    a = saved_cm(tmp_path / "a.json", [[big, 0], [0, 0]])
    b = saved_cm(tmp_path / "b.json", [[big, 0], [0, 0]])
    code, _, err = run(capsys, "eval", "--merge", str(a), str(b))
    assert code == 1 and "2**63" in err, err


def test_merge_refuses_the_same_file_twice(capsys, tmp_path):
    a = saved_cm(tmp_path / "a.json", [[3, 1], [0, 4]])
    b = saved_cm(tmp_path / "b.json", [[3, 1], [0, 4]])
    code, out, _ = run(capsys, "eval", "--merge", str(a), str(b), "--json")
    assert code == 0 and json.loads(out)["pixel_accuracy"] == pytest.approx(14 / 16), "two shards that agree: fine"
    code, _, err = run(capsys, "eval", "--merge", str(a), str(tmp_path / "." / "a.json"))
    assert code == 1 and "same file" in err and "twice" in err, err


def _masks(folder: Path, arrays: dict[str, np.ndarray]) -> Path:
    folder.mkdir()
    for name, arr in arrays.items():
        Image.fromarray(arr.astype(np.uint8), mode="L").save(folder / name)
    return folder


def test_a_folder_of_photos_given_as_ground_truth_is_refused(capsys, tmp_path):
    pred = _masks(tmp_path / "pred", {"a.png": np.zeros((40, 48)), "b.png": np.ones((40, 48))})
    photos = tmp_path / "photos"
    photos.mkdir()
    make_image(photos / "a.jpg", seed=1)
    make_image(photos / "b.jpg", seed=2)
    code, out, err = run(capsys, "eval", "--pred", str(pred), "--gt", str(photos))
    assert code == 1 and "not a mask" in err and "--gt" in err and "pixel accuracy" not in out, err
    code, out, err = run(capsys, "eval", "--pred", str(photos), "--gt", str(pred))
    assert code == 1 and "not a mask" in err and "--pred" in err, err


def test_ground_truth_labels_no_prediction_uses_are_warned_with_counts(capsys, tmp_path):
    truth = np.zeros((40, 48))
    truth[:, 24:] = 1
    stray = truth.copy()
    stray[0, 0] = 200  # one broken pixel
    gt = _masks(tmp_path / "gt", {"a.png": stray, "b.png": truth})
    pred = _masks(tmp_path / "pred", {"a.png": truth, "b.png": truth})
    code, out, err = run(capsys, "eval", "--pred", str(pred), "--gt", str(gt))
    assert code == 0 and "200 (1 pixel)" in err and "--num-classes 2" in err, err
    code, out, err = run(capsys, "eval", "--pred", str(pred), "--gt", str(gt), "--num-classes", "2")
    assert code == 0 and "1 pixel(s) in 1 ground-truth mask(s)" in err, err
    assert "mean IoU         100.00 %" in out, out


def test_missing_predictions_are_reported_and_exit_non_zero(capsys, tmp_path):
    mask = np.zeros((8, 8))
    gt = _masks(tmp_path / "gt", {"a.png": mask, "b.png": mask, "c.png": mask})
    pred = _masks(tmp_path / "pred", {"a.png": mask})
    code, out, err = run(capsys, "eval", "--pred", str(pred), "--gt", str(gt))
    assert code == 1 and "2 of 3 ground-truth mask(s) have no prediction" in err and "b.png, c.png" in err, err
    assert "pixel accuracy" in out


@pytest.mark.slow
def test_eval_and_compare_print_percentages_with_a_percent_sign(capsys, tmp_path, weights_home, caffe_layout_file):
    mask = np.zeros((8, 8))
    mask[:4] = 1
    gt = _masks(tmp_path / "gt", {"a.png": mask})
    pred = _masks(tmp_path / "pred", {"a.png": mask})
    code, out, _ = run(capsys, "eval", "--pred", str(pred), "--gt", str(gt))
    scores = [line for line in out.splitlines() if line.strip() and not line.startswith("per-class")]
    assert code == 0 and all(line.endswith(" %") for line in scores), out
    image = make_image(tmp_path / "img.png")
    Image.fromarray(np.zeros((40, 48), np.uint8), mode="L").save(tmp_path / "gt.png")
    (tmp_path / "classes.txt").write_text("background\n")  # named: unnamed ids of another count are refused (#29)
    model = str(caffe_layout_file("fcn32s"))
    code, out, _ = run(
        capsys,
        "compare",
        str(image),
        "--models",
        f"{model},{model}",
        "--out",
        str(tmp_path / "c.png"),
        "--gt",
        str(tmp_path / "gt.png"),
    )
    rows = [line for line in out.splitlines() if line.startswith(model[:10])]
    assert code == 0 and rows and all(line.count(" %") == 2 for line in rows), out
