"""Stable partition of the buildable profiles into N shards (``oemkit build --shard I/N``, ``oemkit matrix``).

A profile's shard depends only on its workspace-relative path and N, never on which other profiles
exist, so adding a partner never moves the others between CI jobs, and every profile is in exactly
one shard. On the command line shards are 1-based (``--shard 1/4`` .. ``--shard 4/4``); in code
:func:`shard_of` is 0-based.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from oemkit.errors import UsageError

__all__ = ["parse_shard", "select", "shard_of"]

_SHARD_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def shard_of(relpath: str, n: int) -> int:
    """The shard (0-based, ``0 <= shard < n``) of a workspace-relative POSIX path."""
    if n < 1:
        raise ValueError(f"shard count must be at least 1, got {n}")
    digest = hashlib.sha256(relpath.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> ``(2, 4)`` (1-based index, total); anything else is a usage error."""
    match = _SHARD_RE.match(text)
    if match:
        index, total = int(match.group(1)), int(match.group(2))
        if 1 <= index <= total:
            return index, total
    raise UsageError(f"--shard {text}: expected I/N with 1 <= I <= N, e.g. --shard 1/4 for the first of four "
                     "shards (oemkit matrix prints them).")


def select(relpaths: Iterable[str], index: int, total: int) -> list[str]:
    """The paths in 1-based shard ``index`` of ``total`` (order kept)."""
    return [p for p in relpaths if shard_of(p, total) == index - 1]
