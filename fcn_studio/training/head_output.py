"""What a head-only run (``train --freeze-backbone``) writes: what it trained.

With the backbone frozen only the score layers change, so ``OUT`` is a head file of
kilobytes over the base (storage/heads.py: the base named by its installed id and content
hash), not another copy of the network, whenever the run starts from an installed FCN of
the same architecture, or from a version stored as a head over one (the new head goes on
that version's base). ``standalone`` (``--standalone``) writes the whole network instead, to
share; so does a run from anything else (random weights, VGG16 weights, a file outside the
weights folder, another architecture), which has no installed base to sit on.
"""

from __future__ import annotations

from pathlib import Path

from fcn_studio.errors import FCNStudioError
from fcn_studio.storage.checkpoint import Checkpoint
from fcn_studio.storage.heads import BaseRef, Head, head_tensors, write_head
from fcn_studio.training.config import TrainConfig


def head_base_of_run(config: TrainConfig) -> BaseRef | None:
    """The installed model a head-only run's result sits on (None: write the whole network)."""
    from fcn_studio.files.identity import content_hash
    from fcn_studio.storage import weights

    if not config.freeze_backbone or config.standalone or config.base == "scratch":
        return None
    try:
        path = weights.locate_weights(config.base, backbones=True)[0].resolve()
    except FCNStudioError:
        return None
    path = _base_file_of_head(path) or path  # a head (a version, an earlier OUT): the new head goes on its base
    row = {r.path.resolve(): r for r in weights.installed_models()}.get(path)
    if row is None or row.base is not None or row.arch != config.arch:
        return None
    source = row.path.resolve()
    return BaseRef(row.id, content_hash(source), str(source))


def _base_file_of_head(path: Path) -> Path | None:
    """The file of the base a head file sits on (None: not a head file, or its base is gone)."""
    from fcn_studio.files.fileio import read_safetensors_metadata
    from fcn_studio.storage import weights
    from fcn_studio.storage.heads import base_path, is_head_metadata, parse_head

    try:
        meta = read_safetensors_metadata(path)
        if not is_head_metadata(meta):
            return None
        head = parse_head({}, meta, path)
        return base_path(head.base, path, lambda base_id: weights.locate_weights(base_id)[0]).resolve()
    except (FCNStudioError, OSError, ValueError):
        return None


def write_trained_head(checkpoint: Checkpoint, base: BaseRef, path: Path) -> Path:
    """``checkpoint``'s score layers (a run whose backbone is ``base``'s) as a head file."""
    head = Head(
        checkpoint.arch,
        checkpoint.labels,
        checkpoint.preprocessing,
        head_tensors(checkpoint.state_dict),
        base,
        provenance=dict(checkpoint.provenance),
        metrics=checkpoint.metrics,
        training={**checkpoint.training, "head_only": True},
    )
    return write_head(head, path, "--out")
