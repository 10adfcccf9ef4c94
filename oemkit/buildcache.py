"""Incremental builds: skip a profile whose inputs are unchanged and whose bundle is still in place.

A record per profile lives in ``<out>/.oemkit-cache/<hash of the profile path>.json``. Its key
combines the profile's YAML files (the same ``name\\0sha256`` digest the loader computes as
``Resolved.inputs_sha256``), the other files it reads (the logo), the templates and schemas, the
toolkit (version, code and packaged data), the source date, the signing key, the release ledger
of the bundle id and the build mode. Checking a record reads and hashes the input files but
parses nothing, so a no-op rebuild costs a small fraction of a build. A hit also re-hashes the
bundle, so a deleted or altered bundle is rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from oemkit.atomic import write_bytes
from oemkit.bundle import compact_json
from oemkit.digest import file_sha256, inputs_digest

__all__ = ["CACHE_DIR", "files_digest", "load_hit", "record_path", "store", "toolkit_digest", "tree_digest"]

CACHE_DIR = ".oemkit-cache"


def record_path(out_dir: Path, profile_rel: str) -> Path:
    """Where the record of a workspace-relative profile path lives."""
    name = hashlib.sha256(profile_rel.encode("utf-8")).hexdigest()[:32]
    return out_dir / CACHE_DIR / f"{name}.json"


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


def load_hit(root: Path, out_dir: Path, profile_rel: str, context_of: Any) -> dict[str, Any] | None:
    """The cached summary of a profile when nothing changed, else None.

    ``context_of(bundle_id) -> dict`` gives the rest of the key (it depends on the id's ledger).
    """
    try:
        record = json.loads(record_path(out_dir, profile_rel).read_bytes())
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


def store(out_dir: Path, profile_rel: str, *, files: list[str], extra: list[str], inputs_sha256: str,
          extra_sha256: str, context: Mapping[str, str], bundle_id: str, bundle_rel: str, bundle_sha256: str,
          summary: Mapping[str, Any]) -> None:
    """Remember a finished build (best effort: a cache that cannot be written only costs a rebuild).

    ``inputs_sha256`` is the loader's digest of the YAML ``files``; ``extra_sha256`` the digest of the
    ``extra`` files (logo), taken before they were used.
    """
    record = {"key": _key(inputs_sha256, extra_sha256 if extra else "", context), "files": sorted(files),
              "extra": sorted(extra), "id": bundle_id,
              "bundle": bundle_rel, "bundle_sha256": bundle_sha256, "summary": dict(summary)}
    with contextlib.suppress(OSError):
        write_bytes(record_path(out_dir, profile_rel), compact_json(record), durable=False)
