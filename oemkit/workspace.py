"""The workspace: where profiles live, which are buildable, and where templates and schemas come from.

A workspace is the nearest folder upward holding ``profiles/`` and a ``pyproject.toml`` with a
``[tool.oemkit]`` table (or the folder given with ``--workspace``). Templates and schemas of the
workspace win over the ones packed into the wheel.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from oemkit.errors import UsageError

__all__ = ["Workspace", "data_dir", "find_workspace", "read_head"]

_VARIANT_RE = re.compile(rb"^variant[ \t]*:", re.MULTILINE)
#: How much of a file :meth:`Workspace.buildable` reads to find ``variant:``.
_HEAD_BYTES = 1024 * 1024
_PKG = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """A packed data folder (``templates`` or ``schemas``): the wheel's copy, or the source tree's."""
    packed = _PKG / "_data" / name
    if packed.is_dir():
        return packed
    return _PKG.parent / name


def read_head(path: str | os.PathLike[str], limit: int, first: int = 64 * 1024) -> bytes:
    """Up to ``limit`` bytes of a file: a read of ``first`` bytes (say, its stat size + 1), then 64 KiB ones.

    Plain ``os.read`` calls: ``open(...).read(n)`` allocates all ``n`` bytes and asks ``isatty``
    first, which for a profile costs more than reading it.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    try:
        chunks: list[bytes] = []
        left = limit
        want = min(max(first, 1), left)
        while left > 0:
            chunk = os.read(fd, want)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
            want = min(64 * 1024, left)
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _is_workspace(folder: Path) -> bool:
    if not (folder / "profiles").is_dir():
        return False
    try:
        with open(folder / "pyproject.toml", "rb") as fh:
            return "oemkit" in tomllib.load(fh).get("tool", {})
    except (OSError, tomllib.TOMLDecodeError):
        return False


def find_workspace(start: Path | None = None, explicit: Path | None = None) -> Workspace:
    """The workspace for ``start`` (default: the current folder) or the explicit one."""
    if explicit is not None:
        root = explicit.resolve()
        if not (root / "profiles").is_dir():
            raise UsageError(f"{explicit}: not an oemkit workspace (no profiles/ folder). "
                             "Pass the folder that holds profiles/ and pyproject.toml.")
        return Workspace(root)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if _is_workspace(folder):
            return Workspace(folder)
    raise UsageError(f"{here}: no oemkit workspace here or above (a folder with profiles/ and a pyproject.toml "
                     "holding [tool.oemkit]). Run inside a workspace or pass --workspace DIR.")


