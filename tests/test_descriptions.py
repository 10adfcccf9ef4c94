"""``scripts/check_descriptions.py``: every schema field carries a description an editor can show."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "check_descriptions.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False)


def _write(tmp_path: Path, schema: dict[str, Any]) -> Path:
    path = tmp_path / "s.schema.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    return path


GOOD: dict[str, Any] = {
    "type": "object",
    "properties": {
        "charging": {"$ref": "#/$defs/Charging", "description": "How the charger behaves as a machine."},
        "modes": {"type": "array", "description": "Access modes offered.",
                  "items": {"type": "object",
                            "properties": {"id": {"type": "integer", "description": "Mode id (1-8)."}}}},
    },
    "$defs": {"Charging": {"type": "object", "description": "Device behaviour.",
                           "properties": {"max_current_a": {"type": "integer",
                                                            "description": "Highest current (A)."}}}},
}


def test_a_fully_described_schema_passes(tmp_path: Path) -> None:
    res = _run(str(_write(tmp_path, GOOD)))
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout == ""


@pytest.mark.parametrize(("mutate", "pointer"), [
    (lambda s: s["properties"]["charging"].pop("description"), "#/properties/charging"),
    (lambda s: s["$defs"]["Charging"]["properties"]["max_current_a"].pop("description"),
     "#/$defs/Charging/properties/max_current_a"),
    (lambda s: s["properties"]["modes"]["items"]["properties"]["id"].pop("description"),
     "#/properties/modes/items/properties/id"),
    (lambda s: s["$defs"]["Charging"].pop("description"), "#/$defs/Charging"),
    (lambda s: s["properties"]["charging"].update(description="Charging."), "#/properties/charging"),
    (lambda s: s["properties"]["charging"].update(description="  "), "#/properties/charging"),
])
def test_a_missing_or_empty_description_fails_and_is_named(tmp_path: Path, mutate: Any, pointer: str) -> None:
    schema = json.loads(json.dumps(GOOD))
    mutate(schema)
    res = _run(str(_write(tmp_path, schema)))
    assert res.returncode == 1
    assert f": {pointer}: " in res.stdout
    assert res.stdout.count("\n") == 1  # exactly the one field
    assert "Field(description=" in res.stderr


def test_unreadable_schema_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    res = _run(str(bad))
    assert res.returncode == 2 and "cannot read the schema" in res.stderr
    assert _run(str(tmp_path / "missing.json")).returncode == 2


def test_the_exported_schemas_are_fully_described(tmp_path: Path) -> None:
    from oemkit.schema import all_schemas, dumps

    files = []
    for name, make in sorted(all_schemas().items()):
        (tmp_path / name).write_text(dumps(make()), encoding="utf-8")
        files.append(str(tmp_path / name))
    res = _run(*files)
    assert res.returncode == 0, res.stdout
