"""The third bad-input round's security findings (#29), each a failing test first: a link
planted where FCN Studio writes never changes its target (K5, B13, K6), and a head file
names its base by id and hash only, never by a path that is then opened (D8)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fcn_studio.cli.main import main
from fcn_studio.errors import FCNStudioError
from tests.builders import make_image

VICTIM_TEXT = "the user's own file\n"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def victim_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "victims"
    folder.mkdir()
    (folder / "a.png").write_text(VICTIM_TEXT)
    return folder


def test_K5_a_link_at_a_mirrored_output_subfolder_is_never_written_through(
    capsys, weights_home, caffe_layout_file, tmp_path
):
    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    make_image(photos / "sub" / "a.png")
    out = tmp_path / "out"
    out.mkdir()
    victims = victim_folder(tmp_path)
    (out / "sub").symlink_to(victims, target_is_directory=True)
    code, _, err = run(capsys, "segment", str(photos), "--model", str(caffe_layout_file("fcn32s")), "--out", str(out))
    assert code == 1 and "symbolic link" in err and "Traceback" not in err, err
    assert sorted(p.name for p in victims.iterdir()) == ["a.png"]
    assert (victims / "a.png").read_text() == VICTIM_TEXT


def test_K5_a_file_where_an_output_subfolder_goes_is_one_clear_line(capsys, weights_home, caffe_layout_file, tmp_path):
    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    make_image(photos / "sub" / "a.png")
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").write_text(VICTIM_TEXT)
    code, _, err = run(capsys, "segment", str(photos), "--model", str(caffe_layout_file("fcn32s")), "--out", str(out))
    assert code == 1 and "is a file where" in err and len(err.strip().splitlines()) == 1, err
    assert (out / "sub").read_text() == VICTIM_TEXT


def test_B13_a_hard_link_at_the_default_shard_log_is_never_appended_to(
    capsys, weights_home, caffe_layout_file, tmp_path
):
    photos = tmp_path / "photos"
    photos.mkdir()
    make_image(photos / "a.png")
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text(VICTIM_TEXT)
    os.link(victim, out / "segment-log.0-of-1.jsonl")
    code, _, err = run(
        capsys, "segment", str(photos), "--model", str(caffe_layout_file("fcn32s")), "--out", str(out), "--shard", "0/1"
    )
    assert code == 1 and "hard link" in err, err
    assert victim.read_text() == VICTIM_TEXT


def test_a_fifo_log_without_a_reader_is_one_clear_line(capsys, weights_home, caffe_layout_file, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    make_image(photos / "a.png")
    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)
    model = str(caffe_layout_file("fcn32s"))
    code, _, err = run(
        capsys, "segment", str(photos), "--model", model, "--out", str(tmp_path / "o"), "--log", str(fifo)
    )
    assert code == 1 and "FIFO" in err and "nothing reads it" in err and len(err.strip().splitlines()) == 1, err


def test_K6_a_cache_folder_link_beside_the_weights_never_sends_the_conversion_outside(tmp_path):
    from fcn_studio.storage.conversions import CACHE_DIRNAME, cache_root_for

    models = tmp_path / "models"
    models.mkdir()
    weights = models / "m.pth"
    weights.write_bytes(b"x")
    outside = tmp_path / "outside"
    outside.mkdir()
    (models / CACHE_DIRNAME).symlink_to(outside, target_is_directory=True)
    root = cache_root_for(weights)
    assert outside not in root.resolve().parents and root.resolve() != outside.resolve()
    assert root != models / CACHE_DIRNAME
    (models / CACHE_DIRNAME).unlink()
    (models / CACHE_DIRNAME).write_text("a file")
    assert cache_root_for(weights) != models / CACHE_DIRNAME
    (models / CACHE_DIRNAME).unlink()
    assert cache_root_for(weights) == models / CACHE_DIRNAME  # the usual place, once it is ours


def _head_over(base_file: Path, base_id: str, path: str, target: Path) -> Path:
    from fcn_studio.data.labels import generic_labels
    from fcn_studio.files.identity import content_hash
    from fcn_studio.models.preprocessing import CAFFE_BGR
    from fcn_studio.storage.checkpoint import load_checkpoint
    from fcn_studio.storage.heads import BaseRef, Head, head_tensors, write_head

    base = load_checkpoint(base_file)
    ref = BaseRef(base_id, content_hash(base_file), path)
    head = Head(base.arch, generic_labels(base.num_classes), CAFFE_BGR, head_tensors(base.state_dict), ref)
    return write_head(head, target)


@pytest.mark.parametrize("how", ["recorded path", "id that is a path"])
def test_D8_a_head_never_opens_a_base_path_it_names(how, weights_home, caffe_layout_file, tmp_path, monkeypatch):
    from fcn_studio.files import identity
    from fcn_studio.storage.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
    from fcn_studio.storage.weights import resolve_model

    outside = tmp_path / "elsewhere" / "base.safetensors"  # not installed: outside the weights folder
    outside.parent.mkdir()
    ckpt = load_checkpoint(caffe_layout_file("fcn32s"))
    save_checkpoint(Checkpoint(ckpt.arch, ckpt.num_classes, ckpt.labels, ckpt.preprocessing, ckpt.state_dict), outside)
    weights_home.mkdir()
    base_id = "not-installed" if how == "recorded path" else str(outside)
    _head_over(outside, base_id, str(outside), weights_home / "h.safetensors")
    opened: list[Path] = []
    real_hash = identity.content_hash
    monkeypatch.setattr(identity, "content_hash", lambda p: (opened.append(Path(p)), real_hash(p))[1])
    with pytest.raises(FCNStudioError, match="not installed|by an installed model's id"):
        resolve_model("h")
    assert outside not in opened and all(weights_home in p.parents for p in opened), opened


def test_D8_a_head_file_no_longer_records_where_its_base_was(random_model, weights_home):
    from fcn_studio.storage.heads import BaseRef

    assert BaseRef("toy", "0" * 64, "/some/where").to_dict() == {"id": "toy", "sha256": "0" * 64}


def test_K5_sibling_a_link_at_a_videos_frame_masks_folder_is_never_written_through(
    capsys, weights_home, caffe_layout_file, tmp_path
):
    from tests.builders import make_clip

    clip = make_clip(tmp_path / "in" / "walk.mp4", n=3)
    out = tmp_path / "out"
    out.mkdir()
    victims = victim_folder(tmp_path)
    (out / "walk_masks").symlink_to(victims, target_is_directory=True)
    model = str(caffe_layout_file("fcn32s"))
    code, _, err = run(capsys, "segment", str(clip), "--model", model, "--out", str(out), "--frame-masks")
    assert code == 1 and "symbolic link" in err and "Traceback" not in err, err
    assert sorted(p.name for p in victims.iterdir()) == ["a.png"]
