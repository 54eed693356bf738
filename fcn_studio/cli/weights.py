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
    imp.add_argument("--preprocessing", choices=("caffe-bgr", "imagenet-rgb"),
                     help="input convention of the weights (default caffe-bgr for converted Caffe files)")  # fmt: skip
    imp.add_argument("--force", action="store_true", help="replace an installed model with this id")
    rm = wsub.add_parser("remove", help="delete installed weights")
    rm.add_argument("id")
    w.set_defaults(func=cmd_weights)


def cmd_weights(args: argparse.Namespace) -> int:
    from fcn_studio.storage import weights

    if args.action == "list":
        rows = weights.list_weights()
        say(f"weights directory: {weights.weights_dir()}")
        say(f"{'id':<18} {'arch':<8} {'labels':<12} {'status':<20} {'size':>8}  title")
        for r in rows:
            size = f"{r.size_bytes / 1e6:.0f} MB" if r.size_bytes else "-"
            say(f"{r.id:<18} {r.arch:<8} {r.labels:<12} {r.status:<20} {size:>8}  {r.title}")
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
