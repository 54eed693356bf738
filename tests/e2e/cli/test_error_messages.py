"""Each unclear message of issue 10 is one line naming the file and what to do; impossible
numbers are refused at the parser; bad label colours never get past import or load."""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest
import torch
from PIL import Image

from fcn_studio.cli.main import main
from fcn_studio.data.dataset import scan_dataset
from fcn_studio.errors import FCNStudioError
from fcn_studio.inference.predictor import Predictor
from fcn_studio.storage.checkpoint import load_checkpoint
from tests.builders import make_plain


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# ----------------------------------------------------------------------- weights files


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (json.dumps({"conv1_1.weight": [1, 2, 3]}).encode(), "JSON"),
        (b"these are my weights, honest\n" * 10, "text file"),
        (bytes([0x13]) + np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes(), "unknown format"),
    ],
)
def test_files_that_are_not_weights_are_not_called_code(capsys, tmp_path, image_factory, content, says):
    path = tmp_path / "model.pth"
    path.write_bytes(content)
    code, _, err = run(capsys, "segment", str(image_factory()), "--model", str(path), "--out", str(tmp_path / "o"))
    line = one_error_line(err)
    assert code == 1 and str(path) in line and says in line
    assert "could run code" not in line


def _quoted(line: str) -> str:
    return re.search(r"\((.*)\)", line).group(1)


def test_quoted_library_messages_are_never_cut_mid_word(tmp_path):
    class Exploit:
        def __reduce__(self):
            return (os.system, ("true",))

    evil = tmp_path / "evil.pth"
    torch.save({"w": torch.zeros(1), "x": Exploit()}, evil)
    with pytest.raises(FCNStudioError) as info:
        load_checkpoint(evil)
    message = str(info.value)
    assert "could run code" in message and "system" in message, "names what was refused"
    truncated = tmp_path / "cut.pth"
    torch.save({"conv1_1.weight": torch.zeros(64, 3, 3, 3)}, tmp_path / "good.pth")
    data = (tmp_path / "good.pth").read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(FCNStudioError) as info:
        load_checkpoint(truncated)
    for message in (str(info.value),):
        quoted = _quoted(message).removesuffix(" ...")
        assert ".." not in message.replace(" ...", "")
        try:
            torch.load(truncated, weights_only=True)
        except Exception as exc:  # the original text: every quoted word must be whole in it
            original = str(exc).split()
        assert all(word in original for word in quoted.split()), quoted


def test_symlink_loop_and_folder_given_as_weights(capsys, tmp_path, image_factory):
    loop = tmp_path / "loop.pth"
    os.symlink(loop, loop)
    folder = tmp_path / "weights_folder"
    folder.mkdir()
    image = str(image_factory())
    line = one_error_line(run(capsys, "segment", image, "--model", str(loop), "--out", str(tmp_path / "o"))[2])
    assert str(loop) in line and "loops" in line and "unknown model" not in line
    line = one_error_line(run(capsys, "segment", image, "--model", str(folder), "--out", str(tmp_path / "o"))[2])
    assert str(folder) in line and "folder" in line and "unknown model" not in line


def test_shape_mismatch_names_the_file_without_an_arch_hint_in_segment(capsys, tmp_path, random_model, image_factory):
    state = dict(random_model("fcn8s", 21).state_dict())
    state["score_pool3.weight"] = torch.zeros(21, 128, 1, 1)  # a damaged or foreign file
    bad = tmp_path / "bad.pth"
    torch.save(state, bad)
    code, _, err = run(capsys, "segment", str(image_factory()), "--model", str(bad), "--out", str(tmp_path / "o"))
    line = one_error_line(err)
    assert code == 1 and str(bad) in line and "do not fit fcn8s" in line
    assert ".." not in line.replace(" ...", "") and "--arch" not in line
    code, _, err = run(capsys, "weights", "import", str(bad), "--id", "x")
    assert code == 1 and "--arch" in one_error_line(err), "import has --arch: there the hint helps"


def test_unwritable_output_folder_is_reported_before_segmenting(
    capsys, tmp_path, caffe_layout_file, image_factory, monkeypatch
):
    calls = []
    monkeypatch.setattr(Predictor, "predict", lambda self, *a, **k: calls.append(1))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    images = [str(image_factory(f"i{i}.png", seed=i)) for i in range(3)]
    code, _, err = run(
        capsys, "segment", *images, "--model", str(caffe_layout_file("fcn32s")), "--out", str(blocker / "out")
    )
    assert code == 1 and str(blocker / "out") in one_error_line(err)
    assert calls == [], "no image was segmented for nothing"


def test_compare_checks_its_output_folder_before_running_models(
    capsys, tmp_path, caffe_layout_file, image_factory, monkeypatch
):
    calls = []
    monkeypatch.setattr(Predictor, "predict", lambda self, *a, **k: calls.append(1))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    model = str(caffe_layout_file("fcn32s"))
    code, _, err = run(
        capsys, "compare", str(image_factory()), "--models", f"{model},{model}", "--out", str(blocker / "grid.png")
    )
    assert code == 1 and str(blocker) in one_error_line(err) and calls == []


# ----------------------------------------------------------------------- datasets and eval


def test_unused_classes_are_reported(tmp_path):
    root = make_plain(tmp_path / "d", n=3, n_classes=2)
    mask = np.asarray(Image.open(root / "masks" / "s0.png")).copy()
    mask[mask == 1] = 7  # label 7 and no classes.txt: classes 1-6 exist only by number
    Image.fromarray(mask, mode="L").save(root / "masks" / "s0.png")
    report = scan_dataset(root)
    assert report.ok and report.num_classes == 8
    note = next(str(n) for n in report.notes if "no pixels" in str(n))
    assert "5 of the 8 classes" in note and "(2, 3, 4, 5, 6)" in note and "classes.txt" in note


