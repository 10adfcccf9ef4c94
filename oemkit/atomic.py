"""The single write seam: files appear complete or not at all, and writers to one folder take turns.

Every file oemkit writes (bundles, ledger entries, keys, cache records) goes through
:func:`write_bytes` (temporary file in the same folder, fsync unless the file can be rebuilt,
rename) or :func:`create_exclusive` (the same, never replacing an existing file, and with the
folder fsynced too: the ledger's append-only, durable record). :func:`locked` serialises writers
with ``fcntl.flock`` on the folder itself, so no lock files litter the workspace and a killed
process releases its lock with its file descriptors.

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
from typing import TypeAlias

StrPath: TypeAlias = "str | os.PathLike[str]"

__all__ = ["TMP_SUFFIX", "clean_stale", "crash_point", "create_exclusive", "locked", "write_bytes"]

TMP_SUFFIX = ".oemkit-tmp"
#: Test seam: ``OEMKIT_CRASH_AT=<point>`` makes the process SIGKILL itself at that named point, so the
#: crash tests hit every step deterministically instead of racing a timer.
_CRASH_ENV = "OEMKIT_CRASH_AT"


def crash_point(name: str) -> None:
    """Kill this process with SIGKILL when ``OEMKIT_CRASH_AT`` names this point (tests only)."""
    if os.environ.get(_CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _fsync_dir(folder: StrPath) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_folder(folder: StrPath) -> None:
    Path(folder).mkdir(parents=True, exist_ok=True)


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _write_temp(path: str, data: bytes, mode: int, durable: bool = True, point: str = "write") -> str:
    folder, name = os.path.split(path)
    fd, tmp = tempfile.mkstemp(dir=folder or ".", prefix=f".{name}.", suffix=TMP_SUFFIX)
    try:
        try:  # plain os.write: no buffered file object, nothing left in a buffer when the fd closes
            half = len(data) // 2
            _write_all(fd, memoryview(data)[:half])
            crash_point(point)  # half written: the worst moment to die
            _write_all(fd, memoryview(data)[half:])
            os.fchmod(fd, mode)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _write_temp_in_folder(path: str, data: bytes, mode: int, durable: bool = True, point: str = "write") -> str:
    """:func:`_write_temp`, creating the folder first when it is missing.

    Tried before creating it: the folder nearly always exists already, and a ``mkdir`` that fails
    costs a system call per file. A missing (or non-folder) parent gets the full ``mkdir`` and its errors.
    """
    try:
        return _write_temp(path, data, mode, durable, point)
    except (FileNotFoundError, NotADirectoryError):
        _make_folder(os.path.dirname(path) or ".")
        return _write_temp(path, data, mode, durable, point)


def write_bytes(path: StrPath, data: bytes, *, mode: int = 0o644, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically (readers see the old file or the new one, never a part).

    The data is fsynced before the rename, so even a power cut leaves the old file or the whole new
    one. The folder is not fsynced (it costs as much again): after a power cut the rename itself may
    be lost, which a rebuild repairs. ``durable=False`` skips the fsync too: still atomic against a
    killed process (the page cache survives it); for files that are only an optimisation (cache records)
    or that are rebuilt when lost and checked by hash before reuse (a development build's bundles).
    """
    target = os.fspath(path)
    tmp = _write_temp_in_folder(target, data, mode, durable)
    try:
        crash_point("rename")
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def create_exclusive(path: StrPath, data: bytes, *, mode: int = 0o644) -> bool:
    """Create ``path`` with ``data`` atomically unless it exists; True when this call created it."""
    target = os.fspath(path)
    tmp = _write_temp_in_folder(target, data, mode, point="exclusive-write")
    try:
        os.link(tmp, target)  # fails if path exists: the file is never replaced
        created = True
    except FileExistsError:
        created = False
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    if created:
        _fsync_dir(os.path.dirname(target) or ".")
    return created


def clean_stale(folder: StrPath) -> None:
    """Remove temporary files left by killed writers. Call only while holding :func:`locked` on ``folder``."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        if name.startswith(".") and name.endswith(TMP_SUFFIX):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, name))


@contextlib.contextmanager
def locked(folder: StrPath) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``folder`` (created if needed) for the duration of the block."""
    try:  # the folder nearly always exists: open it first, create it only when that fails
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        _make_folder(folder)  # raises what a missing or blocked folder raised before
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
