"""Resolved document -> validated :class:`~oemkit.model.Profile`, or findings that point at the YAML.

Pydantic errors become findings with the file and line of the offending value (for an inherited
value: the file that set it), the dotted key path, a fix hint and "did you mean" for unknown keys
and enum values. Single files that are not buildable (bases, region packs) are checked against
the exported layer schema instead.
"""

from __future__ import annotations

import difflib
import functools
import json
from typing import Any

from pydantic import ValidationError

from oemkit.errors import Finding
from oemkit.fields import children, field_index, lookup, schema_path_of
from oemkit.loader import Resolved
from oemkit.model import Profile
from oemkit.tree import MapNode, Origin

__all__ = ["MAX_SCHEMA_FINDINGS", "validate", "validate_layer", "validate_region_pack"]

_SRC = "oemkit profile schema (schemas/profile.schema.json)"
#: Schema findings reported per file; past this a file is garbage, not a profile with typos, and
#: listing 100,000 unknown keys would take longer than any partner will read.
MAX_SCHEMA_FINDINGS = 100


def _suggest(word: str, options: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, [str(o) for o in options], n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def _describe(path: str) -> str:
    meta = lookup(path)
    return f" ({meta.description})" if meta is not None and meta.description else ""


@functools.cache
def _secret_fields() -> tuple[str, ...]:
    """Schema paths of secret references (``ocpp.basic_auth_password``): their values are never echoed."""
    return tuple(p.removesuffix(".secret") for p in field_index() if p.endswith(".secret"))


def _secret_field(path: str) -> str | None:
    spath = schema_path_of(path)
    return next((f for f in _secret_fields() if spath == f or spath.startswith(f + ".")), None)


def _secret_finding(origin: Origin, path: str, field: str) -> Finding:
    # A password pasted into a profile must not be copied into CI logs and reports as well.
    name = field.rsplit(".", 1)[-1].upper()
    return _mk("SCHEMA-SECRET", origin, path, f"'{field}' must be a secret reference; the value written here "
               "is not shown.", f"write {{secret: {name}}} and set OEMKIT_SECRET_{name} in the build "
               "environment; if a real password was committed, change it.")


def _one(err: dict[str, Any], resolved: Resolved) -> Finding:
    prov = resolved.prov
    loc = [str(p) for p in err["loc"]]
    path = ".".join(loc)
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    origin = resolved.origin_of(path)
    secret = _secret_field(path) if kind != "extra_forbidden" else None
    if secret is not None:
        return _secret_finding(origin, path, secret)
    if kind == "extra_forbidden":
        key = loc[-1]
        parent_path = ".".join(loc[:-1])
        parent = prov.get(parent_path)
        if isinstance(parent, MapNode) and key in parent.key_origins:
            origin = parent.key_origins[key]
        allowed = children(schema_path_of(parent_path))
        where = f"'{parent_path}'" if parent_path else "the top level"
        return _mk("SCHEMA-UNKNOWN-KEY", origin, path, f"unknown key '{key}' in {where}.{_suggest(key, allowed)}",
                   "use one of: " + ", ".join(allowed) + "." if allowed else "remove the key.")
    if kind == "missing":
        return _mk("SCHEMA-MISSING", origin, path, f"required key '{path}' is missing{_describe(path)}.",
                   f"add '{loc[-1]}' here or in a file this one extends.")
    if kind in ("literal_error", "enum"):
        expected = ctx.get("expected", "")
        options = [o.strip().strip("'\"") for o in str(expected).replace(" or ", ",").split(",") if o.strip()]
        hint = f"use one of: {expected}."
        extra = _suggest(str(value), options) if isinstance(value, str) else ""
        if path == "ocpp.version" and isinstance(value, float):
            hint = 'quote the version: version: "1.6J" or version: "2.0.1".'
        return _mk("SCHEMA-ENUM", origin, path, f"{value!r} is not allowed here.{extra}", hint)
    if kind.endswith("_type") or kind in ("model_type", "list_type", "dict_type", "model_attributes_type"):
        want = kind.removesuffix("_type").replace("model", "mapping").replace("dict", "mapping")
        hint = f"write a {want} here{_describe(path)}."
        if want == "bool" and isinstance(value, str):
            hint = "write true or false (YAML 1.2: yes/no/on/off are strings)."
        elif want in ("int", "float") and isinstance(value, str):
            hint = f"write the number without quotes{_describe(path)}."
        return _mk("SCHEMA-TYPE", origin, path, f"{value!r} is not a {want}.", hint)
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal", "finite_number",
                "too_short", "too_long", "string_too_short", "string_too_long", "decimal_max_places",
                "decimal_max_digits", "int_from_float"):
        return _mk("SCHEMA-RANGE", origin, path, f"{_short(value)} is out of range: {err['msg']}.",
                   f"use a value within the allowed range{_describe(path)}.")
    if kind == "string_pattern_mismatch":
        return _mk("SCHEMA-FORMAT", origin, path, f"{_short(value)} has the wrong format{_describe(path)}.",
                   f"match the pattern {ctx.get('pattern', '')}.")
    return _mk("SCHEMA-INVALID", origin, path, f"{_short(value)}: {err['msg']}.", f"fix the value{_describe(path)}.")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _mk(rule: str, origin: Origin, path: str, message: str, hint: str) -> Finding:
    return Finding(rule=rule, severity="error", file=origin.file, line=origin.line, column=origin.column,
                   path=path, message=message, hint=hint, source=_SRC)


