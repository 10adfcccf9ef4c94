"""The layer split: every leaf lands in exactly one document, both documents validate, nothing leaks."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import json_paths
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from test_properties import CI

from oemkit.check import check_profile
from oemkit.fields import field_index
from oemkit.model import Profile
from oemkit.split import SCHEMAS, split, split_data
from oemkit.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(Workspace(REPO).buildable())
FW_SCHEMA = "firmware-params.schema.json"
SW_SCHEMA = "software-config.schema.json"


def _split(ws: Workspace, path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    result = check_profile(ws, path, rules=False)
    assert result.profile is not None, result.findings
    return split(result.profile)


def _present(doc: Any, parts: list[str]) -> bool:
    """Does ``doc`` hold the schema path (``*`` = every list item; a null section holds its leaves)?"""
    if not parts:
        return True
    if doc is None:
        return True  # an optional section left empty (e.g. smart_charging: null) sits whole in one document
    head, rest = parts[0], parts[1:]
    if head == "*":
        return isinstance(doc, list) and all(_present(item, rest) for item in doc)
    return isinstance(doc, dict) and head in doc and _present(doc[head], rest)


def _leaves(layer: str | None = None) -> list[str]:
    return [p for p, m in field_index().items()
            if m.is_leaf and (m.layer == layer if layer else m.layer in ("firmware", "software"))]


def _schema_has(schema: dict[str, Any], path: str) -> bool:
    """Does the JSON Schema declare the property at a schema path (following $refs, arrays and anyOf)?"""
    defs = schema.get("$defs", {})

    def deref(node: dict[str, Any]) -> list[dict[str, Any]]:
        if "$ref" in node:
            return deref(defs[node["$ref"].rsplit("/", 1)[-1]])
        if "anyOf" in node:
            return [n for alt in node["anyOf"] for n in deref(alt)]
        return [node]

    nodes = [schema]
    for part in path.split("."):
        nxt: list[dict[str, Any]] = []
        for node in (n for x in nodes for n in deref(x)):
            if part == "*" and "items" in node:
                nxt.append(node["items"])
            elif part in node.get("properties", {}):
                nxt.append(node["properties"][part])
        if not nxt:
            return False
        nodes = nxt
    return True


def test_every_model_leaf_is_in_exactly_one_schema() -> None:
    fw, sw = SCHEMAS[FW_SCHEMA](), SCHEMAS[SW_SCHEMA]()
    leaves = _leaves()
    assert len(leaves) > 100
    for path in leaves:
        assert _schema_has(fw, path) != _schema_has(sw, path), path
        expected = field_index()[path].layer
        assert _schema_has(fw if expected == "firmware" else sw, path), path
    for path in (p for p, m in field_index().items() if m.is_leaf and m.layer == "meta"):
        assert not _schema_has(fw, path) and not _schema_has(sw, path), path


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_leaf_lands_in_exactly_one_document(path: Path) -> None:
    fw, sw = _split(Workspace(REPO), path)
    for leaf in _leaves():
        parts = leaf.split(".")
        in_fw = _present(fw, parts) and parts[0] in fw
        in_sw = _present(sw, parts) and parts[0] in sw
        want_fw = field_index()[leaf].layer == "firmware"
        # A leaf is where its layer says; the other document lacks it (or only shares an empty list container).
        assert in_fw if want_fw else in_sw, leaf
        other = sw if want_fw else fw
        assert not _reaches_leaf(other, parts), leaf
    for meta in ("schema_version", "extends", "variant"):
        assert meta not in fw and meta not in sw


def _reaches_leaf(doc: Any, parts: list[str]) -> bool:
    """True when the document actually holds a value at the leaf path (not just a shared section)."""
    if not parts:
        return True
    head, rest = parts[0], parts[1:]
    if head == "*":
        return isinstance(doc, list) and any(_reaches_leaf(item, rest) for item in doc)
    return isinstance(doc, dict) and head in doc and _reaches_leaf(doc[head], rest)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_split_of_every_example_validates_against_committed_schemas(path: Path) -> None:
    fw, sw = _split(Workspace(REPO), path)
    for name, doc in ((FW_SCHEMA, fw), (SW_SCHEMA, sw)):
        schema = json.loads((REPO / "schemas" / name).read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator(schema).validate(doc)


def test_schemas_reject_a_leaf_of_the_other_layer() -> None:
    fw, sw = _split(Workspace(REPO), EXAMPLES[0])
    fw_bad = json.loads(json.dumps(fw))
    fw_bad["tariff"] = {"currency": "EUR"}
    assert list(jsonschema.Draft202012Validator(SCHEMAS[FW_SCHEMA]()).iter_errors(fw_bad))
    sw_bad = json.loads(json.dumps(sw))
    sw_bad["charging"] = {"max_current_a": 16}
    assert list(jsonschema.Draft202012Validator(SCHEMAS[SW_SCHEMA]()).iter_errors(sw_bad))


def _strings(doc: Any) -> list[str]:
    if isinstance(doc, dict):
        return [s for k, v in doc.items() for s in (k, *_strings(v))]
    if isinstance(doc, list):
        return [s for v in doc for s in _strings(v)]
    return [doc] if isinstance(doc, str) else []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_firmware_holds_no_commercial_data_or_secrets(path: Path) -> None:
    fw, sw = _split(Workspace(REPO), path)
    assert "tariff" not in fw and "portal" not in fw and "ocpp" not in fw and "access" not in fw
    assert "colors" not in fw.get("branding", {}) and "support" not in fw.get("branding", {})
    text = _strings(fw)
    assert not [s for s in text if "://" in s or "secret" in s.lower() or "price" in s.lower()]
    assert sw["tariff"]["energy_price_per_kwh"]  # the price is in the software document ...
    assert "csms_url" in sw["ocpp"]  # ... and so is the backend URL


def test_layers_and_impacts_agree() -> None:
    """Firmware leaves need a reflash to change; software leaves never do (hot or reboot)."""
    for path, meta in field_index().items():
        if not meta.is_leaf or meta.layer == "meta":
            continue
        if meta.layer == "firmware":
            assert meta.impact in ("reflash", "recertify"), path
        else:
            assert meta.impact in ("hot", "reboot"), path


def test_secret_stays_a_reference_in_software(ws: Path) -> None:
    fw, sw = _split(Workspace(ws), ws / "profiles/partners/voltway/home-22-gb.yaml")
    assert sw["ocpp"]["basic_auth_password"] == {"secret": "VOLTWAY_CSMS_PASSWORD"}
    assert "VOLTWAY_CSMS_PASSWORD" not in json.dumps(fw)


# --- CLI ------------------------------------------------------------------------------------------


def test_cli_split_writes_both_documents(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("split", "voltway-home-22-gb", "-o", "out", cwd=ws)
    assert res.code == 0, res.err
    fw_doc = json.loads((ws / "out/firmware/params.json").read_text(encoding="utf-8"))
    sw_doc = json.loads((ws / "out/software/config.json").read_text(encoding="utf-8"))
    assert (fw_doc, sw_doc) == _split(Workspace(ws), ws / "profiles/partners/voltway/home-22-gb.yaml")
    assert fw_doc["charging"]["max_current_a"] == 32
    assert sw_doc["portal"]["domain"] == "portal.voltway.example"


def test_cli_split_default_output_and_json(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("split", "profiles/partners/ampera/wallbox-22-de.yaml", "--format", "json", cwd=ws)
    assert res.code == 0, res.err
    (item,) = res.json()["written"]
    assert item["id"] == "ampera-wallbox-22-de"
    assert (ws / "dist/split/ampera-wallbox-22-de/firmware/params.json").is_file()
    assert len(item["firmware_sha256"]) == 64


def test_cli_split_all_writes_one_folder_per_variant(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("split", "--all", "-o", "out", cwd=ws)
    assert res.code == 0, res.err
    expected = sorted(f"{p.parent.name}-{p.stem}" for p in Workspace(ws).buildable())
    assert len(expected) >= 6
    assert sorted(p.name for p in (ws / "out").iterdir()) == expected
    assert all((ws / "out" / i / "software/config.json").is_file() for i in expected)


@pytest.mark.parametrize("argv", [
    ("split",),
    ("split", "nosuch-profile"),
    ("split", "profiles/products/ac-wallbox-22.yaml"),
    ("split", "voltway-home-22-gb", "--all"),
    ("split", "voltway-home-22-gb", "--summary"),
])
def test_cli_split_usage_errors_exit_2(ws: Path, cli, argv: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    res = cli(*argv, cwd=ws)
    assert res.code == 2
    assert "Traceback" not in res.err and res.err.strip()


def test_cli_split_invalid_profile_exits_1_with_finding(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    target = ws / "profiles/partners/voltway/home-22-gb.yaml"
    target.write_text(target.read_text(encoding="utf-8") + "charging: {max_current_a: 999}\n", encoding="utf-8")
    res = cli("split", "voltway-home-22-gb", "-o", "out", cwd=ws)
    assert res.code == 1
    assert "home-22-gb.yaml" in res.err and "charging.max_current_a" in res.err
    assert not (ws / "out").exists()


def test_cli_split_all_continues_past_a_bad_profile(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    bad = ws / "profiles/partners/voltway/home-7-gb.yaml"
    bad.write_text(bad.read_text(encoding="utf-8") + "charging: {max_current_a: 999}\n", encoding="utf-8")
    res = cli("split", "--all", "-o", "out", cwd=ws)
    assert res.code == 1
    assert "home-7-gb.yaml" in res.err
    assert (ws / "out/voltway-home-22-gb/firmware/params.json").is_file()
    assert not (ws / "out/voltway-home-7-gb").exists()


# --- the fast split (pydantic include trees) equals the reference walk over the dumped data -----------

def _profiles() -> list[Any]:
    ws = Workspace(REPO)
    out = []
    for path in EXAMPLES:
        result = check_profile(ws, path, rules=False)
        assert result.profile is not None
        out.append(result.profile)
    return out


PROFILES = _profiles()


@pytest.mark.parametrize("index", range(len(PROFILES)), ids=lambda i: PROFILES[i].variant)
def test_split_equals_the_reference_walk(index: int) -> None:
    profile = PROFILES[index]
    assert split(profile) == split_data(profile.model_dump(mode="json"))


@settings(CI, max_examples=max(200, CI.max_examples * 5))
@given(st.data())
def test_split_equals_the_reference_walk_on_varied_profiles(data: st.DataObject) -> None:
    """Optional sections emptied, lists shortened, leaves removed: whatever still validates splits alike."""
    profile = data.draw(st.sampled_from(PROFILES))
    doc = copy.deepcopy(profile.model_dump(mode="json", exclude={"extends"}))
    for _ in range(data.draw(st.integers(1, 2))):
        paths = [p for p in json_paths(doc) if p[0] not in ("schema_version", "variant", "partner", "product")]
        path = data.draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            parent[path[-1]] = None
        else:
            del parent[path[-1]]
    try:
        varied = Profile.model_validate(doc)
    except ValidationError:
        return
    assert split(varied) == split_data(varied.model_dump(mode="json"))
