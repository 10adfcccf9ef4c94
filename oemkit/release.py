"""One bundle from checked artifacts: its version (from the release ledger), release notes, report
page, manifest, signature, deterministic archive, atomic write and, for a release, ledger entry.

:mod:`oemkit.pipeline` runs the steps before this one (resolve, validate, split, render, check)
and calls :meth:`Release.finish`. The version policy is in :func:`oemkit.ledger.next_versions`;
the bump level of a change comes from :mod:`oemkit.diff`.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oemkit import atomic, ledger
from oemkit.bundle import (
    MANIFEST,
    SIGNATURE,
    SUMS,
    Hashes,
    bundle_filename,
    canonical_json,
    compact_json,
    make_manifest,
    make_sums,
    pack,
    sha256_hex,
    stream_sha256,
)
from oemkit.errors import UsageError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from oemkit.workspace import Workspace

__all__ = ["STREAMS", "Release", "ReleaseContext"]

STREAMS = ("firmware", "software")


@dataclass(frozen=True)
class ReleaseContext:
    """What every bundle of one build shares: where it goes, how it is versioned and signed."""

    root: Path
    out_dir: Path
    release: bool
    version: str | None
    toolkit: str
    sde: int
    key: Ed25519PrivateKey | None = None
    key_id: str = ""


def _report_html(release: Release, notes: bytes, version: str) -> bytes | None:
    """``report.html`` when the report module is installed (it is optional for the bundle contract)."""
    try:
        from oemkit.report_html import render_report
    except ImportError:
        return None
    page: bytes = render_report(
        profile=release.profile, resolved=release.resolved, firmware=release.firmware, software=release.software,
        checks=release.checks, release_notes=notes.decode("utf-8"), bundle_id=release.bundle_id, version=version,
        workspace_root=release.ctx.root, workspace=release.workspace)
    return page


def _resolved_json(bundle_id: str, resolved: Any, data: dict[str, Any]) -> bytes:
    """``profile.resolved.json``: the validated profile and which file set each value.

    Provenance names files, not lines: this document does not change when a YAML file is only
    reformatted (the C header and the report page do show lines).
    """
    from oemkit.tree import Leaf, MapNode, SeqNode

    prov: dict[str, Any] = {}
    skip: set[str] = set()
    plain: dict[str, dict[str, str]] = {}  # one {"file": f} per file (the common case): fewer dicts to build
    for path, node in resolved.prov.items():
        if not path or isinstance(node, MapNode) or (skip and path.rpartition(".")[0] in skip):
            continue
        if isinstance(node, SeqNode):
            if not all(isinstance(i, Leaf) for i in node.items):
                continue
            skip.add(path)
        file = node.origin.file
        if node.overridden:
            prov[path] = {"file": file, "overrode": [o.origin.file for o in node.overridden]}
        else:
            item = plain.get(file)
            if item is None:
                item = plain[file] = {"file": file}
            prov[path] = item
    return canonical_json({"id": bundle_id, "files": list(resolved.files), "profile": data, "provenance": prov})


def _diff(old: dict[str, Any] | None, new: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str], bool, bool]:
    """(changes, stream levels, reflash required, recertification required) against an older profile."""
    if old is None:
        return [], {s: "none" for s in STREAMS}, False, False
    from oemkit.diff import diff_data

    result = diff_data(old, new)
    changes = [{**c.to_json(), "kind": c.kind} for c in result.changes]
    return changes, dict(result.streams), result.reflash_required, result.recertification_required


def _bump(version: str, level: str) -> str:
    from oemkit.diff import bump_version

    return bump_version(version, level)


class Release:
    """Version, notes, manifest, pack and write one bundle (and its ledger entry for a release)."""

    def __init__(self, ctx: ReleaseContext, profile: Any, resolved: Any, firmware: dict[str, Any],
                 software: dict[str, Any], checks: list[dict[str, Any]], files: dict[str, bytes],
                 data: dict[str, Any], *, workspace: Workspace) -> None:
        # ``data``: the renderer's dump of this profile (read-only). ``workspace``: the build's Workspace of
        # ctx.root; the report page checks the logo's real path through it (folders resolved once a build).
        self.ctx = ctx
        self.workspace = workspace
        self.profile, self.resolved, self.firmware, self.software = profile, resolved, firmware, software
        self.checks = checks
        self.partner: str = profile.partner.id
        self.bundle_id = f"{profile.partner.id}-{profile.variant}"
        self.data = data
        files["profile.resolved.json"] = _resolved_json(self.bundle_id, resolved, self.data)
        self.files = files
        custom = profile.partner.customization
        self.owners = {s: self.partner if s in custom else "factory" for s in STREAMS}
        self.compat = {"product": profile.product.family, "model": profile.product.model,
                       "hardware_revisions": [profile.product.hardware_revision], "ocpp": profile.ocpp.version}
        self.profile_sha256 = sha256_hex(compact_json(self.data))
        self.hashes = Hashes()  # each member hashed once for the stream hashes, the manifest and SHA256SUMS
        self.digests = {s: stream_sha256(files, s, self.hashes) for s in STREAMS}

    def _assemble(self, version: str, streams: dict[str, str], sde: int, prev: dict[str, Any] | None,
                  ) -> tuple[dict[str, bytes], bytes]:
        from oemkit.notes import StreamInfo, render_notes

        changes, _levels, reflash, recert = _diff(prev["profile"] if prev else None, self.data)
        infos = [StreamInfo(s, streams[s], self.digests[s], self.owners[s],
                            prev["streams"][s]["version"] if prev else None,
                            prev["streams"][s]["sha256"] if prev else None) for s in STREAMS]
        payload = dict(self.files)
        notes = render_notes(
            bundle_id=self.bundle_id, version=version, previous_version=prev["version"] if prev else None,
            streams=infos, changes=changes, reflash_required=reflash, recertification_required=recert)
        payload["RELEASE_NOTES.md"] = notes
        page = _report_html(self, notes, version)
        if page is not None:
            payload["report.html"] = page
        fields = {
            "id": self.bundle_id, "version": version,
            "streams": {s: {"version": streams[s], "sha256": self.digests[s], "owner": self.owners[s]}
                        for s in STREAMS},
            "compatibility": {**self.compat, "requires": {"firmware": f">={streams['firmware']}"}},
            "profile_sha256": self.profile_sha256,
            "toolkit": {"name": "oemkit", "version": self.ctx.toolkit},
            "source_date_epoch": sde,
        }
        return payload, make_manifest(fields, payload, self.hashes)

    def _reproduce(self, history: ledger.History, entry: dict[str, Any],
                   ) -> tuple[str, dict[str, str], int, dict[str, bytes], bytes] | None:
        """The released ``entry`` rebuilt from these inputs, if they give exactly its manifest."""
        if entry.get("profile_sha256") != self.profile_sha256 or any(
                entry["streams"][s]["sha256"] != self.digests[s] for s in STREAMS):
            return None
        streams = {s: entry["streams"][s]["version"] for s in STREAMS}
        sde = int(entry["source_date_epoch"])
        payload, manifest = self._assemble(entry["version"], streams, sde, history.previous(entry["version"]))
        if sha256_hex(manifest) != entry["manifest_sha256"]:
            return None
        return entry["version"], streams, sde, payload, manifest

    def _plan(self, history: ledger.History) -> tuple[str, dict[str, str], int, dict[str, bytes], bytes, bool]:
        """(version, stream versions, source date, payload, manifest, already released)."""
        last = history.last()
        target = self.ctx.version
        if target is not None:
            existing = history.get(target)
            if existing is not None:
                again = self._reproduce(history, existing)
                if again is None:
                    raise ledger.ReleaseConflict(
                        f"{ledger.LEDGER_DIR}/{self.bundle_id}/{target}.json: version {target} of {self.bundle_id} "
                        "was already released with different content. A released version is never rewritten: "
                        "release the change as a new version (omit --version to get the next one).")
                return (*again, True)
            if last is not None and ledger.parse_version(target) <= ledger.parse_version(last["version"]):
                raise UsageError(f"--version {target}: {self.bundle_id} is already at {last['version']}; a new "
                                 "release needs a higher version (or omit --version to get the next one).")
        elif last is not None:
            again = self._reproduce(history, last)
            if again is not None:
                return (*again, True)
        _changes, levels, _r, _c = _diff(last["profile"] if last else None, self.data)
        version, streams = ledger.next_versions(last, levels, self.digests, _bump)
        version = target or version
        payload, manifest = self._assemble(version, streams, self.ctx.sde, last)
        return version, streams, self.ctx.sde, payload, manifest, False

    def finish(self) -> dict[str, Any]:
        """Write the bundle (and the ledger entry); the summary of what was written."""
        root, ctx = self.ctx.root, self.ctx
        lock = ledger.ledger_lock(root, self.bundle_id) if ctx.release else contextlib.nullcontext()
        with lock:
            version, streams, sde, payload, manifest, _released = self._plan(ledger.History(root, self.bundle_id))
            members = {**payload, MANIFEST: manifest, SUMS: make_sums(payload, manifest, self.hashes)}
            if self.ctx.key is not None:
                from oemkit.signing import sign

                members[SIGNATURE] = sign(self.ctx.key, manifest)
            archive = pack(members, mtime=sde)
            # Plain strings: the same paths as bundle_path() for a partner id (a slug, so one plain name).
            name = bundle_filename(self.bundle_id, version)
            folder = os.path.join(ctx.out_dir, self.partner)
            atomic.crash_point("pack")
            with atomic.locked(folder):
                atomic.clean_stale(folder)
                # A development build's bundle is rebuilt from the same inputs (its cache record holds the
                # bundle's sha256, so a bundle lost in a power cut is noticed and rebuilt): no fsync, which
                # costs more wall time than packing it. A release's bundle goes with a ledger entry: fsynced.
                atomic.write_bytes(os.path.join(folder, name), archive, durable=ctx.release)
            atomic.crash_point("ledger")
            summary: dict[str, Any] = {
                "id": self.bundle_id, "bundle": f"{self.partner}/{name}", "version": version,
                "firmware_version": streams["firmware"], "software_version": streams["software"],
                "firmware_sha256": self.digests["firmware"], "software_sha256": self.digests["software"],
                "bundle_sha256": sha256_hex(archive)}
            if ctx.release:
                entry = {"id": self.bundle_id, "version": version, "manifest_sha256": sha256_hex(manifest),
                         "bundle": name, "bundle_sha256": summary["bundle_sha256"],
                         "profile_sha256": self.profile_sha256, "source_date_epoch": sde,
                         "toolkit": {"name": "oemkit", "version": self.ctx.toolkit},
                         "streams": {s: {"version": streams[s], "sha256": self.digests[s], "owner": self.owners[s]}
                                     for s in STREAMS},
                         "signed_by": self.ctx.key_id or None, "profile": self.data}
                summary["released"] = ledger.append(root, entry)
        return summary
