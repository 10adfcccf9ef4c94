"""Check results by sha256 of their inputs, in process and in ``cache_dir``, so identical artifacts are checked once.

Thousands of profiles share few distinct firmware headers; compiling each distinct one once is
what keeps a portfolio build fast. Entries are small JSON files written atomically, so parallel
workers may share a cache folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from oemkit import atomic

__all__ = ["Outcome", "cached", "clear_memory", "digest", "lookup", "store"]

#: (ok, message, skipped)
Outcome = tuple[bool, str, bool]

_MEMORY: OrderedDict[str, Outcome] = OrderedDict()
_MEMORY_SIZE = 4096
_VERSION = "oemkit-checks-1"


def digest(*parts: bytes | str) -> str:
    """sha256 over length-prefixed parts (no two part lists collide)."""
    h = hashlib.sha256(_VERSION.encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def clear_memory() -> None:
    """Forget in-process results (tests)."""
    _MEMORY.clear()


def _disk_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / "checks" / key[:2] / f"{key}.json"


def _read(cache_dir: Path, key: str) -> Outcome | None:
    try:
        data = json.loads(_disk_path(cache_dir, key).read_text(encoding="utf-8"))
        return bool(data["ok"]), str(data["message"]), bool(data["skipped"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(cache_dir: Path, key: str, outcome: Outcome) -> None:
    data = json.dumps({"ok": outcome[0], "message": outcome[1], "skipped": outcome[2]}).encode("utf-8")
    # A result is only an optimisation: atomic against a killed writer, not fsynced, and a cache that
    # cannot be written only costs time.
    with contextlib.suppress(OSError):
        atomic.write_bytes(_disk_path(cache_dir, key), data, durable=False)


def lookup(key: str, cache_dir: Path | None) -> Outcome | None:
    """The stored outcome for ``key`` (memory first, then ``cache_dir``), or None."""
    hit = _MEMORY.get(key)
    if hit is None and cache_dir is not None:
        hit = _read(cache_dir, key)
    if hit is not None:
        _MEMORY[key] = hit
        _MEMORY.move_to_end(key)
        _trim()
    return hit


def store(key: str, cache_dir: Path | None, outcome: Outcome) -> None:
    """Remember ``outcome`` for ``key`` in memory and, when given, in ``cache_dir``."""
    _MEMORY[key] = outcome
    _MEMORY.move_to_end(key)
    _trim()
    if cache_dir is not None:
        _write(cache_dir, key, outcome)


def _trim() -> None:
    while len(_MEMORY) > _MEMORY_SIZE:
        _MEMORY.popitem(last=False)


def cached(key: str, cache_dir: Path | None, compute: Callable[[], Outcome]) -> tuple[Outcome, bool]:
    """The outcome for ``key``: from memory, from ``cache_dir``, or computed (and stored). Second: was it cached."""
    hit = lookup(key, cache_dir)
    if hit is not None:
        return hit, True
    outcome = compute()
    store(key, cache_dir, outcome)
    return outcome, False
