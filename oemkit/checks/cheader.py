"""The C header check: compile it with a generated test program that asserts every value, and run it.

The program is written from the firmware values themselves (not from the header), so a template
or escaping bug shows up as a mismatch: strings are compared byte for byte with their UTF-8
encoding, integers and colours by value, floats against exact hex-float literals, and an unset
value must not be defined. The header is included twice to prove the include guard. Flags are
those of the issue: ``gcc -std=c11 -Wall -Wextra -Werror -pedantic``. A missing compiler is a
usage error, never a skipped pass.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from oemkit.errors import UsageError

if TYPE_CHECKING:
    from oemkit.render.entries import Entry

__all__ = ["BATCH_SIZE", "CFLAGS", "batch_program", "compiler", "compiler_identity", "generator_identity",
           "run_header_check", "run_header_checks", "test_program"]

CFLAGS: tuple[str, ...] = ("-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic")
_TIMEOUT_S = 120


def compiler() -> str:
    """The C compiler: ``$CC`` or ``gcc``, which must be on PATH."""
    name = os.environ.get("CC") or "gcc"
    found = _which(name, os.environ.get("PATH"))
    if found is None:
        raise UsageError(f"{name}: C compiler not found on PATH. The firmware header check compiles "
                         f"firmware/oem_config.h with `gcc {' '.join(CFLAGS)}`; without a compiler the check "
                         "cannot pass. Install gcc (apt-get install gcc, or scripts/install-system-deps.sh) or "
                         "set CC to a gcc-compatible compiler, then run again.")
    return found


@functools.lru_cache(maxsize=8)
def _which(name: str, path: str | None) -> str | None:
    """``shutil.which``, once per process for each $CC and $PATH (it stats every PATH entry)."""
    return shutil.which(name, path=path)


@functools.cache
def generator_identity() -> str:
    """sha256 of this module: part of the cache key, so a changed test program re-checks every header."""
    with open(__file__, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


@functools.cache
def compiler_identity(path: str) -> str:
    """First line of ``CC --version``: part of the cache key, so a new compiler re-checks."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except OSError as exc:
        raise UsageError(f"{path}: the C compiler cannot be run ({exc.strerror}). Fix the installation or "
                         "set CC to a working gcc-compatible compiler.") from None
    return (out.stdout.splitlines() or [path])[0]


_PLAIN = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 _.,:;-/")


def _octal_literal(data: bytes) -> str:
    """A C string literal of ``data``: letters, digits and a few marks as they are, every other byte as a
    three-digit octal escape (which never runs on into the next character). Written independently of
    oemkit's own C escaping, which it checks."""
    return '"' + "".join(chr(b) if b in _PLAIN else f"\\{b:03o}" for b in data) + '"'


def _rows(entries: Iterable[Entry]) -> tuple[list[str], list[str]]:
    """(preprocessor guards, table rows) asserting every value of one header.

    Each row is ``{name, ok, got, got size, want, want size}``: numbers are compared by a constant
    expression (so the program is data, which compiles fast), strings byte for byte at run time.
    """
    rows: list[str] = []
    guards: list[str] = []
    for e in entries:
        if e.kind == "unset":
            guards.append(f'#ifdef {e.name}\n#error "{e.name} must not be defined (the value is not set)"\n#endif')
            continue
        guards.append(f'#ifndef {e.name}\n#error "{e.name} is missing"\n#endif')
        if e.kind == "string":
            want = _octal_literal(str(e.value).encode("utf-8"))
            rows.append(f'    {{"{e.name}", 1, {e.name}, sizeof({e.name}), {want}, sizeof({want})}},')
            continue
        if e.kind == "bool":
            expr = f"({e.name}) == {'true' if e.value else 'false'}"
        elif e.kind == "int":
            expr = f"({e.name}) == INT32_C({int(e.value)})"
        elif e.kind == "color":
            expr = f"({e.name}) == UINT32_C(0x{str(e.value)[1:]})"
        else:  # float
            expr = f"({e.name}) == {float(e.value).hex()}"
        rows.append(f'    {{"{e.name}", {expr}, NULL, 0, NULL, 0}},')
    return guards, rows


