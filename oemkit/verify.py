"""Verify a release bundle: signature, every checksum, and exactly the files the manifest lists.

Nothing is extracted: members are read into memory (with size caps) straight from the archive, so a
hostile member name (absolute, ``..``) or type (link, device, FIFO, directory) can do no harm; it is
reported by name. Every problem found is reported, not just the first.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oemkit.bundle import FORMAT, MANIFEST, SIGNATURE, SUMS, sha256_hex, stream_sha256
from oemkit.errors import UsageError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = ["MAX_MEMBER_BYTES", "VerifyResult", "verify_bundle"]

#: Bundles are kilobytes; the caps only bound the memory a hostile archive can take.
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
_SUM_LINE = re.compile(r"^([0-9a-f]{64})  (.+)$")
_RESERVED = (MANIFEST, SUMS, SIGNATURE)


@dataclass
class VerifyResult:
    """What ``oemkit verify`` found in one bundle."""

    path: str
    problems: list[str] = field(default_factory=list)
    bundle_id: str | None = None
    version: str | None = None
    signed: bool = False
    signature_verified: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "ok": self.ok, "id": self.bundle_id, "version": self.version,
                "signed": self.signed, "signature_verified": self.signature_verified, "problems": self.problems}


def _member_problem(info: tarfile.TarInfo) -> str | None:
    name = info.name
    if name.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", name):
        return f"{name}: absolute path in the archive"
    if ".." in re.split(r"[\\/]", name):
        return f"{name}: path with '..' in the archive"
    if info.issym() or info.islnk():
        return f"{name}: link member (-> {info.linkname}); bundles hold regular files only"
    if info.ischr() or info.isblk() or info.isfifo():
        return f"{name}: device or FIFO member; bundles hold regular files only"
    if info.isdir():
        return f"{name}: directory member; bundles hold regular files only"
    if not info.isreg():
        return f"{name}: unsupported member type; bundles hold regular files only"
    if not _SAFE_NAME.match(name):
        return f"{name}: unsafe member name (only letters, digits, '.', '_', '-' and '/')"
    if info.size > MAX_MEMBER_BYTES:
        return f"{name}: member of {info.size:,} bytes exceeds the {MAX_MEMBER_BYTES:,}-byte limit"
    return None


def _decompress(path: Path, result: VerifyResult) -> bytes | None:
    """The whole tar stream (bounded), or None with a problem when the gzip layer is broken."""
    try:
        with gzip.open(path, "rb") as fh:
            raw = fh.read(MAX_TOTAL_BYTES + 1)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        result.problems.append(f"archive is truncated or corrupt ({exc}); rebuild or download it again")
        return None
    if len(raw) > MAX_TOTAL_BYTES:
        result.problems.append(f"archive unpacks to more than {MAX_TOTAL_BYTES:,} bytes; refusing to read it")
        return None
    return raw


def _read_members(path: Path, result: VerifyResult) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    raw = _decompress(path, result)
    if raw is None:
        return members
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
            for info in tar:
                problem = _member_problem(info)
                if problem:
                    result.problems.append(problem)
                    continue
                if info.name in members:
                    result.problems.append(f"{info.name}: appears more than once in the archive")
                    continue
                fh = tar.extractfile(info)
                data = fh.read() if fh is not None else b""
                if len(data) != info.size:
                    result.problems.append(f"{info.name}: truncated ({len(data)} of {info.size} bytes)")
                    continue
                members[info.name] = data
            end = tar.offset
    except (tarfile.TarError, EOFError) as exc:
        result.problems.append(f"archive is truncated or corrupt ({exc}); rebuild or download it again")
        return members
    if raw[end:].strip(b"\0"):
        result.problems.append("data after the end of the tar archive (hidden members?); the bundle was altered")
    return members


def _check_manifest(members: dict[str, bytes], result: VerifyResult) -> dict[str, Any] | None:
    raw = members.get(MANIFEST)
    if raw is None:
        result.problems.append(f"{MANIFEST}: missing from the archive")
        return None
    try:
        manifest = json.loads(raw)
        files = manifest["files"]
        if not isinstance(files, list) or not all(
                isinstance(f, dict) and isinstance(f.get("path"), str) and isinstance(f.get("sha256"), str)
                and isinstance(f.get("size"), int) for f in files):
            raise ValueError("'files' must be a list of {path, sha256, size}")
    except (ValueError, KeyError, TypeError) as exc:
        result.problems.append(f"{MANIFEST}: not a valid manifest ({exc})")
        return None
    assert isinstance(manifest, dict)
    result.bundle_id, result.version = manifest.get("id"), manifest.get("version")
    if manifest.get("format") != FORMAT:
        result.problems.append(f"{MANIFEST}: format {manifest.get('format')!r} is not {FORMAT}; this oemkit reads "
                               f"format {FORMAT} bundles only")
    for key in ("id", "version"):
        if not isinstance(manifest.get(key), str):
            result.problems.append(f"{MANIFEST}: '{key}' is missing or not a string")
    return manifest


def _check_files(members: dict[str, bytes], manifest: dict[str, Any], result: VerifyResult) -> None:
    listed: dict[str, dict[str, Any]] = {}
    for f in manifest["files"]:
        if f["path"] in _RESERVED or f["path"] in listed:
            result.problems.append(f"{f['path']}: listed in {MANIFEST} more than once or as a reserved name")
        listed[f["path"]] = f
    payload = {n: d for n, d in members.items() if n not in _RESERVED}
    missing = sorted(set(listed) - set(payload))
    extra = sorted(set(payload) - set(listed))
    for name in list(extra):
        digest = sha256_hex(payload[name])
        source = next((m for m in missing if listed[m]["sha256"] == digest), None)
        if source is not None:
            result.problems.append(f"{name}: renamed from {source} (listed in {MANIFEST} as {source})")
            missing.remove(source)
            extra.remove(name)
    result.problems += [f"{n}: listed in {MANIFEST} but missing from the archive" for n in missing]
    result.problems += [f"{n}: in the archive but not listed in {MANIFEST} (added)" for n in extra]
    for name in sorted(set(listed) & set(payload)):
        data, want = payload[name], listed[name]
        if len(data) != want["size"] or sha256_hex(data) != want["sha256"]:
            result.problems.append(f"{name}: content changed (sha256 {sha256_hex(data)[:12]}, size {len(data)}; "
                                   f"{MANIFEST} says {want['sha256'][:12]}, size {want['size']})")
    for stream, info in sorted((manifest.get("streams") or {}).items()):
        if isinstance(info, dict) and info.get("sha256") != stream_sha256(payload, stream):
            result.problems.append(f"{stream}/: stream sha256 does not match {MANIFEST} streams.{stream}.sha256")


def _check_sums(members: dict[str, bytes], result: VerifyResult) -> None:
    raw = members.get(SUMS)
    if raw is None:
        result.problems.append(f"{SUMS}: missing from the archive")
        return
    seen: set[str] = set()
    for number, line in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
        match = _SUM_LINE.match(line)
        if not match:
            result.problems.append(f"{SUMS}: line {number} is not '<sha256>  <path>'")
            continue
        digest, name = match.groups()
        seen.add(name)
        if name not in members:
            result.problems.append(f"{SUMS}: lists {name}, which is not in the archive")
        elif sha256_hex(members[name]) != digest:
            result.problems.append(f"{name}: does not match its {SUMS} line")
    for name in sorted(set(members) - seen - {SUMS, SIGNATURE}):
        result.problems.append(f"{name}: not covered by {SUMS}")


def _check_signature(members: dict[str, bytes], pubkey: Ed25519PublicKey | None, result: VerifyResult) -> None:
    from oemkit.signing import verify_signature

    sig = members.get(SIGNATURE)
    result.signed = sig is not None
    if pubkey is None:
        return
    if sig is None:
        result.problems.append(f"{SIGNATURE}: missing; the bundle is not signed but --pubkey was given")
    elif MANIFEST in members and verify_signature(pubkey, sig, members[MANIFEST]):
        result.signature_verified = True
    else:
        result.problems.append(f"{SIGNATURE}: bad signature: {MANIFEST} was not signed by this key (or was altered)")


def _check_ledger(members: dict[str, bytes], manifest: dict[str, Any], root: Path, result: VerifyResult) -> None:
    from oemkit.ledger import History

    bundle_id, version = manifest.get("id"), manifest.get("version")
    if not isinstance(bundle_id, str) or not isinstance(version, str):
        return
    entry = History(root, bundle_id).get(version)
    if entry is None:
        result.problems.append(f"{MANIFEST}: {bundle_id} {version} is not in the release ledger (a development "
                               "build, or a release that was never recorded)")
    elif sha256_hex(members[MANIFEST]) != entry.get("manifest_sha256"):
        result.problems.append(f"{MANIFEST}: differs from the released {bundle_id} {version} recorded in the ledger")


def verify_bundle(path: Path, pubkey: Ed25519PublicKey | None = None, display: str | None = None,
                  ledger_root: Path | None = None) -> VerifyResult:
    """Check one bundle; every problem is in ``result.problems``.

    With ``ledger_root`` (a workspace), the bundle must also be the release recorded in its ledger.
    """
    result = VerifyResult(display or str(path))
    if not path.is_file():
        raise UsageError(f"{path}: no such bundle file. Pass the path of a .tar.gz written by oemkit build.")
    members = _read_members(path, result)
    _check_signature(members, pubkey, result)
    manifest = _check_manifest(members, result)
    if manifest is not None:
        _check_files(members, manifest, result)
        if ledger_root is not None:
            _check_ledger(members, manifest, ledger_root, result)
    _check_sums(members, result)
    return result
