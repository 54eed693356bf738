"""Segmenting many files into an output folder: shared by the CLI and the GUI.

Where each output goes is planned first (batch_plan.py). Decoding runs one image ahead of
the model on a reader thread and writing runs behind it on a writer thread (bounded
queues), so the model is rarely idle. Every output is written to a temporary name and
renamed, so a killed job never leaves a partial mask, and ``overwrite=False``
(``--skip-existing``) resumes a killed or preempted run.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import queue
import stat
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fcn_studio.data.images import blend_overlay, load_image, save_mask, save_rgb
from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.files.fileio import is_disk_full, remove_stale_temporaries, write_error
from fcn_studio.inference.batch_plan import BatchItem, as_items, prepare_output
from fcn_studio.inference.inputs import unreadable_reason
from fcn_studio.inference.predictor import Predictor

QUEUE_DEPTH = 4  # decoded images waiting for the model, and results waiting for the writer


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
        if exc.errno == errno.ENXIO:
            raise FCNStudioError(
                "{path} is a FIFO and nothing reads it: start its reader first, or name another log file", path=path
            ) from None
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
    if not follow_links and (not stat.S_ISREG(st.st_mode) or st.st_nlink != 1):
        os.close(fd)
        raise FCNStudioError(
            "{path} is a hard link to another file, not a log FCN Studio made (someone may have planted it to write "
            "to another file); nothing was written to it: remove it, or name another log file"
            if stat.S_ISREG(st.st_mode)
            else "{path} is not a plain file, not a log FCN Studio made (someone may have planted it to write to "
            "another file); nothing was written to it: remove it, or name another log file",
            path=path,
        )
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
    items = as_items(files) if prepared else prepare_output(files, out_dir)
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
