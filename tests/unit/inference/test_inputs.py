"""What a folder given to `segment` (and the app's Segment Folder, which calls the same
core) holds that is not a photo: label folders (#21 bug 2), FIFOs (#22 item 11), links to
nothing and loops; and the output folder and writer failures (#22 item 10, unclear items)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fcn_studio.cli.main import main
from fcn_studio.errors import FCNStudioError
from fcn_studio.inference import batch
from fcn_studio.inference.inputs import expand_with_roots
from tests.builders import make_image

REPO = Path(__file__).resolve().parents[3]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_process(*argv: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """A real process with a deadline: a run that blocks fails the test instead of hanging it."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "fcn_studio", *argv], capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO
    )


def label_mode_folder(root: Path, n: int = 3) -> Path:
    """Photos with the masks/ and classes.txt Label mode writes, and a VOC-style label folder."""
    root.mkdir()
    (root / "masks").mkdir()
    for i in range(n):
        make_image(root / f"p{i}.jpg", seed=i)
        Image.fromarray(np.zeros((40, 48), np.uint8), mode="P").save(root / "masks" / f"p{i}.png")
    (root / "classes.txt").write_text("background 0 0 0\ncat 128 0 0\n")
    (root / "sub" / "SegmentationClassPNG").mkdir(parents=True)
    Image.fromarray(np.zeros((40, 48), np.uint8), mode="P").save(root / "sub" / "SegmentationClassPNG" / "q.png")
    return root


def test_label_folders_are_never_inputs(tmp_path):
    folder = label_mode_folder(tmp_path / "my photos")
    notes: list[str] = []
    found = expand_with_roots([folder], warn=notes.append)
    assert sorted(p.name for p, _ in found) == ["p0.jpg", "p1.jpg", "p2.jpg"]
    assert any("masks" in n and "SegmentationClassPNG" in n and "label masks, not photos" in n for n in notes), notes
    named = expand_with_roots([folder / "masks"])  # named on purpose: done as asked
    assert len(named) == 3


@pytest.mark.slow
def test_segment_folder_with_label_mode_masks_segments_only_the_photos(
    capsys, weights_home, caffe_layout_file, tmp_path
):
    folder = label_mode_folder(tmp_path / "my photos")
    out = tmp_path / "out"
    code, _, err = run(capsys, "segment", str(folder), "--model", str(caffe_layout_file("fcn32s")), "--out", str(out))
    assert code == 0 and "3 image(s)" in err, err
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "classes.txt",
        "p0.png",
        "p1.png",
        "p2.png",
    ]


@pytest.mark.slow
def test_a_fifo_among_the_inputs_never_blocks_the_run(tmp_path, caffe_layout_file):
    photos = tmp_path / "photos"
    photos.mkdir()
    os.mkfifo(photos / "a.png")  # nobody ever writes to it: opening it to read would wait forever
    make_image(photos / "b.png")
    os.mkfifo(tmp_path / "direct.jpg")
    out = tmp_path / "out"
    proc = run_process(
        "segment",
        str(photos),
        str(tmp_path / "direct.jpg"),
        "--model",
        str(caffe_layout_file("fcn32s")),
        "--out",
        str(out),
    )
    assert proc.returncode == 0 and "FIFO" in proc.stderr and "2 input(s) left out" in proc.stderr, proc.stderr
    assert (out / "b.png").is_file()


def test_links_to_nothing_and_loops_inside_a_folder_are_reported(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    make_image(photos / "a.png")
    (photos / "gone.jpg").symlink_to(tmp_path / "deleted.jpg")
    (photos / "self.jpg").symlink_to(photos / "self.jpg")
    (photos / "again").symlink_to(photos)  # a folder link back to the top
    notes: list[str] = []
    found = expand_with_roots([photos], warn=notes.append)
    assert [p.name for p, _ in found] == ["a.png"]
    text = " ".join(notes)
    assert "3 input(s) left out" in text, notes
    assert "gone.jpg (a link to a missing file)" in text and "self.jpg (a symbolic link that loops)" in text
    assert "again (a link to a folder already listed (a loop))" in text


def test_an_output_folder_that_is_a_file_is_named_as_such(capsys, weights_home, caffe_layout_file, tmp_path):
    (tmp_path / "out").write_text("not a folder")
    code, _, err = run(
        capsys,
        "segment",
        str(make_image(tmp_path / "a.png")),
        "--model",
        str(caffe_layout_file("fcn32s")),
        "--out",
        str(tmp_path / "out"),
    )
    assert code == 1 and "is a file, not a folder" in err and "File exists" not in err, err


def test_the_input_folder_as_output_is_refused_the_same_on_every_run(capsys, weights_home, caffe_layout_file, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    make_image(photos / "a.jpg")
    argv = ("segment", str(photos), "--model", str(caffe_layout_file("fcn32s")), "--out", str(photos))
    for _ in range(2):
        code, _, err = run(capsys, *argv)
        assert code == 1 and "is the folder being segmented" in err and "photos-masks" in err, err
        assert sorted(p.name for p in photos.iterdir()) == ["a.jpg"]


@pytest.mark.parametrize("value", ["x", "3/2", "1", "-1/4", "0/0"])
def test_bad_shard_values_exit_2_like_other_numeric_options(capsys, value):
    for command in (["segment", "a.jpg", "--model", "m", "--out", "o"], ["eval", "--merge", "cm.json"]):
        with pytest.raises(SystemExit) as exc:
            main([*command, "--shard", value])
        assert exc.value.code == 2
        assert "--shard" in capsys.readouterr().err


@pytest.mark.slow
def test_a_log_on_a_full_disk_ends_the_run_with_one_line(tmp_path, caffe_layout_file):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(8):
        make_image(photos / f"{i}.png", seed=i)
    proc = run_process(
        "segment",
        str(photos),
        "--model",
        str(caffe_layout_file("fcn32s")),
        "--out",
        str(tmp_path / "out"),
        "--log",
        "/dev/full",
    )
    errors = [line for line in proc.stderr.splitlines() if "error" in line.lower() or "Exception" in line]
    assert proc.returncode == 1 and len(errors) == 1 and "no space left" in errors[0], proc.stderr


@pytest.mark.slow
def test_a_full_disk_while_writing_masks_is_one_line(capsys, weights_home, caffe_layout_file, tmp_path, monkeypatch):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(6):
        make_image(photos / f"{i}.png", seed=i)

    def full(mask, labels, path):
        raise FCNStudioError(f"could not write {path}: No space left on device")

    monkeypatch.setattr(batch, "save_mask", full)
    code, _, err = run(
        capsys, "segment", str(photos), "--model", str(caffe_layout_file("fcn32s")), "--out", str(tmp_path / "out")
    )
    lines = [line for line in err.splitlines() if "could not write" in line or "no space" in line]
    assert code == 1 and len(lines) == 1 and "no space left on" in lines[0] and "free some space" in lines[0], err
