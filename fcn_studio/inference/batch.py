"""Segmenting many files into an output folder: shared by the CLI and the GUI.

Outputs mirror the input folder's sub-folders (``photos/sub/a.jpg`` -> ``OUT/sub/a.png``);
inputs that would share an output name get stable, distinct names (``a_jpg.png``,
``a_png.png``). Decoding runs one image ahead of the model on a reader thread and writing
runs behind it on a writer thread (bounded queues), so the model is rarely idle. Every
output is written to a temporary name and renamed, so a killed job never leaves a partial
mask, and ``overwrite=False`` (``--skip-existing``) resumes a killed or preempted run.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import stat
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from fcn_studio.data.images import blend_overlay, load_image, save_mask, save_rgb
from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.inference.inputs import unreadable_reason
from fcn_studio.inference.predictor import Predictor
from fcn_studio.storage.fileio import is_disk_full, remove_stale_temporaries, write_error

OVERLAY_SUFFIX = "_overlay"
QUEUE_DEPTH = 4  # decoded images waiting for the model, and results waiting for the writer


@dataclass(frozen=True)
class BatchItem:
    """One input image and its output name: a relative path without extension, e.g. ``sub/a``."""

    source: Path
    name: str
    root: Path | None = None  # the folder the user named, None for a file named directly

    def mask_path(self, out_dir: Path) -> Path:
        return out_dir / f"{self.name}.png"

    def overlay_path(self, out_dir: Path) -> Path:
        return out_dir / f"{self.name}{OVERLAY_SUFFIX}.jpg"

    @property
    def relative_source(self) -> PurePosixPath:
        return PurePosixPath((self.source.relative_to(self.root) if self.root else Path(self.source.name)).as_posix())

    @property
    def renamed(self) -> bool:
        """True when the output is not simply the input's relative path with ``.png``."""
        return self.name != str(self.relative_source.with_suffix(""))


def batch_items(found: Sequence[tuple[Path, Path | None]]) -> list[BatchItem]:
    """Items for ``(file, folder it was found in)`` pairs (see ``inputs.expand_with_roots``).

    Names depend only on the set of inputs, so every shard of a job array computes the same
    ones. A name is the input's path inside its folder when no other input (nor another
    input's overlay) claims it, compared case-insensitively since macOS and Windows do;
    otherwise the extension is added (``a_jpg``), then ``_2``, ``_3``... as needed.
    """
    seen: set[Path] = set()
    unique: list[tuple[Path, Path | None]] = []
    real = _RealPaths()
    for path, root in found:
        key = real(path, root)
        if key not in seen:  # the same file named twice (as a file and inside a folder)
            seen.add(key)
            unique.append((path, root))
    rels = [PurePosixPath((p.relative_to(r) if r else Path(p.name)).as_posix()) for p, r in unique]
    bases = [str(rel.with_suffix("")) for rel in rels]
    shared = Counter(b.casefold() for b in bases)
    taken: set[str] = set()

    def free(name: str) -> bool:
        return name.casefold() not in taken and (name + OVERLAY_SUFFIX).casefold() not in taken

    def reserve(name: str) -> str:
        taken.update({name.casefold(), (name + OVERLAY_SUFFIX).casefold()})
        return name

    names: list[str | None] = [None] * len(unique)
    order = sorted(range(len(unique)), key=lambda i: str(rels[i]))
    for i in order:  # first the inputs that have their plain name to themselves
        if shared[bases[i].casefold()] == 1 and free(bases[i]):
            names[i] = reserve(bases[i])
    for i in order:
        if names[i] is None:
            ext = rels[i].suffix.lstrip(".").lower() or "file"
            wanted = f"{bases[i]}_{ext}" if shared[bases[i].casefold()] > 1 else bases[i]
            name, n = wanted, 1
            while not free(name):
                n += 1
                name = f"{wanted}_{n}"
            names[i] = reserve(name)
    return [BatchItem(p, str(n), r) for (p, r), n in zip(unique, names, strict=True)]


