"""The bundle's ``report.html``: one self-contained page for the people who approve a release.

It shows the branding preview (colours, logo, a mock of the charger display with boot text and LED
colours, the portal header), every parameter in two tables (firmware, software) with its value,
change impact and the file:line that set it, the check results and the release notes. The page
loads nothing: CSS is inlined, the logo is a data URI read from the workspace, and a
Content-Security-Policy forbids scripts and every network fetch. Every profile string is HTML-escaped:
by Jinja autoescaping in the template, by :func:`_html` (the same markupsafe escape) in the table rows
that are built here; colours pass :func:`oemkit.escape.css_color`. Same inputs, same bytes: no
timestamps. :mod:`oemkit.bundle` calls :func:`render_report`; the template lives in
``templates/report/``.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from operator import itemgetter
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, overload

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from oemkit.escape import css_color, html_text
from oemkit.fields import lookup
from oemkit.loader import asset_path
from oemkit.render.env import FlatGlobalsEnvironment, FlatGlobalsSandboxedEnvironment
from oemkit.workspace import Workspace

if TYPE_CHECKING:
    from oemkit.loader import Resolved
    from oemkit.model import Profile
    from oemkit.tree import Origin

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


# json.dumps builds a new encoder per call when given options; one shared encoder gives the same text.
_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def _show(value: Any) -> str:
    """A value as the page shows it: strings as they are, everything else as that JSON encoder writes it.

    The common kinds (scalars, lists of strings or of ints) are spelled out here with the encoder's own
    pieces, since going through the encoder costs microseconds per value.
    """
    if isinstance(value, str):
        return value
    kind = type(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    if kind is list:
        if all(type(item) is str for item in value):
            return f"[{', '.join(map(encode_basestring, value))}]"
        if all(type(item) is int for item in value):
            return f"[{', '.join(map(int.__repr__, value))}]"
    return _JSON.encode(value)


def _html(text: str) -> str:
    """HTML-escaped text, as Jinja's autoescape writes it; most values need no change, so test first."""
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return html_text(text)
    return text


def _is_leaf_map(value: dict[str, Any]) -> bool:
    return len(value) == 1 and "secret" in value  # a secret reference is one value, not a section


def _collect(mapping: dict[str, Any], path: str, out: list[tuple[str, Any]]) -> None:
    """Append the dotted paths and values of the leaves under a mapping (lists of mappings by index, as
    provenance has them). Leaves are appended here rather than yielded through nested generators (a
    resume per level per leaf) and only mappings recurse, so a page costs a few dozen calls, not hundreds.
    """
    prefix = f"{path}." if path else ""
    for key, child in mapping.items():
        child_path = f"{prefix}{key}"
        if isinstance(child, dict) and not _is_leaf_map(child):
            _collect(child, child_path, out)
        elif isinstance(child, list) and child and all(isinstance(item, dict) for item in child):
            for i, item in enumerate(child):
                if _is_leaf_map(item):
                    out.append((f"{child_path}.{i}", item))
                else:
                    _collect(item, f"{child_path}.{i}", out)
        else:
            out.append((child_path, child))


