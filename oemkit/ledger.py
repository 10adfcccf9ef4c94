"""The release ledger: ``releases/<bundle-id>/<version>.json`` in the workspace, append-only, reviewed in git.

One file per released version, created once and never rewritten (``atomic.create_exclusive``), so
two branches releasing the same version with different content collide as a git conflict instead
of silently diverging. An entry records what the version is (manifest hash, stream versions and
hashes, resolved-profile hash and data, toolkit, source date) so that the next build can compute
its version and release notes from it, and a rebuild of it can be proven byte-identical.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from oemkit.atomic import clean_stale, create_exclusive, locked
from oemkit.bundle import canonical_json
from oemkit.errors import UsageError, UserError

__all__ = [
    "LEDGER_DIR",
    "History",
    "ReleaseConflict",
    "append",
    "fingerprint",
    "ledger_lock",
    "next_versions",
    "parse_version",
]

LEDGER_DIR = "releases"
_VERSION_RE = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


class ReleaseConflict(UserError):
    """A released version would get different content: refused (exit 1)."""

    exit_code = 1


def parse_version(version: str) -> tuple[int, int, int]:
    """``"1.2.3"`` -> ``(1, 2, 3)``; the ledger holds plain ``MAJOR.MINOR.PATCH`` versions only."""
    match = _VERSION_RE.match(version)
    if not match:
        raise ValueError(f"not a MAJOR.MINOR.PATCH version: {version!r}")
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


def _folder(root: Path, bundle_id: str) -> Path:
    return root / LEDGER_DIR / bundle_id


def fingerprint(root: Path, bundle_id: str) -> str:
    """The released versions of a bundle id, as a cheap cache key (entries are never rewritten)."""
    try:
        names = sorted(n for n in os.listdir(_folder(root, bundle_id)) if n.endswith(".json"))
    except FileNotFoundError:
        return ""
    return ",".join(names)


class History:
    """The released versions of one bundle id, oldest first; entries are read only when asked for.

    A long history costs a folder listing, not a parse of every entry.
    """

    def __init__(self, root: Path, bundle_id: str) -> None:
        self.folder = _folder(root, bundle_id)
        self.bundle_id = bundle_id
        try:
            names = [n[: -len(".json")] for n in os.listdir(self.folder) if n.endswith(".json")]
        except FileNotFoundError:
            names = []
        keyed: list[tuple[tuple[int, int, int], str]] = []
        for name in names:
            try:
                keyed.append((parse_version(name), name))
            except ValueError:
                raise self._bad(f"{name}.json", "the file name is not a MAJOR.MINOR.PATCH version") from None
        self.versions = [name for _, name in sorted(keyed)]
        self._loaded: dict[str, dict[str, Any]] = {}

    def _bad(self, name: str, why: str) -> UsageError:
        return UsageError(f"{LEDGER_DIR}/{self.bundle_id}/{name}: not a valid ledger entry ({why}). Ledger entries "
                          "are written by oemkit release and never edited; restore the file from git.")

    def get(self, version: str) -> dict[str, Any] | None:
        """The entry of ``version``, if released."""
        if version not in self.versions:
            return None
        if version not in self._loaded:
            name = f"{version}.json"
            try:
                entry = json.loads((self.folder / name).read_bytes())
            except (OSError, ValueError) as exc:
                raise self._bad(name, str(exc)) from None
            if not isinstance(entry, dict) or entry.get("version") != version:
                raise self._bad(name, "its version does not match its file name")
            self._loaded[version] = entry
        return self._loaded[version]

    def last(self) -> dict[str, Any] | None:
        """The newest entry."""
        return self.get(self.versions[-1]) if self.versions else None

    def previous(self, version: str) -> dict[str, Any] | None:
        """The newest entry older than ``version`` (what release notes of ``version`` compare against)."""
        key = parse_version(version)
        older = [v for v in self.versions if parse_version(v) < key]
        return self.get(older[-1]) if older else None


@contextmanager
def ledger_lock(root: Path, bundle_id: str) -> Iterator[None]:
    """Serialise releases of one bundle id across processes (flock on its ledger folder)."""
    folder = _folder(root, bundle_id)
    with locked(folder):
        clean_stale(folder)  # a release killed mid-write left its temporary file here
        yield


def append(root: Path, entry: dict[str, Any]) -> bool:
    """Record a release; True when new, False when the identical release was already recorded.

    Different content under a recorded version raises :class:`ReleaseConflict`. Call under
    :func:`ledger_lock` so the check and the write are one step.
    """
    bundle_id, version = entry["id"], entry["version"]
    path = _folder(root, bundle_id) / f"{version}.json"
    if create_exclusive(path, canonical_json(entry)):
        return True
    existing = json.loads(path.read_bytes())
    if existing.get("manifest_sha256") != entry["manifest_sha256"]:
        raise ReleaseConflict(
            f"{LEDGER_DIR}/{bundle_id}/{version}.json: version {version} of {bundle_id} was already released with "
            f"different content (manifest sha256 {existing.get('manifest_sha256', '?')[:12]}, now "
            f"{entry['manifest_sha256'][:12]}). A released version is never rewritten: release the change as a "
            "new version (omit --version to get the next one).")
    return False


def _level_max(levels: list[str]) -> str:
    order = ("none", "patch", "minor", "major")
    return order[max((order.index(x) for x in levels if x in order), default=0)]


def next_versions(last: dict[str, Any] | None, stream_levels: dict[str, str], stream_sha256: dict[str, str],
                  bump: Callable[[str, str], str]) -> tuple[str, dict[str, str]]:
    """The version of a new release after ``last`` and the version of each stream.

    The policy (docs/releases.md): a stream whose content hash is unchanged keeps its version, so a
    software-only change never bumps firmware; a changed stream is bumped by its diff level (at
    least a patch, e.g. when only templates changed); the bundle is bumped by the largest level
    (at least a patch). The first release of an id is 1.0.0 for the bundle and every stream.
    """
    if last is None:
        return "1.0.0", {s: "1.0.0" for s in stream_sha256}
    versions: dict[str, str] = {}
    used: list[str] = []
    for stream, digest in stream_sha256.items():
        before = last["streams"][stream]
        if before["sha256"] == digest:
            versions[stream] = before["version"]
            continue
        level = stream_levels.get(stream, "none")
        level = level if level != "none" else "patch"
        versions[stream] = bump(before["version"], level)
        used.append(level)
    level = _level_max([*used, *stream_levels.values(), "patch"])
    return bump(last["version"], level), versions
