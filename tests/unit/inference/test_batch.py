"""Batch segmentation of folders: output names, output-folder safety, file modes, the pipeline."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fcn_studio.cli.main import main
from fcn_studio.errors import Cancelled
from fcn_studio.inference.batch import segment_files
from fcn_studio.inference.batch_plan import batch_items
from fcn_studio.inference.inputs import expand_with_roots
from fcn_studio.inference.predictor import Predictor
from fcn_studio.storage.checkpoint import load_checkpoint
from tests.builders import make_image


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_output_folder_that_is_the_input_folder_never_replaces_an_input(
    capsys, weights_home, caffe_layout_file, tmp_path
):
    photos = tmp_path / "photos"
    photos.mkdir()
    make_image(photos / "chelsea.png", seed=1)  # its mask would be photos/chelsea.png
    make_image(photos / "dog.jpg", seed=2)
    before = tree(photos)
    model = str(caffe_layout_file("fcn32s"))
    code, _, err = run(capsys, "segment", str(photos), "--model", model, "--out", str(photos))
    assert code == 1 and "is the folder being segmented" in err and "Traceback" not in err
    assert tree(photos) == before, "no input was overwritten and nothing was written"


def test_an_input_that_an_output_would_replace_is_refused(tmp_path):
    from fcn_studio.errors import FCNStudioError
    from fcn_studio.inference.batch_plan import refuse_replacing_inputs

    photo = make_image(tmp_path / "a.png")
    with pytest.raises(FCNStudioError, match="would replace the input"):
        refuse_replacing_inputs([(photo, [tmp_path / "a.png"])], tmp_path)


@pytest.mark.slow
def test_an_output_folder_inside_the_input_folder_is_not_read_as_input(
    capsys, weights_home, caffe_layout_file, tmp_path
):
    photos = tmp_path / "photos"
    photos.mkdir()
    make_image(photos / "a.jpg", seed=1)
    make_image(photos / "b.jpg", seed=2)
    argv = ("segment", str(photos), "--model", str(caffe_layout_file("fcn32s")), "--out", str(photos / "masks"))
    assert run(capsys, *argv)[0] == 0
    code, _, err = run(capsys, *argv)  # again: last run's masks are outputs, not photos
    assert code == 0 and "wrote 2 output(s)" in err
    assert sorted(tree(photos / "masks")) == ["a.png", "b.png", "classes.txt"]


@pytest.mark.slow
def test_inputs_sharing_a_name_get_distinct_reported_names_and_sub_folders_are_mirrored(
    capsys, weights_home, caffe_layout_file, tmp_path
):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    sizes = {"a.jpg": (40, 32), "a.png": (44, 32), "a_1.png": (48, 32), "sub/a.png": (52, 32)}
    for name, size in sizes.items():
        make_image(src / name, size=size, seed=len(name))
    out = tmp_path / "out"
    code, _, err = run(capsys, "segment", str(src), "--model", str(caffe_layout_file("fcn32s")), "--out", str(out))
    assert code == 0, err
    assert "wrote 4 output(s)" in err
    masks = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert masks == ["a_1.png", "a_jpg.png", "a_png.png", "sub/a.png"]
    assert "a.jpg -> a_jpg.png" in err and "a.png -> a_png.png" in err, "renamed outputs are reported"
    expected_width = {"a_jpg.png": 40, "a_png.png": 44, "a_1.png": 48, "sub/a.png": 52}
    for name, width in expected_width.items():
        assert Image.open(out / name).size[0] == width, f"{name} is the mask of the wrong input"


def test_output_names_are_stable_whatever_order_the_inputs_come_in(tmp_path):
    names = ["b.png", "a.jpg", "a.png", "A.tif", "a_png.jpg", "a_overlay.png"]
    found = [(tmp_path / n, tmp_path) for n in names]
    forward = {it.source.name: it.name for it in batch_items(found)}
    backward = {it.source.name: it.name for it in batch_items(found[::-1])}
    assert forward == backward
    claimed = [n.casefold() for it in batch_items(found) for n in (it.name, it.name + "_overlay")]
    assert len(claimed) == len(set(claimed)), "no mask or overlay name is claimed twice (any case)"
    assert forward["b.png"] == "b", "an input with a name to itself keeps it"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc as a folder nobody can write to")
def test_an_unwritable_output_folder_is_refused_before_any_image_is_segmented(
    capsys, weights_home, caffe_layout_file, image_factory, monkeypatch
):
    calls = []
    real_predict = Predictor.predict
    monkeypatch.setattr(Predictor, "predict", lambda self, *a, **k: calls.append(1) or real_predict(self, *a, **k))
    images = [str(image_factory(f"i{i}.png", seed=i)) for i in range(3)]
    code, _, err = run(capsys, "segment", *images, "--model", str(caffe_layout_file("fcn32s")), "--out", "/proc")
    assert code == 1 and "/proc: cannot write to this folder" in err and err.count("\n") == 1
    assert calls == [], "refused before segmenting"


def test_masks_and_overlays_honour_the_umask(capsys, weights_home, caffe_layout_file, image_factory, tmp_path):
    old = os.umask(0o022)
    try:
        argv = (
            "segment",
            str(image_factory()),
            "--model",
            str(caffe_layout_file("fcn32s")),
            "--out",
            str(tmp_path / "o"),
        )
        assert run(capsys, *argv, "--overlay")[0] == 0
    finally:
        os.umask(old)
    for name in ("img.png", "img_overlay.jpg"):
        assert (tmp_path / "o" / name).stat().st_mode & 0o777 == 0o644, name


@pytest.fixture()
def predictor(caffe_layout_file):
    return Predictor(load_checkpoint(caffe_layout_file("fcn16s")), "cpu")


@pytest.mark.slow
def test_pipelined_batch_writes_what_the_predictor_gives_each_image(predictor, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(7):
        make_image(src / f"p{i}.png", size=(36 + 4 * i, 30), seed=i)
    (src / "broken.png").write_bytes(b"not an image")
    items = batch_items(expand_with_roots([src], videos=False))
    report = segment_files(predictor, items, tmp_path / "out")
    assert len(report.written) == 7 and len(report.failures) == 1 and "broken.png" in report.failures[0]
    assert report.processed == 8 and report.images_per_s > 0
    for i in range(7):
        expected = predictor.predict(np.asarray(Image.open(src / f"p{i}.png").convert("RGB"))).labels
        assert np.array_equal(np.asarray(Image.open(tmp_path / "out" / f"p{i}.png")), expected)


@pytest.mark.slow
def test_cancelling_a_batch_leaves_only_complete_masks(predictor, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(12):
        make_image(src / f"p{i:02d}.png", seed=i)
    out = tmp_path / "out"
    done = []
    with pytest.raises(Cancelled, match="masks written"):
        segment_files(
            predictor,
            batch_items(expand_with_roots([src], videos=False)),
            out,
            progress=lambda d, t, n: done.append(d),
            cancelled=lambda: len(done) >= 3,
        )
    files = sorted(out.iterdir())
    assert 3 <= len(files) < 12, "stopped early, and what the model produced was written"
    for f in files:
        assert not f.name.startswith("."), f"temporary left behind: {f.name}"
        with Image.open(f) as img:
            img.load()  # a partial PNG would fail here


@pytest.mark.slow
def test_videos_never_replace_an_input_video_nor_each_other(capsys, weights_home, caffe_layout_file, tmp_path):
    from tests.builders import make_clip

    clips = tmp_path / "clips"
    clips.mkdir()
    make_clip(clips / "walk.mp4", n=3)
    before = tree(clips)
    model = str(caffe_layout_file("fcn32s"))
    code, _, err = run(capsys, "segment", str(clips), "--model", model, "--out", str(clips))
    assert code == 1 and "is the folder being segmented" in err
    code, _, err = run(capsys, "segment", str(clips / "walk.mp4"), "--model", model, "--out", str(clips))
    assert code == 1 and "would replace the input" in err, "named directly: the output would be the input"
    assert tree(clips) == before
    make_clip(clips / "walk.avi", n=3)  # the same stem: two outputs, not one written twice
    code, _, err = run(capsys, "segment", str(clips), "--model", model, "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["walk_avi.mp4", "walk_mp4.mp4"]
