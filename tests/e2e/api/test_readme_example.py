"""The README's Python example runs as written, and the API's result is the CLI's."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import fcn_studio
from fcn_studio.cli.main import main
from fcn_studio.data.images import load_image
from fcn_studio.errors import FCNStudioError
from fcn_studio.storage import weights
from tests.builders import make_image, make_plain

README = Path(__file__).parents[3] / "README.md"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- python-api-example -->\s*```python\n(.*?)```", text, re.S)
    assert block, "README lost its Python example"
    return block.group(1)


@pytest.fixture()
def installed_fcn8s(weights_home, caffe_layout_file):
    """A narrow random FCN-8s where `fcn-studio weights download fcn8s-voc` puts the
    published file (the example's id; the real one cannot be downloaded here)."""
    target = weights.manifest_entry("fcn8s-voc").path()
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(caffe_layout_file("fcn8s"), target)
    return "fcn8s-voc"


@pytest.mark.slow
def test_the_readme_python_example_runs(installed_fcn8s, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    make_image(tmp_path / "photo.jpg", size=(64, 48))
    make_plain(tmp_path / "my-photos", n=4)
    exec(compile(readme_example(), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "(48, 64) uint8" in out
    assert weights.model_path("garden").is_file()


@pytest.mark.slow
def test_predict_takes_a_path_a_pil_image_or_an_array_and_matches_the_cli(installed_fcn8s, tmp_path):
    from PIL import Image

    photo = make_image(tmp_path / "photo.png", size=(70, 50))
    model = fcn_studio.load_model(installed_fcn8s, device="cpu")
    by_path = model.predict(photo)
    assert by_path.labels.shape == (50, 70) and by_path.labels.dtype == np.uint8
    assert by_path.confidence.shape == (50, 70)
    assert len(model.class_names) == 21 and by_path.class_names == model.class_names
    np.testing.assert_array_equal(model.predict(Image.open(photo)).labels, by_path.labels)
    np.testing.assert_array_equal(model.predict(load_image(photo)).labels, by_path.labels)
    assert (
        main(["segment", str(photo), "--model", installed_fcn8s, "--out", str(tmp_path / "out"), "--device", "cpu"])
        == 0
    )
    cli_labels = np.array(Image.open(tmp_path / "out" / "photo.png"))
    np.testing.assert_array_equal(cli_labels, by_path.labels)


def test_api_errors_are_the_cli_messages(weights_home, tmp_path):
    with pytest.raises(FCNStudioError, match="no-such-model"):
        fcn_studio.load_model("no-such-model")
    with pytest.raises(TypeError, match="epoch"):
        fcn_studio.train(tmp_path, tmp_path / "x.safetensors", epoch=3)


def test_importing_the_package_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, fcn_studio; fcn_studio.__version__; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
