"""The exported schemas: committed copies are fresh; every leaf carries description, layer and impact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from oemkit.fields import field_index
from oemkit.schema import all_schemas, dumps, layer_schema

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


@pytest.mark.parametrize("name", sorted(all_schemas()))
def test_committed_schema_is_fresh(name: str) -> None:
    committed = SCHEMAS / name
    assert committed.exists(), f"schemas/{name} missing: run `nox -s schema` (or `oemkit schema`)"
    assert committed.read_text(encoding="utf-8") == dumps(all_schemas()[name]()), (
        f"schemas/{name} is stale: run `nox -s schema` (or `oemkit schema`) and commit the result"
    )


@pytest.mark.parametrize("name", sorted(all_schemas()))
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(all_schemas()[name]())


def test_every_leaf_has_description_layer_and_impact() -> None:
    leaves = [m for m in field_index().values() if m.is_leaf]
    assert len(leaves) > 80
    for meta in leaves:
        assert meta.description, meta.path
        assert meta.layer in {"firmware", "software", "meta"}, meta.path
        assert meta.impact in {"hot", "reboot", "reflash", "recertify"}, meta.path


def _props(node: Any) -> list[tuple[str, dict[str, Any]]]:
    out = []
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            out.append((name, sub))
        for value in node.values():
            out.extend(_props(value))
    elif isinstance(node, list):
        for value in node:
            out.extend(_props(value))
    return out


def test_every_schema_property_is_described() -> None:
    schema = layer_schema()
    missing = [name for name, sub in _props(schema) if not sub.get("description")]
    assert missing == []


def test_merge_strategy_visible_in_schema() -> None:
    text = json.dumps(layer_schema())
    assert '"x-oemkit-merge": "id"' in text
    assert '"x-oemkit-merge": "replace"' in text


def test_layer_schema_accepts_partial_files_and_removals() -> None:
    validator = jsonschema.Draft202012Validator(layer_schema())
    assert not list(validator.iter_errors({"hardware": {"connectors": [{"id": 1, "remove": True}]}}))
    assert not list(validator.iter_errors({"charging": {"max_current_a": 16}}))
    assert list(validator.iter_errors({"charging": {"max_curent_a": 16}}))


def test_secrets_are_references_never_values() -> None:
    validator = jsonschema.Draft202012Validator(layer_schema())
    assert not list(validator.iter_errors({"ocpp": {"basic_auth_password": {"secret": "CSMS_PASSWORD"}}}))
    assert list(validator.iter_errors({"ocpp": {"basic_auth_password": "hunter2"}}))


def test_profile_schema_is_generated_once_and_every_caller_gets_its_own_copy() -> None:
    from oemkit.schema import profile_schema

    first = profile_schema()
    first["properties"].clear()
    second = profile_schema()
    assert second["properties"] and second is not first
