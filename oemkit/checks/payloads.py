"""JSON artifact checks: OCPP payloads against the official schemas of the ``ocpp`` package, documents against theirs.

The OCPP 1.6 and 2.0.1 JSON schemas ship in the ``ocpp`` package (mobilityhouse/ocpp); validators
are built once per process. Values known only at provisioning or rollout time are references, each
a whole JSON string: ``${secret:NAME}``, ``${rollout:...}``, ``${firmware:...}``. Before validation
each is replaced by a sample of the right type (an integer request id, an RFC 3339 time), so the
structure, types and lengths of the real request are checked; an unknown reference fails.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from importlib import resources
from typing import Any

import fastjsonschema

__all__ = ["PLACEHOLDER_RE", "SchemaValidator", "fill_placeholders", "ocpp_errors", "ocpp_schemas_digest",
           "schema_digest", "software_schema_validator"]

PLACEHOLDER_RE = re.compile(r"^\$\{(secret|rollout|firmware):([A-Za-z0-9_]+)\}$")

#: Samples standing in for references while validating (type and length of a real value).
_SAMPLES: dict[str, Any] = {
    "rollout:firmware_url": "https://firmware.example.com/oem/firmware-1.0.0.bin",
    "rollout:retrieve_date_time": "2026-01-01T01:00:00Z",
    "rollout:install_date_time": "2026-01-01T01:00:00Z",
    "rollout:request_id": 1,
    "firmware:signing_certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    "firmware:signature": "c2lnbmF0dXJl",
}
#: A basic-auth password of the longest length OCPP 1.6 allows (20 bytes, sent hex-encoded: 40 chars).
_SECRET_SAMPLE = "0123456789abcdef0123456789abcdef01234567"


def fill_placeholders(value: Any, unknown: list[str]) -> Any:
    """A copy of ``value`` with each reference replaced by its sample; unknown references are collected."""
    if isinstance(value, dict):
        return {k: fill_placeholders(v, unknown) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_placeholders(v, unknown) for v in value]
    if isinstance(value, str) and value.startswith("${"):
        match = PLACEHOLDER_RE.match(value)
        if match and match.group(1) == "secret":
            return _SECRET_SAMPLE
        if match and value[2:-1] in _SAMPLES:
            return _SAMPLES[value[2:-1]]
        unknown.append(value)
    return value


class SchemaValidator:
    """jsonschema's verdict on a schema, fast: a compiled fastjsonschema validator screens each document.

    jsonschema stays the authority. A document the compiled validator accepts is valid (it is at least
    as strict on oemkit's and the OCPP schemas: tests/test_checks_fast.py checks that on thousands of
    mutated documents); one it rejects is handed to jsonschema, whose errors (all of them, readable)
    are the result. A schema fastjsonschema cannot compile is always checked by jsonschema alone.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.fast: Callable[[Any], Any] | None
        try:
            # Never fill in defaults. No detailed exceptions: a rejected document goes to jsonschema for
            # its errors, and without them the generated code is a fifth the size (it compiled in 0.3 s).
            self.fast = fastjsonschema.compile(schema, use_default=False, detailed_exceptions=False)
        except Exception:  # an optional speed-up: any failure to compile means "use jsonschema"
            self.fast = None

    @functools.cached_property
    def jsonschema(self) -> Any:
        """The jsonschema validator, made (and jsonschema imported) only when a document needs it."""
        import jsonschema

        cls = jsonschema.validators.validator_for(self.schema)
        return cls(self.schema, format_checker=cls.FORMAT_CHECKER)

    def errors(self, doc: Any, root: str = "(document)") -> list[str]:
        """Readable errors of ``doc`` (path: message; ``root`` names the top), in a stable order; [] when valid."""
        if self.fast is not None:
            try:
                self.fast(doc)
                return []
            except fastjsonschema.JsonSchemaException:
                pass
        return [f"{'/'.join(map(str, e.absolute_path)) or root}: {e.message}"
                for e in sorted(self.jsonschema.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]


@functools.cache
def _ocpp_validator(version: str, action: str) -> SchemaValidator:
    """Validator of a CSMS -> charger request of ``action`` from the ``ocpp`` package's schema files."""
    folder = {"1.6": "v16", "2.0.1": "v201"}[version]
    name = f"{action}.json" if version == "1.6" else f"{action}Request.json"
    text = (resources.files("ocpp") / folder / "schemas" / name).read_text(encoding="utf-8-sig")
    return SchemaValidator(json.loads(text))


def ocpp_errors(version: str, action: str, payload: Any) -> list[str]:
    """Schema errors of one OCPP request payload (references filled with samples first)."""
    unknown: list[str] = []
    filled = fill_placeholders(payload, unknown)
    try:
        validator = _ocpp_validator(version, action)
    except (KeyError, FileNotFoundError):
        return [f"no OCPP {version} schema for action {action!r}"]
    return [f"unknown reference {u!r}" for u in unknown] + validator.errors(filled, "(payload)")


@functools.cache
def _document_schema(name: str) -> dict[str, Any]:
    """A document schema from ``oemkit.split.SCHEMAS``, generated once per process (read-only)."""
    from oemkit import split

    return split.SCHEMAS[name]()


@functools.cache
def software_schema_validator(name: str) -> SchemaValidator:
    """Validator of a document schema from ``oemkit.split.SCHEMAS``."""
    return SchemaValidator(_document_schema(name))


@functools.cache
def schema_digest(name: str) -> str:
    """Identity of a document schema (part of cache keys: a changed schema re-checks)."""
    return hashlib.sha256(json.dumps(_document_schema(name), sort_keys=True).encode()).hexdigest()


@functools.cache
def ocpp_schemas_digest() -> str:
    """Identity of the installed ``ocpp`` package's schemas (its version; part of cache keys)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"ocpp {version('ocpp')}"
    except PackageNotFoundError:
        return "ocpp unknown"
