"""Checks that run every rendered artifact through the tool that will consume it; results as a :class:`CheckSuite`.

:func:`run_checks` is the entry point the bundle pipeline calls; its JUnit XML goes into the bundle
as ``tests/report.xml``. One module per consumer: :mod:`.cheader` (gcc, C11), :mod:`.kconfig`
(kconfiglib), :mod:`.payloads` (the ``ocpp`` package's JSON schemas and the document schemas).
Expensive checks are cached by the sha256 of their inputs (:mod:`.cache`), so identical firmware
artifacts are compiled once per cache folder.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from oemkit.checks import cache
from oemkit.checks.suite import CheckCase, CheckSuite

if TYPE_CHECKING:
    from oemkit.model import Profile
    from oemkit.render.entries import Entry

__all__ = ["CheckCase", "CheckInput", "CheckSuite", "run_checks", "run_checks_many"]


#: Where the JSON checks keep their results: in memory only. A compiled validator checks a document in
#: well under a millisecond, less than writing and later reading a cache file would cost; the compiler
#: and kconfiglib checks, which cost milliseconds, also keep theirs in the cache folder.
_IN_MEMORY: Path | None = None


def _cached_case(name: str, classname: str, key: str, cache_dir: Path | None,
                 run: Callable[[], cache.Outcome]) -> CheckCase:
    """Run a check, or take its outcome from the cache when its inputs (hashed into ``key``) were seen."""
    start = time.perf_counter()
    (ok, message, skipped), hit = cache.cached(key, cache_dir, run)
    return CheckCase(name, classname, ok, message, time.perf_counter() - start, skipped, hit)


def _passed(result: tuple[bool, str]) -> cache.Outcome:
    return result[0], result[1], False


def _classname(path: str) -> str:
    return path.replace("/", ".")


def _load_json(files: dict[str, bytes], path: str) -> tuple[Any, str]:
    data = files.get(path)
    if data is None:
        return None, f"{path} was not rendered"
    try:
        return json.loads(data.decode("utf-8")), ""
    except (UnicodeDecodeError, ValueError) as exc:
        return None, f"{path} is not valid UTF-8 JSON: {exc}"


# A C comment, unrolled (no lazy ``.*?``, which steps one character at a time).
_C_COMMENT = re.compile(rb"/\*[^*]*\*+(?:[^/*][^*]*\*+)*/")
# A Kconfig comment line (never ``# CONFIG_X is not set``, which sets a value), found by the newline
# before it: a pattern that starts with a literal is found by a fast scan, unlike one anchored by ``(?m)^``.
_KCONFIG_COMMENT_AFTER_NL = re.compile(rb"\n#(?! CONFIG_[A-Za-z0-9_]+ is not set(?:\n|\Z))[^\n]*(?=\n)")


def _kconfig_code(data: bytes) -> bytes:
    """Kconfig text with each comment line emptied to ``#`` (line numbers kept), when that is plainly inert.

    Comment lines (bundle id, provenance) cannot change what kconfiglib loads. A line that ends in a
    backslash could join the next one, so text with any backslash-newline is kept whole.
    """
    if b"\\\n" in data or b"\\\r\n" in data:
        return data
    # The first line has no newline before it: scan behind one added for the purpose.
    return _KCONFIG_COMMENT_AFTER_NL.sub(b"\n#", b"\n" + data)[1:]


def _c_code_identity(header: bytes) -> bytes:
    """The header with each comment emptied to ``/**/``, when every comment is plainly inert; else the header.

    Variants that share firmware values differ only in comments (bundle id, the file:line that set each
    value), so keying the compile on the code lets identical firmware compile once across the portfolio.
    A comment that could act as code (a nested or unclosed ``/*``, a trigraph, a line splice) keeps the
    full key, so such a header is always compiled for real: every ``/*`` must open one of the comments
    removed (``/*`` occurrences never overlap, so counting them is exact).
    """
    if b"\\\n" in header or b"??" in header:
        return header
    code, removed = _C_COMMENT.subn(b"/**/", header)
    return code if header.count(b"/*") == removed else header


def _expected(entries: list[Entry]) -> str:
    """The expected values as text: what the header and Kconfig checks' cache keys hold of the profile."""
    return "\n".join(f"{e.name}={e.kind}:{e.value!r}" for e in entries)


def _header_key(files: dict[str, bytes], expected: str) -> str | None:
    """Cache key of the header check (compiler, test generator, header code, expected values); None if not rendered."""
    from oemkit.checks.cheader import compiler, compiler_identity, generator_identity

    cc = compiler()  # a missing compiler is a usage error, raised before any result is cached
    header = files.get("firmware/oem_config.h")
    if header is None:
        return None
    return cache.digest("c-header", compiler_identity(cc), generator_identity(), _c_code_identity(header), expected)


def _header_outcomes(items: list[_Item], cache_dir: Path | None) -> dict[str, tuple[cache.Outcome, float | None]]:
    """The header check of every item, by key: from the cache (seconds None), or compiled now, many headers
    per compiler run (seconds: its share of the run)."""
    from oemkit.checks.cheader import compiler, run_header_checks

    outcomes: dict[str, tuple[cache.Outcome, float | None]] = {}
    pending: dict[str, tuple[bytes, list[Entry]]] = {}
    for item in items:
        key = item.header_key
        if key is None or key in outcomes or key in pending:
            continue
        hit = cache.lookup(key, cache_dir)
        if hit is not None:
            outcomes[key] = (hit, None)
        else:
            pending[key] = (item.files["firmware/oem_config.h"], item.entries)
    if pending:
        start = time.perf_counter()
        results = run_header_checks(compiler(), list(pending.values()))
        share = (time.perf_counter() - start) / len(pending)
        for key, result in zip(pending, results, strict=True):
            outcome = _passed(result)
            cache.store(key, cache_dir, outcome)
            outcomes[key] = (outcome, share)
    return outcomes


_HEADER_CASE = "gcc -std=c11 -Wall -Wextra -Werror -pedantic: compiles, and a test program asserts every value"


def _header_case(item: _Item, outcomes: dict[str, tuple[cache.Outcome, float | None]]) -> CheckCase:
    if item.header_key is None:
        return CheckCase(_HEADER_CASE, "firmware.oem_config.h", False, "firmware/oem_config.h was not rendered")
    (ok, message, skipped), seconds = outcomes[item.header_key]
    outcomes[item.header_key] = (ok, message, skipped), None  # later twins of this header report a cache hit
    return CheckCase(_HEADER_CASE, "firmware.oem_config.h", ok, message, seconds or 0.0, skipped, seconds is None)


def _kconfig_case(files: dict[str, bytes], entries: list[Entry], expected: str, cache_dir: Path | None) -> CheckCase:
    from oemkit.checks.kconfig import run_kconfig_check

    name = "kconfiglib loads oem.conf against Kconfig with no warning"
    tree, fragment = files.get("firmware/Kconfig"), files.get("firmware/oem.conf")
    if tree is None or fragment is None:
        return CheckCase(name, "firmware.oem.conf", False, "firmware/Kconfig or firmware/oem.conf was not rendered")
    code = _kconfig_code(tree)
    key = cache.digest("kconfig", code, _kconfig_code(fragment), expected)
    # The tree is parsed from its code, so the trees of a build (same code, other comments) parse once.
    return _cached_case(name, "firmware.oem.conf", key, cache_dir,
                        lambda: _passed(run_kconfig_check(code, fragment, entries)))


def _document_case(files: dict[str, bytes], path: str, expected: dict[str, Any], schema: str) -> CheckCase:
    """The JSON document equals the split's and validates against its schema.

    The comparison is cheap and runs every time; the schema validation is cached by the document's bytes.
    """
    from oemkit.checks.payloads import schema_digest, software_schema_validator

    name, classname = f"equals the split document and validates against {schema}", _classname(path)
    data = files.get(path)
    doc: Any = expected
    if data is None or not _is_split_json(data, expected):
        doc, problem = _load_json(files, path)
        if problem:
            return CheckCase(name, classname, False, problem)
        if doc != expected:  # both are plain JSON values (the split dumps in JSON mode)
            return CheckCase(name, classname, False, f"{path} differs from the document oemkit.split.split made")

    def run() -> cache.Outcome:
        errors = software_schema_validator(schema).errors(doc)
        return (False, f"{schema}: " + "\n".join(errors), False) if errors else (True, "", False)

    key = cache.digest("document", path, files[path], schema_digest(schema))
    return _cached_case(name, classname, key, _IN_MEMORY, run)


def _is_split_json(data: bytes, expected: Any) -> bool:
    """Is ``data`` orjson's two-space JSON of ``expected`` (and a newline), as the built-in templates write it?

    Then it parses to ``expected`` exactly, and no parse is needed; any other spelling is parsed and compared.
    """
    try:
        dumped = orjson.dumps(expected, option=orjson.OPT_INDENT_2)
    except TypeError:  # outside orjson's range: the parse decides
        return False
    return data.startswith(dumped) and data[len(dumped):] in (b"", b"\n")


def _provisioning_case(files: dict[str, bytes], version: str) -> CheckCase:
    from oemkit.checks.payloads import ocpp_errors, ocpp_schemas_digest

    path = f"software/ocpp/provisioning-{version}.json"

    def run() -> cache.Outcome:
        doc, problem = _load_json(files, path)
        if problem:
            return False, problem, False
        if not isinstance(doc, dict) or doc.get("ocpp_version") != version or not isinstance(doc.get("requests"),
                                                                                             list):
            return False, f"{path}: expected {{ocpp_version: {version}, requests: [...]}}", False
        problems: list[str] = []
        for i, request in enumerate(doc["requests"]):
            action = request.get("action") if isinstance(request, dict) else None
            if not isinstance(action, str):
                problems.append(f"requests/{i}: no action")
                continue
            problems += [f"requests/{i} ({action}) {e}" for e in ocpp_errors(version, action, request.get("payload"))]
        if problems:
            return False, "\n".join(problems), False
        return True, f"{len(doc['requests'])} request(s) valid", False

    key = cache.digest("provisioning", version, files.get(path, b"\0missing"), ocpp_schemas_digest())
    return _cached_case(f"every request validates against the OCPP {version} JSON schemas (ocpp package)",
                        _classname(path), key, _IN_MEMORY, run)


def _rollout_case(files: dict[str, bytes], version: str) -> CheckCase:
    from oemkit.checks.payloads import PLACEHOLDER_RE, ocpp_errors, ocpp_schemas_digest

    path = "software/rollout.json"

    def run() -> cache.Outcome:
        doc, problem = _load_json(files, path)
        if problem:
            return False, problem, False
        request = doc.get("update_firmware") if isinstance(doc, dict) else None
        if not isinstance(request, dict) or request.get("ocpp_version") != version:
            return False, f"{path}: no update_firmware request for OCPP {version}", False
        problems = ocpp_errors(version, str(request.get("action")), request.get("payload"))
        declared = set(doc.get("placeholders", {}))
        used = {v for v in _strings(request.get("payload")) if PLACEHOLDER_RE.match(v)}
        problems += [f"reference {u} is used but not listed under placeholders" for u in sorted(used - declared)]
        return (False, "\n".join(problems), False) if problems else (True, "", False)

    key = cache.digest("rollout", version, files.get(path, b"\0missing"), ocpp_schemas_digest())
    return _cached_case(f"the UpdateFirmware request validates against the OCPP {version} JSON schema (ocpp package)",
                        _classname(path), key, _IN_MEMORY, run)


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _secret_names(value: Any) -> list[str]:
    if isinstance(value, dict):
        if set(value) == {"secret"} and isinstance(value["secret"], str):
            return [value["secret"]]
        return [n for v in value.values() for n in _secret_names(v)]
    if isinstance(value, list):
        return [n for v in value for n in _secret_names(v)]
    return []


def _secrets_case(files: dict[str, bytes], profile_data: dict[str, Any]) -> CheckCase:
    """No artifact holds the value of a secret the profile names (when the environment has one)."""
    # A secret reference is a {"secret": name} object, so a document whose JSON has no '"secret":'
    # names none: one C-speed dump instead of a walk over every value (nearly all profiles).
    try:
        maybe = b'"secret":' in orjson.dumps(profile_data)
    except TypeError:
        maybe = True
    names = sorted(set(_secret_names(profile_data))) if maybe else []
    leaks = []
    for name in names:
        value = os.environ.get(f"OEMKIT_SECRET_{name}", "")
        if len(value) >= 4:
            leaks += [f"{path} holds the value of secret {name}" for path, data in sorted(files.items())
                      if value.encode("utf-8") in data]
    if leaks:
        return CheckCase("no secret value in any artifact", "bundle", False, "\n".join(leaks))
    return CheckCase("no secret value in any artifact", "bundle", True,
                     f"references only ({', '.join(names) or 'no secrets named'})")


@dataclass
class _Item:
    """One profile's checks in the making."""

    files: dict[str, bytes]
    profile: Profile
    firmware: dict[str, Any]
    software: dict[str, Any]
    entries: list[Entry]
    expected: str
    header_key: str | None


def _item(files: dict[str, bytes], profile: Profile, documents: tuple[dict[str, Any], dict[str, Any]] | None,
          entries: list[Entry] | None) -> _Item:
    from oemkit.render.entries import firmware_entries
    from oemkit.split import split

    firmware, software = documents if documents is not None else split(profile)
    if entries is None:
        entries = firmware_entries(firmware, {})
    expected = _expected(entries)
    return _Item(files, profile, firmware, software, entries, expected, _header_key(files, expected))


def run_checks(files: dict[str, bytes], *, profile: Profile, cache_dir: Path | None,
               documents: tuple[dict[str, Any], dict[str, Any]] | None = None) -> CheckSuite:
    """Check the rendered ``files`` of ``profile`` with their real consumers.

    ``documents`` is ``split(profile)`` when the caller already has it (the build does), so the
    per-profile path splits once. Raises :class:`oemkit.errors.UsageError` when no C compiler is installed.
    """
    return run_checks_many([CheckInput(files, profile, documents)], cache_dir=cache_dir)[0]


@dataclass(frozen=True)
class CheckInput:
    """What :func:`run_checks_many` checks for one profile.

    ``documents`` (its split) and ``entries`` (the firmware entries it was rendered from,
    :func:`oemkit.render.entries_of`) when the caller has them, so they are not made twice.
    """

    files: dict[str, bytes]
    profile: Profile
    documents: tuple[dict[str, Any], dict[str, Any]] | None = None
    entries: list[Entry] | None = None


def run_checks_many(inputs: Sequence[CheckInput], *, cache_dir: Path | None) -> list[CheckSuite]:
    """:func:`run_checks` for several profiles at once: the headers not in the cache compile in batches.

    A compiler run costs tens of milliseconds however small the header, so a build hands its profiles
    over a window at a time; the results are the same as checking each profile alone.
    """
    from oemkit.render import bundle_id, ocpp_version

    items = [_item(i.files, i.profile, i.documents, i.entries) for i in inputs]
    headers = _header_outcomes(items, cache_dir)
    suites = []
    for item in items:
        files, profile = item.files, item.profile
        version = ocpp_version(profile)
        suite = CheckSuite(bundle_id(profile))
        suite.cases.append(_header_case(item, headers))
        suite.cases.append(_kconfig_case(files, item.entries, item.expected, cache_dir))
        suite.cases.append(_document_case(files, "firmware/params.json", item.firmware,
                                          "firmware-params.schema.json"))
        suite.cases.append(_document_case(files, "software/config.json", item.software,
                                          "software-config.schema.json"))
        suite.cases.append(_provisioning_case(files, version))
        suite.cases.append(_rollout_case(files, version))
        # The two documents hold every value of the profile but its meta keys, so no second dump is needed.
        suite.cases.append(_secrets_case(files, {"firmware": item.firmware, "software": item.software}))
        suites.append(suite)
    return suites
