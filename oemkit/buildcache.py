"""Incremental builds: skip a profile whose inputs are unchanged and whose bundle is still in place.

A record per profile lives in ``<out>/.oemkit-cache/builds.sqlite`` (:class:`Records`). Its key
combines the profile's YAML files (the same ``name\\0sha256`` digest the loader computes as
``Resolved.inputs_sha256``), the other files it reads (the logo), the templates and schemas, the
toolkit (version, code and packaged data), the source date, the signing key, the release ledger
of the bundle id and the build mode. Checking a record reads and hashes the input files but
parses nothing, so a no-op rebuild costs a small fraction of a build. A hit also re-hashes the
bundle, so a deleted, altered or truncated bundle is rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from oemkit.bundle import compact_json
from oemkit.digest import file_sha256, inputs_digest

__all__ = ["CACHE_DIR", "RECORDS", "Records", "files_digest", "load_hit", "record", "toolkit_digest", "tree_digest"]

CACHE_DIR = ".oemkit-cache"
RECORDS = "builds.sqlite"


def files_digest(root: Path, files: Iterable[str]) -> str | None:
    """The loader's inputs digest of these workspace-relative files, or None if one is unreadable."""
    digests: dict[str, str] = {}
    for name in set(files):
        sha = file_sha256(str(root / name))
        if sha is None:
            return None
        digests[name] = sha
    return inputs_digest(digests)


def tree_digest(folder: Path) -> str:
    """Digest of every file under ``folder`` (names and contents); empty string when absent."""
    if not folder.is_dir():
        return ""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(folder).as_posix()}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def toolkit_digest() -> str:
    """oemkit's own code and packaged data (templates, schemas): a development checkout changes them
    without changing the version, and a cached bundle must not outlive the code that made it."""
    from oemkit import __version__
    from oemkit.workspace import data_dir

    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(f"{path.relative_to(package).as_posix()}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for name in ("templates", "schemas"):
        digest.update(tree_digest(data_dir(name)).encode())
    return digest.hexdigest()


def _key(inputs_sha256: str, extra_sha256: str, context: Mapping[str, str]) -> str:
    doc = {"inputs": inputs_sha256, "extra": extra_sha256, "context": dict(context)}
    return hashlib.sha256(compact_json(doc)).hexdigest()


class Records:
    """The build records of one output folder: one row a profile, in ``<out>/.oemkit-cache/builds.sqlite``.

    SQLite (Python's standard library) rather than a file a profile: creating a file cost about 0.1 ms
    of system time here, a record a few microseconds, and a no-op rebuild opens one file instead of
    thousands. Rows are written a window at a time (:meth:`flush`, one transaction); WAL mode lets the
    workers of a parallel build and concurrent builds share the file (they wait for each other's
    writes). It is only a cache: one that cannot be opened, read or written costs a rebuild, never
    an error, and a file that is not a database (damaged) is replaced.
    """

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / CACHE_DIR / RECORDS
        self._con: sqlite3.Connection | None = None
        self._tried = False
        self._pending: dict[str, bytes] = {}

    def _connect(self) -> sqlite3.Connection | None:
        if self._tried:
            return self._con
        self._tried = True
        for _ in range(2):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
                try:
                    con.execute("PRAGMA journal_mode=WAL")
                    con.execute("PRAGMA synchronous=NORMAL")  # WAL: a power cut may drop rows, never damages
                    con.execute("CREATE TABLE IF NOT EXISTS records (profile TEXT PRIMARY KEY, record BLOB NOT NULL)")
                except sqlite3.Error:
                    con.close()
                    raise
            except sqlite3.OperationalError:  # locked for a minute, unwritable folder...: build without records
                return None
            except sqlite3.DatabaseError:  # not a database: it is only a cache, start a new one
                self._remove()
                continue
            except OSError:
                return None
            self._con = con
            return con
        return None

    def _remove(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def _damaged(self, exc: sqlite3.Error) -> None:
        """After an error: a damaged database (not a busy or unwritable one) is replaced at the next use."""
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
            if self._con is not None:
                self._con.close()
            self._con, self._tried = None, False
            with contextlib.suppress(OSError):
                self._remove()

    def get(self, profile_rel: str) -> dict[str, Any] | None:
        """The record of a workspace-relative profile path, or None."""
        con = self._connect()
        if con is None:
            return None
        try:
            row = con.execute("SELECT record FROM records WHERE profile = ?", (profile_rel,)).fetchone()
            data = json.loads(row[0]) if row is not None else None
        except sqlite3.Error as exc:
            self._damaged(exc)
            return None
        except (ValueError, TypeError):
            return None
        return data if isinstance(data, dict) else None

    def put(self, profile_rel: str, record: dict[str, Any]) -> None:
        """Keep a record until :meth:`flush`."""
        self._pending[profile_rel] = compact_json(record)

    def flush(self) -> None:
        """Write the kept records in one transaction (best effort: a record that is lost costs a rebuild)."""
        pending, self._pending = self._pending, {}
        con = self._connect() if pending else None
        if con is None:
            return
        try:
            with con:  # BEGIN ... COMMIT, or ROLLBACK on an error
                con.execute("BEGIN IMMEDIATE")
                con.executemany("INSERT OR REPLACE INTO records (profile, record) VALUES (?, ?)", pending.items())
        except sqlite3.Error as exc:
            self._damaged(exc)

    def close(self) -> None:
        """Write what is kept and close the database."""
        self.flush()
        if self._con is not None:
            self._con.close()
            self._con = None


def load_hit(records: Records, root: Path, out_dir: Path, profile_rel: str, context_of: Any) -> dict[str, Any] | None:
    """The cached summary of a profile when nothing changed, else None.

    ``context_of(bundle_id) -> dict`` gives the rest of the key (it depends on the id's ledger).
    """
    record = records.get(profile_rel)
    if record is None:
        return None
    try:
        inputs = files_digest(root, record["files"])
        extra = files_digest(root, record["extra"]) if record["extra"] else ""
        if inputs is None or extra is None or record["key"] != _key(inputs, extra, context_of(record["id"])):
            return None
        bundle = out_dir / record["bundle"]
        with open(bundle, "rb") as fh:
            if hashlib.sha256(fh.read()).hexdigest() != record["bundle_sha256"]:
                return None
        summary: dict[str, Any] = record["summary"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return summary


def record(*, files: list[str], extra: list[str], inputs_sha256: str, extra_sha256: str, context: Mapping[str, str],
           bundle_id: str, bundle_rel: str, bundle_sha256: str, summary: Mapping[str, Any]) -> dict[str, Any]:
    """The record of a finished build, for :meth:`Records.put`.

    ``inputs_sha256`` is the loader's digest of the YAML ``files``; ``extra_sha256`` the digest of the
    ``extra`` files (logo), taken before they were used.
    """
    return {"key": _key(inputs_sha256, extra_sha256 if extra else "", context), "files": sorted(files),
            "extra": sorted(extra), "id": bundle_id, "bundle": bundle_rel, "bundle_sha256": bundle_sha256,
            "summary": dict(summary)}
