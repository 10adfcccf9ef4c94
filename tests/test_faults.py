"""Faults: builds killed at any moment, full disks, unwritable outputs, read-only workspaces.

Invariants after every fault: each bundle on disk is complete and verifies, each ledger entry is
valid JSON naming a bundle with that exact sha256, nothing already released changed, and the next
clean run succeeds without recording anything twice. Kills use SIGKILL (no cleanup runs) on
subprocesses this test started: at every named crash point of the write path (``OEMKIT_CRASH_AT``,
the seam in oemkit/atomic.py) and at seeded random moments. Disk faults use a real small tmpfs
or read-only mount when the test runs as root and may mount, and always a fake at the single
write seam (a temporary file whose writes land on /dev/full, or that cannot be created).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import REPO, Result

from oemkit import atomic

CRASH_POINTS = ("write", "rename", "pack", "ledger", "exclusive-write")
RANDOM_KILLS = 10
PROFILE = "voltway-home-22-gb"


def _oemkit(ws: Path, *argv: str, crash: str | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("OEMKIT_CRASH_AT", None)
    if crash:
        env["OEMKIT_CRASH_AT"] = crash
    return subprocess.Popen([sys.executable, "-m", "oemkit", *argv], cwd=ws, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(ws: Path) -> dict[str, str]:
    """Every released bundle and ledger entry, by path, with its sha256."""
    files = [*(ws / "dist").rglob("*.tar.gz"), *(ws / "releases").rglob("*.json")]
    return {str(p.relative_to(ws)): _sha(p) for p in files}


def _assert_consistent(ws: Path, cli: Callable[..., Result]) -> None:
    bundles = sorted((ws / "dist").rglob("*.tar.gz"))
    for bundle in bundles:
        with tarfile.open(bundle) as tf:  # complete: every member reads to its end
            for member in tf.getmembers():
                fh = tf.extractfile(member)
                if fh is not None:
                    fh.read()
    if bundles:
        res = cli("verify", *map(str, bundles), cwd=ws)
        assert res.code == 0, res.out + res.err
    by_name = {b.name: b for b in bundles}
    for entry_file in (ws / "releases").rglob("*.json"):
        entry = json.loads(entry_file.read_bytes())  # never empty or cut off
        bundle = by_name.get(entry["bundle"])
        assert bundle is not None, f"{entry_file} names {entry['bundle']}, which is not on disk"
        assert _sha(bundle) == entry["bundle_sha256"], f"{bundle} differs from its ledger entry"


def _leftover_temps(ws: Path) -> list[Path]:
    return [p for p in ws.rglob(f"*{atomic.TMP_SUFFIX}") if ".oemkit-cache" not in p.parts]


def _release_ok(ws: Path, *argv: str) -> None:
    proc = _oemkit(ws, "release", *argv)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, (out + err).decode(errors="replace")


def _bump_software(ws: Path, n: int) -> None:
    """A software-only change, so the next release writes a new version."""
    partner = ws / "profiles/partners/voltway/partner.yaml"
    text = partner.read_text(encoding="utf-8")
    partner.write_text(text.replace("title: Voltway Home", f"title: Voltway Home {n}")
                       .replace(f"title: Voltway Home {n - 1}", f"title: Voltway Home {n}"), encoding="utf-8")


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_sigkill_at_each_crash_point(point: str, ws: Path, cli: Callable[..., Result]) -> None:
    _release_ok(ws, PROFILE)
    released = _snapshot(ws)
    _bump_software(ws, 1)
    proc = _oemkit(ws, "release", PROFILE, crash=point)
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, f"crash point {point!r} was never reached"
    _assert_consistent(ws, cli)
    after = _snapshot(ws)
    assert all(after.get(p) == h for p, h in released.items()), "a released bundle or entry changed"
    _release_ok(ws, PROFILE)  # the next run repairs everything
    _assert_consistent(ws, cli)
    entries = sorted(p.name for p in (ws / "releases" / PROFILE).glob("*.json"))
    assert len(entries) == 2, entries  # the old release and exactly one new one
    assert _leftover_temps(ws) == []


def _kill_moments(seconds: float) -> Iterator[float]:
    rng = random.Random(20261125)  # fixed seed: the same moments on every run
    for _ in range(RANDOM_KILLS):
        yield rng.uniform(0.05, seconds)


def test_sigkill_at_random_moments(ws: Path, cli: Callable[..., Result]) -> None:
    start = time.monotonic()
    proc = _oemkit(ws, "build", "--all", "--no-cache", "-o", "probe")  # about as long as a release
    proc.communicate(timeout=300)
    full = time.monotonic() - start
    for moment in _kill_moments(full):
        proc = _oemkit(ws, "release", "--all")
        time.sleep(moment)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        _assert_consistent(ws, cli)
    _release_ok(ws, "--all")
    _assert_consistent(ws, cli)
    for folder in (ws / "releases").iterdir():  # unchanged profiles: one version each, never two
        assert [p.name for p in folder.glob("*.json")] == ["1.0.0.json"], folder
    assert _leftover_temps(ws) == []


def _assert_clean_failure(res: Result) -> None:
    assert res.code == 2, res.out + res.err
    assert "Traceback" not in res.err and "internal error" not in res.out + res.err
    assert "IO-ERROR" in res.out + res.err or "error" in res.err


def test_full_disk_at_the_write_seam(ws: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every temporary file's writes fail with ENOSPC (they land on /dev/full): exit 2, nothing lost."""
    assert cli("release", PROFILE, cwd=ws).code == 0
    released = _snapshot(ws)
    _bump_software(ws, 1)
    real_mkstemp = atomic.tempfile.mkstemp

    def full_mkstemp(*args: object, **kwargs: object) -> tuple[int, str]:
        fd, name = real_mkstemp(*args, **kwargs)  # type: ignore[call-overload]
        os.close(fd)
        return os.open("/dev/full", os.O_WRONLY), name

    monkeypatch.setattr(atomic.tempfile, "mkstemp", full_mkstemp)
    res = cli("release", PROFILE, "--format", "json", cwd=ws)
    _assert_clean_failure(res)
    monkeypatch.undo()
    assert _snapshot(ws) == released
    _assert_consistent(ws, cli)
    assert _leftover_temps(ws) == []


