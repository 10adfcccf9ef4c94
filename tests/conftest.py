"""Shared fixtures: a throw-away copy of the example workspace and an in-process CLI runner."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from oemkit import loader
from oemkit.cli import run
from oemkit.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_PROFILES = REPO / "profiles"


@dataclass
class Result:
    """Outcome of one CLI run."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def copy_workspace(dest: Path) -> Path:
    """Copy the example workspace (profiles + a minimal pyproject) to ``dest``."""
    shutil.copytree(EXAMPLE_PROFILES, dest / "profiles")
    (dest / "pyproject.toml").write_text('[tool.oemkit]\nprofiles = "profiles"\n', encoding="utf-8")
    return dest


def make_workspace(root: Path, files: dict[str, str]) -> Workspace:
    """A minimal workspace at ``root`` holding ``files`` (names relative to ``profiles/``)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[tool.oemkit]\n")
    for name, text in files.items():
        path = root / "profiles" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return Workspace(root)


def json_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path (keys and indexes) of every value inside a JSON-like ``value``, the root itself excluded."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, sub in value.items():
            out += json_paths(sub, (*prefix, key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            out += json_paths(sub, (*prefix, i))
    return out


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    loader.clear_cache()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A private copy of the example workspace."""
    return copy_workspace(tmp_path / "ws")


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run ``oemkit`` in-process: ``cli("check", "--format", "json", cwd=ws)``."""

    def invoke(*argv: str, cwd: Path | None = None) -> Result:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = run(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke
