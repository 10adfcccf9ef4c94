"""``report.html``: self-contained, deterministic, escaped; rendered by Debian's chromium in headless mode.

The browser tests need ``chromium`` (``scripts/install-system-deps.sh`` installs it with apt-get). Without
it they skip locally and fail when ``CI`` is set, so a CI image that lost its browser cannot pass silently.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import markupsafe
import pytest

from oemkit.check import check_profile
from oemkit.report_html import parameter_rows, render_report
from oemkit.split import split
from oemkit.workspace import Workspace

HOSTILE_BRAND = "<script>document.title='pwned'</script>"
HOSTILE_TITLE = '<img src=x onerror="document.title=1">'
HOSTILE_BOOT = "</style><b>boot</b>&amp;"
HOSTILE_NOTES = '<iframe src="https://evil.example/"></iframe>\n## 1.0.0'
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--enable-logging=stderr", "--v=0"]


def _report(ws: Path, rel: str, *, notes: str = "## 1.0.0\n- first release", checks: list[dict[str, Any]] | None = None,
            shared: Workspace | None = None) -> bytes:
    workspace = Workspace(ws)
    result = check_profile(workspace, ws / rel)
    assert result.profile is not None, result.findings
    firmware, software = split(result.profile)
    return render_report(profile=result.profile, resolved=result.resolved, firmware=firmware, software=software,
                         checks=checks if checks is not None else [
                             {"name": "schema", "ok": True, "message": "valid"},
                             {"name": "gcc -fsyntax-only firmware/params.h", "ok": False, "message": "<boom>"}],
                         release_notes=notes, bundle_id="ampera-wallbox-22-de", version="1.2.0",
                         workspace_root=ws, workspace=shared)


def _make_hostile(ws: Path) -> None:
    path = ws / "profiles/partners/ampera/partner.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("brand_name: Ampera", f"brand_name: {json.dumps(HOSTILE_BRAND)}")
    text = text.replace("title: Ampera Portal", f"title: {json.dumps(HOSTILE_TITLE)}")
    text = text.replace('boot_text: "Ampera Wallbox"', f"boot_text: {json.dumps(HOSTILE_BOOT)}")
    path.write_text(text, encoding="utf-8")


class _Elements(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _elements(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(page)
    return parser.tags


# --- the page itself (no browser) ---------------------------------------------------------------

def test_same_inputs_same_bytes(ws: Path) -> None:
    assert _report(ws, "profiles/partners/ampera/wallbox-22-de.yaml") == _report(
        ws, "profiles/partners/ampera/wallbox-22-de.yaml")


def test_page_loads_nothing_from_anywhere(ws: Path) -> None:
    page = _report(ws, "profiles/partners/ampera/wallbox-22-de.yaml").decode("utf-8")
    tags = _elements(page)
    for tag, attrs in tags:
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("data:", "#")), (tag, name, value)
        assert tag not in ("script", "link", "iframe", "object", "embed", "base"), tag
    csp = [a["content"] for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in (csp[0] or "") and "script-src" not in (csp[0] or "")
    assert "url(" not in page and "@import" not in page


def test_logo_is_inlined_from_the_workspace(ws: Path) -> None:
    page = _report(ws, "profiles/partners/ampera/wallbox-22-de.yaml").decode("utf-8")
    srcs = [a["src"] for t, a in _elements(page) if t == "img"]
    assert len(srcs) == 1 and (srcs[0] or "").startswith("data:image/svg+xml;base64,")
    logo = base64.b64decode((srcs[0] or "").split(",", 1)[1])
    assert logo == (ws / "profiles/partners/ampera/assets/ampera.svg").read_bytes()


def test_logo_outside_the_workspace_is_not_inlined(ws: Path, tmp_path: Path) -> None:
    secret = tmp_path / "outside.svg"
    secret.write_text("<svg xmlns='http://www.w3.org/2000/svg'><text>SECRET-OUTSIDE</text></svg>", encoding="utf-8")
    (ws / "profiles/partners/ampera/assets/ampera.svg").unlink()
    (ws / "profiles/partners/ampera/assets/ampera.svg").symlink_to(secret)
    page = _report(ws, "profiles/partners/ampera/wallbox-22-de.yaml").decode("utf-8")
    assert not [t for t, _ in _elements(page) if t == "img"]
    assert base64.b64encode(b"SECRET-OUTSIDE")[:12].decode() not in page
    assert "must be an svg or png file inside the workspace" in page


def test_the_callers_workspace_gives_the_same_page_and_still_refuses_a_new_symlink(ws: Path, tmp_path: Path) -> None:
    rel = "profiles/partners/ampera/wallbox-22-de.yaml"
    shared = Workspace(ws)  # as a build's: it keeps the real paths of the folders it met
    assert _report(ws, rel, shared=shared) == _report(ws, rel)
    secret = tmp_path / "outside.svg"
    secret.write_text("<svg xmlns='http://www.w3.org/2000/svg'><text>SECRET-OUTSIDE</text></svg>", encoding="utf-8")
    (ws / "profiles/partners/ampera/assets/ampera.svg").unlink()
    (ws / "profiles/partners/ampera/assets/ampera.svg").symlink_to(secret)
    page = _report(ws, rel, shared=shared)
    assert page == _report(ws, rel)
    assert "must be an svg or png file inside the workspace" in page.decode("utf-8")


def test_every_parameter_is_listed_with_impact_and_provenance(ws: Path) -> None:
    rel = "profiles/partners/ampera/wallbox-22-no.yaml"
    result = check_profile(Workspace(ws), ws / rel)
    assert result.profile is not None
    firmware, software = split(result.profile)
    page = _report(ws, rel).decode("utf-8")
    for document in (firmware, software):
        rows = parameter_rows(document, result.resolved)
        assert rows
        for row in rows:
            assert f"<code>{html.escape(row.path, quote=False)}</code>" in page
    fw = {r.path: r for r in parameter_rows(firmware, result.resolved)}
    boot = fw["branding.display.boot_text"]
    assert (boot.value, boot.impact) == ("Ampera Ladeboks", "reflash")
    assert boot.set_at.startswith(f"{rel}:")
    assert any(o.startswith("profiles/partners/ampera/partner.yaml:") for o in boot.overridden)
    assert fw["hardware.connectors.0.max_current_a"].impact == "recertify"
    sw = {r.path: r for r in parameter_rows(software, result.resolved)}
    assert sw["tariff.currency"].value == "NOK"
    assert "charging.max_current_a" in fw and "charging.max_current_a" not in sw
    # The two tables really are split: the firmware table stops before the software one starts.
    assert page.index('id="table-firmware"') < page.index("branding.display.boot_text") < page.index(
        'id="table-software"')


def test_checks_and_release_notes_are_shown(ws: Path) -> None:
    page = _report(ws, "profiles/partners/ampera/wallbox-22-de.yaml", notes=HOSTILE_NOTES).decode("utf-8")
    assert "1 of 2 checks failed" in page and "gcc -fsyntax-only firmware/params.h" in page
    assert "&lt;boom&gt;" in page and "<boom>" not in page
    assert str(markupsafe.escape(HOSTILE_NOTES)) in page
    assert "<iframe" not in page


def test_hostile_branding_is_escaped(ws: Path) -> None:
    _make_hostile(ws)
    page = _report(ws, "profiles/partners/ampera/wallbox-22-de.yaml").decode("utf-8")
    for raw in (HOSTILE_BRAND, HOSTILE_TITLE, HOSTILE_BOOT):
        assert raw not in page
    assert "&lt;script&gt;document.title=" in page
    assert not [t for t, a in _elements(page) if t == "script" or "onerror" in a]


# The loop the packaged template ran before its rows were built in Python; a workspace template may still
# run it over ``tables`` and ``checks``, which must stay in the context as data.
_ROW_LOOP = (
    "{% for key, title, rows in tables %}\n"
    '<table id="{{ key }}" data-count="{{ rows|length }}"><tbody>\n'
    "{% for row in rows %}\n"
    "      <tr>\n"
    "        <td><code>{{ row.path }}</code>"
    '{% if row.description %}<div class="desc">{{ row.description }}</div>{% endif %}</td>\n'
    '        <td class="value">{{ row.value }}</td>\n'
    "        <td><span class=\"impact impact-{{ row.impact or 'none' }}\">{{ row.impact }}</span></td>\n"
    '        <td class="where">{{ row.set_at }}'
    '{% for old in row.overridden %}<div class="overridden">overrode {{ old }}</div>{% endfor %}</td>\n'
    "      </tr>\n"
    "{% endfor %}\n"
    "    </tbody></table>\n"
    "{% endfor %}\n"
    '<table id="checks"><tbody>\n'
    "{% for check in checks %}\n"
    "      <tr class=\"{{ 'ok' if check.ok else 'failed' }}\"><td>{{ check.name }}</td>"
    "<td>{{ 'passed' if check.ok else 'FAILED' }}</td><td>{{ check.message }}</td></tr>\n"
    "{% endfor %}\n"
    "    </tbody></table>\n"
)


def _tbody(page: str, table_id: str) -> str:
    start = page.index("<tbody>\n", page.index(f'id="{table_id}"')) + len("<tbody>\n")
    return page[start:page.index("    </tbody>", start)]


def test_rows_built_in_python_match_a_template_loop_over_the_row_data(ws: Path) -> None:
    """The packaged page's rows are byte for byte what a Jinja loop over ``tables``/``checks`` writes, escaping
    included; a workspace template (sandboxed) still gets those as data."""
    _make_hostile(ws)
    rel = "profiles/partners/ampera/wallbox-22-no.yaml"  # overrides the partner's (hostile) boot text
    checks = [{"name": "a<b", "ok": True, "message": "it's \"fine\" & done"},
              {"name": "x", "ok": False, "message": "<boom>"}]
    packaged = _report(ws, rel, checks=checks).decode("utf-8")
    own = ws / "templates" / "report"
    own.mkdir(parents=True)
    (own / "report.html.j2").write_text(_ROW_LOOP, encoding="utf-8")
    loop = _report(ws, rel, checks=checks).decode("utf-8")
    assert "&lt;/style&gt;&lt;b&gt;boot&lt;/b&gt;&amp;amp;" in packaged  # the hostile boot text, escaped once
    for key in ("firmware", "software"):
        body = _tbody(packaged, f"table-{key}")
        assert body.count("<tr>") > 10
        assert body == _tbody(loop, key)
        assert f'data-count="{body.count("<tr>")}"' in loop
        assert f'<span class="count">{body.count("<tr>")}</span>' in packaged
    assert _tbody(packaged, "checks") == _tbody(loop, "checks") != ""


# --- in a real browser --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if found is None:
        reason = "chromium is not installed; run scripts/install-system-deps.sh (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the browser test")
        pytest.skip(reason)
    return found


def _browse(chromium: str, page: Path, tmp: Path, *extra: str) -> tuple[str, list[str]]:
    """Run headless chromium on a file; the DOM/stdout and the console messages it logged."""
    profile_dir = tmp / f"chromium-profile-{len(list(tmp.glob('chromium-profile-*')))}"
    proc = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return proc.stdout, console


def _harness(page: bytes) -> bytes:
    """The page plus a probe script (allowed by nonce) that writes computed styles into the DOM."""
    text = page.decode("utf-8")
    assert "default-src 'none';" in text
    text = text.replace("default-src 'none';", "default-src 'none'; script-src 'nonce-oemkittest';", 1)
    probe = """<script nonce="oemkittest">
