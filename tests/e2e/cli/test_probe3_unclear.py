"""The third probe's "unclear" list (#29): each case now ends in one clear line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fcn_studio.cli.main import main
from fcn_studio.data.dataset import find_pairs, scan_dataset
from fcn_studio.errors import FCNStudioError
from tests.builders import make_image
from tests.unit.data.formats_builders import labelme_folder, labelme_json, shape


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_an_image_named_outside_the_dataset_is_refused_unless_allowed(capsys, tmp_path):
    folder = labelme_folder(tmp_path / "lm", n=2)
    make_image(tmp_path / "secret.png", seed=9)
    doc = json.loads((folder / "p1.json").read_text())
    doc["imagePath"] = "../secret.png"
    (folder / "p1.json").write_text(json.dumps(doc))
    with pytest.raises(FCNStudioError, match=r"p1.json names the image .*secret.png, outside the dataset folder"):
        find_pairs(folder)
    pred = tmp_path / "pred"
    pred.mkdir()
    for name in ("p0", "secret"):
        Image.fromarray(np.zeros((40, 48), np.uint8), mode="L").save(pred / f"{name}.png")
    (pred / "classes.txt").write_text("_background_\ncat\ndog\n")
    code, _, err = run(capsys, "eval", "--pred", str(pred), "--gt", str(folder))
    assert code == 1 and "allow images outside the dataset folder" in err and len(err.strip().splitlines()) == 1, err
    code, _, err = run(capsys, "eval", "--pred", str(pred), "--gt", str(folder), "--allow-outside")
    assert code == 0, err
    assert "FCN_STUDIO_ALLOW_OUTSIDE" not in os.environ  # for that command only


def test_malformed_labelme_json_is_a_problem_not_an_image_without_a_mask(tmp_path):
    folder = labelme_folder(tmp_path / "lm", n=2)
    make_image(folder / "p9.jpg", seed=3)
    (folder / "p9.json").write_text('{"shapes": [ {"label": "cat", ')
    report = scan_dataset(folder)
    assert any("p9.json" in str(p) and "unreadable labelme JSON" in str(p) for p in report.problems), report.problems


def test_a_nan_labelme_coordinate_is_a_problem(tmp_path):
    folder = labelme_folder(tmp_path / "lm", n=1)
    labelme_json(folder / "p0.json", [shape("cat", [(2, 2), (float("nan"), 2), (20, 18)])], image="p0.jpg")
    report = scan_dataset(folder)
    assert any("not a finite number" in str(p) for p in report.problems), report.problems


def test_grey_level_masks_are_a_problem_not_101_classes(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    for i in range(2):
        make_image(tmp_path / "images" / f"a{i}.png", seed=i)
        m = np.zeros((40, 48), np.uint8)
        m[5:15, 5:15], m[20:30, 20:30] = 50, 100
        Image.fromarray(m, mode="L").save(tmp_path / "masks" / f"a{i}.png")
    report = scan_dataset(tmp_path)
    assert any("grey levels 0, 50, 100" in str(p) and "101 classes" in str(p) for p in report.problems), report.problems


def test_a_cvat_labelmap_with_a_colour_twice_is_refused(tmp_path):
    from fcn_studio.data.formats.class_lists import read_class_list

    path = tmp_path / "labelmap.txt"
    path.write_text("# label:color_rgb:parts:actions\nbackground:0,0,0::\ncat:10,20,30::\ndog:10,20,30::\n")
    with pytest.raises(FCNStudioError, match=r"line 4: 'dog' has the colour 10,20,30 of 'cat'"):
        read_class_list(path)


def test_coco_annotations_of_an_unlisted_image_are_said(tmp_path):
    make_image(tmp_path / "a.png")
    doc = {
        "images": [{"id": 1, "file_name": "a.png", "height": 40, "width": 48}],
        "annotations": [{"id": 5, "image_id": 7, "category_id": 1, "segmentation": [[1, 1, 9, 1, 9, 9]]}],
        "categories": [{"id": 1, "name": "cat"}],
    }
    (tmp_path / "annotations.json").write_text(json.dumps(doc))
    notes = find_pairs(tmp_path).notes
    assert any("image id(s) 7" in n for n in notes), notes


def test_a_greyscale_photo_given_as_ground_truth_is_refused(capsys, tmp_path):
    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    yy, xx = np.mgrid[0:60, 0:80]
    Image.fromarray(((xx * 3 + yy * 2) % 256).astype(np.uint8), mode="L").save(gt / "a.png")
    Image.fromarray(np.zeros((60, 80), np.uint8), mode="L").save(pred / "a.png")
    code, _, err = run(capsys, "eval", "--pred", str(pred), "--gt", str(gt))
    assert code == 1 and "greyscale photo" in err, err


def test_an_unsafe_resume_state_never_quotes_torchs_advice(tmp_path):
    import argparse

    import torch

    from fcn_studio.training.resume import load_state, state_path

    out = tmp_path / "m.safetensors"
    torch.save({"optimizer": argparse.Namespace(a=1), "epoch": 1}, state_path(out))
    with pytest.raises(FCNStudioError) as info:
        load_state(out)
    text = str(info.value)
    assert "weights_only=False" not in text and "trust" not in text.lower() and "could run code" in text, text


def test_two_cleans_at_once_never_both_report_one_removal(tmp_path):
    from fcn_studio.storage.conversions import remove

    folder = tmp_path / "conv"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"x")
    assert [remove(folder), remove(folder)] == [True, False]
    assert not any(tmp_path.iterdir())


def test_sigterm_removes_locks_and_says_so(tmp_path):
    lock_target = tmp_path / "m.safetensors"
    script = (
        "import sys, time\n"
        "from fcn_studio.cli import main as m, weights as w\n"
        "from fcn_studio.files.locks import exclusive\n"
        "def slow(args):\n"
        f"    with exclusive({str(lock_target)!r}, 'x'):\n"
        "        print('locked', flush=True)\n"
        "        time.sleep(60)\n"
        "w.cmd_weights = slow\n"
        "sys.exit(m.main(['weights', 'list']))\n"
    )
    env = {**os.environ, "FCN_STUDIO_WEIGHTS": str(tmp_path / "w")}
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        assert child.stdout.readline().strip() == b"locked"
        from fcn_studio.files.locks import lock_path

        assert lock_path(lock_target).exists()
        child.send_signal(signal.SIGTERM)
        code = child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    err = child.stderr.read().decode()
    assert code == 143 and "terminated (SIGTERM)" in err, (code, err)
    assert not Path(lock_path(lock_target)).exists()
    time.sleep(0)
