"""Reading, segmenting and writing video with OpenCV (no Qt).

Decoding runs ahead on a thread and encoding trails on another, so the model, the slow
stage, never waits for I/O. Exports are written under a temporary name and renamed when
complete: a cancel or an error leaves no broken file behind.
"""

from __future__ import annotations

import os
import queue
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from fcn_studio.data.images import blend_overlay, colorize, save_mask
from fcn_studio.data.labels import LabelSet
from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.files.fileio import temporary_name
from fcn_studio.messages import Message

VIDEO_EXTENSIONS = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".ogv"})
AUDIO_NOTE = "Audio is not kept: exported videos are silent."


def is_video_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


@dataclass(frozen=True)
class VideoInfo:
    path: str
    width: int
    height: int
    fps: float
    frame_count: int  # from the container; may be an estimate for some formats
    codec: str


def _fourcc(value: float) -> str:
    code = int(value)
    text = "".join(chr((code >> 8 * i) & 0xFF) for i in range(4))
    return text if text.isprintable() and text.strip() else "?"


def open_capture(source: str | int) -> tuple[cv2.VideoCapture, VideoInfo]:
    """Open a file (or a camera index) and read its properties; FCNStudioError if unusable."""
    if isinstance(source, int):
        cap = cv2.VideoCapture(source)
        if not cap.isOpened():
            raise FCNStudioError(
                "no camera found at index {index}; connect a webcam or open a video file instead", index=source
            )
    else:
        path = Path(source)
        if not path.is_file():
            raise FCNStudioError("{path}: no such video file", path=str(path))
        if path.stat().st_size == 0:
            raise FCNStudioError("{path}: the file is empty", path=str(path))
        cap = cv2.VideoCapture(str(path))
        if not cap.isOpened():
            raise FCNStudioError(
                "{path}: cannot open this video (damaged file or a codec OpenCV cannot decode)", path=str(path)
            )
    ok, frame = cap.read()
    if not ok or frame is None:
        cap.release()
        raise FCNStudioError(
            "{source}: the video has no readable frames (truncated, damaged or empty)", source=str(source)
        )
    fps = cap.get(cv2.CAP_PROP_FPS)
    fps = fps if fps and np.isfinite(fps) and 0 < fps < 1000 else 25.0
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0) if not isinstance(source, int) else 0
    info = VideoInfo(
        str(source), frame.shape[1], frame.shape[0], fps, max(count, 0), _fourcc(cap.get(cv2.CAP_PROP_FOURCC))
    )
    if not isinstance(source, int):
        # Opened again rather than sought back to frame 0 after the test read: OpenCV's
        # FFmpeg reader loses the only frame of a 1-frame video on that seek.
        cap.release()
        cap = cv2.VideoCapture(str(source))
    return cap, info


