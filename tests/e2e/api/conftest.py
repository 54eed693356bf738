"""Fixtures of the API's end-to-end tests."""

from __future__ import annotations

import shutil

import pytest

from fcn_studio.storage import weights


@pytest.fixture()
def model_id(weights_home, caffe_layout_file):
    """A narrow random FCN-8s installed as fcn8s-voc."""
    target = weights.manifest_entry("fcn8s-voc").path()
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(caffe_layout_file("fcn8s"), target)
    return "fcn8s-voc"
