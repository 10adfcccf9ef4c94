"""``oemkit check [PATH...] [--format text|json|sarif]``."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

from oemkit.commands import workspace_of
from oemkit.errors import UsageError

__all__ = ["configure", "run"]


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="profile files or folders (default: all buildable)")
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    p.add_argument("--jobs", "-j", type=int, metavar="N", default=0,
                   help="check in N processes (default: one per CPU, at most 8; from 100 files to check)")
    p.add_argument("--no-cache", action="store_true",
                   help="check every file again instead of reusing results of unchanged files (.oemkit-cache/)")


def expand(ws_paths: list[str], ws: object) -> list[Path]:
    """Files and folders from the command line -> files; a missing path is a usage error."""
    from oemkit.workspace import Workspace

    assert isinstance(ws, Workspace)
    out: list[Path] = []
    for arg in ws_paths:
        path = Path(arg)
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*.y*ml") if p.is_file()))
        elif path.exists() or path.is_symlink():
            out.append(path.absolute())
        else:
            try:
                out.extend(ws.select([arg]))
            except UsageError:
                raise UsageError(f"{arg}: no such file or profile. Pass a profile YAML file, a folder, or a "
                                 "bundle id such as voltway-home-22-gb.") from None
    return out


def run(args: argparse.Namespace) -> int:
    from oemkit.check import check
    from oemkit.report import render_json, render_sarif, render_text

    ws = workspace_of(args)
    paths = expand(args.paths, ws) if args.paths else None
    if args.jobs < 0:
        raise UsageError(f"--jobs {args.jobs}: pass a positive number of processes (or 0 for one per CPU).")
    jobs = args.jobs or min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else
                            os.cpu_count() or 1, 8)
    # Many small long-lived objects (trees, the portfolio index): a full GC pass per few hundred
    # allocations only walks them again and again.
    gc.set_threshold(50_000, 20, 20)
    report = check(ws, paths, cache=not args.no_cache, jobs=jobs)
    if args.format == "json":
        sys.stdout.write(render_json(report))
    elif args.format == "sarif":
        from oemkit import __version__

        sys.stdout.write(render_sarif(report, __version__))
    else:
        sys.stdout.write(render_text(report))
    return 1 if report.errors else 0
