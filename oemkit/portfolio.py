"""Portfolio views: how many distinct firmware parameter sets the buildable profiles need, and which variants a
change (between a git ref and the work tree) touches.

Both stream the profiles one at a time and keep only small summaries (a hash and a bundle id per
profile, or a per-variant :class:`~oemkit.diff.DiffResult`), never the resolved portfolio.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from oemkit.diff import DiffResult, diff_data
from oemkit.errors import Finding

if TYPE_CHECKING:
    from oemkit.loader import Resolved
    from oemkit.workspace import Workspace

__all__ = [
    "FirmwareSet",
    "PortfolioDiff",
    "PortfolioSummary",
    "VariantDiff",
    "diff_portfolio",
    "firmware_sha256",
    "load_profile",
    "render_markdown",
    "render_text",
    "summarize",
]


def firmware_sha256(params: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of firmware parameters (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _bundle_id(data: dict[str, Any], path: Path) -> str:
    partner = data.get("partner")
    pid = partner.get("id") if isinstance(partner, dict) else None
    variant = data.get("variant")
    if isinstance(pid, str) and isinstance(variant, str):
        return f"{pid}-{variant}"
    return f"{path.parent.name}-{path.stem}"


@dataclass
class LoadedProfile:
    """One profile as the portfolio views need it: id, plain data (None if it did not resolve), findings."""

    id: str
    file: str
    data: dict[str, Any] | None
    valid: bool
    findings: list[Finding]
    #: Firmware keys (schema paths) whose value a partner file sets: the partner's firmware customisation.
    firmware_custom: list[str] = field(default_factory=list)


def load_profile(ws: Workspace, path: Path) -> LoadedProfile:
    """Resolve and validate one profile (no domain rules). Valid profiles give the model's full data (defaults
    filled in, JSON types); an invalid one its resolved data as written, so a diff still shows what changed."""
    from oemkit.loader import resolve
    from oemkit.validate import validate

    resolved = resolve(ws, path)
    if not resolved.ok:
        return LoadedProfile(f"{path.parent.name}-{path.stem}", resolved.path, None, False, resolved.findings)
    profile, findings = validate(resolved)
    errors = [f for f in findings if f.severity == "error"]
    if profile is None or errors:
        return LoadedProfile(_bundle_id(resolved.data, path), resolved.path, resolved.data, False, errors)
    data = profile.model_dump(mode="json")
    return LoadedProfile(_bundle_id(data, path), resolved.path, data, True, [], _firmware_custom(resolved))


def _firmware_custom(resolved: Resolved) -> list[str]:
    """Firmware leaves set (not just inherited) by a partner's own files, from the provenance table."""
    from oemkit.fields import lookup, schema_path_of
    from oemkit.loader import role_of
    from oemkit.tree import MapNode

    found = set()
    for path, node in resolved.prov.items():
        meta = lookup(path) if path else None
        if meta is None or not meta.is_leaf or isinstance(node, MapNode):
            continue
        if meta.layer == "firmware" and role_of(node.origin.file) == "partner":
            found.add(schema_path_of(path))
    return sorted(found)


# --- split --all --summary ------------------------------------------------------------------------


@dataclass
class FirmwareSet:
    """One distinct firmware parameter set and the variants that share it."""

    sha256: str
    product: str
    country: str
    variants: list[str] = field(default_factory=list)
    #: Firmware keys that partner files set for these variants (empty: factory firmware for product + region).
    partner_firmware_keys: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "product": self.product, "country": self.country,
                "variants": sorted(self.variants), "partner_firmware_keys": sorted(self.partner_firmware_keys)}


@dataclass
class PortfolioSummary:
    """Distinct firmware parameter sets of the portfolio (``split --all --summary``)."""

    profiles: int = 0
    sets: dict[str, FirmwareSet] = field(default_factory=dict)
    failed: list[LoadedProfile] = field(default_factory=list)

    def ordered(self) -> list[FirmwareSet]:
        """Most shared first, then by product, country and hash (stable output)."""
        return sorted(self.sets.values(), key=lambda s: (-len(s.variants), s.product, s.country, s.sha256))

    def to_json(self) -> dict[str, Any]:
        return {"profiles": self.profiles, "firmware_sets": len(self.sets),
                "sets": [s.to_json() for s in self.ordered()],
                "failed": [{"id": f.id, "file": f.file, "findings": [x.to_json() for x in f.findings]}
                           for f in self.failed]}

    def text(self) -> str:
        built = self.profiles - len(self.failed)
        lines = [f"{built} profile(s) need {len(self.sets)} distinct firmware parameter set(s) "
                 "(each one its own firmware build, test run and certification file):"]
        for s in self.ordered():
            lines.append(f"  {s.sha256[:12]}  {s.product} / {s.country}  {len(s.variants)} variant(s): "
                         + ", ".join(sorted(s.variants)))
            keys = sorted(s.partner_firmware_keys)
            lines.append("      partner firmware customisation: " + (", ".join(keys) if keys else
                                                                      "none (factory firmware for product and region)"))
        for f in self.failed:
            lines.append(f"  not counted: {f.id} ({f.file}) does not validate; run oemkit check {f.file}")
        return "\n".join(lines) + "\n"