def test_unknown_rgb_colours_point_to_classes_txt(tmp_path):
    root = make_plain(tmp_path / "d", n=2)
    for mask_path in (root / "masks").iterdir():
        rgb = np.zeros((*np.asarray(Image.open(mask_path)).shape, 3), np.uint8)
        rgb[:, :10] = (10, 200, 30)  # colours of the user's own labelling tool
        Image.fromarray(rgb).save(mask_path)
    report = scan_dataset(root)
    assert not report.ok
    assert all("classes.txt" in str(p) and "name r g b" in str(p) for p in report.problems), report.problems


def test_eval_reports_ground_truth_labels_beyond_num_classes(capsys, tmp_path):
    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    labels = np.zeros((8, 8), np.uint8)
    labels[:4] = 1
    Image.fromarray(labels).save(pred / "a.png")
    labels[:2] = 5
    Image.fromarray(labels).save(gt / "a.png")
    code, out, err = run(capsys, "eval", "--pred", str(pred), "--gt", str(gt), "--num-classes", "3")
    assert code == 0 and "mean IoU" in out
    line = one_error_line(err)
    assert "a.png: 5" in line and ">= 3" in line


# ----------------------------------------------------------------------- label colours


def _checkpoint_with_labels(tmp_path, random_model, labels: object):
    """A valid FCN Studio checkpoint whose label metadata was edited by hand."""
    from safetensors.torch import save_file

    from fcn_studio.data.labels import voc_labels
    from fcn_studio.models.preprocessing import CAFFE_BGR
    from fcn_studio.storage.checkpoint import Checkpoint

    state = {k: v.contiguous() for k, v in random_model("fcn32s").state_dict().items()}
    meta = Checkpoint("fcn32s", 21, voc_labels(), CAFFE_BGR, state).metadata()
    path = tmp_path / "odd-colours.safetensors"
    save_file(state, str(path), metadata={**meta, "labels": json.dumps(labels)})
    return path


def test_hand_edited_label_metadata_that_is_valid_still_loads(tmp_path, random_model):
    from fcn_studio.data.labels import voc_labels

    labels = voc_labels().to_dict()
    labels["colors"][1] = [1, 2, 3]
    assert load_checkpoint(_checkpoint_with_labels(tmp_path, random_model, labels)).labels.colors[1] == (1, 2, 3)


@pytest.mark.parametrize("bad_color", [[128, 0], [300, 0, 0], ["red", 0, 0], [-1, 0, 0], 5])
def test_malformed_label_colours_are_refused_on_import_and_load(
    capsys, tmp_path, weights_home, random_model, image_factory, bad_color
):
    from fcn_studio.data.labels import voc_labels

    good = voc_labels().to_dict()
    labels = {**good, "colors": [bad_color, *good["colors"][1:]]}
    path = _checkpoint_with_labels(tmp_path, random_model, labels)
    code, _, err = run(capsys, "weights", "import", str(path), "--id", "odd")
    line = one_error_line(err)
    assert code == 1 and str(path) in line and "colour" in line
    code, _, err = run(capsys, "segment", str(image_factory()), "--model", str(path), "--out", str(tmp_path / "o"))
    assert code == 1 and str(path) in one_error_line(err)


def test_label_file_with_impossible_colours(capsys, tmp_path, caffe_layout_file, weights_home):
    labels = tmp_path / "classes.txt"
    labels.write_text("background 0 0 0\nroad 300 20 20\n")
    code, _, err = run(capsys, "weights", "import", str(caffe_layout_file("fcn32s", 2)), "--labels", str(labels))
    line = one_error_line(err)
    assert code == 1 and "classes.txt" in line and "0 to 255" in line


# ----------------------------------------------------------------------- numbers at the parser


@pytest.mark.parametrize(
    "argv",
    [
        ["eval", "--pred", "p", "--gt", "g", "--num-classes", "-1"],
        ["eval", "--pred", "p", "--gt", "g", "--num-classes", "256"],
        ["segment", "x.png", "--model", "m", "--out", "o", "--max-size", "-5"],
        ["segment", "x.png", "--model", "m", "--out", "o", "--max-size", "3"],
        ["segment", "x.png", "--model", "m", "--out", "o", "--opacity", "1.5"],
        ["compare", "x.png", "--models", "m", "--out", "o.png", "--columns", "0"],
        ["compare", "x.png", "--models", "m", "--out", "o.png", "--max-size", "-1"],
        *(
            ["train", "--data", "d", "--out", "o.safetensors", opt, value]
            for opt, value in [
                ("--epochs", "0"),
                ("--batch-size", "0"),
                ("--crop-size", "-3"),
                ("--lr", "0"),
                ("--lr", "nan"),
                ("--lr", "-1"),
                ("--weight-decay", "-1"),
                ("--scale", "2,1"),
                ("--scale", "0,1"),
                ("--scale", "x"),
                ("--val-split", "1"),
                ("--val-split", "-0.1"),
                ("--seed", "-1"),
                ("--epochs", "ten"),
            ]
        ),
    ],
)
def test_impossible_numbers_are_refused_at_the_parser(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "error: argument" in err and "Traceback" not in err


def test_max_size_zero_still_means_full_resolution(capsys):
    from fcn_studio.cli.main import build_parser

    args = build_parser().parse_args(["segment", "x.png", "--model", "m", "--out", "o", "--max-size", "0"])
    assert args.max_size == 0
