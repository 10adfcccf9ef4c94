"""A workspace as it was at a git ref: ``git archive`` of its ``profiles/`` into a temporary folder.

Local only (no fetch, no network): the ref must exist in the repository that holds the workspace.
The archive is read as a stream and unpacked with the tarfile ``data`` filter (no absolute paths,
no links leaving the folder, no device files), so a hostile history cannot write outside it.
"""

from __future__ import annotations

import contextlib
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from oemkit.errors import UsageError
from oemkit.workspace import Workspace

__all__ = ["workspace_at"]


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise UsageError("git is not installed or not on PATH; 'diff --all' needs git to read the base ref.") \
            from None
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        raise UsageError(f"{root}: git {' '.join(args[:2])} failed: {detail}. Run inside a git work tree and "
                         "pass a ref that exists locally (a branch, tag or commit; fetch it first).")
    return done.stdout


def _top_and_prefix(root: Path) -> tuple[Path, PurePosixPath]:
    """The repository's top folder and where the workspace sits in it (``.`` at the top)."""
    top = Path(_git(root, "rev-parse", "--show-toplevel").strip()).resolve()
    return top, PurePosixPath(root.resolve().relative_to(top).as_posix())


@contextlib.contextmanager
def workspace_at(ws: Workspace, ref: str) -> Iterator[Workspace]:
    """The workspace's ``profiles/`` as committed at ``ref``, in a temporary folder removed on exit."""
    if ref.startswith("-"):
        raise UsageError(f"{ref}: not a git ref. Pass a branch, tag or commit such as origin/main.")
    try:
        commit = _git(ws.root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").strip()
    except UsageError as exc:
        if "not a git repository" in str(exc):
            raise
        raise UsageError(f"{ref}: no such commit, branch or tag in {ws.root}. Pass a ref that exists locally "
                         "(fetch it first, e.g. git fetch origin main).") from None
    top, prefix = _top_and_prefix(ws.root)  # git paths below are relative to the top folder
    profiles = (prefix / "profiles").as_posix() if str(prefix) != "." else "profiles"
    with tempfile.TemporaryDirectory(prefix="oemkit-ref-") as tmp:
        root = Path(tmp)
        if _git(top, "ls-tree", "--name-only", commit, "--", profiles).strip():
            tar_path = root / "profiles.tar"  # a file, not a pipe: no deadlock on git's stderr
            _git(top, "archive", "--format=tar", f"--output={tar_path}", commit, "--", profiles)
            try:
                with tarfile.open(tar_path, mode="r:") as archive:
                    archive.extractall(root / "tree", filter="data")
            except tarfile.TarError as exc:  # e.g. a committed symlink that points outside the folder
                raise UsageError(f"{ref}: the profiles committed there cannot be unpacked safely ({exc}). "
                                 "Remove links that leave profiles/ from that commit, or diff another ref.") from None
            tar_path.unlink()
        root = root / "tree"
        base = root / prefix if str(prefix) != "." else root
        (base / "profiles").mkdir(parents=True, exist_ok=True)  # no profiles at that ref: every variant is new
        yield Workspace(base)
