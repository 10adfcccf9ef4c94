"""A content-hash cache of ``check`` results, so checking an unchanged portfolio costs file hashing only.

One JSON index per workspace, ``.oemkit-cache/check.json`` (the folder carries its own ``.gitignore``).
An entry maps a checked file to the sha256 of every file its result depends on and to its findings:

* the file and every file of its ``extends`` chain (the exact bytes that were parsed);
* files its values point at (``branding.logo``...): any path-like word in those files' text, resolved
  relative to the file that holds it, recorded with its hash or as absent, so adding, changing or
  deleting an asset invalidates the entry.

Cross-profile rules (HYG-ALWAYS-OVERRIDDEN) make a result depend on other profiles too: those that
share a partner-owned file with it (its *group*, found from every buildable profile's ``extends``
chain, which the index also remembers so it need not be parsed again). An entry also stores a hash
of its group (members and their chains' content); adding, removing or editing a sibling variant
invalidates it. Cross-profile rules must stay within that group.

An entry is used only when all those hashes still match. The whole index is dropped when oemkit's
code that made the results changes (the sha256 of every oemkit source file loaded by the checking
process: loader, model, rules...; so a new or changed rule invalidates everything) or the cache key
does: the oemkit version, the workspace's ``pyproject.toml`` and the ``OEMKIT_*`` environment.
Results whose files could not be resolved (missing file, YAML error) are never stored: they are cheap
to recompute and depend on files that do not exist yet. Nothing heavy is imported here: a warm check
never loads YAML, pydantic or the rules.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oemkit import buildcache
from oemkit.digest import file_sha256
from oemkit.errors import Finding

if TYPE_CHECKING:
    from oemkit.check import Outcome
    from oemkit.workspace import Workspace

__all__ = ["CACHE_DIR", "CheckCache", "cache_key", "cached_check"]

CACHE_DIR = buildcache.CACHE_DIR  # one cache folder per workspace for checks and builds
_FORMAT = 1
_ABSENT = "-"
# A string that may name a file: no spaces, no scheme, no e-mail; has a folder or a file extension.
_PATHLIKE = re.compile(r"^(?!.*://)[^\s@]*(?:/[^\s@]*|\.[A-Za-z0-9]{2,5})$")
_TOKEN = re.compile(r"[^\s'\"\[\]{},#]+")
_COMMENT = re.compile(r"(?:^|\s)#.*$", re.MULTILINE)


_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def _file_sha256(path: str) -> str:
    return file_sha256(path) or _ABSENT


def code_in_use() -> dict[str, str]:
    """sha256 of every oemkit source file loaded in this process (after a check: the model, the rules...).

    A cached result stays valid while these files are unchanged, so editing a rule invalidates the
    cache but editing, say, the bundle writer does not.
    """
    out = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            continue
        folder = os.path.dirname(os.path.abspath(path))
        if folder == _PACKAGE or folder.startswith(_PACKAGE + os.sep):
            out[os.path.relpath(os.path.abspath(path), _PACKAGE).replace(os.sep, "/")] = _file_sha256(path)
    return out


def cache_key(ws: Workspace) -> str:
    """What besides a profile's files and oemkit's code a check result depends on."""
    from oemkit import __version__

    digest = hashlib.sha256(f"{_FORMAT}\0{__version__}\0".encode())
    try:
        digest.update((ws.root / "pyproject.toml").read_bytes())
    except OSError:
        digest.update(b"-")
    for name in sorted(k for k in os.environ if k.startswith("OEMKIT_")):
        digest.update(f"\0{name}={os.environ[name]}".encode())
    return digest.hexdigest()


class CheckCache:
    """The check-result index of one workspace: :meth:`get` before checking a file, :meth:`put` after."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.path = ws.root / CACHE_DIR / "check.json"
        self.key = cache_key(ws)
        self.entries: dict[str, dict[str, Any]] = {}
        self.code: dict[str, str] = {}  # oemkit source file -> sha256, of the code that made the results
        self.chains: dict[str, dict[str, str]] = {}  # every buildable -> its extends chain with file hashes
        self.dirty = False
        self._digests: dict[str, str] = {}
        self._refs: dict[str, list[str]] = {}
        self._root = os.path.join(os.fspath(ws.root), "")
        try:
            doc = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return  # no cache yet, or an unreadable one: start empty
        if not isinstance(doc, dict) or doc.get("key") != self.key or not isinstance(doc.get("code"), dict):
            return
        code: dict[str, str] = doc["code"]
        if any(_file_sha256(os.path.join(_PACKAGE, f)) != want for f, want in code.items()):
            return  # a rule, the model or the loader changed: every result may differ
        if isinstance(doc.get("entries"), dict):
            self.code = code
            self.entries = doc["entries"]
            chains = doc.get("chains")
            self.chains = chains if isinstance(chains, dict) else {}

    def digest(self, rel: str) -> str:
        """sha256 of a workspace file's bytes (``-`` when absent), computed once per run."""
        hit = self._digests.get(rel)
        if hit is None:
            hit = self._digests[rel] = _file_sha256(self._root + rel)
        return hit

    def valid_entry(self, rel: str) -> dict[str, Any] | None:
        """The entry of a file when every file it depends on is unchanged, else ``None``."""
        entry = self.entries.get(rel)
        try:
            if entry is None or any(self.digest(dep) != want for dep, want in entry["deps"].items()):
                return None
            if not isinstance(entry["files"], list) or not isinstance(entry["findings"], list):
                return None
        except (KeyError, TypeError, AttributeError):
            return None  # a malformed entry is a miss, not an error
        return entry

    def refs(self, rel: str) -> list[str]:
        """Workspace files a profile file may point at: every path-like word of its text, relative to it.

        A superset of its path-like values (keys and comments may add a few absent names, which cost
        only a failed open), found once per file and run instead of walking every resolved tree.
        """
        hit = self._refs.get(rel)
        if hit is None:
            try:
                with open(self._root + rel, encoding="utf-8", errors="replace") as fh:
                    words = set(_TOKEN.findall(_COMMENT.sub("", fh.read())))
            except OSError:
                words = set()
            folder = os.path.dirname(rel)
            hit = []
            for word in sorted(words):
                if _PATHLIKE.match(word) and not os.path.isabs(word):
                    target = os.path.normpath(os.path.join(folder, word)).replace(os.sep, "/")
                    if not target.startswith(".."):
                        hit.append(target)
            self._refs[rel] = hit
        return hit

    def new_entry(self, outcome: Outcome) -> dict[str, Any] | None:
        """An entry for a fresh result (its group key is added later); ``None`` when it must not be kept."""
        if not outcome.resolved_ok:
            return None
        deps = {f: self.digest(f) for f in outcome.files}
        for f in outcome.files:
            for target in self.refs(f):
                deps.setdefault(target, self.digest(target))
        return {"files": list(outcome.files), "deps": deps, "findings": [f.to_json() for f in outcome.findings]}

    def chain(self, rel: str) -> list[str] | None:
        """A profile's remembered extends chain, if none of its files changed (no parsing needed)."""
        files = self.chains.get(rel)
        if not isinstance(files, dict) or any(self.digest(f) != want for f, want in files.items()):
            return None
        return list(files)

    def remember_chain(self, rel: str, files: list[str]) -> None:
        """Remember a profile's extends chain with the hashes of its files."""
        self.chains[rel] = {f: self.digest(f) for f in files}
        self.dirty = True

    def rel(self, path: Path) -> str:
        """Workspace-relative path as findings name it (string fast path for files found under the root)."""
        text = os.fspath(path)
        if text.startswith(self._root) and os.sep == "/" and "/." not in text:
            return text[len(self._root):]
        return self.ws.rel(path)

    def fingerprint(self, files: list[str]) -> str:
        """Hash of a profile's chain: which files it extends and their content."""
        return hashlib.sha256("".join(f"{f}\0{self.digest(f)}\n" for f in files).encode()).hexdigest()

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
                json.dump({"key": self.key, "code": {**self.code, **code_in_use()}, "entries": self.entries,
                           "chains": self.chains}, fh, separators=(",", ":"))
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only workspace still checks; it just cannot remember the results
        self.dirty = False