def read_frames(path: str | Path, start: int = 0, prefetch: int = 8) -> Iterator[tuple[int, np.ndarray]]:
    """``(index, RGB frame)`` in order, decoded ahead on a thread (bounded queue)."""
    cap, _ = open_capture(str(path))
    if start:
        cap.set(cv2.CAP_PROP_POS_FRAMES, start)
    q: queue.Queue = queue.Queue(maxsize=prefetch)
    stop = threading.Event()

    def decode() -> None:
        index = start
        try:
            while not stop.is_set():
                ok, bgr = cap.read()
                if not ok:
                    break
                q.put((index, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
                index += 1
        finally:
            q.put(None)

    thread = threading.Thread(target=decode, name="video-decode", daemon=True)
    thread.start()
    try:
        while (item := q.get()) is not None:
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a decoder waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.05)
        cap.release()


# --------------------------------------------------------------------------- writing


def _patch_avi_rate(path: Path, fps: float) -> None:
    """OpenCV's own MJPEG writer stores an integer frame rate; put the exact rational
    rate (e.g. 30000/1001) into the AVI headers so the frame rate survives."""
    rate = Fraction(fps).limit_denominator(1001)
    data = bytearray(path.read_bytes()[:4096])
    strh = data.find(b"strh")
    avih = data.find(b"avih")
    if strh < 0 or avih < 0:
        return
    with open(path, "r+b") as fh:
        fh.seek(avih + 8)
        fh.write(struct.pack("<I", round(1_000_000 / fps)))
        fh.seek(strh + 8 + 20)  # fccType, fccHandler, dwFlags, wPriority+wLanguage, dwInitialFrames
        fh.write(struct.pack("<II", rate.denominator, rate.numerator))


class VideoWriter:
    """Writes RGB frames of exactly the given size and rate, to a temporary file that is
    renamed onto ``path`` by :meth:`close` (removed by :meth:`abort`).

    .mp4/.mov use mp4v; .avi MJPEG; .webm VP8. MPEG-4 cannot hold odd sizes through
    OpenCV's FFmpeg writer, so an odd-sized video goes to MJPEG .avi (``path`` is changed
    accordingly and :attr:`note` says why).
    """

    def __init__(self, path: str | Path, width: int, height: int, fps: float) -> None:
        path = Path(path)
        self.note: str | Message = ""
        ext = path.suffix.lower()
        odd = width % 2 or height % 2
        if odd and ext != ".avi":
            self.note = Message(
                "{width}x{height} is odd-sized; MP4 needs even sizes, so it was written as MJPEG .avi",
                width=width,
                height=height,
            )
            path = path.with_suffix(".avi")
            ext = ".avi"
        self.path, self.size, self.fps = path, (width, height), fps
        path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = temporary_name(path, ext)  # recognisable: a killed run's is cleaned by the next
        if ext == ".avi":
            args = (cv2.CAP_OPENCV_MJPEG, cv2.VideoWriter_fourcc(*"MJPG"))
        elif ext == ".webm":
            args = (cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*"VP80"))
        elif ext in (".mp4", ".mov", ".m4v", ".mkv"):
            args = (cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*"mp4v"))
        else:
            raise FCNStudioError("{path}: cannot write {ext} video; use .mp4, .avi or .webm", path=path, ext=ext)
        self._avi_builtin = ext == ".avi"
        self._writer = cv2.VideoWriter(str(self._tmp), args[0], args[1], fps, (width, height))
        if not self._writer.isOpened():
            raise FCNStudioError("{path}: OpenCV cannot write {ext} video here; try .avi", path=path, ext=ext)
        self.frames = 0

    def write(self, rgb: np.ndarray) -> None:
        if rgb.shape[1::-1] != self.size:
            raise ValueError(f"frame is {rgb.shape[1]}x{rgb.shape[0]}, video is {self.size[0]}x{self.size[1]}")
        self._writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        self.frames += 1

    def close(self) -> Path:
        self._writer.release()
        if not self._tmp.is_file() or self._tmp.stat().st_size == 0:
            self.abort()
            raise FCNStudioError("{path}: nothing was written (disk full or no frames)", path=str(self.path))
        if self._avi_builtin:
            _patch_avi_rate(self._tmp, self.fps)
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        self._writer.release()
        self._tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------- segmenting


@dataclass
class VideoExport:
    path: Path
    frames: int
    note: str | Message = ""
    masks_dir: Path | None = None


def render_frame(rgb: np.ndarray, labels: np.ndarray, label_set: LabelSet, mode: str, opacity: float) -> np.ndarray:
    """One output frame: the overlay (``"overlay"``) or the colour mask (``"mask"``)."""
    return colorize(labels, label_set) if mode == "mask" else blend_overlay(rgb, labels, label_set, opacity)


def segment_video(
    predict: Callable[[np.ndarray], np.ndarray],
    label_set: LabelSet,
    source: str | Path,
    out_path: str | Path,
    *,
    mode: str = "overlay",
    opacity: float = 0.5,
    masks_dir: str | Path | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> VideoExport:
    """Segment every frame of ``source`` and write a video of the same frame count, rate
    and size (plus per-frame palette PNGs in ``masks_dir`` if given).

    ``predict`` maps an RGB frame to its label map (e.g. ``lambda f: predictor.predict(f).labels``).
    """
    cap, info = open_capture(str(source))
    cap.release()
    writer = VideoWriter(out_path, info.width, info.height, info.fps)
    masks = Path(masks_dir) if masks_dir else None
    if masks:  # made here, never through a link planted at its name
        from fcn_studio.files.fileio import make_folders

        masks.parent.mkdir(parents=True, exist_ok=True)
        make_folders(masks.parent, masks)
    # Encoding trails on its own thread; cv2 releases the GIL while it encodes.
    q: queue.Queue = queue.Queue(maxsize=8)
    failure: list[BaseException] = []

    def encode() -> None:
        while (frame := q.get()) is not None:
            try:
                writer.write(frame)
            except BaseException as exc:
                failure.append(exc)

    encoder = threading.Thread(target=encode, name="video-encode", daemon=True)
    encoder.start()
    stem = Path(source).stem
    done = 0
    try:
        for index, rgb in read_frames(source):
            if cancelled and cancelled():
                raise Cancelled("Video export cancelled at frame {index}; no file was written.", index=index)
            labels = predict(rgb)
            q.put(render_frame(rgb, labels, label_set, mode, opacity))
            if masks:
                save_mask(labels, label_set, masks / f"{stem}_{index:06d}.png")
            done += 1
            if failure:
                raise failure[0]
            if progress:
                progress(done, max(info.frame_count, done), f"frame {done}")
        q.put(None)
        encoder.join()
        if failure:
            raise failure[0]
        if done == 0:
            raise FCNStudioError("{source}: no frames could be decoded", source=str(source))
        path = writer.close()
    except BaseException:
        q.put(None)
        encoder.join()
        writer.abort()
        raise
    return VideoExport(path, done, writer.note, masks)
