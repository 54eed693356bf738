"""Deterministic 1/N slices of a job's inputs, for job arrays (Slurm, Kubernetes Indexed Jobs).

Every machine must pick the same slice from the same inputs, whatever order its file
system lists them in and wherever the data is mounted: inputs are sorted by a key that is
relative to what the user named (a path inside the input folder), then dealt out round
robin, so each shard gets an even mix of the listing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from fcn_studio.errors import FCNStudioError

T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    index: int  # 0-based
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"I/N"`` with 0 <= I < N, e.g. ``--shard $SLURM_ARRAY_TASK_ID/8``."""
        index, sep, count = text.partition("/")
        try:
            shard = cls(int(index), int(count))
        except ValueError:
            shard = None
        if not sep or shard is None or shard.count < 1 or not 0 <= shard.index < shard.count:
            raise FCNStudioError("{text!r} is not a shard: give I/N with 0 <= I < N, e.g. 0/4", fix="shard", text=text)
        return shard

    def take(self, items: Sequence[T], key: Callable[[T], str]) -> list[T]:
        """This shard's items, in key order; the N shards together hold each item once."""
        ordered = sorted(items, key=key)
        return ordered[self.index :: self.count]

    @property
    def label(self) -> str:
        return f"{self.index}-of-{self.count}"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
