"""Logging and crash reports: what happened, where the user can find it.

The core logs with Python's ``logging``, one logger per package (``fcn_studio.inference``,
``fcn_studio.storage`` ... as ``logging.getLogger(__package__)``), and configures nothing
itself: a library leaves that to its host. The app writes INFO and above to a log file
(:func:`log_file`, Help > Show Log); ``fcn-studio --verbose`` prints DEBUG and above on
stderr. An uncaught exception becomes a crash report (:func:`write_crash_report`): the
traceback, the versions and the machine, in the log folder beside the log file.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import platform
import stat
import sys
import time
import traceback
from pathlib import Path

from fcn_studio import environment
from fcn_studio.messages import Message

ROOT = "fcn_studio"
LOG_NAME = "fcn-studio.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_OURS = "_fcn_studio_handler"  # marks the handlers configure() added, so it can replace them


def log_dir() -> Path:
    """The folder of the log file and crash reports: $FCN_STUDIO_LOG_DIR, else the user log
    folder (``~/.local/state/fcn-studio/log`` on Linux)."""
    folder = environment.read(environment.LOG_DIR)
    if folder is None:
        import platformdirs

        folder = Path(platformdirs.user_log_dir("fcn-studio", appauthor=False))
    return Path(folder)


def log_file() -> Path:
    return log_dir() / LOG_NAME


def configure(*, verbose: bool = False, to_file: bool = False) -> Path | None:
    """Set up the ``fcn_studio`` loggers: DEBUG on stderr with ``verbose``, INFO and above
    in the log file with ``to_file`` (rotated at 1 MB, three kept). Returns the log file,
    or None where it cannot be written (the app runs on without it). Calling it again
    replaces what it set up."""
    logger = logging.getLogger(ROOT)
    for handler in [h for h in logger.handlers if getattr(h, _OURS, False)]:
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    if verbose:
        _add(logger, logging.StreamHandler(sys.stderr), logging.DEBUG)
    if not to_file:
        return None
    path = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _LogFileHandler(path, maxBytes=2**20, backupCount=3, encoding="utf-8")
    except PlantedLink as exc:
        logger.warning("%s", exc.message)  # stderr (logging's last resort) where nothing else is set up
        return None
    except OSError:
        return None
    _add(logger, handler, logging.INFO)
    return path


class PlantedLink(OSError):
    """The log file's name is a link FCN Studio did not make: nothing is written through it."""

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


class _LogFileHandler(logging.handlers.RotatingFileHandler):
    """The log file, opened (at first and after each rotation) without following a link:
    FCN Studio makes this file itself, so a symbolic link at its name, or a second name of
    another file, was planted by someone else (to have the log appended to that file)."""

    def _open(self):
        return _open_own_file(Path(self.baseFilename), self.encoding, self.errors)


def _open_own_file(path: Path, encoding: str | None, errors: str | None):
    # O_NONBLOCK: a FIFO at the name must not block the open (it is refused below; on a
    # regular file the flag changes nothing)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    if path.is_symlink():  # where O_NOFOLLOW is missing (Windows), the check before the open
        raise PlantedLink(_link_message(path))
    try:
        fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), 0o666)
    except OSError:
        if path.is_symlink():  # ELOOP: a link put there since the check
            raise PlantedLink(_link_message(path)) from None
        raise
    if not _own_file(os.fstat(fd)):
        os.close(fd)
        raise PlantedLink(_not_own_message(path))
    return os.fdopen(fd, "a", encoding=encoding, errors=errors)


def foreign_file(path: Path) -> Message | None:
    """Why the file at ``path`` is not one FCN Studio made (a link, another name of a file,
    not a plain file), or None (it is, or there is none): what is planted at the log's
    name is never opened, to write or to show."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return _link_message(path)
    return None if _own_file(st) else _not_own_message(path)


def _own_file(st: os.stat_result) -> bool:
    """A plain file with one name: not a device or FIFO, not another name of someone's file."""
    return stat.S_ISREG(st.st_mode) and st.st_nlink == 1


def _not_own_message(path: Path) -> Message:
    return Message(
        "{path} is not a log file FCN Studio made (it is another name of a file, or not a plain file); the "
        "log is not written to it: remove it, and the log starts anew",
        path=str(path),
    )


def _link_message(path: Path) -> Message:
    return Message(
        "{path} is a symbolic link, not a log file FCN Studio made (someone may have planted it to have the log "
        "written into another file); the log is not written through it: remove the link, and the log starts anew",
        path=str(path),
    )


def _add(logger: logging.Logger, handler: logging.Handler, level: int) -> None:
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(_FORMAT))
    setattr(handler, _OURS, True)
    logger.addHandler(handler)


def versions() -> dict[str, str]:
    """The versions a bug report needs: Python, FCN Studio and the libraries loaded."""
    # the package's own module, already imported (importing it here would reach the API above)
    version = getattr(sys.modules.get("fcn_studio"), "__version__", "?")
    found = {"python": sys.version.split()[0], "fcn-studio": version}
    for name in ("torch", "torchvision", "numpy", "PySide6", "onnxruntime", "cv2", "PIL"):
        module = sys.modules.get(name)
        if module is not None:
            found[name] = str(getattr(module, "__version__", "?"))
    return found


def machine() -> dict[str, str]:
    info = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or "?",
        "cpus": str(os.cpu_count()),
    }
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
        except Exception as exc:  # a broken driver must not stop the report
            info["cuda"] = f"unknown ({exc})"
    return info


def crash_report_text(exc_type, exc, tb) -> str:
    lines = [f"FCN Studio crash report, {time.strftime('%Y-%m-%d %H:%M:%S %z')}", ""]
    lines += ["".join(traceback.format_exception(exc_type, exc, tb)).rstrip(), ""]
    lines += ["versions:", *(f"  {k}: {v}" for k, v in versions().items()), ""]
    lines += ["machine:", *(f"  {k}: {v}" for k, v in machine().items()), ""]
    lines += [f"command line: {' '.join(sys.argv)}"]
    return "\n".join(lines) + "\n"


def write_crash_report(exc_type, exc, tb) -> Path | None:
    """Write the report to the log folder as ``crash-YYYYmmdd-HHMMSS.txt`` and log it;
    returns its path (None where the folder cannot be written)."""
    text = crash_report_text(exc_type, exc, tb)
    logging.getLogger(ROOT).error("uncaught %s: %s", exc_type.__name__, exc, exc_info=(exc_type, exc, tb))
    folder = log_dir()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(100):
        path = folder / (f"crash-{stamp}.txt" if n == 0 else f"crash-{stamp}-{n}.txt")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(path, "x", encoding="utf-8") as out:
                out.write(text)
            return path
        except FileExistsError:
            continue
        except OSError:
            return None
    return None
