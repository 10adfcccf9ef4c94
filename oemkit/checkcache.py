"""A content-hash cache of ``check`` results, so checking an unchanged portfolio costs file hashing only.

One JSON index per workspace, ``.oemkit-cache/check.json`` (the folder carries its own ``.gitignore``).
An entry maps a checked file to the sha256 of every file its result depends on and to its findings:

* the file and every file of its ``extends`` chain (the exact bytes that were parsed);
* files its values point at (``branding.logo``...): any path-like string leaf, resolved relative to
  the file that set it, recorded with its hash or as absent, so adding, changing or deleting an asset
  invalidates the entry.

An entry is used only when all those hashes still match. The whole index is dropped when the cache
key changes: the oemkit version and the hash of its source files (so a new or changed rule
invalidates everything), the workspace's ``pyproject.toml`` and the ``OEMKIT_*`` environment.
Results whose files could not be resolved (missing file, YAML error) are never stored: they are cheap
to recompute and depend on files that do not exist yet. Nothing heavy is imported here: a warm check
never loads YAML, pydantic or the rules.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oemkit.errors import Finding

if TYPE_CHECKING:
    from oemkit.loader import Resolved
    from oemkit.tree import TNode
    from oemkit.workspace import Workspace

__all__ = ["CACHE_DIR", "CheckCache", "cache_key"]

CACHE_DIR = ".oemkit-cache"
_FORMAT = 1
_ABSENT = "-"
# A string that may name a file: no spaces, no scheme, no e-mail; has a folder or a file extension.
_PATHLIKE = re.compile(r"^(?!.*://)[^\s@]*(?:/[^\s@]*|\.[A-Za-z0-9]{2,5})$")


@functools.cache
def _source_sha256() -> str:
    """Hash of oemkit's own source: a changed rule or model must invalidate every cached result."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(ws: Workspace) -> str:
    """Everything besides a profile's own files that a check result depends on."""
    from oemkit import __version__

    digest = hashlib.sha256(f"{_FORMAT}\0{__version__}\0{_source_sha256()}\0".encode())
    try:
        digest.update((ws.root / "pyproject.toml").read_bytes())
    except OSError:
        digest.update(b"-")
    for name in sorted(k for k in os.environ if k.startswith("OEMKIT_")):
        digest.update(f"\0{name}={os.environ[name]}".encode())
    return digest.hexdigest()


def _walk_strings(node: TNode) -> list[tuple[str, str]]:
    """(value, file that set it) of every string leaf of a resolved tree."""
    from oemkit.tree import Leaf, MapNode

    out: list[tuple[str, str]] = []
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, Leaf):
            values = cur.value if isinstance(cur.value, list) else [cur.value]
            out.extend((v, cur.origin.file) for v in values if isinstance(v, str))
        else:
            stack.extend(cur.items.values() if isinstance(cur, MapNode) else cur.items)
    return out


class CheckCache:
    """The check-result index of one workspace: :meth:`get` before checking a file, :meth:`put` after."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.path = ws.root / CACHE_DIR / "check.json"
        self.key = cache_key(ws)
        self.entries: dict[str, dict[str, Any]] = {}
        self.dirty = False
        self._digests: dict[str, str] = {}
        try:
            doc = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return  # no cache yet, or an unreadable one: start empty
        if isinstance(doc, dict) and doc.get("key") == self.key and isinstance(doc.get("entries"), dict):
            self.entries = doc["entries"]

    def digest(self, rel: str) -> str:
        """sha256 of a workspace file's bytes (``-`` when absent), computed once per run."""
        hit = self._digests.get(rel)
        if hit is None:
            try:
                with open(self.ws.root / rel, "rb") as fh:
                    hit = hashlib.sha256(fh.read()).hexdigest()
            except OSError:
                hit = _ABSENT
            self._digests[rel] = hit
        return hit

    def get(self, rel: str) -> list[Finding] | None:
        """The cached findings of a file, or ``None`` when there is no entry or any dependency changed."""
        entry = self.entries.get(rel)
        if entry is None:
            return None
        try:
            if any(self.digest(dep) != want for dep, want in entry["deps"].items()):
                return None
            return [Finding(**f) for f in entry["findings"]]
        except (KeyError, TypeError, AttributeError):
            return None  # a malformed entry is a miss, not an error

    def put(self, rel: str, resolved: Resolved, findings: list[Finding]) -> None:
        """Store a result; only for files that resolved (every input exists and parsed)."""
        if not resolved.ok or resolved.tree is None:
            return
        deps = {f: self.digest(f) for f in resolved.files}
        for value, origin in _walk_strings(resolved.tree):
            if _PATHLIKE.match(value) and not os.path.isabs(value):
                target = os.path.normpath(os.path.join(os.path.dirname(origin), value))
                if not target.startswith(".."):
                    deps[target.replace(os.sep, "/")] = self.digest(target)
        self.entries[rel] = {"deps": deps, "findings": [f.to_json() for f in findings]}
        self.dirty = True

    def save(self) -> None:
        """Write the index atomically (a concurrent writer can only cost cache misses, never wrong results)."""
        if not self.dirty:
            return
        folder = self.path.parent
        try:
            folder.mkdir(exist_ok=True)
            ignore = folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# oemkit's cache: safe to delete\n*\n", encoding="utf-8")
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".check-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"key": self.key, "entries": self.entries}, fh, separators=(",", ":"))
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only workspace still checks; it just cannot remember the results
        self.dirty = False
