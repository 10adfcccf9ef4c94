"""Documented bounds (docs/limits.md) hold: inputs just past each limit are refused with a finding,
in bounded time and under a hard memory limit; inputs at the limit are still accepted.

The refusals run ``oemkit check`` in a subprocess with ``RLIMIT_AS`` so a bound that failed to
hold (an alias bomb expanding, a 50 MB file read whole) would die of memory instead of passing.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO

from oemkit.loader import MAX_EXTENDS_DEPTH, MAX_LAYERS
from oemkit.yamlio import MAX_ALIASES, MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, LoadFailure, parse_bytes

#: Address-space limit for the checking process: the interpreter, pydantic and libyaml fit easily;
#: an expanded alias bomb or a 50 MB file held several times over does not.
MEMORY_LIMIT = 1024 * 1024 * 1024
#: Generous wall-clock bound for one refusal, start-up included (the 2 s budget is in test_hostile).
TIMEOUT_S = 30
DIR = "profiles/partners/bounds"


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _check(ws: Path, name: str) -> tuple[int, dict[str, object]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "oemkit", "check", "--format", "json", f"{DIR}/{name}"], cwd=ws,
                          env=env, capture_output=True, timeout=TIMEOUT_S, preexec_fn=_limit_memory, check=False)
    assert "Traceback" not in proc.stderr.decode(errors="replace"), proc.stderr.decode(errors="replace")
    return proc.returncode, json.loads(proc.stdout) if proc.stdout else {}


def _write(ws: Path, name: str, data: bytes) -> None:
    folder = ws / DIR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def _rules(doc: dict[str, object]) -> set[str]:
    findings = doc.get("findings")
    assert isinstance(findings, list)
    return {f["rule"] for f in findings}


def _nested(depth: int) -> bytes:
    return b"a: " + b"[" * depth + b"1" + b"]" * depth + b"\n"


def _aliases(count: int) -> bytes:
    return b"x: &v 1\ny: [" + b", ".join([b"*v"] * count) + b"]\n"


def _chain(ws: Path, hops: int) -> None:
    for i in range(hops):
        _write(ws, f"c{i}.yaml", f"schema_version: 1\nextends: [c{i + 1}.yaml]\n".encode())
    _write(ws, f"c{hops}.yaml", b"schema_version: 1\n")


OVER: dict[str, Callable[[Path], tuple[str, str]]] = {}


def _case(fn: Callable[[Path], tuple[str, str]]) -> Callable[[Path], tuple[str, str]]:
    OVER[fn.__name__] = fn
    return fn


@_case
def file_50_mb(ws: Path) -> tuple[str, str]:
    _write(ws, "big.yaml", b"schema_version: 1\n# " + b"x" * (50 * 1024 * 1024) + b"\n")
    return "big.yaml", "YAML-LIMIT"


@_case
def file_one_byte_over(ws: Path) -> tuple[str, str]:
    head = b"schema_version: 1\n# "
    _write(ws, "over.yaml", head + b"x" * (MAX_FILE_BYTES + 1 - len(head)))
    return "over.yaml", "YAML-LIMIT"


@_case
def billion_laughs(ws: Path) -> tuple[str, str]:
    lines = [b"l0: &l0 [" + b", ".join([b'"lol"'] * 10) + b"]"]
    lines += [b"l%d: &l%d [" % (i, i) + b", ".join([b"*l%d" % (i - 1)] * 10) + b"]" for i in range(1, 10)]
    _write(ws, "bomb.yaml", b"\n".join(lines) + b"\n")
    return "bomb.yaml", "YAML-LIMIT"


@_case
def aliases_one_over(ws: Path) -> tuple[str, str]:
    _write(ws, "aliases.yaml", _aliases(MAX_ALIASES + 1))
    return "aliases.yaml", "YAML-LIMIT"


@_case
def depth_one_over(ws: Path) -> tuple[str, str]:
    _write(ws, "deep.yaml", _nested(MAX_DEPTH))  # the list levels plus the scalar inside
    return "deep.yaml", "YAML-LIMIT"


@_case
def depth_100_000(ws: Path) -> tuple[str, str]:
    _write(ws, "deeper.yaml", b"a: " + b"{a: " * 100_000 + b"1" + b"}" * 100_000 + b"\n")
    return "deeper.yaml", "YAML-LIMIT"


@_case
def nodes_one_over(ws: Path) -> tuple[str, str]:
    _write(ws, "nodes.yaml", b"a: [" + b",".join([b"1"] * MAX_NODES) + b"]\n")
    return "nodes.yaml", "YAML-LIMIT"


@_case
def extends_one_hop_over(ws: Path) -> tuple[str, str]:
    _chain(ws, MAX_EXTENDS_DEPTH + 1)
    return "c0.yaml", "EXTENDS-DEPTH"


@_case
def extends_fan_out(ws: Path) -> tuple[str, str]:
    for i in range(8):
        _write(ws, f"f{i}.yaml", ("schema_version: 1\nextends: [" + ", ".join([f"f{i + 1}.yaml"] * 30) + "]\n")
               .encode())
    _write(ws, "f8.yaml", b"schema_version: 1\n")
    return "f0.yaml", "EXTENDS-LIMIT"


@pytest.mark.parametrize("name", sorted(OVER))
def test_past_the_limit_is_refused_under_a_memory_limit(name: str, ws: Path) -> None:
    target, rule = OVER[name](ws)
    code, doc = _check(ws, target)
    assert code == 1, doc
    assert rule in _rules(doc), doc


def test_the_memory_limit_is_real(ws: Path) -> None:
    """The same limit kills a process that really expands a bomb (so the test above means something)."""
    script = "x = ['lol' * 100] * 10**9"
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=TIMEOUT_S,
                          preexec_fn=_limit_memory, check=False)
    assert proc.returncode != 0 and b"MemoryError" in proc.stderr


def _parses(data: bytes) -> bool:
    try:
        parse_bytes(data, "f.yaml")
    except LoadFailure as exc:
        assert exc.finding.rule == "YAML-LIMIT", exc.finding
        return False
    return True


def test_at_the_limits_is_accepted() -> None:
    head = b"schema_version: 1\n# "
    assert _parses(head + b"x" * (MAX_FILE_BYTES - len(head) - 1) + b"\n")
    assert _parses(_aliases(MAX_ALIASES))
    assert not _parses(_aliases(MAX_ALIASES + 1))
    assert _parses(_nested(MAX_DEPTH - 1))
    assert not _parses(_nested(MAX_DEPTH))
    assert _parses(b"a: [" + b",".join([b"1"] * (MAX_NODES - 2)) + b"]\n")  # root map + list + items


def test_extends_at_the_limit_is_followed(ws: Path) -> None:
    from oemkit.loader import resolve
    from oemkit.workspace import Workspace

    _chain(ws, MAX_EXTENDS_DEPTH)
    resolved = resolve(Workspace(ws), ws / DIR / "c0.yaml")
    assert resolved.findings == [] and len(resolved.files) == MAX_EXTENDS_DEPTH + 1
    assert MAX_LAYERS > MAX_EXTENDS_DEPTH  # a legal chain never hits the layer bound
