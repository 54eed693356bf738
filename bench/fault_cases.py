"""bench_faults.py's planted-link and cache cases (#22): each one sets a trap at a path FCN
Studio writes, or damages a cache behind its back, runs what a user runs, and checks:

* victims touched: a file (or folder) a planted symbolic link points to, changed afterwards;
* wrong labels served: a run whose labels agree with the plain torch model's on fewer than
  AGREEMENT of the pixels (a corrupted or stale cache used as if it were right);
* bytes left behind: FCN Studio's temporaries (``.x.fcn-tmp-*``, scratch folders, and the
  ``.tmpXXXXXX`` files safetensors makes) still on disk after the next run.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from fcn_studio.cli.main import main as cli_main
from fcn_studio.files.fileio import is_temporary
from fcn_studio.files.locks import is_lock_file, lock_path

AGREEMENT = 0.999  # as tests/unit/inference/test_backends.py
VICTIM_TEXT = b"a file of the user's that FCN Studio must never write\n"
_SAFETENSORS_TMP = re.compile(r"^\.tmp[A-Za-z0-9]{6}$")


def run_cli(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = cli_main(list(args))
    return code, err.getvalue()


def leftovers(*folders: Path) -> list[Path]:
    """FCN Studio's temporaries and lock files under ``folders`` (recursively)."""
    found = []
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            for name in dirs + files:
                path = Path(root) / name
                if is_temporary(path) or is_lock_file(path) or _SAFETENSORS_TMP.match(name):
                    found.append(path)
    return found


def size_of(paths: list[Path]) -> int:
    total = 0
    for p in paths:
        if p.is_dir() and not p.is_symlink():
            total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file() and not f.is_symlink())
        elif p.exists():
            total += p.lstat().st_size
    return total


@dataclass
class CaseResult:
    name: str
    outcome: str  # what the run did: "refused: ...", "replaced the link", ...
    victim_touched: bool
    wrong_labels: int = 0


@dataclass
class Traps:
    """Symbolic links planted at every name FCN Studio writes, one case each."""

    work: Path
    model: Path  # a narrow FCN weights file (.pth)
    data: Path  # a tiny images/ + masks/ dataset
    photos: Path  # a folder with one photo
    results: list[CaseResult] = field(default_factory=list)

    def victim(self, name: str) -> Path:
        path = self.work / "victims" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(VICTIM_TEXT)
        return path

    def case(self, name: str, plant: Callable[[Path], None], run: Callable[[], tuple[int, str]]) -> None:
        victim = self.victim(name.replace(" ", "_").replace("/", "_"))
        before = os.stat(victim)
        plant(victim)
        code, err = run()
        after = os.stat(victim)
        touched = victim.read_bytes() != VICTIM_TEXT or after.st_mtime_ns != before.st_mtime_ns
        last = (err.strip().splitlines() or [""])[-1].removeprefix("fcn-studio: ")
        self.results.append(CaseResult(name, f"exit {code}: {last[:110]}", touched))

    def run_all(self) -> list[CaseResult]:
        runs, weights, out = self.work / "runs", Path(os.environ["FCN_STUDIO_WEIGHTS"]), self.work / "out"
        for folder in (runs, weights, out):
            folder.mkdir(parents=True, exist_ok=True)
        target = runs / "v.safetensors"
        train = [
            "train",
            "--data",
            str(self.data),
            "--base",
            str(self.model),
            "--arch",
            "fcn32s",
            "--epochs",
            "1",
            "--crop-size",
            "32",
            "--freeze-backbone",
            "--val-split",
            "0.25",
            "--no-flip",
            "--scale",
            "1,1",
        ]

        def link(path: Path) -> Callable[[Path], None]:
            return lambda victim: (path.unlink(missing_ok=True), path.symlink_to(victim))

        self.case(
            "train --out lock",
            link(lock_path(target)),
            lambda: run_cli(*train, "--out", str(target), "--id", "v", "--force"),
        )
        lock_path(target).unlink(missing_ok=True)
        self.case(
            "train --out file", link(target), lambda: run_cli(*train, "--out", str(target), "--id", "v", "--force")
        )
        self.case(
            "train resume state",
            link(Path(f"{target}.last.state.pt")),
            lambda: run_cli(*train, "--out", str(target), "--id", "v", "--force"),
        )
        self.case(
            "train --id lock",
            link(lock_path(weights / "w.safetensors")),
            lambda: run_cli(*train, "--out", str(runs / "w.safetensors"), "--id", "w", "--force"),
        )
        lock_path(weights / "w.safetensors").unlink(missing_ok=True)
        self.case(
            "weights import lock",
            link(lock_path(weights / "x.safetensors")),
            lambda: run_cli("weights", "import", str(self.model), "--id", "x", "--force"),
        )
        lock_path(weights / "x.safetensors").unlink(missing_ok=True)
        self.case(
            "weights import target",
            link(weights / "x.safetensors"),
            lambda: run_cli("weights", "import", str(self.model), "--id", "x", "--force"),
        )
        self.case(
            "weights remove lock", link(lock_path(weights / "x.safetensors")), lambda: run_cli("weights", "remove", "x")
        )
        lock_path(weights / "x.safetensors").unlink(missing_ok=True)
        segment = ["segment", str(self.photos), "--model", str(self.model), "--out", str(out)]
        self.case(
            "segment shard log", link(out / "segment-log.0-of-1.jsonl"), lambda: run_cli(*segment, "--shard", "0/1")
        )
        (out / "segment-log.0-of-1.jsonl").unlink(missing_ok=True)
        self.case("segment mask", link(out / "a.png"), lambda: run_cli(*segment))
        self.case("segment overlay", link(out / "a_overlay.jpg"), lambda: run_cli(*segment, "--overlay"))
        masks = self.work / "masks"
        masks.mkdir(exist_ok=True)
        shutil.copyfile(out / "a.png", masks / "a.png")
        cm = self.work / "cm.json"
        save_cm = ["eval", "--pred", str(masks), "--gt", str(masks), "--num-classes", "21", "--save-cm", str(cm)]
        self.case("eval --save-cm", link(cm), lambda: run_cli(*save_cm))
        guessed = out / f".a.png.fcn-tmp-{os.getpid()}-{'0' * 8}.png"
        self.case("temporary name (O_EXCL)", link(guessed), lambda: _with_fixed_token(lambda: run_cli(*segment)))
        guessed.unlink(missing_ok=True)
        return self.results


