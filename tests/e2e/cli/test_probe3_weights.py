"""The third probe's weights findings (#29): nothing a head depends on is replaced or
overwritten, even with --force (K10, K11)."""

from __future__ import annotations

from fcn_studio.cli.main import main
from fcn_studio.data.labels import generic_labels
from fcn_studio.labelling.versions import install_head_version
from fcn_studio.models.preprocessing import CAFFE_BGR
from fcn_studio.storage.weights import resolve_model
from tests.unit.storage.test_heads import install_base, new_head


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def a_version(random_model, weights_home):
    base = install_base(random_model, weights_home)
    install_head_version(base, new_head(base, 3, seed=1), generic_labels(3), CAFFE_BGR, {}, "toy")
    return weights_home / "toy.safetensors"


def test_K10_export_onto_its_own_bases_file_is_refused_even_with_force(capsys, random_model, weights_home):
    base_file = a_version(random_model, weights_home)
    before = base_file.read_bytes()
    code, _, err = run(capsys, "weights", "export", "toy-v2", str(base_file), "--force")
    assert code == 1 and "installed model toy" in err and "Traceback" not in err, err
    assert base_file.read_bytes() == before
    assert resolve_model("toy-v2").num_classes == 3  # the version still loads


def test_K11_import_force_over_a_base_that_heads_use_is_refused(capsys, random_model, weights_home, caffe_layout_file):
    base_file = a_version(random_model, weights_home)
    before = base_file.read_bytes()
    code, _, err = run(capsys, "weights", "import", str(caffe_layout_file("fcn32s")), "--id", "toy", "--force")
    assert code == 1 and "base of toy-v2" in err, err
    assert base_file.read_bytes() == before
    assert resolve_model("toy-v2").num_classes == 3