def _as_items(files: Sequence[BatchItem | Path]) -> list[BatchItem]:
    if all(isinstance(f, BatchItem) for f in files):
        return list(files)  # type: ignore[arg-type]
    return batch_items([(Path(f), None) for f in files])  # type: ignore[arg-type]


def existing_outputs(files: Sequence[BatchItem | Path], out_dir: Path) -> list[Path]:
    return [p for p in (item.mask_path(out_dir) for item in _as_items(files)) if p.exists()]


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


class _RealPaths:
    """Real (resolved) paths of inputs, resolving each input folder once rather than each
    of its million files (a system call per path component, slow on network storage)."""

    def __init__(self) -> None:
        self._roots: dict[Path, Path] = {}

    def __call__(self, path: Path, root: Path | None) -> Path:
        if root is None:
            return path.resolve()
        if root not in self._roots:
            self._roots[root] = root.resolve()
        return self._roots[root] / path.relative_to(root)


def without_previous_outputs(files: Sequence[BatchItem | Path], out_dir: Path) -> list[BatchItem]:
    """The items minus files inside ``out_dir`` when it lies inside their input folder:
    masks of an earlier run there are outputs, not photos. Path arithmetic only, the same on
    every shard, so it can run before the inputs are split."""
    out, real = out_dir.resolve(), _RealPaths()
    return [
        it
        for it in _as_items(files)
        if not (it.root and real(it.root, None) != out and _within(real(it.source, it.root), out))
    ]


def prepare_output(files: Sequence[BatchItem | Path], out_dir: Path) -> list[BatchItem]:
    """Check the output folder before any image is segmented; the items to process.

    Refuses an output folder that is an input folder (the masks would be read as photos by
    the next run: refused on every run, not only once they collide), a plan in which an
    output would replace one of the run's inputs, and a folder that cannot be written.
    Masks from an earlier run in an output folder inside the input folder are not inputs.
    """
    items = without_previous_outputs(files, out_dir)
    refuse_input_folder_as_output([it.root for it in items], out_dir)
    out, real = out_dir.resolve(), _RealPaths()
    if any(_within(real(it.source, it.root), out) for it in items):  # else no output can be an input
        plan = [(it.source, [it.mask_path(out_dir), it.overlay_path(out_dir)]) for it in items]
        refuse_replacing_inputs(plan, out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise FCNStudioError("{folder} is a file, not a folder; choose another output folder", folder=str(out_dir))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".fcn-studio-write-test.", dir=out_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise FCNStudioError(
            "{out_dir}: cannot write to this folder ({error}); choose another output folder",
            out_dir=out_dir,
            error=exc.strerror or exc,
        ) from None
    return items


def refuse_input_folder_as_output(roots: Iterable[Path | None], out_dir: Path) -> None:
    """An output folder that is one of the folders being segmented mixes masks with photos."""
    out = out_dir.resolve()
    for root in {r for r in roots if r is not None}:
        if root.resolve() == out:
            suggestion = root.parent / f"{root.name}-masks"
            raise FCNStudioError(
                "{out_dir} is the folder being segmented: its masks would be taken as photos by the next run; choose another output folder, e.g. {suggestion}",
                out_dir=out_dir,
                suggestion=suggestion,
            )


def refuse_replacing_inputs(plan: Sequence[tuple[Path, Sequence[Path]]], out_dir: Path) -> None:
    """``plan``: each input with the outputs it would write. Raise if any output is one of
    the inputs (the same file by device and inode, so also under another case or a link)."""
    inputs = {}
    for source, _ in plan:
        try:
            st = source.stat()
            inputs[(st.st_dev, st.st_ino)] = source
        except OSError:
            pass  # reported when it is read
    for source, targets in plan:
        for target in targets:
            try:
                st = target.stat()  # only an existing file can be an input
            except OSError:
                continue
            clash = inputs.get((st.st_dev, st.st_ino))
            if clash is not None:
                raise FCNStudioError(
                    "{out_dir}: the output for {source} would replace the input {clash}; choose an output folder outside the input folder",
                    out_dir=out_dir,
                    source=source,
                    clash=clash,
                )


@dataclass
class BatchReport:
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # outputs that existed and were kept
    failures: list[str] = field(default_factory=list)  # one message per failed input
    seconds: float = 0.0  # wall time of the images processed (not the skipped ones)
    processed: int = 0  # images read and segmented or failed (not skipped)

    @property
    def images_per_s(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0


class BatchLog:
    """A JSON-lines record of every input: done, failed or kept, with its output.

    Appended and flushed line by line, so a killed shard's log says how far it got. The
    default log inside the output folder is opened without following links (a link planted
    at its name must not get lines appended to another file); a ``--log`` the user named is
    opened as named (``/dev/stderr`` is a link)."""

    def __init__(self, path: Path | None, *, follow_links: bool = False) -> None:
        self.path = path
        self._fh = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = _open_log(path, follow_links)

    def write(self, item: BatchItem, output: Path, status: str, error: str | None = None) -> None:
        if self._fh is None:
            return
        record = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "input": str(item.source),
            "output": str(output),
            "status": status,
        }
        if error:
            record["error"] = error
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):  # a write that failed was reported; a retried flush fails again
                self._fh.close()