@dataclass(frozen=True)
class Workspace:
    """A resolved workspace root.

    Path questions (:meth:`rel`, :meth:`real`, :meth:`contains`) are answered with string operations
    and a memo of folders' real paths kept by this object: a check run asks them for every file of
    every profile, and ``os.path.realpath`` costs one ``lstat`` per path component. Folders are taken
    not to be re-linked during one run (one Workspace object); the file itself is always looked at.
    """

    root: Path
    #: Set by a build: its files are taken not to change while it runs, so each file is read once per
    #: run (:attr:`file_memo`, kept by :mod:`oemkit.loader`). The digests a build records are those of the
    #: bytes it used, so an edit during the run is seen by the next build.
    frozen_files: bool = field(default=False, compare=False)
    _real_dirs: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _strings: bool = field(default=False, init=False, repr=False, compare=False)
    file_memo: OrderedDict[tuple[str, str], Any] | None = field(default=None, init=False, repr=False, compare=False)
    #: With ``frozen_files``: path -> (workspace-relative name, real path) of the files reached through
    #: ``extends`` (kept by :mod:`oemkit.loader`), so the shared layers are located once per run.
    located: dict[str, tuple[str, str]] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The string forms below assume POSIX separators and an absolute root; else pathlib answers.
        text = str(self.root)
        object.__setattr__(self, "_strings", os.sep == "/" and text.startswith("/") and not text.startswith("//"))
        if self.frozen_files:
            object.__setattr__(self, "file_memo", OrderedDict())
            object.__setattr__(self, "located", {})

    @property
    def profiles(self) -> Path:
        return self.root / "profiles"

    def rel(self, path: str | os.PathLike[str]) -> str:
        """Workspace-relative POSIX path (as findings show it); as given if outside."""
        text = os.fspath(path)
        if not self._strings:
            try:
                return PurePosixPath(Path(os.path.abspath(text)).relative_to(self.root)).as_posix()
            except ValueError:
                return str(Path(text))
        absolute = os.path.abspath(text)
        root = str(self.root)
        if absolute == root:
            return "."
        prefix = root if root.endswith("/") else root + "/"
        if absolute.startswith(prefix) and not absolute.startswith("//"):  # pathlib: '//' is another root
            return absolute[len(prefix):]
        return str(Path(text))

    def _real_dir(self, folder: str) -> str:
        hit = self._real_dirs.get(folder)
        if hit is None:
            hit = self._real_dirs[folder] = os.path.realpath(folder)
        return hit

    def real(self, path: str | os.PathLike[str]) -> str:
        """``os.path.realpath(path)``, with the real path of the folder memoised (one ``lstat`` a call)."""
        return self.real_stat(path)[0]

    def real_stat(self, path: str | os.PathLike[str]) -> tuple[str, os.stat_result | None]:
        """:meth:`real`, and the file's ``lstat`` when it is not a symlink (then equal to its ``stat``).

        The loader takes the stat from here, so locating and checking a file costs one system call.
        """
        text = os.fspath(path)
        if not self._strings or not text.startswith("/") or os.path.normpath(text) != text:
            return os.path.realpath(text), None  # relative or with '..': realpath resolves links before '..'
        folder, name = os.path.split(text)
        if not name:
            return os.path.realpath(text), None
        candidate = os.path.join(self._real_dir(folder), name)
        try:
            st = os.lstat(candidate)
        except OSError:
            return candidate, None  # as realpath: a missing name is kept as written
        if stat.S_ISLNK(st.st_mode):
            return os.path.realpath(candidate), None
        return candidate, st

    def contains_real(self, real: str) -> bool:
        """True when ``real`` (a path from :meth:`real`) is inside the workspace's real root."""
        root = self._real_dir(os.fspath(self.root))
        if not self._strings:
            try:
                Path(real).relative_to(root)
            except ValueError:
                return False
            return True
        return real == root or real.startswith(root if root.endswith("/") else root + "/")

    def contains(self, path: str | os.PathLike[str]) -> bool:
        """True when the real path (symlinks followed) is inside the workspace."""
        return self.contains_real(self.real(path))

    def templates_dir(self) -> Path:
        own = self.root / "templates"
        return own if own.is_dir() else data_dir("templates")

    def schemas_dir(self) -> Path:
        own = self.root / "schemas"
        return own if own.is_dir() else data_dir("schemas")

    def buildable(self, folder: Path | None = None, *, recursive: bool = True) -> list[Path]:
        """Files that declare ``variant:`` under ``folder`` (default: all partners), sorted; no YAML parse."""
        found: list[Path] = []
        root = folder if folder is not None else self.profiles / "partners"
        if not root.is_dir():
            return found
        for path in sorted(root.rglob("*.yaml") if recursive else root.glob("*.yaml")):
            if path.is_file() and not path.is_symlink():
                try:
                    head = read_head(path, _HEAD_BYTES)
                except OSError:
                    continue
                if _VARIANT_RE.search(head):
                    found.append(path)
        return found

    def select(self, names: list[str]) -> list[Path]:
        """Profiles named on the command line: paths, partner ids (all their variants) or bundle ids."""
        out: list[Path] = []
        buildable: list[Path] | None = None
        for arg in names:
            path = Path(arg)
            if path.exists() or path.is_symlink():
                out.append(path.absolute())
                continue
            if buildable is None:
                buildable = self.buildable()
            hits = [p for p in buildable if p.parent.name == arg] or [
                p for p in buildable if f"{p.parent.name}-{p.stem}" == arg or p.stem == arg]
            if not hits:
                raise UsageError(f"{arg}: no such file, partner or profile. Pass a profile YAML file, a partner "
                                 "id such as voltway, or a bundle id such as voltway-home-22-gb.")
            out.extend(hits)
        return out
