"""Safe writes: concurrent builds and releases, and SIGKILL at every step, never leave a partial bundle."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oemkit.atomic import TMP_SUFFIX
from oemkit.verify import verify_bundle
from tests.conftest import REPO

ID = "voltway-home-22-gb"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "OEMKIT_CRASH_AT")}
    env.update({"PYTHONPATH": str(REPO), **extra})
    return env


def _start(ws: Path, *argv: str, **env: str) -> subprocess.Popen[str]:
    # A session of its own, so a kill can take the whole process group (the build and its workers).
    return subprocess.Popen([sys.executable, "-m", "oemkit", *argv], cwd=ws, env=_env(**env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _run(ws: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oemkit", *argv], cwd=ws, env=_env(**env), capture_output=True,
                          text=True, check=False)


def _assert_clean(ws: Path) -> None:
    """Every bundle in dist/ is complete and valid; the ledger holds only valid entries."""
    for bundle in (ws / "dist").rglob("*.tar.gz"):
        result = verify_bundle(bundle)
        assert result.ok, (bundle, result.problems)
    for entry in (ws / "releases").rglob("*.json") if (ws / "releases").exists() else []:
        json.loads(entry.read_text())


def _temps(ws: Path) -> list[Path]:
    return [p for p in ws.rglob(f"*{TMP_SUFFIX}")]


def test_two_builds_at_once_on_the_same_output(ws: Path) -> None:
    procs = [_start(ws, "build", "--all", "--no-cache", "--format", "json") for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    docs = [json.loads(out) for out, _ in outs]
    assert all(len(d["bundles"]) == 6 for d in docs)
    _assert_clean(ws)
    assert _temps(ws) == []


def test_two_releases_at_once_record_one_entry(ws: Path) -> None:
    procs = [_start(ws, "release", ID, "--format", "json") for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    released = [json.loads(out)["bundles"][0]["released"] for out, _ in outs]
    assert sorted(released) == [False, False, True]  # exactly one recorded the version
    assert sorted(p.name for p in (ws / "releases" / ID).iterdir()) == ["1.0.0.json"]
    _assert_clean(ws)


def test_concurrent_releases_of_different_profiles_lose_no_entry(ws: Path) -> None:
    ids = ["voltway-home-22-gb", "voltway-home-7-gb", "ampera-wallbox-22-de", "hyperion-dc-180-us"]
    procs = [_start(ws, "release", i) for i in ids] + [_start(ws, "release", "--all", "--jobs", "2")]
    for p in procs:
        p.communicate(timeout=120)
        assert p.returncode == 0
    recorded = sorted(p.parent.name for p in (ws / "releases").rglob("1.0.0.json"))
    assert len(recorded) == 6 and set(ids) <= set(recorded)
    _assert_clean(ws)


def test_sigkill_while_writing_the_ledger_entry(ws: Path) -> None:
    # Die half-way through writing the ledger entry (the only exclusive create of a release).
    r = _run(ws, "release", ID, "--format", "json", OEMKIT_CRASH_AT="exclusive-write")
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert not (ws / "releases" / ID / "1.0.0.json").exists()
    r = _run(ws, "release", ID, "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["bundles"][0]["released"] is True
    assert _temps(ws / "releases") == []
    _assert_clean(ws)


@pytest.mark.parametrize("point", ["pack", "write", "rename", "ledger"])
def test_sigkill_at_each_step_leaves_no_partial_bundle(ws: Path, point: str) -> None:
    r = _run(ws, "release", ID, OEMKIT_CRASH_AT=point)
    assert r.returncode == -signal.SIGKILL, r.stderr
    final = ws / "dist/voltway" / f"{ID}-1.0.0.tar.gz"
    if point in ("pack", "write", "rename"):
        assert not final.exists()
    _assert_clean(ws)
    assert not (ws / "releases" / ID / "1.0.0.json").exists()  # the ledger is written last
    # The next run succeeds, records the release and sweeps the killed writer's temporary file.
    r = _run(ws, "release", ID, "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["bundles"][0]["released"] is True
    assert verify_bundle(final).ok
    assert _temps(ws / "dist") == []


@pytest.mark.parametrize("delay_ms", [150, 300, 450, 600, 900])
def test_sigkill_at_arbitrary_moments(ws: Path, delay_ms: int) -> None:
    proc = _start(ws, "build", "--all", "--no-cache", "--jobs", "2")
    time.sleep(delay_ms / 1000)  # only picks the kill moment; nothing asserts on timing
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    _assert_clean(ws)
    r = _run(ws, "build", "--all", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["bundles"]) == 6
    _assert_clean(ws)
