"""``--precision`` on the command line: bf16 mode where the CPU has it, refused where not."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_segment_precision_bf16_prints_its_agreement_or_is_refused(tmp_path, capsys, caffe_layout_file, image_factory):
    """``--precision bf16``: on a CPU with native bf16 the approximate mode says how close it
    is before it writes; on one without, a one-line refusal that names the way out."""
    from fcn_studio.cli.main import main
    from fcn_studio.inference.precision import native_bf16

    images = [str(image_factory(f"p{i}.png", size=(64, 48), seed=i)) for i in range(2)]
    code = main(
        [
            "segment",
            *images,
            "--model",
            str(caffe_layout_file("fcn8s")),
            "--out",
            str(tmp_path / "o"),
            "--precision",
            "bf16",
            "--device",
            "cpu",
        ]
    )
    err = capsys.readouterr().err
    if native_bf16():
        assert code == 0, err
        assert "bf16 mode: torch bf16 (approximate, " in err and "% label agreement on its check images" in err
        assert sorted(p.name for p in (tmp_path / "o").glob("*.png")) == ["p0.png", "p1.png"]
    else:
        assert code == 1 and "no native bf16" in err and "--precision fp32" in err and "Traceback" not in err


def test_segment_precision_bf16_is_refused_on_a_cpu_without_it(
    tmp_path, capsys, caffe_layout_file, image_factory, monkeypatch
):
    from fcn_studio.cli.main import main
    from fcn_studio.inference import precision

    monkeypatch.setattr(precision, "cpu_flags", lambda: {"avx2", "fma"})  # an AVX2 laptop
    code = main(
        [
            "segment",
            str(image_factory()),
            "--model",
            str(caffe_layout_file("fcn8s")),
            "--out",
            str(tmp_path / "o"),
            "--precision",
            "bf16",
            "--device",
            "cpu",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1 and "no native bf16" in err and "--precision fp32" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").glob("*.png"))
