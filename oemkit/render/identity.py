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

# A provenance comment closes its line and holds no '*' or '"' (see oemkit.escape.comment_text): a
# ``/* ... */`` at the end of a line, at its start or after a space or tab (which stays).
_C_TRAILING = re.compile(rb"(?m)(^|[ \t])/\* [^*\"\n]* \*/$")
# The same comment without the condition on the character before it: a pattern that starts with a
# literal, which the regex engine finds by a fast scan (the one above tries every position).
_C_COMMENT = re.compile(rb"(?m)/\* [^*\"\n]* \*/$")
_BEFORE_C_COMMENT = frozenset(b" \t\n")
_KCONFIG_ORIGIN = re.compile(rb"(?m)^# (?!CONFIG_[A-Za-z0-9_]+ is not set$)[^\n]*\n")
# The same lines found by the newline before them (a literal start: a fast scan); removing "\n# ..."
# instead of "# ...\n" leaves the same text. Only the first line has no newline before it.
_KCONFIG_ORIGIN_AFTER_NL = re.compile(rb"\n# (?!CONFIG_[A-Za-z0-9_]+ is not set(?:\n|\Z))[^\n]*(?=\n)")


def _strip_c_comments(data: bytes) -> bytes:
    """``_C_TRAILING.sub(rb"\\1", data)``, faster.

    A line holds at most one match of either pattern (the comment runs to the line's end and its
    text has no ``*``, so its opening is the last ``/*`` of the line), and both find it at the same
    place; the original keeps it only when it starts the line or follows a space or tab.
    """
    parts: list[bytes] = []
    pos = 0
    for match in _C_COMMENT.finditer(data):
        start = match.start()
        if start and data[start - 1] not in _BEFORE_C_COMMENT:
            continue
        parts.append(data[pos:start])
        pos = match.end()
    if not parts:
        return data
    parts.append(data[pos:])
    return b"".join(parts)


def _strip_kconfig_comments(data: bytes) -> bytes:
    """``_KCONFIG_ORIGIN.sub(b"", data)``, faster."""
    start = 0
    while data.startswith(b"# ", start):  # comment lines at the very start
        match = _KCONFIG_ORIGIN.match(data, start)
        if match is None:
            break
        start = match.end()
    return _KCONFIG_ORIGIN_AFTER_NL.sub(b"", data[start:] if start else data)


def without_provenance(path: str, data: bytes) -> bytes:
    """``data`` of the artifact at ``path`` with its provenance comments removed (other files unchanged)."""
    if path.endswith(".h"):
        return _strip_c_comments(data)
    if path.endswith(".conf"):
        return _strip_kconfig_comments(data)
    return data


def stream_identity(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """Every artifact with its provenance comments removed, for hashing a stream."""
    return {path: without_provenance(path, data) for path, data in files.items()}
