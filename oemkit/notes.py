"""``RELEASE_NOTES.md``: what changed since the previous ledger entry, by layer and impact.

Pure and deterministic (no dates, no host names): the notes are a bundle member and the bundle
must be reproducible. The first lines say whether a reflash or a recertification is needed and
name the firmware stream (version + sha256) so a backend team can see at a glance that nothing
needs flashing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["StreamInfo", "render_notes"]

_IMPACTS = ("recertify", "reflash", "reboot", "hot")
_IMPACT_TEXT = {
    "recertify": "needs recertification (safety, metering or type approval)",
    "reflash": "needs a new firmware build and a reflash",
    "reboot": "applied at the next reboot",
    "hot": "applied live",
}
_LAYERS = ("firmware", "software")


@dataclass(frozen=True)
class StreamInfo:
    """One stream of the release: its version and hash, and the version it had before (if any)."""

    name: str
    version: str
    sha256: str
    owner: str
    previous_version: str | None
    previous_sha256: str | None

    @property
    def changed(self) -> bool:
        return self.previous_sha256 != self.sha256


def _value(v: Any) -> str:
    text = json.dumps(v, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
    return f"`{text}`" if len(text) <= 120 else f"`{text[:117]}...`"


def _stream_line(s: StreamInfo) -> str:
    if s.previous_sha256 is None:
        state = "first release"
    elif s.changed:
        state = f"changed from {s.previous_version}"
    else:
        state = "unchanged"
    return f"| {s.name} | {s.version} | `{s.sha256}` | {s.owner} | {state} |"


def render_notes(
    *,
    bundle_id: str,
    version: str,
    previous_version: str | None,
    streams: Sequence[StreamInfo],
    changes: Sequence[Mapping[str, Any]],
    reflash_required: bool,
    recertification_required: bool,
) -> bytes:
    """The Markdown text of the release notes (UTF-8 bytes)."""
    out = [f"# {bundle_id} {version}", ""]
    fw = next((s for s in streams if s.name == "firmware"), None)
    if recertification_required:
        out += ["> **RECERTIFICATION REQUIRED.** This release changes settings that affect safety, metering or "
                "type approval. Do not ship it before the certification body has approved the change.", ""]
    if reflash_required or (fw is not None and fw.changed and fw.previous_sha256 is not None):
        out += [f"> **REFLASH REQUIRED.** The firmware stream changed to {fw.version if fw else '?'}; every "
                "charger of this variant needs the new firmware build.", ""]
    elif fw is not None and fw.previous_sha256 is not None:
        out += [f"> **No reflash needed.** The firmware stream is unchanged: version {fw.version}, sha256 "
                f"`{fw.sha256}`. Only the software stream is pushed.", ""]
    out.append(f"Previous release: {previous_version}." if previous_version else
               "First release of this variant.")
    out += ["", "## Streams", "", "| stream | version | sha256 | owner | since the previous release |",
            "|---|---|---|---|---|"]
    out += [_stream_line(s) for s in streams]
    out += ["", "## Changes", ""]
    if previous_version is None:
        out.append("Everything is new in a first release.")
    elif not changes:
        out.append("No setting changed (the artifacts changed through the templates or the toolkit).")
    others = sorted({str(c.get("layer")) for c in changes} - set(_LAYERS))
    for layer in (*_LAYERS, *others):
        mine = [c for c in changes if str(c.get("layer")) == layer]
        if not mine:
            continue
        out += [f"### {layer.capitalize()}", ""]
        for impact in (*_IMPACTS, *sorted({str(c.get("impact")) for c in mine} - set(_IMPACTS))):
            group = sorted((c for c in mine if c.get("impact") == impact), key=lambda c: str(c.get("path")))
            if not group:
                continue
            out += [f"#### {impact}: {_IMPACT_TEXT.get(impact, impact)}", ""]
            for c in group:
                kind = c.get("kind", "changed")
                if kind == "added":
                    out.append(f"- `{c['path']}`: added: {_value(c.get('new'))}")
                elif kind == "removed":
                    out.append(f"- `{c['path']}`: removed (was {_value(c.get('old'))})")
                else:
                    out.append(f"- `{c['path']}`: {_value(c.get('old'))} -> {_value(c.get('new'))}")
            out.append("")
    return ("\n".join(out).rstrip("\n") + "\n").encode("utf-8")
