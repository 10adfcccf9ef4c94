"""One module per CLI command: ``configure(parser)`` adds its options, ``run(args) -> int`` runs it."""

from __future__ import annotations

import argparse
from pathlib import Path

from oemkit.workspace import Workspace, find_workspace

__all__ = ["workspace_of"]


def workspace_of(args: argparse.Namespace) -> Workspace:
    """The workspace named by ``--workspace`` or found upward from the current folder."""
    explicit = getattr(args, "workspace", None)
    return find_workspace(explicit=Path(explicit) if explicit else None)
