"""Training and import never silently replace or lose a model: --force to replace, one
writer per output or id, resume state that cannot be torn, Ctrl+C keeps and registers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import torch

from fcn_studio.cli.main import main
from fcn_studio.errors import FCNStudioError
from fcn_studio.storage import weights
from fcn_studio.storage.checkpoint import load_checkpoint, save_checkpoint
from fcn_studio.training.config import EpochEvent, Event, IterationEvent
from fcn_studio.training.trainer import TrainConfig, last_paths, train
from tests.builders import tiny_train_config


@pytest.fixture()
def config(tmp_path, weights_home):
    return tiny_train_config(tmp_path, n=4, val_split=0.5)


def cli_train(config: TrainConfig, *extra: str) -> list[str]:
    return [
        "train",
        "--data",
        config.data,
        "--out",
        config.out,
        "--base",
        str(config.base),
        "--arch",
        config.arch,
        "--epochs",
        str(config.epochs),
        "--crop-size",
        "32",
        "--freeze-backbone",
        *extra,
    ]


@pytest.mark.slow
def test_train_refuses_to_replace_an_earlier_out_without_force(config, capsys, caffe_layout_file):
    config.base = str(caffe_layout_file("fcn32s", 3))
    assert main(cli_train(config)) == 0
    first = Path(config.out).read_bytes()
    capsys.readouterr()
    assert main(cli_train(config, "--id", "other")) == 1
    err = capsys.readouterr().err
    assert "exists" in err and "--force" in err and "checking dataset" not in err, "refused before any work"
    assert Path(config.out).read_bytes() == first
    assert main(cli_train(config, "--id", "other", "--force")) == 0
    assert Path(config.out).read_bytes() != first


@pytest.mark.slow
def test_train_refuses_to_replace_an_installed_id_without_force(config, capsys, caffe_layout_file, weights_home):
    assert main(["weights", "import", str(caffe_layout_file("fcn8s")), "--id", "mine"]) == 0
    installed = (weights_home / "mine.safetensors").read_bytes()
    config.base = str(caffe_layout_file("fcn32s", 3))
    assert main(cli_train(config)) == 1, "OUT's name is the default id, and it is taken"
    assert "already installed" in capsys.readouterr().err
    assert (weights_home / "mine.safetensors").read_bytes() == installed
    assert not Path(config.out).exists()
    assert main(cli_train(config, "--id", "mine", "--force")) == 0
    assert load_checkpoint(weights_home / "mine.safetensors").arch == "fcn32s"


def test_a_second_training_on_the_same_out_fails_clearly(config):
    """While one run trains into OUT, another on OUT stops at once, and says why."""
    entered, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first_run_events(event: Event) -> None:
        if isinstance(event, IterationEvent) and not entered.is_set():
            entered.set()
            release.wait(60)

    def first() -> None:
        try:
            train(config, first_run_events)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    worker = threading.Thread(target=first)
    worker.start()
    try:
        assert entered.wait(60)
        second = TrainConfig(**{**config.__dict__, "force": True, "register_id": "second"})
        with pytest.raises(FCNStudioError, match="being written by another"):
            train(second)
    finally:
        release.set()
        worker.join()
    assert not errors
    assert load_checkpoint(config.out).build_model() is not None


def test_two_imports_under_one_id_never_both_succeed(weights_home, caffe_layout_file, monkeypatch):
    import safetensors.torch

    original = safetensors.torch.save_file

    def slow_save(*args, **kwargs):
        time.sleep(0.5)  # widen the window in which both imports are writing
        return original(*args, **kwargs)

    monkeypatch.setattr(safetensors.torch, "save_file", slow_save)
    outcomes: list[str] = []

    def import_one(arch: str) -> None:
        try:
            weights.import_weights(caffe_layout_file(arch), "same")
            outcomes.append(f"ok {arch}")
        except FCNStudioError as exc:
            outcomes.append(f"refused {exc}")

    threads = [threading.Thread(target=import_one, args=(a,)) for a in ("fcn32s", "fcn8s")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.split()[0] for o in outcomes) == ["ok", "refused"], outcomes
    winner = next(o.split()[1] for o in outcomes if o.startswith("ok"))
    assert "already installed" in next(o for o in outcomes if o.startswith("refused"))
    assert load_checkpoint(weights_home / "same.safetensors").arch == winner, "the reported success is what is there"


@pytest.mark.slow
def test_resume_state_is_one_file_holding_weights_and_optimizer(config):
    config.freeze_backbone = False  # the whole network trains: its optimizer state travels with it
    train(config)
    state_file = last_paths(config.out)[1]
    state = torch.load(state_file, weights_only=True)
    assert state["epoch"] == 1 and state["optimizer"]["state"] and state["model"]
    assert not last_paths(config.out)[0].exists(), "no second file that a kill could leave out of step"


@pytest.mark.slow
def test_resume_refuses_torn_state_of_older_versions(config, capsys):
    """An older version's two files, killed between the saves: weights of epoch 2 with
    the optimizer of epoch 1. Resuming must say so, not repeat epoch 2 silently."""
    train(config)
    legacy_model, state_file = last_paths(config.out)
    ckpt = load_checkpoint(config.out)
    ckpt.training = {**ckpt.training, "epochs_done": 2}
    save_checkpoint(ckpt, legacy_model)
    state = torch.load(state_file, weights_only=True)
    torch.save(
        {"optimizer": state["optimizer"], "epoch": 1, "best_miou": 0.0, "history": "[]", "config": "{}"}, state_file
    )
    config.epochs, config.resume = 3, True
    with pytest.raises(FCNStudioError, match="after epoch 2 but .* after epoch 1"):
        train(config)
    # ... and consistent old files still resume
    save_checkpoint(load_checkpoint(config.out), legacy_model)  # epochs_done 1, like the state
    events: list[Event] = []
    train(config, events.append)
    assert [e.epoch for e in events if isinstance(e, EpochEvent)] == [2, 3]


@pytest.mark.slow
def test_kill_during_the_state_save_keeps_the_previous_state(config, monkeypatch):
    train(config)
    state_file = last_paths(config.out)[1]
    before = state_file.read_bytes()
    real_save = torch.save

    def killed(obj, f, *args, **kwargs):
        Path(f).write_bytes(b"half a file")
        raise KeyboardInterrupt  # as a kill would, mid-write

    config.epochs, config.resume = 2, True
    monkeypatch.setattr(torch, "save", killed)
    with pytest.raises(KeyboardInterrupt):
        train(config)
    monkeypatch.setattr(torch, "save", real_save)
    assert state_file.read_bytes() == before
    assert sorted(p.name for p in state_file.parent.iterdir()) == ["mine.last.state.pt", "mine.safetensors"]
    events: list[Event] = []
    train(config, events.append)
    assert [e.epoch for e in events if isinstance(e, EpochEvent)] == [2]


@pytest.mark.slow
def test_ctrl_c_keeps_and_registers_the_model(config, weights_home, capsys):
    def interrupt_at_second_iteration(event: Event) -> None:
        if isinstance(event, IterationEvent) and event.epoch == 2:
            raise KeyboardInterrupt

    config.epochs = 3
    try:
        result = train(config, interrupt_at_second_iteration)
    except KeyboardInterrupt:
        pytest.fail("Ctrl+C escaped the training: the kept model was not registered")
    assert result.cancelled and result.registered_id == "mine"
    assert "mine" in [m.id for m in weights.installed_models()]
    assert torch.load(last_paths(config.out)[1], weights_only=True)["epoch"] == 1


def test_download_of_a_file_another_run_is_writing_stops_at_once(weights_home, monkeypatch):
    """Two downloads of one id would append to one .part file; the second must not start."""
    from fcn_studio.files.locks import exclusive

    started: list[str] = []
    monkeypatch.setattr(weights, "download", lambda *a, **k: started.append("download"))
    entry = weights.manifest_entry("fcn32s-voc")
    with exclusive(entry.path(), "the download"), pytest.raises(FCNStudioError, match="being written by another"):
        weights.download_weights("fcn32s-voc")
    assert started == []
    weights.download_weights("fcn32s-voc")
    assert started == ["download"], "free again once the other run is done"