const bg = (id) => getComputedStyle(document.getElementById(id)).backgroundColor;
const text = (id) => document.getElementById(id).textContent;
const out = document.createElement("pre");
out.id = "oemkit-probe";
out.textContent = JSON.stringify({
  portal: bg("portal-header"), swatch: bg("swatch-primary"), idle: bg("led-idle"), fault: bg("led-fault"),
  scripts: document.querySelectorAll("script").length, onerror: document.querySelectorAll("[onerror]").length,
  iframes: document.querySelectorAll("iframe").length, title: document.title,
  portalTitle: text("portal-title"), bootText: text("boot-text"),
  logoLoaded: document.getElementById("logo") ? document.getElementById("logo").naturalWidth > 0 : null,
});
document.body.appendChild(out);
</script>"""
    return text.replace("</body>", probe + "\n</body>", 1).encode("utf-8")


def _probe(chromium: str, page: bytes, tmp: Path) -> dict[str, Any]:
    path = tmp / "harness.html"
    path.write_bytes(_harness(page))
    dom, console = _browse(chromium, path, tmp, "--dump-dom")
    assert console == [], console
    found = re.search(r'<pre id="oemkit-probe">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    result: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return result


def _rgb(color: str) -> str:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


@pytest.mark.browser
def test_page_renders_without_console_errors_and_makes_a_screenshot(chromium: str, ws: Path, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_bytes(_report(ws, "profiles/partners/ampera/wallbox-22-de.yaml", notes=HOSTILE_NOTES))
    dom, console = _browse(chromium, path, tmp_path, "--dump-dom")
    assert console == [], console  # also catches CSP violations: anything that tried to load or run
    assert 'id="table-software"' in dom
    shot = tmp_path / "report.png"
    _, console = _browse(chromium, path, tmp_path, f"--screenshot={shot}", "--window-size=1280,1600",
                         "--hide-scrollbars")
    assert console == [], console
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 1600)
    assert len(data) > 20_000  # a rendered page, not a blank canvas


@pytest.mark.browser
def test_preview_shows_the_brand_colours(chromium: str, ws: Path, tmp_path: Path) -> None:
    probe = _probe(chromium, _report(ws, "profiles/partners/ampera/wallbox-22-de.yaml"), tmp_path)
    assert probe["portal"] == _rgb("#1B3A8C") == probe["swatch"]
    assert probe["idle"] == _rgb("#1B3A8C") and probe["fault"] == _rgb("#E84E1B")
    assert probe["logoLoaded"] is True
    assert probe["bootText"] == "Ampera Wallbox"


@pytest.mark.browser
def test_hostile_branding_stays_text_in_the_browser(chromium: str, ws: Path, tmp_path: Path) -> None:
    _make_hostile(ws)
    page = _report(ws, "profiles/partners/ampera/wallbox-22-de.yaml", notes=HOSTILE_NOTES)
    probe = _probe(chromium, page, tmp_path)
    assert probe["scripts"] == 1  # only the probe itself
    assert probe["onerror"] == 0 and probe["iframes"] == 0
    assert probe["title"] == "ampera-wallbox-22-de 1.2.0: release report"
    assert probe["portalTitle"] == HOSTILE_TITLE
    assert probe["bootText"] == HOSTILE_BOOT
    assert probe["portal"] == _rgb("#1B3A8C")  # the </style> in the boot text closed nothing


def test_workspace_report_template_runs_sandboxed(tmp_path: Path) -> None:
    """A partner's own report template cannot reach Python; the packaged one is used otherwise."""
    import jinja2.sandbox

    from oemkit.report_html import _environment

    own = tmp_path / "templates" / "report"
    own.mkdir(parents=True)
    (own / "report.html.j2").write_text("{{ ''.__class__.__mro__ }}")
    env = _environment(tmp_path)
    assert isinstance(env, jinja2.sandbox.SandboxedEnvironment)
    with pytest.raises(jinja2.exceptions.SecurityError):
        env.get_template("report.html.j2").render()
    assert not isinstance(_environment(tmp_path / "elsewhere"), jinja2.sandbox.SandboxedEnvironment)