_DEFINE_RE = re.compile(rb"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)

_PRELUDE = """#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct oem_check {
    const char *name;
    int ok;
    const void *got;
    size_t got_size;
    const void *want;
    size_t want_size;
};
"""

_MAIN = """int main(void)
{
    int failures = 0;
    for (size_t h = 0; h < sizeof headers / sizeof headers[0]; h++) {
        for (size_t i = 0; i < headers[h].count; i++) {
            const struct oem_check *c = &headers[h].checks[i];
            int ok = c->ok && (c->want == NULL || (c->got_size == c->want_size &&
                                                   memcmp(c->got, c->want, c->want_size) == 0));
            if (!ok) {
                printf("%u %s\\n", (unsigned)h, c->name);
                failures++;
            }
        }
    }
    return failures == 0 ? 0 : 1;
}
"""


def test_program(entries: Iterable[Entry]) -> str:
    """A C11 program that exits 0 only when every macro of ``oem_config.h`` has its expected value."""
    return batch_program([("oem_config.h", list(entries), b"")])


def batch_program(sections: Sequence[tuple[str, Sequence[Entry], bytes]]) -> str:
    """One test program for many ``(include name, entries, header)``: one compiler run instead of one per header.

    Each header is included twice (the include guard must hold) and its expected values become a
    table; then the guard and every macro any header defines are ``#undef``-ed so the next header
    starts clean. The first header comes before any system include, so it must be self-contained; the
    headers of one build share their template, so that proves it for all. A failure prints
    ``<index> <macro>``.
    """
    lines = ["/* Generated by oemkit: asserts every value of oem_config.h. */"]
    tables: list[str] = []
    # Every name any header of the batch defines or must define: a macro left over from one header can
    # then never stand in for one the next header lacks.
    names = sorted({m.decode() for _, _, header in sections for m in _DEFINE_RE.findall(header)} |
                   {e.name for _, entries, _ in sections for e in entries} | {"OEM_CONFIG_H"})
    for index, (include, section_entries, _header) in enumerate(sections):
        guards, rows = _rows(section_entries)
        lines += [f'#include "{include}"', f'#include "{include}" /* twice: the include guard must hold */']
        if index == 0:
            lines.append(_PRELUDE)
        lines += [*guards, "", f"static const struct oem_check checks_{index}[] = {{", *rows,
                  '    {"(none)", 1, NULL, 0, NULL, 0},', "};", ""]
        if index + 1 < len(sections):
            lines += [f"#undef {name}" for name in names] + [""]
        tables.append(f"    {{checks_{index}, sizeof checks_{index} / sizeof checks_{index}[0]}},")
    lines += ["static const struct {", "    const struct oem_check *checks;", "    size_t count;",
              "} headers[] = {", *tables, "};", "", _MAIN]
    return "\n".join(lines)


#: Headers per compiler run: large enough to amortise gcc's start, small enough to keep a batch quick.
BATCH_SIZE = 64


def run_header_checks(cc: str, items: Sequence[tuple[bytes, Sequence[Entry]]]) -> list[tuple[bool, str]]:
    """(ok, message) of each ``(header, entries)``: compiled and run in batches, one compiler run per batch.

    Only headers with the same skeleton (their text without comments and ``#define`` lines: the
    includes and any declarations) share a batch, so the batch's first header, compiled before any
    system include, proves that every header of the batch is self-contained. A batch that does not
    compile is re-checked one header at a time, so each header gets its own compiler message (and one
    bad header cannot fail the others).
    """
    groups: dict[bytes, list[int]] = {}
    for index, (header, _entries) in enumerate(items):
        groups.setdefault(_skeleton(header), []).append(index)
    results: list[tuple[bool, str] | None] = [None] * len(items)
    for indexes in groups.values():
        for start in range(0, len(indexes), BATCH_SIZE):
            chunk = indexes[start:start + BATCH_SIZE]
            if len(chunk) == 1:
                header, entries = items[chunk[0]]
                outcomes = [run_header_check(cc, header, test_program(entries))]
            else:
                outcomes = _run_batch(cc, [items[i] for i in chunk])
            for i, outcome in zip(chunk, outcomes, strict=True):
                results[i] = outcome
    return [r for r in results if r is not None]


_COMMENT_RE = re.compile(rb"/\*.*?\*/|//[^\n]*", re.DOTALL)
_DEFINE_LINE_RE = re.compile(rb"^[ \t]*#[ \t]*define[ \t][^\n]*\n?", re.MULTILINE)


def _skeleton(header: bytes) -> bytes:
    """The header without comments and ``#define`` lines: what headers of one template have in common."""
    text = _DEFINE_LINE_RE.sub(b"", _COMMENT_RE.sub(b"", header))
    return b"\n".join(line.strip() for line in text.splitlines() if line.strip())


def _run_batch(cc: str, batch: Sequence[tuple[bytes, Sequence[Entry]]]) -> list[tuple[bool, str]]:
    with tempfile.TemporaryDirectory(prefix="oemkit-cc-") as tmp:
        folder = Path(tmp)
        sections: list[tuple[str, Sequence[Entry], bytes]] = []
        for i, (header, entries) in enumerate(batch):  # flat files: folders are slow to remove on some disks
            (folder / f"oem_config_{i}.h").write_bytes(header)
            sections.append((f"oem_config_{i}.h", entries, header))
        (folder / "oem_config_test.c").write_text(batch_program(sections), encoding="utf-8")
        exe = folder / "oem_config_test"
        cmd = [cc, *CFLAGS, "-I", str(folder), "-o", str(exe), str(folder / "oem_config_test.c")]
        try:
            built = subprocess.run(cmd, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
            ran = (subprocess.run([str(exe)], capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
                   if built.returncode == 0 else None)
        except subprocess.TimeoutExpired:
            ran = None
    if ran is None:  # did not compile (or hung): one at a time, for exact messages
        return [run_header_check(cc, header, test_program(entries)) for header, entries in batch]
    wrong: dict[int, list[str]] = {}
    for line in ran.stdout.splitlines():
        index, _, name = line.partition(" ")
        if index.isdigit() and int(index) < len(batch):
            wrong.setdefault(int(index), []).append(name)
    if ran.returncode != 0 and not wrong:  # crashed without naming a header: let each run alone say why
        return [run_header_check(cc, header, test_program(entries)) for header, entries in batch]
    return [(False, "the test program found wrong values:\n" + "\n".join(f"wrong value: {n}" for n in wrong[i]))
            if i in wrong else (True, _PASSED) for i in range(len(batch))]


_PASSED = f"compiled with {' '.join(CFLAGS)} and every value asserted"


def run_header_check(cc: str, header: bytes, program: str) -> tuple[bool, str]:
    """Compile ``program`` with ``header`` as ``oem_config.h`` and run it; (ok, message)."""
    with tempfile.TemporaryDirectory(prefix="oemkit-cc-") as tmp:
        folder = Path(tmp)
        (folder / "oem_config.h").write_bytes(header)
        (folder / "oem_config_test.c").write_text(program, encoding="utf-8")
        exe = folder / "oem_config_test"
        cmd = [cc, *CFLAGS, "-I", str(folder), "-o", str(exe), str(folder / "oem_config_test.c")]
        try:
            built = subprocess.run(cmd, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            return False, f"{cc} did not finish within {_TIMEOUT_S} s"
        if built.returncode != 0:
            text = (built.stderr or built.stdout).replace(str(folder) + os.sep, "")
            return False, f"`{os.path.basename(cc)} {' '.join(CFLAGS)}` rejected the header:\n{text.strip()}"
        try:
            ran = subprocess.run([str(exe)], capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            return False, f"the test program did not finish within {_TIMEOUT_S} s"
        if ran.returncode != 0:
            names = [line.partition(" ")[2] for line in ran.stdout.splitlines()]
            return False, "the test program found wrong values:\n" + "\n".join(f"wrong value: {n}" for n in names)
    return True, _PASSED