def _open_log(path: Path, follow_links: bool):
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= 0 if follow_links else getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as exc:
        if not follow_links and path.is_symlink():
            raise FCNStudioError(
                "{path} is a symbolic link, not a log FCN Studio made (someone may have planted it to write to another file); nothing was written through it: remove it, or choose another log file",
                fix="log",
                path=path,
            ) from None
        raise FCNStudioError(
            "cannot write the log {path} ({error}); choose another log file",
            fix="log",
            path=path,
            error=exc.strerror or exc,
        ) from None
    if hasattr(os, "O_NONBLOCK"):  # only the open must not block on a FIFO; writes may wait
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    st = os.fstat(fd)
    half_line = False  # a killed run may have left half a line: end it
    if stat.S_ISREG(st.st_mode) and st.st_size:
        with contextlib.suppress(OSError), open(path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            half_line = fh.read(1) != b"\n"
    journal = os.fdopen(fd, "a", encoding="utf-8")
    if half_line:
        journal.write("\n")
    return journal


_END = object()


def segment_files(
    predictor: Predictor,
    files: Sequence[BatchItem | Path],
    out_dir: Path,
    *,
    overlay: bool = False,
    opacity: float = 0.5,
    overwrite: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    log: Path | BatchLog | None = None,
    prepared: bool = False,
) -> BatchReport:
    """Write ``out_dir/<name>.png`` palette masks (and ``<name>_overlay.jpg``).

    A file that fails is recorded and skipped; the rest are still processed. With
    ``overwrite=False`` an input whose outputs exist is kept as it is. ``prepared``: the
    caller already ran :func:`prepare_output` on these items.
    """
    items = _as_items(files) if prepared else prepare_output(files, out_dir)
    report = BatchReport()
    journal = log if isinstance(log, BatchLog) else BatchLog(log)
    todo: list[BatchItem] = []
    targets: list[Path] = []
    for item in items:
        outputs = [item.mask_path(out_dir)] + ([item.overlay_path(out_dir)] if overlay else [])
        if not overwrite and all(p.exists() for p in outputs):
            report.skipped.append(outputs[0])
            journal.write(item, outputs[0], "kept")
        else:
            todo.append(item)
            targets += outputs
    remove_stale_temporaries(targets)  # left by a killed run
    if progress and report.skipped:
        progress(len(report.skipped), len(items), "kept existing outputs")
    try:
        _Pipeline(predictor, out_dir, overlay, opacity, report, journal).run(todo, len(items), progress, cancelled)
    finally:
        journal.close()
    return report


class _Pipeline:
    """Reader thread -> model (calling thread) -> writer thread, with bounded queues."""

    def __init__(self, predictor, out_dir, overlay, opacity, report: BatchReport, journal: BatchLog) -> None:
        self.predictor = predictor
        self.out_dir = out_dir
        self.overlay = overlay
        self.opacity = opacity
        self.report = report
        self.journal = journal
        self.decoded: queue.Queue = queue.Queue(QUEUE_DEPTH)
        self.results: queue.Queue = queue.Queue(QUEUE_DEPTH)
        self.stop = threading.Event()
        self.errors: list[BaseException] = []  # unexpected errors on the threads, re-raised here

    def run(self, todo: list[BatchItem], total: int, progress, cancelled) -> None:
        start = time.perf_counter()
        reader = threading.Thread(target=self._read, args=(todo,), name="batch-reader", daemon=True)
        writer = threading.Thread(target=self._write, name="batch-writer", daemon=True)
        reader.start()
        writer.start()
        stopped_early = False
        try:
            for i in range(len(todo)):
                if cancelled and cancelled():
                    raise Cancelled()
                if self.errors:  # the writer met a full disk (or worse): every later write would too
                    break
                job = self.decoded.get()
                if job is _END:  # the reader failed
                    break
                item, rgb, error = job
                labels = None
                if error is None:
                    try:
                        labels = self.predictor.predict(rgb, cancelled=cancelled).labels
                    except Cancelled:
                        raise
                    except FCNStudioError as exc:
                        error = str(exc)
                self.results.put((item, rgb, labels, error))
                if progress:
                    progress(len(self.report.skipped) + i + 1, total, item.source.name)
        except Cancelled:
            stopped_early = True
        finally:
            self.stop.set()
            while reader.is_alive():  # unblock a reader waiting on a full queue
                with contextlib.suppress(queue.Empty):
                    self.decoded.get(timeout=0.05)
            self.results.put(_END)  # the writer finishes what the model produced, then stops
            writer.join()
            self.report.seconds = time.perf_counter() - start
        if self.errors:
            raise self.errors[0]
        if stopped_early:
            raise Cancelled(
                "Cancelled after {processed} of {n} files; {n2} masks written.",
                processed=self.report.processed,
                n=len(todo),
                n2=len(self.report.written),
            )

    def _read(self, todo: list[BatchItem]) -> None:
        try:
            for item in todo:
                if self.stop.is_set():
                    return
                try:
                    if (problem := unreadable_reason(item.source)) is not None:  # never block on a FIFO
                        raise FCNStudioError("{source}: {problem}", source=item.source, problem=problem)
                    job = (item, load_image(item.source), None)
                except FCNStudioError as exc:
                    job = (item, None, str(exc))
                self.decoded.put(job)
        except BaseException as exc:  # handed to the calling thread
            self.errors.append(exc)
            self.decoded.put(_END)

    def _write(self) -> None:
        """Runs until it gets _END, whatever happens: a writer that died would leave the model
        thread blocked on a full queue forever. A full disk ends the run (one message, not one
        per image); any other failure of an image is that image's."""
        while (job := self.results.get()) is not _END:
            if self.errors:
                continue  # drain: the run is failing
            try:
                self._write_one(*job)
            except BaseException as exc:  # handed to the calling thread
                self.errors.append(exc)

    def _write_one(self, item: BatchItem, rgb, labels, error: str | None) -> None:
        target = item.mask_path(self.out_dir)
        try:
            if error is None:
                self._save(item, rgb, labels, target)
        except FCNStudioError as exc:
            if is_disk_full(exc):
                raise FCNStudioError(write_error(target, exc)) from None
            error = str(exc)
        self.report.processed += 1
        try:
            if error is None:
                self.report.written.append(target)
                self.journal.write(item, target, "done")
            else:
                self.report.failures.append(error)
                self.journal.write(item, target, "failed", error)
        except OSError as exc:
            raise FCNStudioError(write_error(self.journal.path or target, exc, option="--log")) from None

    def _save(self, item: BatchItem, rgb, labels, target: Path) -> None:
        labels_set = self.predictor.labels
        if self.overlay:  # the overlay first: the mask's existence marks the input as done
            blended = blend_overlay(rgb, labels, labels_set, self.opacity)
            save_rgb(blended, item.overlay_path(self.out_dir))
        save_mask(labels, labels_set, target)