def _sorted_leaves(document: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The leaves of a split document (firmware or software) by dotted path, sorted by path."""
    mapping = document if isinstance(document, dict) else dict(document)
    leaves: list[tuple[str, Any]] = []
    if _is_leaf_map(mapping):
        leaves.append(("", mapping))
    else:
        _collect(mapping, "", leaves)
    leaves.sort(key=itemgetter(0))  # stable, as sorting the rows by path was
    return leaves


def parameter_rows(document: Mapping[str, Any], resolved: Resolved) -> list[Row]:
    """Rows for one split document (firmware or software), sorted by path."""
    rows = []
    prov = resolved.prov
    for path, value in _sorted_leaves(document):
        meta = lookup(path)
        node = prov.get(path)
        if node is not None:
            set_at = str(node.origin)
            overridden = tuple(f"{o.origin} ({_show(o.value)})" for o in node.overridden)
        else:
            set_at, overridden = "model default", ()
        rows.append(Row(path, _show(value), meta.impact if meta else "", meta.description if meta else "", set_at,
                        overridden))
    return rows


_ROW_END = "</td>\n      </tr>\n"


@functools.lru_cache(maxsize=4096)
def _row_frame(path: str) -> tuple[str, str]:
    """The markup of a parameter row that depends only on its path: before the value, and between the
    value and the "set at" text (field description and impact looked up and escaped once per path)."""
    meta = lookup(path)
    impact = meta.impact if meta else ""
    description = meta.description if meta else ""
    desc = f'<div class="desc">{_html(description)}</div>' if description else ""
    return (f'      <tr>\n        <td><code>{_html(path)}</code>{desc}</td>\n        <td class="value">',
            f'</td>\n        <td><span class="impact impact-{_html(impact or "none")}">{_html(impact)}</span></td>\n'
            f'        <td class="where">')


@functools.lru_cache(maxsize=16384)
def _row_start(path: str, shown: str, origin: Origin | None) -> str:
    """A parameter row up to the end of its "set at" text, escaped (None: a model default).

    The profiles of a portfolio share most rows (same path, same value, set on the same line of a
    shared layer file), so most are built once per process. An Origin's line and column are ints, so
    equal keys always print the same.
    """
    before_value, before_where = _row_frame(path)
    where = "model default" if origin is None else _html(str(origin))
    return f"{before_value}{_html(shown)}{before_where}{where}"


def _table_body(document: Mapping[str, Any], resolved: Resolved) -> tuple[int, Markup]:
    """The packaged template's ``<tr>`` rows for one document, and how many there are.

    Byte for byte what a Jinja loop over :func:`parameter_rows` wrote, built here because that loop
    (four cells, an ``if`` and an inner loop per row, an escape per cell) was most of the page's cost.
    Every profile string still passes through :func:`_html`.
    """
    prov = resolved.prov
    parts = []
    leaves = _sorted_leaves(document)
    for path, value in leaves:
        node = prov.get(path)
        parts.append(_row_start(path, _show(value), None if node is None else node.origin))
        if node is not None and node.overridden:
            parts.extend(f'<div class="overridden">overrode {_html(f"{o.origin} ({_show(o.value)})")}</div>'
                         for o in node.overridden)
        parts.append(_ROW_END)
    return len(leaves), Markup("".join(parts))


def _check_rows(checks: list[dict[str, Any]]) -> Markup:
    """The packaged template's ``<tr>`` rows of the checks table (built here for the same reason as
    :func:`_table_body`: a Jinja loop over dicts cost several microseconds per row)."""
    return Markup("".join(f'      <tr class="{"ok" if c["ok"] else "failed"}"><td>{_html(c["name"])}</td>'
                          f'<td>{"passed" if c["ok"] else "FAILED"}</td><td>{_html(c["message"])}</td></tr>\n'
                          for c in checks))


def _color(value: Any) -> str:
    try:
        return css_color(str(value))
    except ValueError:
        return _FALLBACK_COLOR


def _logo(profile: Profile, resolved: Resolved, ws: Workspace) -> tuple[str | None, str]:
    """The logo as a data URI (or None) and a note for the reader."""
    logo = profile.branding.logo
    if not logo:
        return None, "no logo set (branding.logo)"
    node = resolved.prov.get("branding.logo")
    base = PurePosixPath(node.origin.file).parent if node is not None else PurePosixPath(".")
    path = asset_path(ws, resolved, "branding.logo")
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


@functools.cache
def _packaged_folder() -> str:
    from oemkit.workspace import data_dir

    return str(data_dir("templates") / "report")


def _environment(workspace_root: Path) -> Environment:
    own = os.path.join(workspace_root, "templates", "report")
    if os.path.isfile(os.path.join(own, "report.html.j2")):
        return _environment_for(own, sandboxed=True)  # a partner's template cannot reach Python
    return _environment_for(_packaged_folder(), sandboxed=False)


@functools.lru_cache(maxsize=16)
def _environment_for(folder: str, *, sandboxed: bool) -> Environment:
    """One compiled environment per templates folder per process (compiling costs ~70 ms).

    The toolkit's own template is trusted and skips the sandbox's per-attribute checks (a third of
    the page's render time); a workspace's template always runs sandboxed. The packaged files do not
    change while a build runs, so their environment skips the per-render mtime checks of the page and
    of the included CSS; a workspace's template is still reloaded when edited.
    """
    kind = FlatGlobalsSandboxedEnvironment if sandboxed else FlatGlobalsEnvironment
    return kind(loader=FileSystemLoader(folder), autoescape=True, undefined=StrictUndefined,
                keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, auto_reload=sandboxed)


class _RowTables(Sequence[tuple[str, str, list[Row]]]):
    """The context's ``tables``, ``(key, title, rows)`` with :class:`Row` objects, for a workspace's own
    template written against it; built only if a template reads it (the packaged one reads
    ``parameter_tables``)."""

    def __init__(self, firmware: Mapping[str, Any], software: Mapping[str, Any], resolved: Resolved) -> None:
        self._documents = (("firmware", "Firmware parameters", firmware),
                           ("software", "Software configuration", software))
        self._resolved = resolved

    @functools.cached_property
    def _tables(self) -> list[tuple[str, str, list[Row]]]:
        return [(key, title, parameter_rows(document, self._resolved)) for key, title, document in self._documents]

    @overload
    def __getitem__(self, index: int) -> tuple[str, str, list[Row]]: ...
    @overload
    def __getitem__(self, index: slice) -> list[tuple[str, str, list[Row]]]: ...
    def __getitem__(self, index: int | slice) -> tuple[str, str, list[Row]] | list[tuple[str, str, list[Row]]]:
        return self._tables[index]

    def __len__(self) -> int:
        return len(self._documents)


def render_report(*, profile: Profile, resolved: Resolved, firmware: dict[str, Any], software: dict[str, Any],
                  checks: list[dict[str, Any]], release_notes: str, bundle_id: str, version: str,
                  workspace_root: Path, workspace: Workspace | None = None) -> bytes:
    """The page as UTF-8 bytes; deterministic for the same inputs.

    ``workspace`` is the caller's :class:`Workspace` of ``workspace_root`` if it has one: a build's
    remembers the real path of every folder it met, so the logo's containment check (symlinks
    followed) does not resolve the workspace root and the partner's folder again for every page.

    The tables reach the template twice. As markup already built and escaped, which the packaged
    template uses: ``parameter_tables`` as ``(key, title, count, body)`` (:func:`_table_body`) and
    ``check_rows`` (:func:`_check_rows`). As data, for a workspace's own template: ``tables`` as
    ``(key, title, rows)`` with :class:`Row` objects (built only if a template reads it) and ``checks``.
    """
    b = profile.branding
    ws = workspace if workspace is not None else Workspace(workspace_root)
    logo_uri, logo_note = _logo(profile, resolved, ws)
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
        "parameter_tables": [("firmware", "Firmware parameters", *_table_body(firmware, resolved)),
                             ("software", "Software configuration", *_table_body(software, resolved))],
        "tables": _RowTables(firmware, software, resolved),
        "checks": rows,
        "check_rows": _check_rows(rows),
        "failed": sum(not c["ok"] for c in rows),
        "release_notes": release_notes,
    }
    html = _environment(workspace_root).get_template("report.html.j2").render(context)
    return html.encode("utf-8")
