"""The fast paths of the checks are sound: the compiled validator screen
(:class:`oemkit.checks.payloads.SchemaValidator`) never lets through what jsonschema rejects, and the
comment scans that key the header and Kconfig checks never merge texts the plain patterns keep apart, and
the JUnit XML built from cached case elements is byte for byte the whole tree ElementTree writes.

The build validates every document and OCPP payload with a compiled fastjsonschema validator first and
asks jsonschema only about documents it rejects. That is sound only if the compiled validator is at
least as strict as jsonschema on the schemas oemkit uses: here, thousands of mutated documents
(hypothesis, fixed seed) go through both, and "fast accepts" must imply "jsonschema accepts".
"""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, json_paths
from hypothesis import given, settings
from hypothesis import strategies as st
from test_properties import CI

from oemkit import checks as checks_pkg
from oemkit.check import check_profile
from oemkit.checks import payloads
from oemkit.checks.suite import CheckCase, CheckSuite
from oemkit.render import render_all
from oemkit.split import split
from oemkit.workspace import Workspace

WIDE = settings(CI, max_examples=max(150, CI.max_examples * 4))


def _rendered() -> list[dict[str, bytes]]:
    ws = Workspace(REPO)
    out = []
    for path in ws.buildable():
        result = check_profile(ws, path)
        assert result.profile is not None
        fw, sw = split(result.profile)
        out.append(render_all(result.profile, result.resolved, fw, sw, templates_dir=ws.templates_dir()))
    return out


def _cases() -> list[tuple[str, payloads.SchemaValidator, Any]]:
    """(label, validator, a valid example document) for every schema the checks use."""
    cases: list[tuple[str, payloads.SchemaValidator, Any]] = []
    for files in _rendered():
        for path, schema in (("firmware/params.json", "firmware-params.schema.json"),
                             ("software/config.json", "software-config.schema.json")):
            validator = payloads.software_schema_validator(schema)
            cases.append((schema, validator, json.loads(files[path])))
        for path, data in files.items():
            if path.startswith("software/ocpp/provisioning-"):
                doc = json.loads(data)
                for request in doc["requests"]:
                    filled = payloads.fill_placeholders(request["payload"], [])
                    cases.append((f"{doc['ocpp_version']} {request['action']}",
                                  payloads._ocpp_validator(doc["ocpp_version"], request["action"]), filled))
        rollout = json.loads(files["software/rollout.json"])["update_firmware"]
        cases.append((f"{rollout['ocpp_version']} {rollout['action']}",
                      payloads._ocpp_validator(rollout["ocpp_version"], rollout["action"]),
                      payloads.fill_placeholders(rollout["payload"], [])))
    unique: dict[str, tuple[str, payloads.SchemaValidator, Any]] = {}
    for label, validator, doc in cases:
        unique.setdefault(label + json.dumps(doc, sort_keys=True), (label, validator, doc))
    return list(unique.values())


CASES = _cases()
LABELS = sorted({label for label, _, _ in CASES})

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False),
                    st.sampled_from(["", " ", "x" * 600, "2026-01-01T01:00:00Z", "2026-13-01T00:00:00Z", "wss://a",
                                     "ws://", "https://x.example/a b", "#12345G", "#123456\n", "AB\n", "ab", "1.6",
                                     "2.0.1", "true", "0", "-1", "1e3", "\u202e", "über"]),
                    st.text(max_size=12))
values = st.recursive(scalars, lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                     st.dictionaries(st.text(max_size=6), kids, max_size=3)),
                      max_leaves=6)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, payloads.SchemaValidator, Any]:
    label, validator, doc = draw(st.sampled_from(CASES))
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        paths = json_paths(doc)
        if not paths:  # everything deleted
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add", "nudge"]))
        key = path[-1]
        if action == "replace":
            parent[key] = draw(values)
        elif action == "delete":
            del parent[key]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(values)
        elif action == "add" and isinstance(parent, list):
            parent.append(draw(values))
        elif action == "nudge" and isinstance(parent[key], (int, float)) and not isinstance(parent[key], bool):
            parent[key] = parent[key] + draw(st.sampled_from([-1, 1, 0.5, -1000, 10**6]))
        elif action == "nudge" and isinstance(parent[key], str):
            parent[key] = parent[key] + draw(st.sampled_from(["\n", " ", "x" * 500, "$", "\u0000"]))
    return label, validator, doc


def _jsonschema_ok(validator: payloads.SchemaValidator, doc: Any) -> bool:
    return not any(True for _ in validator.jsonschema.iter_errors(doc))


def _fast_ok(validator: payloads.SchemaValidator, doc: Any) -> bool:
    assert validator.fast is not None
    try:
        validator.fast(copy.deepcopy(doc))
    except Exception:  # the compiled validator raises its own exception types
        return False
    return True


def test_every_schema_in_use_compiles_to_a_fast_validator() -> None:
    assert {"firmware-params.schema.json", "software-config.schema.json", "1.6 ChangeConfiguration",
            "2.0.1 SetVariables", "1.6 UpdateFirmware", "2.0.1 UpdateFirmware"} <= set(LABELS)
    for label, validator, doc in CASES:
        assert validator.fast is not None, label
        assert _fast_ok(validator, doc) and _jsonschema_ok(validator, doc), label


