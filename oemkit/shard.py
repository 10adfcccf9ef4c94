"""Stable partition of the buildable profiles into N shards (``oemkit build --shard I/N``, ``oemkit matrix``).

A profile's shard depends only on its workspace-relative path and N, never on which other profiles
exist, so adding a partner never moves the others between CI jobs, and every profile is in exactly
one shard.
"""

from __future__ import annotations

import hashlib

__all__ = ["shard_of"]


def shard_of(relpath: str, n: int) -> int:
    """The shard (0-based, ``0 <= shard < n``) of a workspace-relative POSIX path."""
    if n < 1:
        raise ValueError(f"shard count must be at least 1, got {n}")
    digest = hashlib.sha256(relpath.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n
