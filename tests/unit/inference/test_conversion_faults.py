"""#22: the conversion cache is trusted by content, not by path, size and time; what it
cannot do (no room, an unwritable folder) is said once and plainly; it follows the umask."""

from __future__ import annotations

import os
from collections import namedtuple

import pytest

from fcn_studio.data.labels import voc_labels
from fcn_studio.inference import runtime
from fcn_studio.inference.predictor import Predictor
from fcn_studio.models.preprocessing import CAFFE_BGR
from fcn_studio.storage import conversions
from fcn_studio.storage.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from tests.unit.inference.test_backends import AGREEMENT, eager_labels, photo_like, save_weights

pytestmark = pytest.mark.skipif(runtime.onnxruntime_version() is None, reason="ONNX Runtime is not installed")


@pytest.fixture()
def weights_file(random_model, tmp_path):
    return save_weights(random_model, tmp_path)


def ready(path, **kwargs) -> Predictor:
    predictor = Predictor(load_checkpoint(path), "cpu", backend="auto", max_size=None, **kwargs)
    assert predictor.fast_path.wait(timeout=120), predictor.fast_path.error
    return predictor


def corrupt_in_place(path, at: float = 0.5) -> None:
    """Same size, bytes changed in the middle (what a bad sector or a stray write does)."""
    with open(path, "r+b") as fh:
        fh.seek(int(os.path.getsize(path) * at))
        chunk = fh.read(4096)
        fh.seek(-len(chunk), os.SEEK_CUR)
        fh.write(bytes((b ^ 0x5A) for b in chunk))


@pytest.mark.slow
def test_same_size_corruption_of_a_cached_conversion_is_found_and_rebuilt(weights_file, random_model):
    first = ready(weights_file)
    folder = first.fast_path.cache_dir
    first.fast_path.close()
    rgb = photo_like(48, 64, seed=2)
    expected = eager_labels(random_model("fcn8s"), rgb)
    graph = folder / f"optimised-{runtime.cpu_key()}"
    for damaged in (graph / runtime.DATA_FILE, graph / "model.onnx"):
        corrupt_in_place(damaged)
        again = ready(weights_file)
        pred = again.predict(rgb)
        assert pred.backend == "onnxruntime" and (pred.labels == expected).mean() >= AGREEMENT, damaged
        assert any(damaged.name in note for note in again.fast_path.notes), again.fast_path.notes  # found, and said
        again.fast_path.close()
    quiet = ready(weights_file)  # repaired once: the next run uses it as it is
    assert quiet.fast_path.loaded_from_cache and not quiet.fast_path.notes


@pytest.mark.slow
def test_weights_swapped_for_others_of_the_same_size_and_time_get_their_own_conversion(weights_file, random_model):
    first = ready(weights_file)
    first.fast_path.close()
    st = weights_file.stat()
    other = {k: (-v if k.startswith(("conv5", "score")) else v) for k, v in random_model("fcn8s").state_dict().items()}
    save_checkpoint(Checkpoint("fcn8s", 21, voc_labels(), CAFFE_BGR, other), weights_file)
    assert weights_file.stat().st_size == st.st_size
    os.utime(weights_file, ns=(st.st_atime_ns, st.st_mtime_ns))  # the same size and modification time
    swapped = ready(weights_file)
    rgb = photo_like(48, 64, seed=4)
    expected = eager_labels(load_checkpoint(weights_file).build_model(), rgb)
    assert (swapped.predict(rgb).labels == expected).mean() >= AGREEMENT


@pytest.mark.slow
def test_a_conversion_for_another_cpu_is_made_again_for_this_one(weights_file, random_model):
    """A conversion keeps one graph, optimised for the CPU that made it (a shared cache
    folder, a new machine): this CPU converts again, quietly, and keeps its own."""
    first = ready(weights_file)
    folder = first.fast_path.cache_dir
    first.fast_path.close()
    (folder / f"optimised-{runtime.cpu_key()}").rename(folder / "optimised-another-cpu")
    again = ready(weights_file)
    assert not again.fast_path.loaded_from_cache and not again.fast_path.notes
    rgb = photo_like(40, 56, seed=5)
    assert (again.predict(rgb).labels == eager_labels(random_model("fcn8s"), rgb)).mean() >= AGREEMENT
    again.fast_path.close()
    assert ready(weights_file).fast_path.loaded_from_cache  # kept for the next run


@pytest.mark.slow
def test_an_unwritable_cache_folder_is_said_not_prepared_at_every_run(weights_file, tmp_path, monkeypatch, capsys):
    from fcn_studio.cli.main import main

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setattr(conversions, "cache_root_for", lambda source: blocker / "cache")
    monkeypatch.setenv(runtime.BACKEND_ENV, "auto")
    from PIL import Image

    Image.fromarray(photo_like(30, 40)).save(tmp_path / "a.png")
    for run in range(2):
        out = tmp_path / f"out{run}"
        assert main(["segment", str(tmp_path / "a.png"), "--model", str(weights_file), "--out", str(out)]) == 0
        err = capsys.readouterr().err
        assert "preparing the faster CPU path" not in err
        assert "the faster CPU path is not used" in err and str(blocker) in err, err
        assert (out / "a.png").is_file()


def test_fast_mode_with_no_room_says_disk_full(weights_file, tmp_path, monkeypatch, capsys):
    from fcn_studio.cli.main import main

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(runtime.shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 1000, 1000))
    monkeypatch.setenv(runtime.BACKEND_ENV, "auto")
    photos = tmp_path / "photos"
    photos.mkdir()
    from PIL import Image

    Image.fromarray(photo_like(30, 40)).save(photos / "a.png")
    code = main(["segment", str(photos), "--model", str(weights_file), "--out", str(tmp_path / "out"), "--fast"])
    err = capsys.readouterr().err
    # int8 is not available, said why; fast mode goes on with what this machine has left
    assert "int8: not available (no space left" in err and "exit status" not in err, err
    assert code == 0 and (tmp_path / "out" / "a.png").is_file(), err


@pytest.mark.slow
@pytest.mark.parametrize("umask", [0o002, 0o027])
def test_cache_folders_and_files_follow_the_umask(weights_file, umask):
    old = os.umask(umask)
    try:
        folder = ready(weights_file).fast_path.cache_dir
    finally:
        os.umask(old)
    for path in [folder, *folder.rglob("*")]:
        want = (0o777 if path.is_dir() else 0o666) & ~umask  # not mkdtemp's 0700, nor 0600 files
        assert path.stat().st_mode & 0o777 == want, (path, oct(path.stat().st_mode & 0o777))
