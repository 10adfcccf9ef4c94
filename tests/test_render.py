"""render_all: every example renders, hostile text stays text, templates are sandboxed and one-to-one with artifacts."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import tinycss2

from oemkit.check import check_profile
from oemkit.errors import FindingsError
from oemkit.render import ARTIFACTS, TemplateError, artifact_templates, render_all
from oemkit.render.env import environment
from oemkit.split import split
from oemkit.workspace import Workspace, data_dir

AMPERA_DE = "profiles/partners/ampera/wallbox-22-de.yaml"
VOLTWAY = "profiles/partners/voltway/home-22-gb.yaml"
BOOT = '"*/??=\\{{ 7*7 }}${x}<script>é'
BRAND = 'Ampera "*/ ??= \\ \n{{ 7*7 }} ${x} <script>é✓'


def render(ws: Path, profile: str, templates_dir: Path | None = None) -> dict[str, bytes]:
    workspace = Workspace(ws)
    result = check_profile(workspace, ws / profile)
    assert result.profile is not None and result.ok, [f.text() for f in result.findings]
    firmware, software = split(result.profile)
    return render_all(result.profile, result.resolved, firmware, software,
                      templates_dir=templates_dir or workspace.templates_dir())


def set_partner_text(ws: Path, brand: str, boot: str) -> None:
    path = ws / "profiles/partners/ampera/partner.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("brand_name: Ampera", f"brand_name: {json.dumps(brand)}")
    text = text.replace('boot_text: "Ampera Wallbox"', f"boot_text: {json.dumps(boot)}")
    path.write_text(text, encoding="utf-8")


def test_every_example_renders_every_artifact(ws: Path) -> None:
    for path in Workspace(ws).buildable():
        files = render(ws, str(path.relative_to(ws)))
        version = "1.6" if "ampera" in path.parts else "2.0.1"
        assert sorted(files) == sorted(p.format(ocpp=version) for p in ARTIFACTS)
        for name, data in files.items():
            data.decode("utf-8")
            if name.endswith(".json"):
                json.loads(data)


def test_header_comments_name_the_file_and_line_that_set_each_value(ws: Path) -> None:
    header = render(ws, AMPERA_DE)["firmware/oem_config.h"].decode()
    assert "#define OEM_CHARGING_MAX_CURRENT_A INT32_C(16) /* profiles/partners/ampera/wallbox-22-de.yaml:6 */" \
        in header
    assert "#define OEM_HARDWARE_RATED_CURRENT_A INT32_C(32) /* profiles/products/ac-wallbox-22.yaml:10 */" in header
    assert "/* OEM_CHARGING_OFF_PEAK_WINDOW is not set (model default) */" in header
    led = r"#define OEM_BRANDING_LED_IDLE UINT32_C\(0x1B3A8C\) /\* profiles/partners/ampera/partner\.yaml:\d+"
    assert re.search(led, header)
    conf = render(ws, AMPERA_DE)["firmware/oem.conf"].decode()
    assert "# profiles/partners/ampera/wallbox-22-de.yaml:6\nCONFIG_OEM_CHARGING_MAX_CURRENT_A=16\n" in conf


def test_hostile_branding_is_the_same_text_in_every_artifact(ws: Path) -> None:
    set_partner_text(ws, BRAND, BOOT)
    files = render(ws, AMPERA_DE)
    params = json.loads(files["firmware/params.json"])
    config = json.loads(files["software/config.json"])
    assert params["branding"]["display"]["boot_text"] == BOOT
    assert config["branding"]["brand_name"] == BRAND
    web = b"".join(v for k, v in files.items() if k.endswith((".json", ".css"))).decode()
    assert "{{ 7*7 }}" in files["software/config.json"].decode()  # data, never evaluated as a template
    assert "<script>" not in web  # JSON and CSS may be inlined in a portal page
    header = files["firmware/oem_config.h"].decode()
    assert header.isascii() and "??" not in header
    assert '\\"*/\\?\\?=\\\\{{ 7*7 }}${x}<script>\\303\\251' in header
    assert 'CONFIG_OEM_BRANDING_DISPLAY_BOOT_TEXT="\\"*/??=\\\\{{ 7*7 }}${x}<script>é"' in \
        files["firmware/oem.conf"].decode()
    css = files["software/portal-theme.css"].decode()
    rules = [r for r in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)]
    assert [r.type for r in rules] == ["qualified-rule"]
    decls = {d.name: d.value for d in tinycss2.parse_declaration_list(rules[0].content, skip_whitespace=True,
                                                                       skip_comments=True)}
    (brand,) = [t for t in decls["--oem-brand-name"] if t.type == "string"]
    assert brand.value == BRAND


def test_hostile_boot_text_compiles_and_prints_the_same_bytes(ws: Path, tmp_path: Path) -> None:
    import subprocess

    set_partner_text(ws, BRAND, BOOT)
    (tmp_path / "oem_config.h").write_bytes(render(ws, AMPERA_DE)["firmware/oem_config.h"])
    (tmp_path / "p.c").write_text('#include <stdio.h>\n#include "oem_config.h"\nint main(void)\n{\n'
                                  "    fputs(OEM_BRANDING_DISPLAY_BOOT_TEXT, stdout);\n    return 0;\n}\n")
    gcc = shutil.which("gcc")
    assert gcc
    subprocess.run([gcc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", str(tmp_path), "-o",
                    str(tmp_path / "p"), str(tmp_path / "p.c")], check=True, capture_output=True)
    out = subprocess.run([str(tmp_path / "p")], check=True, capture_output=True).stdout
    assert out == BOOT.encode("utf-8")


def test_a_line_break_in_firmware_text_is_a_finding_at_its_line(ws: Path) -> None:
    set_partner_text(ws, "Ampera", "two\nlines")
    with pytest.raises(FindingsError) as info:
        render(ws, AMPERA_DE)
    (finding,) = info.value.findings
    assert finding.rule == "RENDER-UNREPRESENTABLE"
    assert finding.file == "profiles/partners/ampera/partner.yaml"
    assert finding.path == "branding.display.boot_text" and finding.line == 10
    assert info.value.exit_code == 1


def test_secrets_are_references_never_values(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OEMKIT_SECRET_AMPERA_CSMS_PASSWORD", "s3cr3t-password-value")
    files = render(ws, AMPERA_DE)
    assert not any(b"s3cr3t-password-value" in data for data in files.values())
    doc = json.loads(files["software/ocpp/provisioning-1.6.json"])
    keys = [r["payload"]["key"] for r in doc["requests"]]
    assert keys[-2:] == ["AuthorizationKey", "SecurityProfile"]
    assert doc["requests"][-2]["payload"]["value"] == "${secret:AMPERA_CSMS_PASSWORD}"
    assert b"AMPERA_CSMS_PASSWORD" not in b"".join(v for k, v in files.items() if k.startswith("firmware/"))
    v201 = json.loads(render(ws, VOLTWAY)["software/ocpp/provisioning-2.0.1.json"])
    data = v201["requests"][0]["payload"]["setVariableData"]
    assert {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"},
            "attributeValue": "${secret:VOLTWAY_CSMS_PASSWORD}"} in data


def test_rollout_plan_has_waves_and_signed_update_firmware_for_201(ws: Path) -> None:
    plan = json.loads(render(ws, VOLTWAY)["software/rollout.json"])
    assert [w["percent"] for w in plan["waves"]] == [5, 25, 100]
    assert plan["approval"] == "two_person" and plan["rollback"] == "automatic"
    assert plan["maintenance_window"]["start"] == "01:00"
    firmware = plan["update_firmware"]["payload"]["firmware"]
    assert firmware["signature"] == "${firmware:signature}" and "signingCertificate" in firmware
    legacy = json.loads(render(ws, AMPERA_DE)["software/rollout.json"])["update_firmware"]
    assert legacy["ocpp_version"] == "1.6" and set(legacy["payload"]) == {"location", "retrieveDate"}


def test_environment_is_cached_per_templates_folder(ws: Path) -> None:
    from jinja2.sandbox import SandboxedEnvironment

    assert environment(data_dir("templates")) is environment(data_dir("templates"))
    assert not isinstance(environment(data_dir("templates")), SandboxedEnvironment)
    (ws / "templates").mkdir()
    own = environment(ws / "templates")
    assert isinstance(own, SandboxedEnvironment) and own is environment(ws / "templates")
    # The toolkit's folder by another name (a symlink, a path with '..') is still trusted and the same.
    (ws / "toolkit-link").symlink_to(data_dir("templates"))
    assert environment(ws / "toolkit-link") is environment(data_dir("templates"))
    assert environment(data_dir("templates") / "firmware" / "..") is environment(data_dir("templates"))


def _workspace_templates(ws: Path) -> Path:
    own = ws / "templates"
    shutil.copytree(data_dir("templates") / "firmware", own / "firmware")
    shutil.copytree(data_dir("templates") / "software", own / "software")
    return own


def test_workspace_templates_are_sandboxed(ws: Path) -> None:
    own = ws / "templates" / "software"
    own.mkdir(parents=True)
    (own / "portal-theme.css.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    with pytest.raises(TemplateError) as info:
        render(ws, VOLTWAY)
    assert "portal-theme.css.j2:1" in str(info.value) and "SecurityError" in str(info.value)
    assert info.value.exit_code == 1


def test_workspace_template_may_not_leave_its_folder(ws: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.j2"
    outside.write_text("secret host file\n")
    own = ws / "templates" / "software"
    own.mkdir(parents=True)
    os.symlink(outside, own / "portal-theme.css.j2")
    with pytest.raises(TemplateError, match="leaves the templates folder"):
        render(ws, VOLTWAY)


def test_workspace_overrides_one_template_and_keeps_the_rest(ws: Path) -> None:
    base = render(ws, VOLTWAY)
    own = ws / "templates" / "software"
    own.mkdir(parents=True)
    (own / "portal-theme.css.j2").write_text(":root { --oem-brand-name: {{ software.branding.brand_name | "
                                             "css_string }}; }\n")
    files = render(ws, VOLTWAY)
    assert files["software/portal-theme.css"] == b':root { --oem-brand-name: "Voltway"; }\n'
    assert {k for k in files if files[k] != base[k]} == {"software/portal-theme.css"}


def test_undefined_value_in_a_template_names_file_and_line(ws: Path) -> None:
    own = _workspace_templates(ws)
    path = own / "software" / "rollout.json.j2"
    path.write_text(path.read_text() + "{{ no_such_value }}\n")
    with pytest.raises(TemplateError, match=r"rollout\.json\.j2:\d+.*no_such_value"):
        render(ws, VOLTWAY)


@pytest.mark.parametrize("artifact", ARTIFACTS)
def test_changing_one_template_changes_only_its_artifact(ws: Path, artifact: str) -> None:
    base = {p: render(ws, p) for p in (AMPERA_DE, VOLTWAY)}
    own = _workspace_templates(ws)
    changed_any = False
    for version in ("1.6", "2.0.1"):
        name = f"{artifact.format(ocpp=version)}.j2"
        (own / name).write_text((own / name).read_text(encoding="utf-8") + "\n", encoding="utf-8")
    for profile, before in base.items():
        after = render(ws, profile, own)
        changed = {k for k in after if after[k] != before[k]}
        used = {k for k, t in artifact_templates_for(ws, profile).items()
                if t in {f"{artifact.format(ocpp=v)}.j2" for v in ("1.6", "2.0.1")}}
        assert changed == used
        changed_any |= bool(changed)
    assert changed_any


def artifact_templates_for(ws: Path, profile: str) -> dict[str, str]:
    result = check_profile(Workspace(ws), ws / profile)
    assert result.profile is not None
    return artifact_templates(result.profile)


def test_stream_identity_ignores_moved_lines_but_not_values(ws: Path) -> None:
    from oemkit.render import stream_identity

    set_partner_text(ws, "Ampera", 'x /* y */ " /* z */')
    before = render(ws, AMPERA_DE)
    partner = ws / "profiles/partners/ampera/partner.yaml"
    # A software-only edit that moves every later line of the file down by two.
    partner.write_text(partner.read_text().replace("branding:\n", "branding:\n  # moved\n  # down\n", 1))
    moved = render(ws, AMPERA_DE)
    assert moved["firmware/oem_config.h"] != before["firmware/oem_config.h"]
    firmware = [p for p in before if p.startswith("firmware/")]
    assert {p: stream_identity(moved)[p] for p in firmware} == {p: stream_identity(before)[p] for p in firmware}
    assert b'x /* y */ \\" /* z */"' in stream_identity(moved)["firmware/oem_config.h"]
    assert b"# CONFIG_OEM_HARDWARE_PAYMENT_TERMINAL is not set" in stream_identity(moved)["firmware/oem.conf"]
    partner.write_text(partner.read_text().replace("idle: \"#1B3A8C\"", "idle: \"#1B3A8D\""))
    changed = stream_identity(render(ws, AMPERA_DE))
    assert changed["firmware/oem_config.h"] != stream_identity(moved)["firmware/oem_config.h"]
    assert changed["firmware/oem.conf"] != stream_identity(moved)["firmware/oem.conf"]
