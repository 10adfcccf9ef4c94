"""The bundle's ``report.html``: one self-contained page for the people who approve a release.

It shows the branding preview (colours, logo, a mock of the charger display with boot text and LED
colours, the portal header), every parameter in two tables (firmware, software) with its value,
change impact and the file:line that set it, the check results and the release notes. The page
loads nothing: CSS is inlined, the logo is a data URI read from the workspace, and a
Content-Security-Policy forbids scripts and every network fetch. Every profile string passes through
Jinja autoescaping, colours through :func:`oemkit.escape.css_color`. Same inputs, same bytes: no
timestamps. :mod:`oemkit.bundle` calls :func:`render_report`; the template lives in
``templates/report/``.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from oemkit.escape import css_color
from oemkit.fields import lookup
from oemkit.loader import asset_path
from oemkit.workspace import Workspace

if TYPE_CHECKING:
    from oemkit.loader import Resolved
    from oemkit.model import Profile

__all__ = ["MAX_LOGO_BYTES", "Row", "parameter_rows", "render_report"]

#: A bigger logo is shown as a note instead of being inlined (the page must stay small).
MAX_LOGO_BYTES = 512 * 1024
_MIME = {".svg": "image/svg+xml", ".png": "image/png"}
_FALLBACK_COLOR = "#808080"


@dataclass(frozen=True)
class Row:
    """One parameter: where it lives, what it is, what changing it costs and who set it."""

    path: str
    value: str
    impact: str
    description: str
    set_at: str
    overridden: tuple[str, ...]


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Dotted paths of the leaves of a split document (lists of mappings by index, as provenance has them)."""
    if isinstance(value, dict) and set(value) != {"secret"}:
        for key in value:
            yield from _leaves(value[key], f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}.{i}")
    else:
        yield path, value


def parameter_rows(document: Mapping[str, Any], resolved: Resolved) -> list[Row]:
    """Rows for one split document (firmware or software), sorted by path."""
    rows = []
    for path, value in _leaves(dict(document), ""):
        meta = lookup(path)
        node = resolved.prov.get(path)
        if node is not None:
            set_at = str(node.origin)
            overridden = tuple(f"{o.origin} ({_show(o.value)})" for o in node.overridden)
        else:
            set_at, overridden = "model default", ()
        rows.append(Row(path, _show(value), meta.impact if meta else "", meta.description if meta else "", set_at,
                        overridden))
    return sorted(rows, key=lambda r: r.path)


def _color(value: Any) -> str:
    try:
        return css_color(str(value))
    except ValueError:
        return _FALLBACK_COLOR


def _logo(profile: Profile, resolved: Resolved, root: Path) -> tuple[str | None, str]:
    """The logo as a data URI (or None) and a note for the reader."""
    logo = profile.branding.logo
    if not logo:
        return None, "no logo set (branding.logo)"
    node = resolved.prov.get("branding.logo")
    base = PurePosixPath(node.origin.file).parent if node is not None else PurePosixPath(".")
    path = asset_path(Workspace(root), resolved, "branding.logo")
    mime = _MIME.get(PurePosixPath(logo).suffix.lower())
    if mime is None or path is None:
        return None, f"logo {logo} not shown: it must be an svg or png file inside the workspace"
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"logo {logo} not shown: {exc.strerror}"
    if len(data) > MAX_LOGO_BYTES:
        return None, f"logo {logo} not shown: {len(data):,} bytes (the page inlines at most {MAX_LOGO_BYTES:,})"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}", str(base / logo)


def _environment(workspace_root: Path) -> Environment:
    from oemkit.workspace import data_dir

    own = workspace_root / "templates" / "report"
    if (own / "report.html.j2").is_file():
        return _environment_for(str(own), sandboxed=True)  # a partner's template cannot reach Python
    return _environment_for(str(data_dir("templates") / "report"), sandboxed=False)


@functools.lru_cache(maxsize=16)
def _environment_for(folder: str, *, sandboxed: bool) -> Environment:
    """One compiled environment per templates folder per process (compiling costs ~70 ms).

    The toolkit's own template is trusted and skips the sandbox's per-attribute checks (a third of
    the page's render time); a workspace's template always runs sandboxed.
    """
    kind = SandboxedEnvironment if sandboxed else Environment
    return kind(loader=FileSystemLoader(folder), autoescape=True, undefined=StrictUndefined,
                keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)


def render_report(*, profile: Profile, resolved: Resolved, firmware: dict[str, Any], software: dict[str, Any],
                  checks: list[dict[str, Any]], release_notes: str, bundle_id: str, version: str,
                  workspace_root: Path) -> bytes:
    """The page as UTF-8 bytes; deterministic for the same inputs."""
    b = profile.branding
    logo_uri, logo_note = _logo(profile, resolved, workspace_root)
    rows = [{"name": str(c.get("name", "")), "ok": bool(c.get("ok")), "message": str(c.get("message", ""))}
            for c in checks]
    context = {
        "bundle_id": bundle_id,
        "version": version,
        "partner": profile.partner,
        "product": profile.product,
        "country": profile.region.country,
        "brand": {
            "name": b.brand_name,
            "primary": _color(b.colors.primary),
            "secondary": _color(b.colors.secondary),
            "logo": logo_uri,
            "logo_note": logo_note,
            "boot_text": b.display.boot_text,
            "languages": list(b.display.languages),
            "led": {name: _color(getattr(b.led, name)) for name in ("idle", "charging", "fault")},
            "portal_title": profile.portal.title or b.brand_name,
            "portal_domain": profile.portal.domain or "",
            "support": b.support,
        },
        "tables": [("firmware", "Firmware parameters", parameter_rows(firmware, resolved)),
                   ("software", "Software configuration", parameter_rows(software, resolved))],
        "checks": rows,
        "failed": sum(not c["ok"] for c in rows),
        "release_notes": release_notes,
    }
    html = _environment(workspace_root).get_template("report.html.j2").render(context)
    return html.encode("utf-8")
