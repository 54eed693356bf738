"""``fcn-studio``: the app with no arguments (or paths), the headless tools with a subcommand.

Each command lives in its own module (``segment``, ``evaluate``, ``weights``, ``train``,
``compare``) with its options (``add_parser``) beside the code that runs it."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Sequence

from fcn_studio.cli import compare, evaluate, hints, segment, train, weights
from fcn_studio.cli.common import printable_streams, warn
from fcn_studio.errors import Cancelled, FCNStudioError, describe_unexpected

COMMANDS = ("segment", "eval", "weights", "train", "compare", "gui")


def build_parser() -> argparse.ArgumentParser:
    from fcn_studio import __version__

    parser = argparse.ArgumentParser(
        prog="fcn-studio",
        description="Semantic segmentation with FCN-32s/16s/8s. Without a command, opens the app "
        "(with any image paths given).",
    )
    parser.add_argument("--version", action="version", version=f"fcn-studio {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="print what happens (the fcn_studio loggers, DEBUG) on stderr"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in (segment, evaluate, weights, train, compare):
        command.add_parser(sub)
    gui = sub.add_parser("gui", help="open the app (the default)")
    gui.add_argument("paths", nargs="*")
    gui.set_defaults(func=cmd_gui)
    return parser


GUI_EXTRA = "pip install 'fcn-studio[gui]'"


def cmd_gui(args: argparse.Namespace) -> int:
    """The app; without PySide6 (a headless install, no ``gui`` extra) the command that adds it."""
    import importlib.util

    try:  # looked up, not imported: only the gui package imports Qt
        missing = importlib.util.find_spec("PySide6") is None
    except ImportError:
        missing = True
    if missing:
        warn(
            "the app needs PySide6, which this installation leaves out (the Python API and the commands "
            f"segment, eval, compare, train and weights work without it); add it with: {GUI_EXTRA} "
            "(in a source checkout: pip install -c constraints.txt -e '.[gui]')"
        )
        return 1
    from fcn_studio.gui.app import run_app

    return run_app(list(args.paths))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    printable_streams()
    if not argv or (argv[0] not in COMMANDS and not argv[0].startswith("-")):
        argv = ["gui", *argv]  # `fcn-studio photo.jpg` opens the app on that photo
    args = build_parser().parse_args(argv)
    if args.command is None:
        args = build_parser().parse_args(["--verbose", "gui"] if args.verbose else ["gui"])
    if args.verbose:
        from fcn_studio import logs

        logs.configure(verbose=True)
    try:
        with _options_as_environment(args), _terminated_as_interrupt():
            return int(args.func(args) or 0)
    except Terminated:
        warn("terminated (SIGTERM); what was complete is kept, temporaries and locks were removed")
        return 143
    except Cancelled as exc:
        warn(str(exc))
        return 130
    except KeyboardInterrupt:
        warn("interrupted")
        return 130
    except FCNStudioError as exc:
        warn(f"error: {exc}{hints.hint(exc)}")
        return 1
    except OSError as exc:  # disk full, permissions, a file vanishing mid-run
        where = f"{exc.filename}: " if exc.filename else ""
        warn(f"error: {where}{exc.strerror or exc}")
        return 1
    except MemoryError:
        warn("error: out of memory; lower --max-size or close other programs")
        return 1
    except Exception as exc:
        if type(exc).__name__ != "OutOfMemoryError":  # torch.cuda.OutOfMemoryError
            raise
        warn(f"error: {describe_unexpected(exc)} (--max-size, --device cpu)")
        return 1


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler's stop, ``kill``): unwinds like Ctrl+C, so every lock and
    temporary is removed on the way out and the run says so in one line."""


@contextlib.contextmanager
def _terminated_as_interrupt():
    def stop(_signum, _frame):
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: the default behaviour stays
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _options_as_environment(args: argparse.Namespace):
    """``--allow-outside`` is read where datasets are read, as FCN_STUDIO_ALLOW_OUTSIDE; set
    for this command only."""
    if not getattr(args, "allow_outside", False):
        yield
        return
    from fcn_studio import environment

    with environment.set_for_now(environment.ALLOW_OUTSIDE, "1"):
        yield