def _capped(errors: list[Any], resolved: Resolved) -> tuple[list[Any], Finding | None]:
    """The first :data:`MAX_SCHEMA_FINDINGS` errors, and a finding that says how many were left out."""
    if len(errors) <= MAX_SCHEMA_FINDINGS:
        return errors, None
    more = _mk("SCHEMA-TOO-MANY", resolved.origin_of(""), "",
               f"{len(errors) - MAX_SCHEMA_FINDINGS:,} more schema errors are not listed "
               f"(only the first {MAX_SCHEMA_FINDINGS} are).",
               "fix the errors listed above and run again; is this file really a profile?")
    return errors[:MAX_SCHEMA_FINDINGS], more


def validate(resolved: Resolved) -> tuple[Profile | None, list[Finding]]:
    """Validate a resolved buildable profile; all schema errors at once (up to a bound)."""
    try:
        return Profile.model_validate(resolved.data), []
    except ValidationError as exc:
        errors, more = _capped(exc.errors(include_url=False), resolved)
        findings = [_one(dict(e), resolved) for e in errors]
        findings += [more] if more is not None else []
        return None, sorted(set(findings), key=Finding.sort_key)


@functools.cache
def _layer_validator() -> Any:
    import jsonschema

    from oemkit.schema import layer_schema

    schema = json.loads(json.dumps(layer_schema()))
    return jsonschema.Draft202012Validator(schema)


def validate_layer(resolved: Resolved) -> list[Finding]:
    """Check a single non-buildable file (a base or region pack) against the layer schema."""
    out: list[Finding] = []
    for err in _layer_validator().iter_errors(resolved.data):
        if len(out) >= MAX_SCHEMA_FINDINGS:
            out.append(_mk("SCHEMA-TOO-MANY", resolved.origin_of(""), "",
                           f"more than {MAX_SCHEMA_FINDINGS} schema errors; the rest are not listed.",
                           "fix the errors listed and run again."))
            break
        path = ".".join(str(p) for p in err.absolute_path)
        if err.validator == "additionalProperties":
            extra = [k for k in (err.instance or {}) if k not in (err.schema.get("properties") or {})]
            for key in extra:
                sub = f"{path}.{key}" if path else key
                parent = resolved.prov.get(path)
                origin = (parent.key_origins.get(key, parent.origin) if isinstance(parent, MapNode)
                          else Origin(resolved.path, 1, 1))
                allowed = tuple(err.schema.get("properties") or ())
                out.append(_mk("SCHEMA-UNKNOWN-KEY", origin, sub, f"unknown key '{key}'.{_suggest(key, allowed)}",
                               "use one of: " + ", ".join(allowed) + "."))
            continue
        origin = resolved.origin_of(path)
        secret = _secret_field(path)
        if secret is not None:
            out.append(_secret_finding(origin, path, secret))
            continue
        out.append(_mk("SCHEMA-INVALID", origin, path, f"{_short(err.instance)}: {err.message}.",
                       f"fix the value{_describe(path)}."))
    return sorted(set(out), key=Finding.sort_key)


@functools.cache
def _region_pack_validator() -> Any:
    import jsonschema

    from oemkit.schema import region_pack_schema

    return jsonschema.Draft202012Validator(region_pack_schema())


def validate_region_pack(resolved: Resolved) -> list[Finding]:
    """A region pack must set every region fact (``schemas/region-pack.schema.json``)."""
    out = []
    for err in _region_pack_validator().iter_errors(resolved.data):
        path = ".".join(str(p) for p in err.absolute_path)
        origin = resolved.prov[path].origin if path in resolved.prov else resolved.origin_of("")
        out.append(Finding(rule="REGION-PACK", severity="error", file=resolved.path, line=origin.line,
                           column=origin.column, path=path, message=f"region pack is incomplete: {err.message}.",
                           hint="a region pack sets every region fact; see schemas/region-pack.schema.json.",
                           source="oemkit region pack schema (schemas/region-pack.schema.json)"))
    return out
