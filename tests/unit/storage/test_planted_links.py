"""Links planted at the names FCN Studio writes (lock files, logs, outputs, temporaries)
never make it write through them (#22 items 1 and 2)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fcn_studio.cli.main import main
from fcn_studio.errors import FCNStudioError
from fcn_studio.files.locks import exclusive, lock_path
from tests.builders import make_image

VICTIM_TEXT = "the user's own file\n"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def victim(tmp_path) -> Path:
    path = tmp_path / "victim.txt"
    path.write_text(VICTIM_TEXT)
    return path


def untouched(victim: Path) -> bool:
    return victim.read_text() == VICTIM_TEXT


def test_a_link_planted_at_a_lock_file_is_never_written_through(tmp_path, victim):
    target = tmp_path / "runs" / "v.safetensors"
    target.parent.mkdir()
    lock_path(target).symlink_to(victim)
    with pytest.raises(FCNStudioError, match="symbolic link.*nothing was written through it"), exclusive(target, "x"):
        pass
    assert untouched(victim) and lock_path(target).is_symlink()


def test_a_hard_link_or_fifo_planted_at_a_lock_file_is_refused(tmp_path, victim):
    target = tmp_path / "v.safetensors"
    os.link(victim, lock_path(target))
    with pytest.raises(FCNStudioError, match="hard link"), exclusive(target, "x"):
        pass
    assert untouched(victim)
    lock_path(target).unlink()
    os.mkfifo(lock_path(target))
    with pytest.raises(FCNStudioError, match="not a plain file"), exclusive(target, "x"):
        pass


def test_import_and_remove_refuse_a_planted_lock_link(capsys, weights_home, caffe_layout_file, victim):
    weights_home.mkdir()
    lock_path(weights_home / "m.safetensors").symlink_to(victim)
    code, _, err = run(capsys, "weights", "import", str(caffe_layout_file("fcn32s")), "--id", "m")
    assert code == 1 and "symbolic link" in err and untouched(victim), err
    assert not (weights_home / "m.safetensors").exists()
    lock_path(weights_home / "m.safetensors").unlink()
    assert run(capsys, "weights", "import", str(caffe_layout_file("fcn32s")), "--id", "m")[0] == 0
    lock_path(weights_home / "m.safetensors").symlink_to(victim)
    code, _, err = run(capsys, "weights", "remove", "m")
    assert code == 1 and "symbolic link" in err and untouched(victim), err
    assert (weights_home / "m.safetensors").exists(), "nothing removed while the lock is refused"


def test_a_link_planted_at_the_shard_log_is_never_appended_to(
    capsys, weights_home, caffe_layout_file, tmp_path, victim
):
    photos = tmp_path / "photos"
    photos.mkdir()
    make_image(photos / "a.png")
    out = tmp_path / "out"
    out.mkdir()
    (out / "segment-log.0-of-1.jsonl").symlink_to(victim)
    code, _, err = run(
        capsys, "segment", str(photos), "--model", str(caffe_layout_file("fcn32s")), "--out", str(out), "--shard", "0/1"
    )
    assert code == 1 and "symbolic link" in err and untouched(victim), err
    assert not (out / "a.png").exists(), "refused before any image is segmented"


def test_links_planted_at_output_names_are_replaced_not_written_through(
    capsys, weights_home, caffe_layout_file, tmp_path, victim
):
    photos = tmp_path / "photos"
    photos.mkdir()
    make_image(photos / "a.png")
    out = tmp_path / "out"
    out.mkdir()
    for name in ("a.png", "a_overlay.jpg"):
        (out / name).symlink_to(victim)
    code, _, err = run(
        capsys, "segment", str(photos), "--model", str(caffe_layout_file("fcn32s")), "--out", str(out), "--overlay"
    )
    assert code == 0, err
    assert untouched(victim) and not (out / "a.png").is_symlink() and not (out / "a_overlay.jpg").is_symlink()
