"""Model ids: one rule for import, train --id and remove; nothing outside the weights folder
is ever touched; ids in any script survive."""

from __future__ import annotations

import pytest

from fcn_studio.cli.main import main
from fcn_studio.storage import weights


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("spec", ["../victim/secret", "{abs}/victim/secret", "..", ".hidden", "a/b"])
def test_remove_never_deletes_outside_the_weights_folder(capsys, weights_home, tmp_path, spec):
    weights_home.mkdir()
    victim = tmp_path / "victim"
    victim.mkdir()
    secret = victim / "secret.safetensors"
    secret.write_bytes(b"user data")
    code, _, err = run(capsys, "weights", "remove", "--", spec.format(abs=tmp_path))
    assert code == 1 and "Traceback" not in err
    assert secret.read_bytes() == b"user data"


def test_remove_deletes_an_imported_model(capsys, weights_home, caffe_layout_file):
    assert run(capsys, "weights", "import", str(caffe_layout_file("fcn32s")), "--id", "mine")[0] == 0
    code, out, _ = run(capsys, "weights", "remove", "mine")
    assert code == 0 and "mine.safetensors" in out
    assert not (weights_home / "mine.safetensors").exists()


@pytest.mark.parametrize("bad", ["../x", "a/b", ".x", "x.", "a..b", "x.last", "con", "", "-x", "a" * 101])
def test_one_id_rule_for_import_train_and_remove(capsys, weights_home, caffe_layout_file, tmp_path, bad):
    code, _, err = run(capsys, "weights", "import", str(caffe_layout_file("fcn32s")), f"--id={bad}")
    assert code == 1 and "cannot be used as a model id" in err
    code, _, err = run(
        capsys,
        "train",
        "--data",
        str(tmp_path),
        "--out",
        str(tmp_path / "m.safetensors"),
        "--base",
        "scratch",
        f"--id={bad}",
    )
    assert code == 1 and "cannot be used as a model id" in err, "refused before the dataset is even read"
    code, _, err = run(capsys, "weights", "remove", "--", bad)
    assert code == 1 and "Traceback" not in err
    assert not list(tmp_path.glob("*.safetensors"))


@pytest.mark.slow
def test_unicode_file_names_keep_their_letters(capsys, weights_home, caffe_layout_file, tmp_path, image_factory):
    source = tmp_path / "模型 权重.pth"
    source.write_bytes(caffe_layout_file("fcn32s").read_bytes())
    code, out, err = run(capsys, "weights", "import", str(source))
    assert code == 0, err
    assert "as 模型-权重" in out
    assert "模型-权重" in [m.id for m in weights.installed_models()]
    code, _, err = run(capsys, "segment", str(image_factory()), "--model", "模型-权重", "--out", str(tmp_path / "o"))
    assert code == 0, err
    code, out, err = run(capsys, "weights", "import", str(source), "--id", "Ünïcode_ok.v2")
    assert code == 0, err


def test_id_from_filename_is_always_valid():
    for stem in ("模型 权重", "my model (final)", "...", "---", "a..b", "x.last", "Ωmega", "\u0301x"):
        assert weights.is_valid_id(weights.id_from_filename(stem)), stem


def test_ids_keep_combining_marks_and_compose_decomposed_names():
    import unicodedata

    assert weights.id_from_filename("हिन्दी मॉडल") == "हिन्दी-मॉडल"
    assert weights.id_from_filename(unicodedata.normalize("NFD", "café")) == "café"
    assert weights.id_from_filename("my model (final)") == "my-model-final"