@pytest.mark.parametrize("err", [errno.EACCES, errno.EROFS])
def test_unwritable_output_at_the_write_seam(err: int, ws: Path, cli: Callable[..., Result],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """No temporary file can be created (permission denied, read-only file system): exit 2, nothing lost."""
    assert cli("release", PROFILE, cwd=ws).code == 0
    released = _snapshot(ws)
    _bump_software(ws, 1)

    def refuse(*_args: object, **_kwargs: object) -> tuple[int, str]:
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
    for argv in (("release", PROFILE), ("build", "--all", "--no-cache")):
        _assert_clean_failure(cli(*argv, cwd=ws))
    monkeypatch.undo()
    assert _snapshot(ws) == released
    _assert_consistent(ws, cli)


def test_output_folder_below_a_file(ws: Path, cli: Callable[..., Result]) -> None:
    (ws / "not-a-folder").write_text("x", encoding="utf-8")
    _assert_clean_failure(cli("build", PROFILE, "-o", "not-a-folder/dist", cwd=ws))


def _can_mount() -> bool:
    return sys.platform == "linux" and os.geteuid() == 0


def _mount(*argv: str) -> bool:
    return subprocess.run(["mount", *argv], capture_output=True).returncode == 0


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    if not _can_mount():
        pytest.skip("mounting a tmpfs needs root on Linux; the write-seam test covers a full disk")
    mnt = tmp_path / "full"
    mnt.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mnt)):
        pytest.skip("mount not permitted here")
    try:
        yield mnt
    finally:
        if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True, check=False)


def test_full_disk_on_a_real_small_tmpfs(ws: Path, cli: Callable[..., Result], small_tmpfs: Path) -> None:
    res = cli("build", "--all", "--no-cache", "-o", str(small_tmpfs), cwd=ws)
    _assert_clean_failure(res)
    assert list(small_tmpfs.rglob("*.tar.gz")) == []  # no partial bundle
    assert [p for p in small_tmpfs.rglob(f"*{atomic.TMP_SUFFIX}")] == []


@contextlib.contextmanager
def _read_only(ws: Path) -> Iterator[None]:
    """Bind-mount the workspace read-only over itself (root only: permissions do not stop root)."""
    if not _can_mount():
        pytest.skip("a read-only bind mount needs root on Linux; the write-seam test covers EROFS")
    if not _mount("--bind", str(ws), str(ws)):
        pytest.skip("mount not permitted here")
    try:
        if not _mount("-o", "remount,bind,ro", str(ws)):
            pytest.skip("read-only remount not permitted here")
        yield
    finally:
        os.chdir(ws.parent)  # the in-process CLI runs inside ws, which would keep the mount busy
        if subprocess.run(["umount", str(ws)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(ws)], capture_output=True, check=False)


def test_read_only_workspace(ws: Path, cli: Callable[..., Result]) -> None:
    with _read_only(ws):
        assert cli("check", cwd=ws).code == 0  # reading still works
        for argv in (("build", PROFILE), ("release", PROFILE)):
            _assert_clean_failure(cli(*argv, cwd=ws))


def test_released_work_survives_a_read_only_workspace(ws: Path, cli: Callable[..., Result]) -> None:
    """Release first, then make the workspace read-only and try again: the released files are intact."""
    assert cli("release", "--all", cwd=ws).code == 0
    released = _snapshot(ws)
    _bump_software(ws, 1)
    with _read_only(ws):
        _assert_clean_failure(cli("release", "--all", cwd=ws))
    assert _snapshot(ws) == released
    _assert_consistent(ws, cli)