@WIDE
@given(mutated())
def test_what_the_fast_validator_accepts_jsonschema_accepts(case: tuple[str, payloads.SchemaValidator, Any]) -> None:
    label, validator, doc = case
    if _fast_ok(validator, doc):
        assert _jsonschema_ok(validator, doc), (label, doc)
    # and the verdict the checks report is always jsonschema's
    assert (validator.errors(doc) == []) == _jsonschema_ok(validator, doc)


def test_the_fast_validator_never_fills_in_defaults() -> None:
    # A key with a default, missing: fastjsonschema with use_default=True would write it into the document.
    validator = payloads.SchemaValidator({"type": "object", "properties": {"a": {"type": "integer", "default": 1}}})
    doc: dict[str, Any] = {}
    assert validator.errors(doc) == [] and doc == {}
    for _label, validator, doc in CASES:
        if isinstance(doc, dict) and doc:
            key = next(iter(doc))
            trimmed = {k: v for k, v in doc.items() if k != key}
            before = copy.deepcopy(trimmed)
            validator.errors(trimmed)
            assert trimmed == before


def test_a_schema_that_does_not_compile_is_checked_by_jsonschema_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_a: object, **_k: object) -> None:
        raise ValueError("cannot compile")

    monkeypatch.setattr(payloads.fastjsonschema, "compile", broken)
    validator = payloads.SchemaValidator({"type": "object", "properties": {"a": {"type": "integer"}}})
    assert validator.fast is None
    assert validator.errors({"a": 1}) == []
    assert validator.errors({"a": "x"}) == ["a: 'x' is not of type 'integer'"]


def test_errors_are_jsonschemas_all_of_them(tmp_path: Path) -> None:
    validator = payloads.SchemaValidator({"type": "object", "required": ["a", "b"],
                                          "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}})
    assert validator.errors({"a": "x"}) == ["(document): 'b' is a required property", "a: 'x' is not of type 'integer'"]


# The cache keys of the header and Kconfig checks: the scans the build uses against the plain
# regular expressions they replaced. A faster key may only be as precise or more careful (keep the
# text whole), never merge two texts the reference keeps apart.
_REF_C_COMMENT = re.compile(rb"/\*(.*?)\*/", re.DOTALL)
_REF_KCONFIG_COMMENT = re.compile(rb"(?m)^#(?! CONFIG_[A-Za-z0-9_]+ is not set$)[^\n]*\n")
_REF_KCONFIG_SPLICE = re.compile(rb"(?m)^#[^\n]*\\\r?\n")


def _ref_c_code_identity(header: bytes) -> bytes:
    if b"\\\n" in header or b"??" in header:
        return header
    for match in _REF_C_COMMENT.finditer(header):
        if b"/*" in match.group(1):
            return header
    return _REF_C_COMMENT.sub(b"/**/", header)


def _ref_kconfig_code(data: bytes) -> bytes:
    return data if _REF_KCONFIG_SPLICE.search(data) else _REF_KCONFIG_COMMENT.sub(b"#\n", data)


_C_BITS = st.sampled_from([b"/*", b"*/", b"*", b"/", b" a ", b"\n", b"\\", b"?", b"\"", b"#define X 1", b"/**/"])
_K_BITS = st.sampled_from([b"#", b"# ", b"# CONFIG_A is not set", b"CONFIG_A=y", b"\n", b"\\", b"\r", b"x",
                           b"# CONFIG_B is not set\n", b"config X\n"])


@given(st.lists(_C_BITS, max_size=30).map(b"".join))
@WIDE
def test_the_header_key_scan_equals_the_reference_or_keeps_the_header_whole(header: bytes) -> None:
    fast = checks_pkg._c_code_identity(header)
    assert fast == _ref_c_code_identity(header) or fast == header


@given(st.lists(_K_BITS, max_size=30).map(b"".join))
@WIDE
def test_the_kconfig_key_scan_equals_the_reference_or_keeps_the_text_whole(text: bytes) -> None:
    fast = checks_pkg._kconfig_code(text)
    assert fast == _ref_kconfig_code(text) or fast == text


def test_the_key_scans_equal_the_reference_on_every_rendered_artifact() -> None:
    for files in _rendered():
        header = files["firmware/oem_config.h"]
        assert checks_pkg._c_code_identity(header) == _ref_c_code_identity(header) != header
        for name in ("firmware/Kconfig", "firmware/oem.conf"):
            assert checks_pkg._kconfig_code(files[name]) == _ref_kconfig_code(files[name]) != files[name]


_TEXT = st.text(alphabet=st.sampled_from(list("ab <>&\"'\n\r\t\x00\x0b\ufffe\u00e9\u4e2d]]>-")), max_size=12)
_CASES = st.lists(st.builds(CheckCase, name=_TEXT, classname=_TEXT, ok=st.booleans(), message=_TEXT,
                            skipped=st.booleans(), cached=st.booleans()), max_size=8)


@given(_TEXT, _CASES)
@WIDE
def test_the_junit_xml_from_cached_case_elements_equals_the_whole_tree(name: str, cases: list[CheckCase]) -> None:
    suite = CheckSuite(name, cases)
    assert suite.to_junit_xml() == suite._tree_xml()
    ET.fromstring(suite.to_junit_xml())  # and it is well-formed XML
