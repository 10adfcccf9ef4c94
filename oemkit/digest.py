"""Content hashes shared by the loader and the caches (stdlib only, so no-op rebuilds stay cheap)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

__all__ = ["file_sha256", "inputs_digest"]


def file_sha256(path: str) -> str | None:
    """sha256 hex of a file's bytes, or None when it cannot be read."""
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


def inputs_digest(digests: Mapping[str, str]) -> str:
    """The inputs hash of a profile from its files' sha256 (workspace-relative name -> hex digest).

    The one definition of ``Resolved.inputs_sha256``; the build cache recomputes it with this.
    """
    digest = hashlib.sha256()
    for name in sorted(digests):
        digest.update(f"{name}\0{digests[name]}\n".encode())
    return digest.hexdigest()
