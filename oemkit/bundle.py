"""Rendered files + manifest -> a deterministic ``.tar.gz`` release bundle (bytes; writing is ``atomic``'s job).

Reproducibility rules (see docs/releases.md): members sorted by path, regular files only, mode 0644,
uid/gid 0 with empty user and group names, mtime = ``source_date_epoch``; POSIX (pax) tar without
extended headers; gzip level 6 with header mtime 0 and no file name. JSON is canonical: sorted keys,
two-space indent, UTF-8, trailing newline.

The manifest lists every payload file (all but ``manifest.json``, ``SHA256SUMS`` and
``manifest.sig``) with sha256 and size. ``SHA256SUMS`` covers the payload and ``manifest.json``, so
``sha256sum -c SHA256SUMS`` works on an unpacked bundle. A stream's hash is the sha256 of the
``SHA256SUMS``-style lines of the files under its folder, so it names the stream's exact content.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from oemkit.errors import UsageError

__all__ = [
    "DEFAULT_SOURCE_DATE_EPOCH",
    "FORMAT",
    "MANIFEST",
    "SIGNATURE",
    "SUMS",
    "Hashes",
    "bundle_filename",
    "bundle_path",
    "canonical_json",
    "compact_json",
    "make_manifest",
    "make_sums",
    "pack",
    "sha256_hex",
    "source_date_epoch",
    "stream_sha256",
]

FORMAT = 1
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
SIGNATURE = "manifest.sig"
#: 2024-01-01T00:00:00Z: the mtime of every member when ``SOURCE_DATE_EPOCH`` is not set.
DEFAULT_SOURCE_DATE_EPOCH = 1704067200
_GZIP_LEVEL = 6
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")


def source_date_epoch() -> int:
    """``SOURCE_DATE_EPOCH`` from the environment (reproducible-builds.org), or the documented default."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or raw == "":
        return DEFAULT_SOURCE_DATE_EPOCH
    if not raw.isdigit():
        raise UsageError(f"SOURCE_DATE_EPOCH={raw!r}: expected a whole number of seconds since 1970 (e.g. the "
                         "last commit's time: git log -1 --format=%ct). Fix or unset it.")
    return int(raw)


def sha256_hex(data: bytes) -> str:
    """sha256 of ``data``, lower-case hex."""
    return hashlib.sha256(data).hexdigest()


def canonical_json(obj: Any) -> bytes:
    """The one JSON spelling oemkit writes: sorted keys, indent 2, UTF-8, trailing newline.

    orjson, because the standard library's indenting encoder is pure Python and was the largest
    cost of oemkit's own steps per bundle. The bytes equal ``json.dumps(obj, sort_keys=True,
    indent=2, ensure_ascii=False)`` except for floats in exponent form (``1e-7``, not ``1e-07``).
    """
    try:
        return orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    except TypeError:  # outside orjson's range (e.g. integers beyond 64 bits): the standard encoder
        return (json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode()


def compact_json(obj: Any) -> bytes:
    """Sorted-key JSON without whitespace (C encoder): for hashing and machine-only files."""
    try:
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def bundle_filename(bundle_id: str, version: str) -> str:
    """``<partner.id>-<variant>-<version>.tar.gz``."""
    return f"{bundle_id}-{version}.tar.gz"


class Hashes:
    """sha256 of bundle members, each hashed once: the stream hashes, the manifest and ``SHA256SUMS`` all
    list the same files. Keyed by name and checked by identity, so a replaced file is hashed again."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[str, tuple[bytes, str]] = {}

    def __call__(self, name: str, data: bytes) -> str:
        """sha256 (hex) of ``data``, the content of member ``name``."""
        hit = self._seen.get(name)
        if hit is not None and hit[0] is data:
            return hit[1]
        digest = hashlib.sha256(data).hexdigest()
        self._seen[name] = (data, digest)
        return digest


def _sum_lines(files: Mapping[str, bytes], names: list[str], hashes: Hashes | None = None) -> bytes:
    digest = hashes or Hashes()
    return "".join(f"{digest(n, files[n])}  {n}\n" for n in names).encode("utf-8")


def stream_sha256(files: Mapping[str, bytes], stream: str, hashes: Hashes | None = None) -> str:
    """Hash over the contents of one stream folder (``firmware`` or ``software``).

    Provenance comments (the ``file:line`` that set a value) are left out: they move whenever any YAML
    line moves, and a moved line is no reason to reflash a fleet. ``hashes`` reuses the hashes of
    files that have no such comments.
    """
    from oemkit.render.identity import without_provenance

    digest = hashes or Hashes()
    prefix = stream + "/"
    lines = []
    for name in sorted(n for n in files if n.startswith(prefix)):
        data = files[name]
        plain = without_provenance(name, data)
        lines.append(f"{digest(name, data) if plain is data else sha256_hex(plain)}  {name}\n")
    return sha256_hex("".join(lines).encode("utf-8"))


def make_manifest(fields: Mapping[str, Any], payload: Mapping[str, bytes], hashes: Hashes | None = None) -> bytes:
    """``manifest.json``: ``fields`` plus ``format`` and the sorted ``files`` list of the payload."""
    digest = hashes or Hashes()
    doc = dict(fields)
    doc["format"] = FORMAT
    doc["files"] = [{"path": n, "sha256": digest(n, payload[n]), "size": len(payload[n])} for n in sorted(payload)]
    return canonical_json(doc)


def make_sums(payload: Mapping[str, bytes], manifest: bytes, hashes: Hashes | None = None) -> bytes:
    """``SHA256SUMS`` for the payload and ``manifest.json`` (``sha256sum -c`` format)."""
    files = {**payload, MANIFEST: manifest}
    return _sum_lines(files, sorted(files), hashes)


def pack(members: Mapping[str, bytes], *, mtime: int) -> bytes:
    """The ``.tar.gz`` bytes of ``members`` under the reproducibility rules above."""
    names = sorted(members)
    for name in names:
        if not _SAFE_NAME.match(name) or ".." in name.split("/") or len(name) > 100:
            raise ValueError(f"unsafe bundle member name {name!r}")
    return gzip.compress(_tar(members, names, mtime), compresslevel=_GZIP_LEVEL, mtime=0)


def _tar(members: Mapping[str, bytes], names: list[str], mtime: int) -> bytes:
    """The tar stream (PAX format: plain ustar headers unless a member needs more), by the standard library."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in names:
            data = members[name]
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = mtime
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.type = tarfile.REGTYPE
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def bundle_path(out_dir: Path, partner: str, bundle_id: str, version: str) -> Path:
    """Where a bundle goes: ``<out>/<partner>/<id>-<version>.tar.gz``."""
    return out_dir / partner / bundle_filename(bundle_id, version)

