"""`weights export`, `weights list` sizes, `weights remove` and `weights clean`: versions
shared as standalone files, disk visible and bounded, nothing in use removed."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest
from PIL import Image

from fcn_studio.cli.main import main
from fcn_studio.data.labels import generic_labels
from fcn_studio.labelling.versions import choose_version, install_head_version
from fcn_studio.models.preprocessing import CAFFE_BGR
from fcn_studio.storage import conversions
from fcn_studio.storage.conversions import CACHE_DIRNAME
from tests.unit.storage.test_heads import install_base, new_head


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def family(random_model, weights_home):
    base = install_base(random_model, weights_home)
    for seed in (2, 3, 4, 5):
        install_head_version(base, new_head(base, 3, seed), generic_labels(3), CAFFE_BGR, {}, "toy")
    return base


def fake_conversion(weights_file, name: str, *, sha: str | None = None, size: int = 4096, age_s: float = 0):
    """A finished conversion folder as runtime.FastPath leaves one (meta.json and files)."""
    from fcn_studio.files.identity import content_hash
    from fcn_studio.inference.runtime import onnxruntime_version

    folder = weights_file.parent / CACHE_DIRNAME / name
    folder.mkdir(parents=True)
    (folder / "model.onnx.data").write_bytes(b"\0" * size)
    meta = {
        "source": str(weights_file.resolve()),
        "source_sha256": sha or content_hash(weights_file),
        "runtime": f"onnxruntime{onnxruntime_version()}",
    }
    (folder / "meta.json").write_text(json.dumps(meta))
    stamp = folder / conversions.LAST_USED
    stamp.touch()
    os.utime(stamp, (time.time() - age_s, time.time() - age_s))
    return folder


@pytest.mark.slow
def test_an_exported_version_loads_in_a_fresh_weights_folder_with_the_same_labels(
    capsys, family, weights_home, tmp_path, monkeypatch
):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (40, 52, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    code, _, err = run(capsys, "segment", str(tmp_path / "a.png"), "--model", "toy-v3", "--out", str(tmp_path / "o1"))
    assert code == 0, err
    shared = tmp_path / "share" / "toy-v3.safetensors"
    code, out, err = run(capsys, "weights", "export", "toy-v3", str(shared))
    assert code == 0 and "wrote toy-v3" in out, err
    fresh = tmp_path / "fresh-weights"
    monkeypatch.setenv("FCN_STUDIO_WEIGHTS", str(fresh))  # another machine: no base installed
    code, out, err = run(capsys, "weights", "import", str(shared), "--id", "shared")
    assert code == 0, err
    code, _, err = run(capsys, "segment", str(tmp_path / "a.png"), "--model", "shared", "--out", str(tmp_path / "o2"))
    assert code == 0, err
    first, second = (np.asarray(Image.open(tmp_path / o / "a.png")) for o in ("o1", "o2"))
    assert np.array_equal(first, second)
    assert run(capsys, "weights", "export", "toy-v3", str(shared))[0] != 0  # no silent replacement


def test_list_shows_sizes_with_caches_and_stays_aligned_for_long_ids(capsys, family, weights_home):
    long_id = "a-rather-long-model-name-for-the-crack-survey-2026"
    install_head_version(family, new_head(family, 3, 9), generic_labels(3), CAFFE_BGR, {}, long_id)
    fake_conversion(weights_home / "toy.safetensors", "toy.safetensors-onnxruntime-fp32-x", size=3_000_000)
    code, out, _ = run(capsys, "weights", "list")
    assert code == 0
    lines = [ln for ln in out.splitlines() if ln.startswith(("id ", "toy", long_id))]
    arch_at = lines[0].index("arch")
    assert arch_at > len(long_id) and all(ln[arch_at : arch_at + 5] in ("arch ", "fcn8s") for ln in lines), out
    toy = next(ln for ln in lines if ln.startswith("toy "))
    assert "3 MB" in toy  # its conversion cache is counted
    assert "head over toy" in next(ln for ln in lines if ln.startswith("toy-v2"))
    assert "conversion caches" in out


def test_remove_takes_the_conversion_cache_and_keeps_a_base_that_heads_need(capsys, family, weights_home):
    cache = fake_conversion(weights_home / "toy.safetensors", "toy.safetensors-onnxruntime-fp32-x")
    code, _, err = run(capsys, "weights", "remove", "toy")
    assert code != 0 and "base of toy-v2" in err and (weights_home / "toy.safetensors").exists()
    for v in ("toy-v2", "toy-v3", "toy-v4", "toy-v5"):
        assert run(capsys, "weights", "remove", v)[0] == 0
    code, out, _ = run(capsys, "weights", "remove", "toy")
    assert code == 0 and not cache.exists() and str(cache) in out


def test_clean_removes_stale_caches_and_old_versions_and_nothing_in_use(capsys, family, weights_home):
    base_file = weights_home / "toy.safetensors"
    stale = fake_conversion(base_file, "toy.safetensors-onnxruntime-fp32-old", sha="0" * 64)
    held_stale = fake_conversion(base_file, "toy.safetensors-onnxruntime-fp32-held", sha="1" * 64)
    fresh = fake_conversion(base_file, "toy.safetensors-onnxruntime-fp32-new")
    fd = conversions.hold(held_stale)  # another process has this one open
    choose_version("toy", "toy-v3")
    try:
        code, out, _ = run(capsys, "weights", "clean", "--versions")
    finally:
        os.close(fd)
    assert code == 0
    assert not stale.exists() and held_stale.exists() and fresh.exists()
    remaining = sorted(p.stem for p in weights_home.glob("*.safetensors"))
    assert remaining == ["toy", "toy-v3", "toy-v5"]  # the base, the one in use, the newest
    assert "old version" in out and "stale conversion" in out


def test_conversion_caches_keep_to_their_budget_least_recently_used_first(family, weights_home, monkeypatch):
    base_file = weights_home / "toy.safetensors"
    oldest = fake_conversion(base_file, "a", size=400_000, age_s=300)
    in_use = fake_conversion(base_file, "b", size=400_000, age_s=200)
    newer = fake_conversion(base_file, "c", size=400_000, age_s=100)
    fd = conversions.hold(in_use)
    os.utime(in_use / conversions.LAST_USED, (time.time() - 200, time.time() - 200))
    try:
        removed = conversions.enforce_budget(base_file.parent / CACHE_DIRNAME, budget=900_000)
    finally:
        os.close(fd)
    assert removed == [oldest] and in_use.exists() and newer.exists()
    fd = conversions.hold(in_use)
    try:  # over budget with the rest: the newest goes before the one in use, never that one
        assert conversions.enforce_budget(base_file.parent / CACHE_DIRNAME, budget=0) == [newer]
    finally:
        os.close(fd)
    assert in_use.exists()


@pytest.mark.slow
def test_train_freeze_backbone_on_an_installed_base_installs_a_head(capsys, weights_home, caffe_layout_file, tmp_path):
    from tests.builders import make_plain

    assert run(capsys, "weights", "import", str(caffe_layout_file("fcn16s", 3)), "--id", "street")[0] == 0
    data = make_plain(tmp_path / "d", n=4)
    out = tmp_path / "tuned.safetensors"
    code, _, err = run(
        capsys,
        "train",
        "--data",
        str(data),
        "--base",
        "street",
        "--arch",
        "fcn16s",
        "--epochs",
        "1",
        "--out",
        str(out),
        "--crop-size",
        "32",
        "--freeze-backbone",
        "--id",
        "tuned",
    )
    assert code == 0, err
    installed = weights_home / "tuned.safetensors"
    # a head file, not a copy of the network: installed, and at --out too (what was trained, #26)
    assert installed.stat().st_size < 100_000 and out.stat().st_size < 100_000
    images = sorted((data / "images").iterdir())[:2]
    for model, where in (("tuned", "o1"), (str(out), "o2")):
        code, _, err = run(capsys, "segment", *map(str, images), "--model", model, "--out", str(tmp_path / where))
        assert code == 0, err
    for image in images:
        a, b = (np.asarray(Image.open(tmp_path / o / f"{image.stem}.png")) for o in ("o1", "o2"))
        assert np.array_equal(a, b)
    assert "head over street" in run(capsys, "weights", "list")[1]


def test_clean_spares_a_version_a_head_sits_on_and_says_what_each_removal_frees(
    capsys, family, weights_home, tmp_path, random_model
):
    """#26: clean --versions never plans to remove a version another version needs (its base),
    and the space it shows is what the removal frees (a file linked elsewhere too frees nothing)."""
    from fcn_studio.labelling.versions import install_version
    from fcn_studio.storage.checkpoint import Checkpoint
    from fcn_studio.storage.weights import resolve_model

    full = random_model("fcn8s", 3)
    install_version(Checkpoint("fcn8s", 3, generic_labels(3), CAFFE_BGR, dict(full.state_dict())), "toy")  # toy-v6
    v6 = resolve_model("toy-v6")
    assert v6.base is None
    install_head_version(v6, new_head(v6, 3, 11), generic_labels(3), CAFFE_BGR, {}, "toy")  # toy-v7, over toy-v6
    os.link(weights_home / "toy-v3.safetensors", tmp_path / "shared-copy.safetensors")  # kept elsewhere too
    code, planned, _ = run(capsys, "weights", "clean", "--versions", "--dry-run")
    assert code == 0 and "toy-v6" not in planned, planned  # toy-v7 sits on it
    lines = {ln.split()[2].split("/")[-1]: ln for ln in planned.splitlines() if "old version" in ln}
    assert set(lines) == {f"toy-v{n}.safetensors" for n in (2, 3, 4, 5)}, planned
    assert "frees nothing" in lines["toy-v3.safetensors"]  # its bytes stay under the other name
    head_size = (weights_home / "toy-v2.safetensors").stat().st_size
    assert f"frees {round(head_size / 1e3)} kB" in lines["toy-v2.safetensors"], lines
    code, out, _ = run(capsys, "weights", "clean", "--versions")
    assert code == 0 and "toy-v6" not in out and out.count("(old version, frees") == 4, out
    assert sorted(p.stem for p in weights_home.glob("*.safetensors")) == ["toy", "toy-v6", "toy-v7"]
    assert resolve_model("toy-v7").num_classes == 3
