#!/usr/bin/env python3
"""Fail when a JSON Schema field has no useful description (editor completion is all a partner sees).

Usage: ``python scripts/check_descriptions.py [SCHEMA.json ...]`` (default: every ``schemas/*.json``).
Every property, every ``$defs`` entry and every ``additionalProperties``/``items`` object schema must
carry a ``description`` of at least :data:`MIN_LENGTH` characters that says more than the field's
name. Prints one line per problem (``file: JSON pointer: what``); exit 0 clean, 1 problems, 2 a file
could not be read.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MIN_LENGTH = 8
ROOT = Path(__file__).resolve().parent.parent


def _pointer(parts: list[str]) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _problem(name: str, schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    text = schema.get("description")
    if not isinstance(text, str) or not text.strip():
        return "no description"
    words = text.strip().rstrip(".").lower().replace("_", " ")
    if len(text.strip()) < MIN_LENGTH or words == name.lower().replace("_", " "):
        return f"description {text!r} only repeats the name; say what it means, its unit or allowed values"
    return None


def problems(schema: Any, parts: list[str] | None = None) -> Iterator[tuple[str, str]]:
    """(JSON pointer, problem) for every undescribed field below ``schema``."""
    parts = parts or []
    if isinstance(schema, dict):
        for key in ("properties", "$defs", "definitions", "patternProperties"):
            children = schema.get(key)
            if isinstance(children, dict):
                for name, sub in children.items():
                    found = _problem(name, sub)
                    if found:
                        yield _pointer([*parts, key, name]), found
        for key, value in schema.items():
            if key in ("const", "enum", "default", "examples"):
                continue
            if isinstance(value, dict):
                yield from problems(value, [*parts, key])
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    yield from problems(item, [*parts, key, str(i)])


def main(argv: list[str]) -> int:
    """Check the named schema files (default: schemas/*.json); the exit code is the result."""
    files = [Path(a) for a in argv] or sorted((ROOT / "schemas").glob("*.json"))
    if not files:
        print("check_descriptions: no schema files found; pass SCHEMA.json paths.", file=sys.stderr)
        return 2
    count = 0
    for path in files:
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"{path}: cannot read the schema ({exc}). Pass a readable JSON Schema file.", file=sys.stderr)
            return 2
        for pointer, problem in problems(schema):
            print(f"{path}: {pointer}: {problem}")
            count += 1
    if count:
        print(f"{count} field(s) without a useful description. Add Field(description=...) in oemkit/model.py "
              "(or the module that defines the field) and regenerate with `nox -s schema`.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
