"""``fcn-studio`` as torchrun starts it, with test instruments (not a test module).

FCN_TEST_RECORD=FILE: each rank appends one line per checkpoint write and registration.
FCN_TEST_FAIL_RANK=R: rank R cannot read its first training image (an I/O error on one
machine, say), to check that the job ends with that rank's message instead of hanging.
"""

from __future__ import annotations

import os
import sys

from fcn_studio.cli.main import main
from fcn_studio.errors import FCNStudioError
from fcn_studio.storage import weights
from fcn_studio.training import head_variant, outputs, resume

RANK = int(os.environ["RANK"])


def _record(what: str, path) -> None:
    with open(os.environ["FCN_TEST_RECORD"], "a") as fh:
        fh.write(f"{RANK} {what} {os.path.basename(str(path))}\n")


if os.environ.get("FCN_TEST_RECORD"):
    save, register, save_state = outputs.save_checkpoint, weights.register_checkpoint, resume.save_state
    outputs.save_checkpoint = lambda ckpt, path: (_record("save", path), save(ckpt, path))[1]
    resume.save_state = lambda path, *a, **k: (_record("state", path), save_state(path, *a, **k))[1]
    weights.register_checkpoint = lambda path, key: (_record("register", key), register(path, key))[1]

if os.environ.get("FCN_TEST_FAIL_RANK") == str(RANK):

    def unreadable(mask_path, encoding):
        raise FCNStudioError(f"{mask_path.name}: input/output error on this machine")

    head_variant.read_mask = unreadable  # where the training (not the dataset check) reads masks

sys.exit(main(sys.argv[1:]))