def _groups(chains: dict[str, list[str]]) -> dict[str, list[str]]:
    """Profile -> the profiles it shares a partner-owned file with (itself included), sorted."""
    users: dict[str, set[str]] = {}
    for rel, files in chains.items():
        for f in files:
            if f.startswith("profiles/partners/"):
                users.setdefault(f, set()).add(rel)
    return {rel: sorted(set().union(*(users.get(f, set()) for f in files), {rel})) for rel, files in chains.items()}


def cached_check(ws: Workspace, targets: list[Path], portfolio: list[Path],
                 run: Callable[[list[Path]], Iterator[Outcome]]) -> Iterator[list[Finding]]:
    """The findings of each target (in no fixed order), reusing cached results that are still valid.

    A result is reused when the target's own files are unchanged *and* so is its group: the profiles
    that share a partner-owned file with it (cross-profile rules such as HYG-ALWAYS-OVERRIDDEN look
    at those). ``portfolio`` is every buildable profile, so the group is known even for one target.
    ``run`` checks a list of files (in-process or in workers).
    """
    store = CheckCache(ws)
    wanted = {store.rel(p): p for p in targets}
    chains: dict[str, list[str]] = {}
    fresh: dict[str, dict[str, Any] | None] = {}
    unchanged: list[str] = []
    misses: list[Path] = []
    for rel, path in wanted.items():
        entry = store.valid_entry(rel)
        if entry is None:
            misses.append(path)
        else:
            chains[rel] = entry["files"]
            unchanged.append(rel)
    for outcome in run(misses):
        rel = store.rel(outcome.path)
        chains[rel] = list(outcome.files)
        fresh[rel] = store.new_entry(outcome)
        yield outcome.findings
    for path in portfolio:
        rel = store.rel(path)
        if rel not in chains:
            known = store.chain(rel)
            if known is None:
                from oemkit.loader import resolve

                known = list(resolve(ws, path).files)
                store.remember_chain(rel, known)
            chains[rel] = known
    groups = _groups(chains)
    prints: dict[str, str] = {}

    def group_key(rel: str) -> str:
        for u in groups[rel]:
            if u not in prints:
                prints[u] = store.fingerprint(chains[u])
        return hashlib.sha256("".join(f"{u}\0{prints[u]}\n" for u in groups[rel]).encode()).hexdigest()

    stale: list[Path] = []
    for rel in unchanged:
        entry = store.entries[rel]
        if entry.get("group") == group_key(rel):
            yield [Finding(**f) for f in entry["findings"]]
        else:
            stale.append(wanted[rel])
    for outcome in run(stale):
        fresh[store.rel(outcome.path)] = store.new_entry(outcome)
        yield outcome.findings
    for rel, new in fresh.items():
        if new is None:
            store.entries.pop(rel, None)
        else:
            store.entries[rel] = {**new, "group": group_key(rel)}
            store.remember_chain(rel, new["files"])
        store.dirty = True
    store.save()
