"""The inference choice is one Qt-free evented object: its listeners hear each effective
change once, and only the fields that changed."""

from __future__ import annotations

import subprocess
import sys

from fcn_studio.state.inference_choice import InferenceChoice, InferenceSettings


def test_settings_announce_each_change_once():
    inference = InferenceSettings()
    heard = []
    inference.changed.connect(heard.append)
    inference.update(device="cpu", max_size=512)
    inference.set_device("cpu")  # unchanged: nobody is told
    assert heard == [InferenceChoice("", "cpu", 512, False)]


def test_each_field_is_announced_only_when_it_changes():
    inference = InferenceSettings(InferenceChoice("fcn8s-voc", "auto", 2048, False))
    heard = []
    inference.model_changed.connect(lambda key: heard.append(("model", key)))
    inference.device_changed.connect(lambda device: heard.append(("device", device)))
    inference.max_size_changed.connect(lambda size: heard.append(("max_size", size)))
    inference.fast_changed.connect(lambda fast: heard.append(("fast", fast)))
    inference.update(model_key="crack-v2", fast=True)
    inference.set_max_size(512)
    assert heard == [("model", "crack-v2"), ("fast", True), ("max_size", 512)]
    assert inference.choice == InferenceChoice("crack-v2", "auto", 512, True)


def test_reload_tells_every_listener_again_with_the_same_choice():
    inference = InferenceSettings(InferenceChoice("m"))
    heard = []
    inference.changed.connect(heard.append)
    inference.reload()
    assert heard == [InferenceChoice("m")]


def test_the_model_needs_no_qt():
    code = "import sys, fcn_studio.state.inference_choice; print(any(m.startswith('PySide6') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False"