def _with_fixed_token(run: Callable[[], tuple[int, str]]) -> tuple[int, str]:
    """Temporary names carry the pid and 32 random bits, so cannot be planted in advance;
    with the random part fixed, even a guessed name is shown never to be followed."""
    import secrets

    original = secrets.token_hex
    secrets.token_hex = lambda n=4: "0" * (2 * n)
    try:
        return run()
    finally:
        secrets.token_hex = original


# --------------------------------------------------------------------------- caches


def varied_fcn(arch: str, seed: int) -> dict[str, torch.Tensor]:
    """A narrow FCN whose labels vary over an image (the published init zeroes the scores)."""
    from fcn_studio.models import build_fcn

    gen = torch.Generator().manual_seed(seed)
    model = build_fcn(arch, 21, width_divisor=8)
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, torch.nn.Conv2d):
                module.weight.normal_(0.0, (2.0 / module.weight[0].numel()) ** 0.5, generator=gen)
                module.bias.normal_(0.0, 0.01, generator=gen)
                if name.startswith("score"):
                    module.weight.sub_(module.weight.mean(dim=1, keepdim=True))
                    module.bias.zero_()
    return model.state_dict()


def photo(seed: int, h: int = 96, w: int = 128) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([(xx * 2 + yy) % 256, (yy * 3) % 256, (xx * yy // 7) % 256], -1).astype(np.float32)
    return np.clip(img + rng.normal(0, 12, img.shape), 0, 255).astype(np.uint8)


def corrupt_in_place(path: Path) -> None:
    """Same size, bytes changed in the middle (a bad sector, a stray write)."""
    with open(path, "r+b") as fh:
        fh.seek(os.path.getsize(path) // 2)
        chunk = fh.read(4096)
        fh.seek(-len(chunk), os.SEEK_CUR)
        fh.write(bytes(b ^ 0x5A for b in chunk))


def cache_cases(work: Path) -> list[CaseResult]:
    """Same-size corruption of each cached file, same-size-same-mtime weight swaps, and links
    planted at a cache's files: labels checked against the torch path each time."""
    from fcn_studio.data.labels import voc_labels
    from fcn_studio.inference import runtime
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.models.preprocessing import CAFFE_BGR
    from fcn_studio.storage.checkpoint import Checkpoint, load_checkpoint, save_checkpoint

    if runtime.onnxruntime_version() is None:
        return [CaseResult("cache cases", "skipped: ONNX Runtime is not installed", False)]
    weights = work / "cache-models" / "c.safetensors"
    save_checkpoint(Checkpoint("fcn8s", 21, voc_labels(), CAFFE_BGR, varied_fcn("fcn8s", 1)), weights)
    images = [photo(s) for s in range(3)]
    results: list[CaseResult] = []

    def serve(name: str) -> int:
        """Labels from the cached path vs the torch path: 1 if they disagree."""
        ckpt = load_checkpoint(weights)
        predictor = Predictor(ckpt, "cpu", backend="auto", max_size=None)
        ok = predictor.fast_path.wait(timeout=300)
        model = ckpt.build_model()
        wrong = 0
        for rgb in images:
            pred = predictor.predict(rgb)
            with torch.no_grad():
                truth = model(CAFFE_BGR.to_tensor(rgb)).argmax(1)[0].numpy()
            wrong |= int((pred.labels == truth).mean() < AGREEMENT)
        notes = "; ".join(predictor.fast_path.notes)[:90] or (
            "ready" if ok else f"not ready: {predictor.fast_path.error}"
        )
        predictor.fast_path.close()
        results.append(CaseResult(name, notes, False, wrong))
        return wrong

    serve("cache first build")
    first = Predictor(load_checkpoint(weights), "cpu", backend="auto", max_size=None)
    first.fast_path.wait(timeout=300)
    folder = first.fast_path.cache_dir
    first.fast_path.close()
    damaged = [p for p in sorted(folder.rglob("*")) if p.is_file() and p.stat().st_size > 4096]
    for path in damaged:
        corrupt_in_place(path)
        serve(f"cache same-size corruption of {path.relative_to(folder)}")
    st = weights.stat()
    swapped = {k: (-v if k.startswith(("conv5", "score")) else v) for k, v in varied_fcn("fcn8s", 1).items()}
    save_checkpoint(Checkpoint("fcn8s", 21, voc_labels(), CAFFE_BGR, swapped), weights)
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns))
    same = weights.stat().st_size == st.st_size
    serve("weights swapped, same size and mtime" + ("" if same else " (sizes differ)"))
    results += _cache_links(work, weights, serve)
    return results


def _cache_links(work: Path, weights: Path, serve: Callable[[str], int]) -> list[CaseResult]:
    """Links planted at a built cache's files (and at the cache folder itself), pointing at
    victims, then a run that must rebuild: the victims stay as they were."""
    from fcn_studio.inference.predictor import Predictor
    from fcn_studio.storage.checkpoint import load_checkpoint

    pred = Predictor(load_checkpoint(weights), "cpu", backend="auto", max_size=None)
    pred.fast_path.wait(timeout=300)
    folder = pred.fast_path.cache_dir
    pred.fast_path.close()
    victims = work / "cache-victims"
    victims.mkdir(exist_ok=True)
    planted = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        victim = victims / hashlib.sha1(str(path).encode()).hexdigest()[:12]
        victim.write_bytes(VICTIM_TEXT)
        path.unlink()
        path.symlink_to(victim)
        planted.append(victim)
    serve("links planted at every cached file")
    folder_victim = victims / "folder"
    folder_victim.mkdir(exist_ok=True)
    (folder_victim / "keep.txt").write_bytes(VICTIM_TEXT)
    shutil.rmtree(folder)
    folder.symlink_to(folder_victim, target_is_directory=True)
    serve("a link planted at the cache folder")
    planted.append(folder_victim / "keep.txt")
    touched = [v for v in planted if v.read_bytes() != VICTIM_TEXT]
    extra = sorted(p.name for p in folder_victim.iterdir() if p.name != "keep.txt")
    return [
        CaseResult(
            "cache victims",
            f"{len(planted)} victims, {len(touched)} changed; new files in the linked folder: {extra[:4]}",
            bool(touched) or bool(extra),
        )
    ]


def save_image(path: Path, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(photo(seed, 40, 48)).save(path)
    return path
