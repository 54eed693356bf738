"""Soak test: kill training and import (SIGKILL) at random moments, then check the damage.

Each training round starts ``fcn-studio train`` (resuming when there is a state) in a
subprocess, waits until it holds its output's lock (it is training from then on), kills it
after a random delay drawn over the time three epochs with their saves take, then runs the
next command a user would: ``train --resume`` up to the epoch the state says (it must resume
without complaint, and it cleans up). Each import round kills ``fcn-studio weights import
--force`` at a random moment after it started writing (its lock), drawn over the time the
write takes (an import that finishes first is not counted as a kill), then runs ``weights list``. The killed runs are forked from this process
(``fcn_studio.cli.main.main`` in a child that gets SIGKILL: a real process death, without paying
torch's start-up each time); the next runs happen in this process. Counted:

* files lost: a model, best checkpoint or resume state that was complete before a kill and
  is missing or unloadable after it;
* inconsistent resumes: a resume state whose epoch, history and optimizer step count
  disagree, or that the next ``--resume`` refuses or fails on;
* temporaries left: FCN Studio temporaries (its own, its scratch folders and the
  ``.tmpXXXXXX`` files safetensors makes inside them) or lock files still on disk after the
  next run, and their bytes.

Then the bad inputs of #29's probe (bench/fault_cases.bad_input_cases: each must end in the
expected refusal or result, never a traceback, a crash or a write outside), and the trap cases of bench/fault_cases.py: symbolic links planted at every name FCN Studio
writes (locks, logs, outputs, resume states, installed models, temporaries, caches) with a
victim file checked unchanged, and the conversion cache damaged in place (same size) or its
weights swapped (same size and mtime), labels checked against the torch path.

Runs on a narrow FCN (channels / 8) and a tiny dataset, so each process is mostly start-up
and saves. Usage: python bench/bench_faults.py [--train-kills 30] [--import-kills 30] [--seed 0]
[--no-traps] [--no-cache-cases]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import shutil
import signal
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from bench.fault_cases import Traps, bad_input_cases, cache_cases, leftovers, save_image, size_of
from fcn_studio.cli.main import main as cli_main
from fcn_studio.files.fileio import is_temporary
from fcn_studio.files.locks import lock_path
from fcn_studio.models import build_fcn
from fcn_studio.storage.checkpoint import load_checkpoint
from fcn_studio.training.resume import state_path


def make_dataset(root: Path, n: int = 4) -> Path:
    rng = np.random.default_rng(0)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for i in range(n):
        mask = np.zeros((40, 48), np.uint8)
        mask[5:20, 5:20], mask[22:38, 25:45] = 1, 2
        rgb = np.array([(30, 30, 30), (220, 40, 40), (40, 200, 60)], np.uint8)[mask]
        Image.fromarray(rgb + rng.integers(0, 20, rgb.shape, dtype=np.uint8)).save(root / "images" / f"s{i}.jpg")
        Image.fromarray(mask, mode="L").save(root / "masks" / f"s{i}.png")
    return root


def narrow_fcn_file(path: Path, arch: str, num_classes: int, width_divisor: int = 8) -> Path:
    torch.manual_seed(0)
    torch.save(build_fcn(arch, num_classes, width_divisor=width_divisor).state_dict(), path)
    return path


class Child:
    """``fcn-studio ARGS`` in a forked child of this process (torch already imported)."""

    def __init__(self, args: list[str]) -> None:
        self.returncode: int | None = None
        self.pid = os.fork()
        if self.pid == 0:  # the child: run the command, never return into the parent's code
            code = 70
            try:
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, 1)
                os.dup2(null, 2)
                code = cli_main(args)
            finally:
                os._exit(code)

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return self.returncode

    def kill(self) -> bool:
        """SIGKILL; True if it was still running."""
        if self.poll() is not None:
            return False
        os.kill(self.pid, signal.SIGKILL)
        self.wait()
        return self.returncode == -signal.SIGKILL


class Soak:
    def __init__(self, work: Path, seed: int, import_width: int = 8) -> None:
        self.work = work
        self.rng = random.Random(seed)
        self.weights = work / "weights"
        self.runs = work / "runs"
        self.out = self.runs / "m.safetensors"
        self.data = make_dataset(work / "data")
        self.base = narrow_fcn_file(work / "base.pth", "fcn32s", 3)
        # imports of --import-width 1 files (0.5 GB, as published) spend most of their time in
        # safetensors' own write, so most import kills land inside it
        self.sources = [
            narrow_fcn_file(work / "a.pth", "fcn8s", 21, import_width),
            narrow_fcn_file(work / "b.pth", "fcn32s", 3, import_width),
        ]
        os.environ["FCN_STUDIO_WEIGHTS"] = str(self.weights)  # for this process and its children
        self.lost: list[str] = []
        self.inconsistent: list[str] = []
        self.temporaries_left: list[str] = []
        self.bytes_left = 0
        self.kills = {"train": 0, "import": 0}
        self.kills_mid_write = 0  # kills that left a temporary: the kill landed during a save
        self.kills_in_safetensors = 0  # kills that left safetensors' own .tmpXXXXXX (mid save_file)
        self.steps_per_epoch: int | None = None  # the optimizer's, read from the first state seen

    # -- running ----------------------------------------------------------------------------

    def run(self, *args: str) -> tuple[int, str, str]:
        """The next run a user makes, in this process: (exit code, stdout, stderr)."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli_main(list(args))
        return code, out.getvalue(), err.getvalue()

    def start(self, args: list[str], marker: Path) -> tuple[Child, bool]:
        """A child process running the command, once ``marker`` (a lock file) exists;
        False if the child ended first."""
        child = Child(args)
        while not marker.exists():
            if child.poll() is not None:
                return child, False
            time.sleep(0.002)
        return child, True

    def run_and_kill(self, args: list[str], marker: Path, window: float) -> bool:
        """SIGKILL at a random moment within ``window`` seconds after ``marker`` appears."""
        child, ready = self.start(args, marker)
        if ready:
            time.sleep(self.rng.uniform(0.0, window))
        killed = child.kill()
        if not killed and child.returncode != 0:
            raise SystemExit(f"{args[0]} failed on its own (exit {child.returncode})")
        return killed

    def timed(self, args: list[str], marker: Path) -> float:
        """Seconds from ``marker`` to the end of an uninterrupted run."""
        child, ready = self.start(args, marker)
        t0 = time.monotonic()
        child.wait()
        if child.returncode != 0 or not ready:
            raise SystemExit(f"calibration run failed (exit {child.returncode})")
        return time.monotonic() - t0

    # -- checks -----------------------------------------------------------------------------

    def complete_files(self) -> list[Path]:
        """Everything that is whole right now and must survive the next kill."""
        files = [p for p in (self.out, state_path(self.out)) if p.exists()]
        files += sorted(p for p in self.weights.glob("*.safetensors") if not p.name.startswith("."))
        return [p for p in files if self.loads(p)]

    @staticmethod
    def loads(path: Path) -> bool:
        try:
            if path.name.endswith(".state.pt"):
                torch.load(path, map_location="cpu", weights_only=True)
            else:
                load_checkpoint(path).build_model()
        except Exception:
            return False
        return True

    def check_survivors(self, before: list[Path], when: str) -> None:
        self.lost += [f"{p.name} ({when})" for p in before if not (p.exists() and self.loads(p))]

    def temporaries(self) -> list[Path]:
        return leftovers(*(f for f in (self.runs, self.weights) if f.is_dir()))

    def count_mid_write(self) -> None:
        found = self.temporaries()
        self.kills_mid_write += any(is_temporary(p) for p in found)
        self.kills_in_safetensors += any(p.name.startswith(".tmp") for p in found)

    def left_after_next_run(self, when: str) -> None:
        found = self.temporaries()
        self.temporaries_left += [f"{p.name} ({when})" for p in found]
        self.bytes_left += size_of(found)

    def check_state(self, when: str) -> int | None:
        """The epoch of the resume state, after checking it agrees with itself."""
        path = state_path(self.out)
        if not path.exists():
            return None
        state = torch.load(path, map_location="cpu", weights_only=True)
        # (an optimizer without a step count, e.g. L-BFGS on a frozen backbone: history and epoch only)
        steps = {int(s["step"]) for s in state["optimizer"]["state"].values() if isinstance(s, dict) and "step" in s}
        history_len = len(json.loads(state["history"]))
        # a fixed number of optimizer steps per epoch (how many depends on the training loop:
        # batches of 2, or one whole image per step with the backbone frozen)
        epoch = int(state["epoch"])
        if self.steps_per_epoch is None and epoch and len(steps) == 1:
            self.steps_per_epoch = next(iter(steps)) // epoch
        if (steps and steps != {epoch * (self.steps_per_epoch or 0)}) or history_len != epoch:
            self.inconsistent.append(f"{when}: epoch {state['epoch']}, steps {steps}, history {history_len}")
        return int(state["epoch"])

    # -- rounds -----------------------------------------------------------------------------

    def train_args(self, epochs: int, resume: bool) -> list[str]:
        args = [
            "train",
            "--data",
            str(self.data),
            "--out",
            str(self.out),
            "--base",
            str(self.base),
            "--arch",
            "fcn32s",
            "--epochs",
            str(epochs),
            "--crop-size",
            "32",
            "--freeze-backbone",
            "--val-split",
            "0.25",
            "--id",
            "m",
            "--no-flip",
            "--scale",
            "1,1",
        ]
        return [*args, "--resume"] if resume else [*args, "--force"]

    def train_round(self, i: int, window: float) -> None:
        before = self.complete_files()
        resume = state_path(self.out).exists()
        self.kills["train"] += self.run_and_kill(self.train_args(100_000, resume), lock_path(self.out), window)
        self.count_mid_write()
        self.check_survivors(before, f"train kill {i}")
        epoch = self.check_state(f"train kill {i}")
        # the next run a user makes: resume (to the saved epoch: nothing to train, only checks)
        if epoch is not None:
            code, _, err = self.run(*self.train_args(epoch, True))
            if code != 0:
                self.inconsistent.append(f"resume after train kill {i}: {err.strip().splitlines()[-1:]}")
        else:
            self.run(*self.train_args(1, False))
        self.left_after_next_run(f"train {i}")

    def import_round(self, i: int, window: float) -> None:
        before = self.complete_files()
        source = self.rng.choice(self.sources)
        weights_id = self.rng.choice(["x", "y", "z"])
        marker = lock_path(self.weights / f"{weights_id}.safetensors")
        args = ["weights", "import", str(source), "--id", weights_id, "--force"]
        self.kills["import"] += self.run_and_kill(args, marker, window)
        self.count_mid_write()
        self.check_survivors(before, f"import kill {i}")
        code, out, err = self.run("weights", "list")
        if code != 0 or ".fcn-tmp" in out:
            self.lost.append(f"weights list after import kill {i}: {err.strip()}")
        self.left_after_next_run(f"import {i}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-kills", type=int, default=30)
    parser.add_argument("--import-kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--import-width",
        type=int,
        default=8,
        help="channel divisor of the imported files (1: full width, 0.5 GB each; default 8)",
    )
    parser.add_argument("--no-traps", action="store_true", help="skip the planted-link cases")
    parser.add_argument("--no-cache-cases", action="store_true", help="skip the conversion-cache cases")
    parser.add_argument("--no-bad-inputs", action="store_true", help="skip the bad inputs of #29's probe")
    args = parser.parse_args()
    torch.set_num_threads(1)  # a forked child must not inherit a running thread pool
    work = Path(tempfile.mkdtemp(prefix="fcn-faults-"))
    try:
        t0 = time.monotonic()
        soak = Soak(work, args.seed, args.import_width)
        final = run_kills(soak, args) if args.train_kills + args.import_kills else None
        cases = [] if args.no_traps else trap_cases(soak, work)
        if not args.no_cache_cases:
            cases += cache_cases(work / "cache")
        for case in cases:
            flag = "  VICTIM TOUCHED" if case.victim_touched else ""
            flag += "  WRONG LABELS" if case.wrong_labels else ""
            print(f"  case {case.name:<48} {case.outcome}{flag}")
        bad = [] if args.no_bad_inputs else bad_input_cases(work / "bad-inputs")
        for b in bad:
            print(f"  input {b.name:<44} {'ok ' if b.handled else 'BAD'} {b.outcome}")
        if bad:
            print(f"bad inputs: {sum(b.handled for b in bad)} of {len(bad)} handled well")
        touched = sum(c.victim_touched for c in cases)
        wrong = sum(c.wrong_labels for c in cases)
        print(
            f"cases: {len(cases)}; kills: {soak.kills['train']} training + {soak.kills['import']} import "
            f"({soak.kills_mid_write} during a save, {soak.kills_in_safetensors} inside safetensors' write); victims touched: {touched}; wrong labels served: {wrong}; "
            f"bytes left behind: {soak.bytes_left}; files lost: {len(soak.lost)}; inconsistent resumes: "
            f"{len(soak.inconsistent)}; final `weights list` exit {final}; {time.monotonic() - t0:.0f} s in all"
        )
        if (
            soak.lost
            or soak.inconsistent
            or soak.temporaries_left
            or touched
            or wrong
            or not all(b.handled for b in bad)
        ):
            raise SystemExit(1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_kills(soak: Soak, args: argparse.Namespace) -> int:
    """The kill rounds; the exit code of the final `weights list`."""
    # calibration: how long an import's write and three epochs (with their saves) take here
    import_s = max(
        soak.timed(["weights", "import", str(src), "--id", "x", "--force"], lock_path(soak.weights / "x.safetensors"))
        for src in soak.sources
    )
    train_s = soak.timed(soak.train_args(3, False), lock_path(soak.out))
    print(f"calibration: import write {import_s:.2f} s, training from its lock to 3 epochs done {train_s:.1f} s")
    rounds = ["train"] * args.train_kills + ["import"] * args.import_kills
    soak.rng.shuffle(rounds)
    for i, kind in enumerate(rounds):
        if kind == "train":
            soak.train_round(i, train_s)
        else:
            soak.import_round(i, import_s)
    final = soak.run("weights", "list")[0]
    soak.left_after_next_run("end")
    print(
        f"kills: {soak.kills['train']} training, {soak.kills['import']} import (of {len(rounds)} tries) "
        f"({soak.kills_mid_write} landed during a save and left a temporary for the next run, "
        f"{soak.kills_in_safetensors} inside safetensors' own write)"
    )
    print(f"files lost: {len(soak.lost)}" + (f"  {soak.lost[:5]}" if soak.lost else ""))
    print(
        f"inconsistent resumes: {len(soak.inconsistent)}" + (f"  {soak.inconsistent[:5]}" if soak.inconsistent else "")
    )
    print(
        f"temporaries left after the next run: {len(soak.temporaries_left)} ({soak.bytes_left} bytes)"
        + (f"  {soak.temporaries_left[:5]}" if soak.temporaries_left else "")
    )
    print(f"resume state at epoch {soak.check_state('end')}")
    return final


def trap_cases(soak: Soak, work: Path) -> list:
    photos = work / "trap-photos"
    save_image(photos / "a.png")
    traps = Traps(work / "traps", soak.base, soak.data, photos)
    results = traps.run_all()
    soak.left_after_next_run("traps")
    left = leftovers(work / "traps")
    soak.temporaries_left += [f"{p.name} (traps)" for p in left]
    soak.bytes_left += size_of(left)
    return results


if __name__ == "__main__":
    main()
