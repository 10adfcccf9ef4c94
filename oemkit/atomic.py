"""The single write seam: files appear complete or not at all, and writers to one folder take turns.

Every file oemkit writes (bundles, ledger entries, keys, cache records) goes through
:func:`write_bytes` (temporary file in the same folder, fsync, rename) or :func:`create_exclusive`
(the same, never replacing an existing file, and with the folder fsynced too: the ledger's
append-only, durable record). :func:`locked` serialises writers with ``fcntl.flock`` on the folder
itself, so no lock files litter the workspace and a killed process releases its lock with its
file descriptors.

Temporary files are named ``.<name>.<random>.oemkit-tmp``; a writer that was killed leaves one
behind, which :func:`clean_stale` removes the next time the folder is locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["TMP_SUFFIX", "clean_stale", "crash_point", "create_exclusive", "locked", "write_bytes"]

TMP_SUFFIX = ".oemkit-tmp"
#: Test seam: ``OEMKIT_CRASH_AT=<point>`` makes the process SIGKILL itself at that named point, so the
#: crash tests hit every step deterministically instead of racing a timer.
_CRASH_ENV = "OEMKIT_CRASH_AT"


def crash_point(name: str) -> None:
    """Kill this process with SIGKILL when ``OEMKIT_CRASH_AT`` names this point (tests only)."""
    if os.environ.get(_CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temp(path: Path, data: bytes, mode: int, durable: bool = True, point: str = "write") -> str:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data[: len(data) // 2])
            crash_point(point)  # half written: the worst moment to die
            fh.write(data[len(data) // 2:])
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            if durable:
                os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def write_bytes(path: Path, data: bytes, *, mode: int = 0o644, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically (readers see the old file or the new one, never a part).

    The data is fsynced before the rename, so even a power cut leaves the old file or the whole new
    one. The folder is not fsynced (it costs as much again): after a power cut the rename itself may
    be lost, which a rebuild repairs. ``durable=False`` skips the fsync too: still atomic against a
    killed process (the page cache survives it); for files that are only an optimisation (cache records).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temp(path, data, mode, durable)
    try:
        crash_point("rename")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def create_exclusive(path: Path, data: bytes, *, mode: int = 0o644) -> bool:
    """Create ``path`` with ``data`` atomically unless it exists; True when this call created it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temp(path, data, mode, point="exclusive-write")
    try:
        os.link(tmp, path)  # fails if path exists: the file is never replaced
        created = True
    except FileExistsError:
        created = False
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    if created:
        _fsync_dir(path.parent)
    return created


def clean_stale(folder: Path) -> None:
    """Remove temporary files left by killed writers. Call only while holding :func:`locked` on ``folder``."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        if name.startswith(".") and name.endswith(TMP_SUFFIX):
            with contextlib.suppress(OSError):
                os.unlink(folder / name)


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``folder`` (created if needed) for the duration of the block."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
