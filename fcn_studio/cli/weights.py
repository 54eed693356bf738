"""``fcn-studio weights``: list, download, import and remove weights."""

from __future__ import annotations

import argparse

from fcn_studio.cli.common import say, warn


def add_parser(sub) -> None:
    w = sub.add_parser("weights", help="list, download, import or remove weights")
    wsub = w.add_subparsers(dest="action", metavar="ACTION", required=True)
    wsub.add_parser("list", help="known and installed weights")
    d = wsub.add_parser("download", help="download listed weights (resumable, verified)")
    d.add_argument("id")
    imp = wsub.add_parser("import", help="install a weights file (.pth, .safetensors)")
    imp.add_argument("file")
    imp.add_argument("--id", help="id to install it under (default: the file name)")
    imp.add_argument("--arch", choices=("fcn32s", "fcn16s", "fcn8s", "fcn8s_atonce"), help="override detection")
    imp.add_argument("--labels", help="'voc' or a text file with one class name per line")
    imp.add_argument(
        "--preprocessing",
        choices=("caffe-bgr", "imagenet-rgb"),
        help="input convention of the weights (default caffe-bgr for converted Caffe files)",
    )
    imp.add_argument("--force", action="store_true", help="replace an installed model with this id")
    rm = wsub.add_parser("remove", help="delete installed weights (and their conversion caches)")
    rm.add_argument("id")
    ex = wsub.add_parser("export", help="write a model (a version too) as one standalone weights file")
    ex.add_argument("id")
    ex.add_argument("file", help="the .safetensors file to write")
    ex.add_argument("--force", action="store_true", help="replace FILE if it exists")
    cl = wsub.add_parser("clean", help="remove stale conversion caches (and with --versions, old versions)")
    cl.add_argument(
        "--versions",
        action="store_true",
        help="also remove old versions: all but a model's base, the one in use, the newest and one that "
        "versions stored as heads sit on",
    )
    cl.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    w.set_defaults(func=cmd_weights)


def cmd_weights(args: argparse.Namespace) -> int:
    from fcn_studio.storage import weights

    if args.action == "list":
        _list(weights.list_weights(), weights.weights_dir())
        return 0
    if args.action == "export":
        from fcn_studio.labelling.versions import export_standalone

        weights.refuse_installed_file(args.file, "weights export")  # --force never replaces a model (K10)
        path = export_standalone(args.id, args.file, overwrite=args.force)
        say(
            f"wrote {args.id} to {path} ({format_size(path.stat().st_size)}); "
            f"install it elsewhere with `fcn-studio weights import {path.name}`"
        )
        return 0
    if args.action == "clean":
        from fcn_studio.application.cleanup import clean

        removed = clean(versions=args.versions, dry_run=args.dry_run)
        for r in removed:
            freed = f"frees {format_size(r.size_bytes)}" if r.size_bytes else "frees nothing"
            say(f"{'would remove' if args.dry_run else 'removed'} {r.path} ({r.why}, {freed})")
        total = format_size(sum(r.size_bytes for r in removed))
        say(f"{'would free' if args.dry_run else 'freed'} {total}" if removed else "nothing to clean")
        return 0
    if args.action == "download":
        from fcn_studio.cli.progress import ProgressBar

        bar = ProgressBar(None, args.id, unit="B")
        try:
            path = weights.download_weights(args.id, progress=lambda done, total: bar.update(done, total=total))
        except KeyboardInterrupt:
            bar.close()
            warn("interrupted; the partial download is kept and resumes when you run the command again")
            return 130
        bar.close()
        say(f"installed {args.id} at {path}")
        return 0
    if args.action == "import":
        from fcn_studio.data.labels import load_label_file, voc_labels
        from fcn_studio.models.preprocessing import PRESETS

        labels = None
        if args.labels:
            labels = voc_labels() if args.labels == "voc" else load_label_file(args.labels)
        pre = PRESETS[args.preprocessing] if args.preprocessing else None
        new_id = weights.import_weights(
            args.file, args.id, arch=args.arch, labels=labels, preprocessing=pre, overwrite=args.force
        )
        say(f"installed {args.file} as {new_id}; use it with --model {new_id}")
        return 0
    if args.action == "remove":
        for p in weights.remove_weights(args.id):
            say(f"removed {p}")
        return 0
    raise AssertionError(args.action)


def format_size(n: int | None) -> str:
    if not n:
        return "-"
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{max(1, round(n / 1e3))} kB"


def _list(rows, folder) -> None:
    """One row a model, columns as wide as their longest entry; size on disk with the
    conversion caches of the faster CPU path."""
    say(f"weights directory: {folder}")
    table = [("id", "arch", "labels", "status", "size", "cache", "title")]
    for r in rows:
        status = r.status + (f", head over {r.base}" if r.base else "")
        table.append((r.id, r.arch, r.labels, status, format_size(r.size_bytes), format_size(r.cache_bytes), r.title))
    widths = [max(len(row[i]) for row in table) for i in range(6)]
    for row in table:
        left = "  ".join(f"{cell:<{w}}" for cell, w in zip(row[:4], widths[:4], strict=True))
        sizes = "  ".join(f"{cell:>{w}}" for cell, w in zip(row[4:6], widths[4:6], strict=True))
        say(f"{left}  {sizes}  {row[6]}")
    installed = [r for r in rows if r.installed]
    say(
        f"on disk: {format_size(sum(r.disk_bytes for r in installed))} "
        f"({format_size(sum(r.cache_bytes for r in installed))} of it conversion caches; "
        "`fcn-studio weights clean` removes stale ones)"
    )
