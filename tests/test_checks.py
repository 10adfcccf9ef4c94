"""run_checks: every example passes its consumers; broken artifacts fail with a reason; results are cached."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import oemkit.checks as checks_pkg
from oemkit.check import check_profile
from oemkit.checks import CheckCase, CheckInput, CheckSuite, cache, cheader, run_checks, run_checks_many
from oemkit.errors import UsageError
from oemkit.model import Profile
from oemkit.render import render_all
from oemkit.render.entries import Entry
from oemkit.split import split
from oemkit.workspace import Workspace

AMPERA_DE = "profiles/partners/ampera/wallbox-22-de.yaml"
VOLTWAY = "profiles/partners/voltway/home-22-gb.yaml"


@pytest.fixture(autouse=True)
def _no_memory_cache() -> None:
    cache.clear_memory()


def rendered(ws: Path, profile: str) -> tuple[Profile, dict[str, bytes]]:
    workspace = Workspace(ws)
    result = check_profile(workspace, ws / profile)
    assert result.profile is not None
    firmware, software = split(result.profile)
    files = render_all(result.profile, result.resolved, firmware, software, templates_dir=workspace.templates_dir())
    return result.profile, files


def failed(suite: CheckSuite, classname: str) -> str:
    (case,) = [c for c in suite.cases if c.classname == classname]
    assert not case.ok, case
    assert not suite.ok
    return case.message


def test_every_example_passes_every_check(ws: Path) -> None:
    for path in Workspace(ws).buildable():
        profile, files = rendered(ws, str(path.relative_to(ws)))
        suite = run_checks(files, profile=profile, cache_dir=None)
        assert suite.ok, [(c.classname, c.message) for c in suite.failures]
        classes = {c.classname for c in suite.cases}
        assert {"firmware.oem_config.h", "firmware.oem.conf", "firmware.params.json", "software.config.json",
                "software.rollout.json", "bundle"} <= classes
        assert any(c.startswith("software.ocpp.provisioning-") for c in classes)


def test_junit_xml_is_deterministic_and_well_formed(ws: Path, tmp_path: Path) -> None:
    profile, files = rendered(ws, VOLTWAY)
    first = run_checks(files, profile=profile, cache_dir=tmp_path).to_junit_xml()
    cache.clear_memory()
    second = run_checks(files, profile=profile, cache_dir=None).to_junit_xml()
    assert first == second
    root = ET.fromstring(first)
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "voltway-home-22-gb"
    assert int(suite.get("tests", "0")) == len(suite.findall("testcase")) >= 7
    assert suite.get("failures") == "0"
    for el in root.iter():
        assert "timestamp" not in el.attrib and "hostname" not in el.attrib
        assert el.get("time", "0") == "0"


def test_junit_reports_a_failure_with_its_message(ws: Path) -> None:
    profile, files = rendered(ws, VOLTWAY)
    files["software/rollout.json"] = b"{"
    xml = run_checks(files, profile=profile, cache_dir=None).to_junit_xml()
    failure = ET.fromstring(xml).find(".//testcase[@classname='software.rollout.json']/failure")
    assert failure is not None and "not valid UTF-8 JSON" in failure.get("message", "")


def test_wrong_header_value_fails_the_test_program(ws: Path) -> None:
    profile, files = rendered(ws, AMPERA_DE)
    header = files["firmware/oem_config.h"].decode()
    files["firmware/oem_config.h"] = header.replace("OEM_CHARGING_MAX_CURRENT_A INT32_C(16)",
                                                    "OEM_CHARGING_MAX_CURRENT_A INT32_C(32)").encode()
    message = failed(run_checks(files, profile=profile, cache_dir=None), "firmware.oem_config.h")
    assert "wrong value: OEM_CHARGING_MAX_CURRENT_A" in message


def test_header_string_with_a_changed_byte_fails(ws: Path) -> None:
    profile, files = rendered(ws, AMPERA_DE)
    files["firmware/oem_config.h"] = files["firmware/oem_config.h"].replace(b'"Ampera Wallbox"', b'"Ampera Wallbo"')
    message = failed(run_checks(files, profile=profile, cache_dir=None), "firmware.oem_config.h")
    assert "OEM_BRANDING_DISPLAY_BOOT_TEXT" in message


@pytest.mark.parametrize("bad", [
    "/* unterminated comment",
    "*/",
    "int unused_global = 1 ;;",
])
def test_header_that_gcc_rejects_fails(ws: Path, bad: str) -> None:
    profile, files = rendered(ws, AMPERA_DE)
    files["firmware/oem_config.h"] = files["firmware/oem_config.h"].replace(b"#endif /* OEM_CONFIG_H */",
                                                                            bad.encode() + b"\n#endif")
    message = failed(run_checks(files, profile=profile, cache_dir=None), "firmware.oem_config.h")
    assert "rejected the header" in message


def test_missing_macro_fails(ws: Path) -> None:
    profile, files = rendered(ws, AMPERA_DE)
    lines = [ln for ln in files["firmware/oem_config.h"].split(b"\n") if b"OEM_HARDWARE_PHASES " not in ln]
    files["firmware/oem_config.h"] = b"\n".join(lines)
    assert "OEM_HARDWARE_PHASES is missing" in failed(run_checks(files, profile=profile, cache_dir=None),
                                                      "firmware.oem_config.h")


@pytest.mark.parametrize(("edit", "expect"), [
    (b"\nCONFIG_OEM_NO_SUCH_SYMBOL=1\n", "undefined symbol"),
    (b"\nCONFIG_OEM_HARDWARE_PHASES=7\n", "outside the active range"),
    (b"\nCONFIG_OEM_CHARGING_MIN_CURRENT_A=six\n", "'six' is invalid"),
])
def test_kconfig_warnings_fail(ws: Path, edit: bytes, expect: str) -> None:
    profile, files = rendered(ws, AMPERA_DE)
    files["firmware/oem.conf"] = files["firmware/oem.conf"] + edit
    assert expect in failed(run_checks(files, profile=profile, cache_dir=None), "firmware.oem.conf")


def test_kconfig_value_that_differs_from_the_profile_fails(ws: Path) -> None:
    profile, files = rendered(ws, AMPERA_DE)
    files["firmware/oem.conf"] = files["firmware/oem.conf"].replace(b'="Ampera Wallbox"', b'="Ampera Wallbox!"')
    assert failed(run_checks(files, profile=profile, cache_dir=None), "firmware.oem.conf")
    profile, files = rendered(ws, AMPERA_DE)
    files["firmware/oem.conf"] = files["firmware/oem.conf"].replace(b"CONFIG_OEM_CHARGING_MAX_CURRENT_A=16\n", b"")
    assert "not assigned" in failed(run_checks(files, profile=profile, cache_dir=None), "firmware.oem.conf")


def test_ocpp_payloads_are_validated_against_the_ocpp_package_schemas(ws: Path) -> None:
    profile, files = rendered(ws, AMPERA_DE)
    doc = json.loads(files["software/ocpp/provisioning-1.6.json"])
    doc["requests"][0]["payload"]["key"] = "K" * 51
    doc["requests"][1]["payload"]["value"] = 60
    files["software/ocpp/provisioning-1.6.json"] = json.dumps(doc).encode()
    message = failed(run_checks(files, profile=profile, cache_dir=None), "software.ocpp.provisioning-1.6.json")
    assert "is too long" in message and "is not of type 'string'" in message


def test_set_variables_and_update_firmware_201_are_validated(ws: Path) -> None:
    profile, files = rendered(ws, VOLTWAY)
    doc = json.loads(files["software/ocpp/provisioning-2.0.1.json"])
    doc["requests"][0]["payload"]["setVariableData"][0]["component"] = {"nam": "OCPPCommCtrlr"}
    files["software/ocpp/provisioning-2.0.1.json"] = json.dumps(doc).encode()
    plan = json.loads(files["software/rollout.json"])
    plan["update_firmware"]["payload"]["firmware"]["signature"] = "${firmware:unknown}"
    del plan["update_firmware"]["payload"]["requestId"]
    files["software/rollout.json"] = json.dumps(plan).encode()
    suite = run_checks(files, profile=profile, cache_dir=None)
    assert "'name' is a required property" in failed(suite, "software.ocpp.provisioning-2.0.1.json")
    message = failed(suite, "software.rollout.json")
    assert "'requestId' is a required property" in message and "unknown reference" in message


def test_documents_must_equal_the_split(ws: Path) -> None:
    profile, files = rendered(ws, VOLTWAY)
    doc = json.loads(files["software/config.json"])
    doc["branding"]["brand_name"] = "Other"
    files["software/config.json"] = json.dumps(doc).encode()
    assert "differs" in failed(run_checks(files, profile=profile, cache_dir=None), "software.config.json")


def test_documents_are_compared_by_value_whatever_their_spelling(ws: Path) -> None:
    profile, files = rendered(ws, VOLTWAY)
    same = run_checks(files, profile=profile, cache_dir=None)
    firmware, software = split(profile)  # the shortcut does apply to what the built-in templates write
    assert checks_pkg._is_split_json(files["software/config.json"], software)
    assert checks_pkg._is_split_json(files["firmware/params.json"], firmware)
    # The byte comparison with the split's own JSON is only a shortcut: other spacing, key order and an
    # escaped character still equal the split; a changed value or a second document after it do not.
    doc = json.loads(files["software/config.json"])
    files["software/config.json"] = json.dumps(doc, sort_keys=True, ensure_ascii=True).encode()
    assert run_checks(files, profile=profile, cache_dir=None).ok and same.ok
    _, files = rendered(ws, VOLTWAY)
    files["software/config.json"] += b"\n{}"
    assert "not valid UTF-8 JSON" in failed(run_checks(files, profile=profile, cache_dir=None), "software.config.json")
    _, files = rendered(ws, VOLTWAY)
    files["firmware/params.json"] = files["firmware/params.json"].replace(b": 32", b": 33", 1)
    assert b": 33" in files["firmware/params.json"]
    assert "differs" in failed(run_checks(files, profile=profile, cache_dir=None), "firmware.params.json")


def test_secret_names_are_found_by_the_scan_and_the_walk_alike() -> None:
    docs = [{"a": {"secret": "ONE"}, "b": [{"secret": "TWO"}, {"secret": 3}]}, {"secret": {"secret": "X"}},
            {"a": "secret", "secret_ish": {"secret": "Y", "more": 1}}, {"k\"secret": 1}, {}]
    for doc in docs:
        names = sorted(set(checks_pkg._secret_names(doc)))
        case = checks_pkg._secrets_case({}, doc)
        assert case.ok and case.message == f"references only ({', '.join(names) or 'no secrets named'})"


def test_a_secret_value_in_any_artifact_fails(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OEMKIT_SECRET_VOLTWAY_CSMS_PASSWORD", "hunter2-but-longer")
    profile, files = rendered(ws, VOLTWAY)
    assert run_checks(files, profile=profile, cache_dir=None).ok
    files["software/config.json"] += b"hunter2-but-longer"
    message = failed(run_checks(files, profile=profile, cache_dir=None), "bundle")
    assert "software/config.json holds the value of secret VOLTWAY_CSMS_PASSWORD" in message


def test_missing_compiler_is_a_usage_error(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CC", "no-such-cc-oemkit")
    profile, files = rendered(ws, VOLTWAY)
    with pytest.raises(UsageError, match="no-such-cc-oemkit: C compiler not found") as info:
        run_checks(files, profile=profile, cache_dir=None)
    assert info.value.exit_code == 2


def test_identical_firmware_is_compiled_once(ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile, files = rendered(ws, VOLTWAY)
    calls: list[int] = []
    real = cheader.run_header_check

    def counting(*args: object) -> tuple[bool, str]:
        calls.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(cheader, "run_header_check", counting)
    first = run_checks(files, profile=profile, cache_dir=tmp_path)
    second = run_checks(files, profile=profile, cache_dir=tmp_path)
    cache.clear_memory()
    third = run_checks(files, profile=profile, cache_dir=tmp_path)  # a new process: from the cache folder
    assert calls == [1]
    header = [s.cases[0] for s in (first, second, third)]
    assert [c.cached for c in header] == [False, True, True]
    assert first.to_junit_xml() == third.to_junit_xml()
    files["firmware/oem_config.h"] += b"/* changed */\n"
    run_checks(files, profile=profile, cache_dir=tmp_path)
    assert calls == [1, 1]


def test_hostile_text_passes_every_consumer(ws: Path) -> None:
    from test_render import BOOT, BRAND, set_partner_text

    set_partner_text(ws, BRAND, BOOT)
    product = ws / "profiles/products/ac-wallbox-22.yaml"
    product.write_text(product.read_text().replace("model: AWB-22-3P32", 'model: "AWB \\"*/ ??= \\\\ {{ 7*7 }} ${x}"'))
    profile, files = rendered(ws, AMPERA_DE)
    assert profile.product.model == 'AWB "*/ ??= \\ {{ 7*7 }} ${x}'
    suite = run_checks(files, profile=profile, cache_dir=None)
    assert suite.ok, [(c.classname, c.message) for c in suite.failures]
    assert not any(c.skipped for c in suite.cases)


# --- batches: many headers per compiler run, each judged as if it were compiled alone ---------------------------

def _example_items(ws: Path) -> list[tuple[Profile, dict[str, bytes]]]:
    return [rendered(ws, str(p.relative_to(ws))) for p in Workspace(ws).buildable()]


def _batch(items: list[tuple[Profile, dict[str, bytes]]]) -> list[CheckSuite]:
    return run_checks_many([CheckInput(files, profile) for profile, files in items], cache_dir=None)


def _header(suite: CheckSuite) -> CheckCase:
    (case,) = [c for c in suite.cases if c.classname == "firmware.oem_config.h"]
    return case


def test_a_batch_compiles_the_distinct_headers_in_one_compiler_run(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    items = _example_items(ws)
    runs: list[int] = []
    real = cheader._run_batch

    def counting(cc: str, batch: list[tuple[bytes, list[Entry]]]) -> list[tuple[bool, str]]:
        runs.append(len(batch))
        return real(cc, batch)

    monkeypatch.setattr(cheader, "_run_batch", counting)
    monkeypatch.setattr(cheader, "run_header_check", lambda *a: pytest.fail("compiled alone"))
    suites = _batch(items)
    assert all(s.ok for s in suites), [(s.name, [c.message for c in s.failures]) for s in suites]
    assert runs == [len({_header_key(files) for _, files in items})] and runs[0] > 1
    assert all("every value asserted" in _header(s).message for s in suites)


def _header_key(files: dict[str, bytes]) -> bytes:
    return checks_pkg._c_code_identity(files["firmware/oem_config.h"])


def test_in_a_batch_a_wrong_value_fails_only_its_own_header(ws: Path) -> None:
    items = _example_items(ws)
    files = items[1][1]
    header = files["firmware/oem_config.h"]
    files["firmware/oem_config.h"] = header.replace(b"OEM_CHARGING_MIN_CURRENT_A INT32_C(6)",
                                                    b"OEM_CHARGING_MIN_CURRENT_A INT32_C(7)")
    assert files["firmware/oem_config.h"] != header
    suites = _batch(items)
    assert [s.ok for s in suites] == [i != 1 for i in range(len(items))]
    assert _header(suites[1]).message.endswith("wrong value: OEM_CHARGING_MIN_CURRENT_A")


def test_in_a_batch_a_header_gcc_rejects_fails_with_its_own_message(ws: Path) -> None:
    items = _example_items(ws)
    files = items[2][1]
    files["firmware/oem_config.h"] = files["firmware/oem_config.h"].replace(b"#endif /* OEM_CONFIG_H */",
                                                                            b"int oops = ;\n#endif")
    suites = _batch(items)
    assert [s.ok for s in suites] == [i != 2 for i in range(len(items))]
    message = _header(suites[2]).message
    assert "rejected the header" in message and "oem_config.h:" in message and "oem_config_2" not in message


def test_in_a_batch_a_macro_missing_from_one_header_is_not_covered_by_its_neighbour(ws: Path) -> None:
    items = _example_items(ws)
    files = items[1][1]
    files["firmware/oem_config.h"] = b"\n".join(ln for ln in files["firmware/oem_config.h"].split(b"\n")
                                                if b"OEM_HARDWARE_PHASES " not in ln)
    suites = _batch(items)
    assert [s.ok for s in suites] == [i != 1 for i in range(len(items))]
    assert "OEM_HARDWARE_PHASES is missing" in _header(suites[1]).message


@pytest.mark.parametrize("edit", [
    (b"#define OEM_CONFIG_H", b""),  # no guard: a double include must still be harmless
    (b"#endif /* OEM_CONFIG_H */", b"static int oem_twice;\n#endif"),  # unused static: -Werror
    (b"#include <stdint.h>", b""),  # not self-contained
    (b"INT32_C(", b"(int32_t)("),
])
def test_a_header_in_a_batch_gets_the_verdict_it_gets_alone(ws: Path, edit: tuple[bytes, bytes]) -> None:
    items = _example_items(ws)
    for _, files in items:
        files["firmware/oem_config.h"] = files["firmware/oem_config.h"].replace(*edit)
    alone = []
    for profile, files in items:
        cache.clear_memory()
        alone.append(_header(run_checks(files, profile=profile, cache_dir=None)).ok)
    cache.clear_memory()
    assert [_header(s).ok for s in _batch(items)] == alone


def test_batch_program_undefines_every_name_between_headers() -> None:
    from oemkit.render.entries import Entry

    def entry(name: str, value: int) -> Entry:
        return Entry("p", name, "int", value, "x", "h", f"INT32_C({value})", None, None, None)

    program = cheader.batch_program([("a.h", [entry("OEM_A", 1)], b"#define OEM_X 1\n"),
                                     ("b.h", [entry("OEM_B", 2)], b"")])
    between = program.split('#include "b.h"')[0]
    for name in ("OEM_A", "OEM_B", "OEM_X", "OEM_CONFIG_H"):
        assert f"#undef {name}\n" in between
    assert program.index('#include "a.h"') < program.index("#include <stdio.h>")  # the first is self-contained


# --- one parsed Kconfig tree serves the fragments of a build ------------------------------------------------------

def test_kconfig_trees_that_differ_in_comments_only_parse_once(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kconfiglib

    from oemkit.checks import kconfig

    kconfig._tree.cache_clear()
    parses: list[str] = []
    real = kconfiglib.Kconfig

    def counting(*args: object, **kwargs: object) -> object:
        parses.append(str(args[0]))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(kconfiglib, "Kconfig", counting)
    items = _example_items(ws)
    profile, files = items[0]
    twin = dict(files)  # the same tree with other comments (another bundle id), and another value
    twin["firmware/Kconfig"] = files["firmware/Kconfig"].replace(b"# Kconfig for ", b"# Kconfig (twin) for ")
    twin["firmware/oem.conf"] = files["firmware/oem.conf"].replace(b"=16\n", b"=17\n")
    assert all(twin[f] != files[f] for f in ("firmware/Kconfig", "firmware/oem.conf"))
    items.append((profile, twin))
    suites = _batch(items)
    assert all(s.ok for s in suites[:-1])
    assert "expected '16'" in failed(suites[-1], "firmware.oem.conf")  # the twin's own fragment was loaded
    trees = {checks_pkg._kconfig_code(files["firmware/Kconfig"]) for _, files in items}
    assert len(parses) == len(trees) == len(items) - 1


def test_a_kept_kconfig_tree_forgets_the_previous_fragment(ws: Path) -> None:
    from oemkit.checks import kconfig

    kconfig._tree.cache_clear()
    profile, files = rendered(ws, AMPERA_DE)
    good = files["firmware/oem.conf"]
    assert run_checks(files, profile=profile, cache_dir=None).ok
    # a warning of one load must not stay for the next, nor a value of one fragment fill a gap in the next
    files["firmware/oem.conf"] = good + b"\nCONFIG_OEM_NO_SUCH_SYMBOL=1\n"
    assert "undefined symbol" in failed(run_checks(files, profile=profile, cache_dir=None), "firmware.oem.conf")
    files["firmware/oem.conf"] = good.replace(b"CONFIG_OEM_CHARGING_MAX_CURRENT_A=16\n", b"")
    message = failed(run_checks(files, profile=profile, cache_dir=None), "firmware.oem.conf")
    assert "not assigned" in message and "undefined symbol" not in message
    files["firmware/oem.conf"] = good
    cache.clear_memory()
    assert run_checks(files, profile=profile, cache_dir=None).ok
    assert kconfig._tree.cache_info().currsize == 1


def test_a_kconfig_comment_that_joins_lines_is_parsed_as_written(ws: Path) -> None:
    from oemkit.checks import _kconfig_code

    text = b"# a comment \\\nconfig OEM_X\n\tbool\n"
    assert _kconfig_code(text) == text
    assert _kconfig_code(b"# for bundle a\nconfig OEM_X\n") == b"#\nconfig OEM_X\n"


def test_expected_strings_are_written_independently_of_oemkit_escaping() -> None:
    assert cheader._octal_literal(b"Ab 9") == '"Ab 9"'
    # an escape never runs on into a following digit, a quote or backslash never ends the literal,
    # and "??" can never form a trigraph
    assert cheader._octal_literal(b"\x017\"\\??=") == '"\\0017\\042\\134\\077\\077\\075"'
    assert cheader._octal_literal("ü".encode()) == '"\\303\\274"'


def test_a_header_that_is_not_self_contained_fails_in_a_batch_too(ws: Path) -> None:
    """Its neighbours' includes must not stand in for its own: it goes in a batch of its own skeleton."""
    items = _example_items(ws)
    files = items[2][1]
    files["firmware/oem_config.h"] = files["firmware/oem_config.h"].replace(b"#include <stdbool.h>\n", b"")
    alone = _header(run_checks(files, profile=items[2][0], cache_dir=None))
    assert not alone.ok
    cache.clear_memory()
    suites = _batch(items)
    assert [_header(s).ok for s in suites] == [i != 2 for i in range(len(items))]
    assert _header(suites[2]).message == alone.message