def summarize(ws: Workspace, paths: Iterable[Path] | None = None) -> PortfolioSummary:
    """Group the buildable profiles (or ``paths``) by the hash of their firmware parameters."""
    from oemkit.split import split_data

    summary = PortfolioSummary()
    for path in ws.buildable() if paths is None else paths:
        summary.profiles += 1
        loaded = load_profile(ws, path)
        if not loaded.valid or loaded.data is None:
            summary.failed.append(loaded)
            continue
        firmware, _ = split_data(loaded.data)
        digest = firmware_sha256(firmware)
        if digest not in summary.sets:
            product = firmware.get("product", {})
            summary.sets[digest] = FirmwareSet(digest, str(product.get("model", "?")),
                                               str(firmware.get("region", {}).get("country", "?")))
        summary.sets[digest].variants.append(loaded.id)
        summary.sets[digest].partner_firmware_keys.update(loaded.firmware_custom)
    return summary


# --- diff --all BASE_REF --------------------------------------------------------------------------

Status = Literal["changed", "added", "removed", "unchanged", "failed"]


@dataclass
class VariantDiff:
    """What happens to one variant between the base and the work tree."""

    id: str
    file: str
    status: Status
    result: DiffResult | None = None
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "file": self.file, "status": self.status}
        if self.result is not None:
            out.update({"layers": self.result.layers, "impact": self.result.impact, **self.result.to_json()})
        if self.findings:
            out["findings"] = [f.to_json() for f in self.findings]
        return out


@dataclass
class PortfolioDiff:
    """Every buildable variant at the base vs the work tree (``diff --all BASE_REF``)."""

    base: str
    variants: list[VariantDiff] = field(default_factory=list)

    @property
    def touched(self) -> list[VariantDiff]:
        return [v for v in self.variants if v.status != "unchanged"]

    def to_json(self) -> dict[str, Any]:
        return {"base": self.base, "profiles": len(self.variants),
                "changed": sum(v.status != "unchanged" for v in self.variants),
                "variants": [v.to_json() for v in self.touched],
                "unchanged": [v.id for v in self.variants if v.status == "unchanged"]}


def _rel_buildable(ws: Workspace) -> dict[str, Path]:
    return {ws.rel(p): p for p in ws.buildable()}


def diff_portfolio(base: Workspace, head: Workspace, base_label: str) -> PortfolioDiff:
    """Diff each buildable profile (matched by its path in the workspace) between two workspaces."""
    before, after = _rel_buildable(base), _rel_buildable(head)
    out = PortfolioDiff(base_label)
    for rel in sorted(before.keys() | after.keys()):
        old = load_profile(base, before[rel]) if rel in before else None
        new = load_profile(head, after[rel]) if rel in after else None
        some = new or old
        assert some is not None
        if new is None:
            out.variants.append(VariantDiff(some.id, rel, "removed"))
        elif new.data is None or (old is not None and old.data is None):
            failed = new if new.data is None else old
            assert failed is not None
            out.variants.append(VariantDiff(some.id, rel, "failed", findings=failed.findings))
        elif old is None:
            out.variants.append(VariantDiff(new.id, rel, "added", findings=new.findings))
        else:
            assert old.data is not None
            result = diff_data(old.data, new.data)
            out.variants.append(VariantDiff(new.id, rel, "changed" if result.changed else "unchanged", result,
                                            new.findings))
    return out


def _verdict(result: DiffResult | None) -> tuple[str, str, str, str, str, str]:
    """(layers, impact, firmware bump, software bump, reflash, recertify) as short cells."""
    if result is None:
        return ("-",) * 6
    return ("+".join(result.layers) or "-", result.impact or "-", result.streams.get("firmware", "none"),
            result.streams.get("software", "none"), "yes" if result.reflash_required else "no",
            "yes" if result.recertification_required else "no")


def render_text(diff: PortfolioDiff) -> str:
    """One block per touched variant: verdict, then its changes."""
    from oemkit.diff import render_change

    touched = diff.touched
    lines = [f"{len(touched)} of {len(diff.variants)} variant(s) change against {diff.base}"]
    for v in touched:
        layers, impact, fw, sw, reflash, recert = _verdict(v.result)
        head = f"  {v.id} ({v.file}): {v.status}"
        if v.result is not None:
            head += (f"; layers {layers}; impact {impact}; firmware {fw}, software {sw}; reflash {reflash}, "
                     f"recertify {recert}")
        lines.append(head)
        if v.result is not None:
            lines.extend(f"      {render_change(c)}" for c in v.result.changes)
        lines.extend(f"      {f.text()}" for f in v.findings if v.status == "failed")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(diff: PortfolioDiff, max_paths: int = 4) -> str:
    """A table fit for a pull-request comment: one row per touched variant."""
    touched = diff.touched
    lines = [f"### oemkit: {len(touched)} of {len(diff.variants)} variant(s) change against `{_cell(diff.base)}`",
             ""]
    if not touched:
        return "\n".join([*lines, "No buildable variant changes."]) + "\n"
    lines += ["| variant | status | layers | impact | firmware | software | reflash | recertify | changed keys |",
              "|---|---|---|---|---|---|---|---|---|"]
    for v in touched:
        paths = [c.path for c in v.result.changes] if v.result is not None else []
        shown = ", ".join(f"`{_cell(p)}`" for p in paths[:max_paths])
        if len(paths) > max_paths:
            shown += f" (+{len(paths) - max_paths} more)"
        cells = [f"`{_cell(v.id)}`", v.status, *_verdict(v.result), shown or "-"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
