"""The hostile-input corpus: every folder under tests/hostile/ is one bad (or tricky) input.

Each case folder holds the input files, copied to ``profiles/partners/hostile/`` of a private copy
of the example workspace, and ``expected.yaml``: the exit code, the findings that must be reported
(rule, file relative to the case folder, line, optionally the key path), resolved values for inputs
that are valid, and setup steps for what git cannot hold (symlinks, FIFOs, 50 MB files). Every case
must end in exit 0, 1 or 2 with no internal error, and within two seconds (issue 2).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Result, copy_workspace

HOSTILE = Path(__file__).resolve().parent / "hostile"
CASES = sorted(p for p in HOSTILE.iterdir() if (p / "expected.yaml").is_file())
CASE_DIR = "profiles/partners/hostile"
#: Issue 2: each bad input is answered within two seconds.
BUDGET_S = 2.0


def _expected(case: Path) -> dict[str, Any]:
    data = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _setup(step: dict[str, Any], dest: Path, outside: Path) -> None:
    """Create what a git checkout cannot carry: symlinks, FIFOs and very large files."""
    if "symlink" in step:
        os.symlink(step["to"].replace("{outside}", str(outside)), dest / step["symlink"])
    elif "fifo" in step:
        os.mkfifo(dest / step["fifo"])
    elif "generate" in step:
        repeat, count = step["repeat"], step["count"]
        body = "".join(repeat.format(i=i) for i in range(count)) if "{i}" in repeat else repeat * count
        (dest / step["generate"]).write_text(step.get("head", "") + body + step.get("tail", ""), encoding="utf-8")
    else:
        raise AssertionError(f"unknown setup step {step}")


def _where(file: str) -> str:
    return file if file.startswith("profiles/") else f"{CASE_DIR}/{file}"


@pytest.fixture(scope="module", autouse=True)
def _warm(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Import the model and rules once, so the two-second budget measures the input, not start-up."""
    from oemkit.check import check
    from oemkit.workspace import Workspace

    root = copy_workspace(tmp_path_factory.mktemp("warm"))
    check(Workspace(root))


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_hostile_input(case: Path, tmp_path: Path, cli: Callable[..., Result]) -> None:
    exp = _expected(case)
    ws = copy_workspace(tmp_path / "ws")
    dest = ws / CASE_DIR
    shutil.copytree(case, dest, ignore=shutil.ignore_patterns("expected.yaml", ".gitattributes"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shared.yaml").write_text("schema_version: 1\nbranding: {brand_name: Elsewhere}\n", encoding="utf-8")
    for step in exp.get("setup", []):
        _setup(step, dest, outside)
    argv = [*(exp.get("args") or ["check", "--format", "json"]), f"{CASE_DIR}/{exp.get('target', 'case.yaml')}"]

    start = time.monotonic()
    try:
        res = cli(*argv, cwd=ws)
    except SystemExit as exc:  # argparse rejects bad usage by exiting (2) before oemkit runs
        res = Result(int(exc.code or 0), "", "usage error from argparse")
    elapsed = time.monotonic() - start

    assert res.code == exp["exit"], f"{exp['about']}: exit {res.code}\n{res.out[:2000]}\n{res.err[:2000]}"
    assert "Traceback" not in res.err and "internal error" not in res.err
    assert elapsed < BUDGET_S, f"{case.name} took {elapsed:.2f}s"
    if exp["exit"] == 2:
        assert res.err.strip(), "a usage error explains itself on stderr"
        return
    doc = res.json()
    for finding in doc["findings"]:
        assert finding["file"] and finding["line"] >= 1 and finding["column"] >= 1, finding
        assert finding["message"] and finding["hint"], finding
    got = [(f["rule"], f["file"], f["line"], f["path"]) for f in doc["findings"]]
    for want in exp.get("findings", []):
        assert any(
            g[0] == want["rule"] and g[1] == _where(want["file"]) and g[2] == want["line"]
            and ("path" not in want or g[3] == want["path"])
            for g in got
        ), f"{exp['about']}: missing {want}; got {got[:10]}"
    if exp["exit"] == 0:
        assert doc["errors"] == 0
    for key, value in (exp.get("values") or {}).items():
        shown = cli("explain", f"{CASE_DIR}/{exp.get('target', 'case.yaml')}", key, "--format", "json", cwd=ws)
        assert shown.code == 0, shown.err
        (item,) = shown.json()["values"]
        assert item["value"] == value and type(item["value"]) is type(value), (key, item)


def test_fuzz_harness_accepts_every_seed_and_case() -> None:
    """The atheris target (tests/fuzz/fuzz_loader.py) runs on its seeds and the corpus without atheris."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("fuzz_loader", HOSTILE.parent / "fuzz" / "fuzz_loader.py")
    assert spec is not None and spec.loader is not None
    harness = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(harness)
    inputs = [*(HOSTILE.parent / "fuzz" / "seeds").iterdir(), *(p for c in CASES for p in c.glob("*.yaml"))]
    for path in inputs:
        if path.name != "expected.yaml" and path.is_file():
            harness.test_one_input(path.read_bytes())
