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
import subprocess
import sys
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


# --------------------------------------------------------------------------- bad inputs (#29)


@dataclass
class BadInput:
    """One bad input of the third probe: its letter, what it does, and whether the answer was
    the expected one (a clear refusal, or the right result), never a traceback or a write
    outside."""

    name: str
    handled: bool
    outcome: str


def _expect(code_err: tuple[int, str], code: int, *phrases: str) -> tuple[bool, str]:
    got, err = code_err
    last = (err.strip().splitlines() or [""])[-1].removeprefix("fcn-studio: ")
    ok = got == code and "Traceback" not in err and all(p in err for p in phrases)
    return ok, f"exit {got}: {last[:100]}"


def _coco(path: Path, images: list[dict], annotations: list[dict]) -> Path:
    import json

    doc = {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "cat"}]}
    path.write_text(json.dumps(doc))
    return path


def _square(image_id: int, x: float) -> dict:
    return {"id": image_id * 10, "image_id": image_id, "category_id": 1, "segmentation": [[x, 2, 20, 2, 20, 12, x, 12]]}


def _mask_folder(folder: Path, masks: dict[str, np.ndarray], names: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, m in masks.items():
        Image.fromarray(m.astype(np.uint8), mode="L").save(folder / name)
    if names:
        (folder / "classes.txt").write_text(names)
    return folder


def bad_input_cases(work: Path) -> list[BadInput]:
    """The probe's findings (K5 ... B2) and its "unclear" list, each run as a user would, on
    a narrow 21-class FCN-32s (VOC's classes)."""
    work.mkdir(parents=True, exist_ok=True)
    model = work / "voc-narrow.pth"
    torch.save(varied_fcn("fcn32s", 0), model)
    results: list[BadInput] = []
    for name, case in _BAD_INPUTS:
        folder = work / re.sub(r"[^A-Za-z0-9]+", "-", name)[:40]
        folder.mkdir()
        try:
            ok, outcome = case(folder, model)
        except Exception as exc:  # a crash of the case is a finding too
            ok, outcome = False, f"raised {type(exc).__name__}: {str(exc)[:90]}"
        results.append(BadInput(name, ok, outcome))
    return results


def _k5_link(f: Path, model: Path):
    save_image(f / "photos" / "sub" / "a.png")
    victims = f / "victims"
    victims.mkdir()
    (f / "out").mkdir()
    (f / "out" / "sub").symlink_to(victims, target_is_directory=True)
    ok, outcome = _expect(run_cli("segment", str(f / "photos"), "--model", str(model), "--out", str(f / "out")), 1)
    return ok and not any(victims.iterdir()), outcome


def _k5_file(f: Path, model: Path):
    save_image(f / "photos" / "sub" / "a.png")
    (f / "out").mkdir()
    (f / "out" / "sub").write_bytes(VICTIM_TEXT)
    code_err = run_cli("segment", str(f / "photos"), "--model", str(model), "--out", str(f / "out"))
    ok, outcome = _expect(code_err, 1, "is a file where")
    return ok and (f / "out" / "sub").read_bytes() == VICTIM_TEXT, outcome


def _b13(f: Path, model: Path):
    save_image(f / "photos" / "a.png")
    (f / "out").mkdir()
    victim = f / "victim.txt"
    victim.write_bytes(VICTIM_TEXT)
    os.link(victim, f / "out" / "segment-log.0-of-1.jsonl")
    code_err = run_cli("segment", str(f / "photos"), "--model", str(model), "--out", str(f / "out"), "--shard", "0/1")
    ok, outcome = _expect(code_err, 1, "hard link")
    return ok and victim.read_bytes() == VICTIM_TEXT, outcome


def _fifo_log(f: Path, model: Path):
    save_image(f / "photos" / "a.png")
    os.mkfifo(f / "log")
    argv = ["segment", str(f / "photos"), "--model", str(model), "--out", str(f / "out"), "--log", str(f / "log")]
    return _expect(run_cli(*argv), 1, "nothing reads it")


def _k6(f: Path, model: Path):
    from fcn_studio.storage.conversions import CACHE_DIRNAME, cache_root_for

    (f / "models").mkdir()
    weights = f / "models" / "m.pth"
    shutil.copyfile(model, weights)
    (f / "outside").mkdir()
    (f / "models" / CACHE_DIRNAME).symlink_to(f / "outside", target_is_directory=True)
    root = cache_root_for(weights)
    outside = (f / "outside").resolve()
    inside = outside in [root.resolve(), *root.resolve().parents]
    return not inside, f"conversion cache at {root}"


def _d8(f: Path, model: Path):
    from fcn_studio.data.labels import generic_labels
    from fcn_studio.files.identity import content_hash
    from fcn_studio.models.preprocessing import CAFFE_BGR
    from fcn_studio.storage.checkpoint import load_checkpoint
    from fcn_studio.storage.heads import BaseRef, Head, head_tensors, write_head

    base = load_checkpoint(model)
    secret = f / "secret.txt"
    secret.write_bytes(VICTIM_TEXT)
    weights = Path(os.environ["FCN_STUDIO_WEIGHTS"])
    weights.mkdir(parents=True, exist_ok=True)
    ref = BaseRef(str(secret), content_hash(model), str(secret))
    write_head(
        Head(base.arch, generic_labels(21), CAFFE_BGR, head_tensors(base.state_dict), ref), weights / "d8.safetensors"
    )
    argv = ["segment", str(save_image(f / "p" / "a.png")), "--model", "d8", "--out", str(f / "o")]
    ok, outcome = _expect(run_cli(*argv), 1, "not by an installed model's id")
    (weights / "d8.safetensors").unlink()
    return ok, outcome


def _k10_k11(which: str):
    def case(f: Path, model: Path):
        from fcn_studio.data.labels import generic_labels
        from fcn_studio.labelling.versions import install_head_version
        from fcn_studio.models.preprocessing import CAFFE_BGR
        from fcn_studio.storage.weights import resolve_model

        run_cli("weights", "import", str(model), "--id", f"{which}base", "--force")
        base = resolve_model(f"{which}base")
        head = {k: v.clone() for k, v in base.state_dict.items() if k.startswith(("score", "upscore"))}
        version = install_head_version(base, head, generic_labels(21), CAFFE_BGR, {}, f"{which}base")
        base_file = Path(os.environ["FCN_STUDIO_WEIGHTS"]) / f"{which}base.safetensors"
        before = base_file.read_bytes()
        if which == "k10":
            code_err = run_cli("weights", "export", version.id, str(base_file), "--force")
        else:
            code_err = run_cli("weights", "import", str(model), "--id", f"{which}base", "--force")
        ok, outcome = _expect(code_err, 1)
        resolve_model(version.id)  # still loads
        return ok and base_file.read_bytes() == before, outcome

    return case


def _h18(f: Path, model: Path):
    for n in ("a", "b"):
        save_image(f / f"{n}.png")
    images = [{"id": 1, "file_name": n, "height": 40, "width": 48} for n in ("a.png", "b.png")]
    _coco(f / "annotations.json", images, [_square(1, 2)])
    return _expect(run_cli("eval", "--model", str(model), "--data", str(f)), 1, "image id 1 is given to")


def _coco_case(segmentation, phrase: str, size=(40, 48)):
    def case(f: Path, model: Path):
        save_image(f / "a.png")
        ann = {"id": 1, "image_id": 1, "category_id": 1, "segmentation": segmentation}
        _coco(f / "annotations.json", [{"id": 1, "file_name": "a.png", "height": size[0], "width": size[1]}], [ann])
        done = subprocess.run(  # a crash (pycocotools' segfault) must not take the bench with it
            [sys.executable, "-m", "fcn_studio", "eval", "--model", str(model), "--data", str(f)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        return _expect((done.returncode, done.stderr), 1, phrase)

    return case


def _h3(f: Path, model: Path):
    import base64
    import io as _io
    import json

    buf = _io.BytesIO()
    Image.new("1", (20000, 20000)).save(buf, format="PNG")
    doc = {"shapes": [], "imagePath": None, "imageData": base64.b64encode(buf.getvalue()).decode()}
    (f / "a.json").write_text(json.dumps({**doc, "imageHeight": 20000, "imageWidth": 20000}))
    return _expect(run_cli("segment", str(f / "a.json"), "--model", str(model), "--out", str(f / "o")), 1, "megapixels")


def _b2(f: Path, model: Path):
    from fcn_studio.inference.inputs import large_image_notes

    Image.new("1", (20000, 20000)).save(f / "big.png")
    notes = large_image_notes([f / "big.png"])
    return bool(notes) and "GB" in notes[0], (notes or ["no note"])[0][:100]


def _outside(f: Path, model: Path):
    import json

    save_image(f / "secret.png")
    (f / "ds").mkdir()
    save_image(f / "ds" / "a.png")
    doc = {"shapes": [], "imagePath": "../secret.png", "imageData": None, "imageHeight": 40, "imageWidth": 48}
    (f / "ds" / "a.json").write_text(json.dumps(doc))
    return _expect(run_cli("eval", "--model", str(model), "--data", str(f / "ds")), 1, "--allow-outside")


def _malformed_labelme(f: Path, model: Path):
    import json

    for n in ("a", "b"):
        save_image(f / f"{n}.png")
    doc = {"shapes": [], "imagePath": "a.png", "imageData": None, "imageHeight": 40, "imageWidth": 48}
    (f / "a.json").write_text(json.dumps(doc))
    (f / "b.json").write_text('{"shapes": [')
    return _expect(run_cli("eval", "--model", str(model), "--data", str(f)), 1, "b.json")


def _grey_levels(f: Path, model: Path):
    from fcn_studio.data.dataset import scan_dataset

    m = np.zeros((40, 48), np.uint8)
    m[5:15, 5:15], m[20:30, 20:30] = 50, 100
    save_image(f / "images" / "a.png")
    _mask_folder(f / "masks", {"a.png": m})
    report = scan_dataset(f)
    return any("grey levels" in str(p) for p in report.problems), (report.problems or ["No problems"])[0][:100]


def _unsafe_resume(f: Path, model: Path):
    import argparse as _argparse

    from fcn_studio.training.resume import state_path

    out = f / "m.safetensors"
    torch.save({"optimizer": _argparse.Namespace(a=1), "epoch": 1}, state_path(out))
    save_image(f / "data" / "images" / "a.png")
    _mask_folder(f / "data" / "masks", {"a.png": np.ones((40, 48))})
    argv = ["train", "--data", str(f / "data"), "--base", str(model), "--arch", "fcn32s", "--epochs", "1"]
    code, err = run_cli(*argv, "--out", str(out), "--resume")
    ok, outcome = _expect((code, err), 1)
    return ok and "weights_only=False" not in err and "trust" not in err.lower(), outcome


def _two_cleans(f: Path, model: Path):
    from fcn_studio.storage.conversions import remove

    (f / "conv").mkdir()
    (f / "conv" / "model.onnx").write_bytes(b"x")
    both = [remove(f / "conv"), remove(f / "conv")]
    return both == [True, False], f"removals reported: {both}"


def _labelmap_colour(f: Path, model: Path):
    save_image(f / "JPEGImages" / "a.jpg")
    (f / "SegmentationClass").mkdir()
    Image.fromarray(np.zeros((40, 48, 3), np.uint8)).save(f / "SegmentationClass" / "a.png")
    (f / "labelmap.txt").write_text("# label:color_rgb:parts:actions\nbackground:0,0,0::\ncat:9,9,9::\ndog:9,9,9::\n")
    return _expect(run_cli("eval", "--model", str(model), "--data", str(f)), 1, "colour")


def _merge_twice(f: Path, model: Path):
    m = np.zeros((8, 8), np.uint8)
    _mask_folder(f / "gt", {"a.png": m})
    run_cli(
        "eval", "--pred", str(f / "gt"), "--gt", str(f / "gt"), "--num-classes", "2", "--save-cm", str(f / "cm.json")
    )
    return _expect(run_cli("eval", "--merge", str(f / "cm.json"), str(f / "cm.json")), 1, "twice")


def _orphan_annotation(f: Path, model: Path):
    save_image(f / "a.png")
    _coco(f / "annotations.json", [{"id": 1, "file_name": "a.png", "height": 40, "width": 48}], [_square(7, 2)])
    return _expect(run_cli("eval", "--model", str(model), "--data", str(f), "--split", "all"), 0, "image id(s) 7")


def _grey_photo_gt(f: Path, model: Path):
    yy, xx = np.mgrid[0:60, 0:80]
    _mask_folder(f / "gt", {"a.png": (xx * 3 + yy * 2) % 256})
    _mask_folder(f / "pred", {"a.png": np.zeros((60, 80))})
    return _expect(run_cli("eval", "--pred", str(f / "pred"), "--gt", str(f / "gt")), 1, "greyscale photo")


def _classes_21_vs_3(f: Path, model: Path):
    m = np.zeros((40, 48), np.uint8)
    m[10:20, 10:30] = 2
    _mask_folder(f / "gt", {"a.png": m})
    save_image(f / "a.png")
    argv = [
        "compare",
        str(f / "a.png"),
        "--models",
        str(model),
        "--out",
        str(f / "c.png"),
        "--gt",
        str(f / "gt" / "a.png"),
    ]
    return _expect(run_cli(*argv), 1, "does not name its classes")


def _cvat_by_name(f: Path, model: Path):
    save_image(f / "cvat" / "JPEGImages" / "a.jpg")
    (f / "cvat" / "SegmentationClass").mkdir()
    rgb = np.zeros((40, 48, 3), np.uint8)
    rgb[5:20, 5:20] = (192, 128, 128)  # person, in CVAT's order below
    Image.fromarray(rgb).save(f / "cvat" / "SegmentationClass" / "a.png")
    (f / "cvat" / "labelmap.txt").write_text(
        "# label:color_rgb:parts:actions\nbackground:0,0,0::\nperson:192,128,128::\n"
    )
    return _expect(run_cli("eval", "--model", str(model), "--data", str(f / "cvat")), 0, "classes matched by name: 2")


def _sigterm(f: Path, model: Path):
    import signal
    import time

    save_image(f / "data" / "images" / "a.png")
    m = np.zeros((40, 48), np.uint8)
    m[5:20, 5:20] = 1
    _mask_folder(f / "data" / "masks", {"a.png": m})
    out = f / "run.safetensors"
    argv = ["train", "--data", str(f / "data"), "--base", str(model), "--arch", "fcn32s", "--epochs", "500"]
    argv += ["--crop-size", "32", "--out", str(out), "--val-split", "0", "--no-flip", "--scale", "1,1"]
    child = subprocess.Popen([sys.executable, "-m", "fcn_studio", *argv], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not lock_path(out).exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
    err = child.stderr.read()
    ok, outcome = _expect((child.returncode, err), child.returncode, "")
    said = "terminated" in err or "interrupted" in err or "cancel" in err.lower()
    return ok and said and not lock_path(out).exists(), outcome


_BAD_INPUTS: list[tuple[str, Callable[[Path, Path], tuple[bool, str]]]] = [
    ("K5 link at a mirrored output subfolder", _k5_link),
    ("K5 file where an output subfolder goes", _k5_file),
    ("B13 hard link at the shard log", _b13),
    ("FIFO --log without a reader", _fifo_log),
    ("K6 .fcn-studio-cache link beside weights", _k6),
    ("D8 head naming its base by a path", _d8),
    ("K10 export --force onto its base", _k10_k11("k10")),
    ("K11 import --force over a base of heads", _k10_k11("k11")),
    ("H18 duplicate COCO image ids", _h18),
    ("H21 NaN COCO polygon coordinate", _coco_case([[2, 2, float("nan"), 2, 12, 12]], "finite number")),
    ("H13 RLE counts of 1e12", _coco_case({"size": [40, 48], "counts": [10**12, 5]}, "RLE counts")),
    ("COCO image of 10^12 pixels", _coco_case([[2, 2, 9, 2, 9, 9]], "megapixels", (10**6, 10**6))),
    ("H3 labelme imageData of 20000x20000", _h3),
    ("B2 20000x20000 PNG said up front", _b2),
    ("image path outside the dataset", _outside),
    ("malformed labelme JSON", _malformed_labelme),
    ("grey masks 0/50/100", _grey_levels),
    ("unsafe resume state: no torch advice", _unsafe_resume),
    ("two cleans at once", _two_cleans),
    ("CVAT labelmap colour twice", _labelmap_colour),
    ("--merge the same file twice", _merge_twice),
    ("COCO annotation of an unlisted image", _orphan_annotation),
    ("greyscale photo as --gt", _grey_photo_gt),
    ("21-class model vs 3 unnamed classes", _classes_21_vs_3),
    ("CVAT export scored by name", _cvat_by_name),
    ("SIGTERM during training", _sigterm),
]
