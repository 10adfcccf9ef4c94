"""Artifact bytes without their provenance comments: what a stream hash should cover.

The C header and the Kconfig fragment name the ``file:line`` that set each value. Lines move when
anyone edits a YAML file, also for a software-only change (a new portal feature above the boot
text), so hashing the raw bytes would give the firmware stream a new identity, and chargers a
reflash, for nothing. :func:`without_provenance` removes exactly the comments the templates write
(a trailing ``/* origin */`` in C, a ``# origin`` line in Kconfig; never ``# CONFIG_X is not set``,
and never text inside a string: provenance is comment-safe text without ``*`` or ``"``), so two
renders that differ only in where values were written compare equal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["stream_identity", "without_provenance"]

# A provenance comment closes its line and holds no '*' or '"' (see oemkit.escape.comment_text).
_C_TRAILING = re.compile(rb"(?m)(^|[ \t])/\* [^*\"\n]* \*/$")
_KCONFIG_ORIGIN = re.compile(rb"(?m)^# (?!CONFIG_[A-Za-z0-9_]+ is not set$)[^\n]*\n")


def without_provenance(path: str, data: bytes) -> bytes:
    """``data`` of the artifact at ``path`` with its provenance comments removed (other files unchanged)."""
    if path.endswith(".h"):
        return _C_TRAILING.sub(rb"\1", data)
    if path.endswith(".conf"):
        return _KCONFIG_ORIGIN.sub(b"", data)
    return data


def stream_identity(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """Every artifact with its provenance comments removed, for hashing a stream."""
    return {path: without_provenance(path, data) for path, data in files.items()}
