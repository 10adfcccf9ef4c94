"""``oemkit matrix [--shards N | --per-shard K]``: the GitHub Actions build matrix as one line of JSON.

The workflow feeds it to ``strategy.matrix`` with ``fromJSON``; each entry's ``shard`` is the
``I/N`` argument of ``oemkit build --shard`` (1-based ``I``, as ``pytest --shard`` and Playwright
number shards). Profiles are assigned by :func:`oemkit.shard.shard_of`; empty shards are left out so
no job starts with nothing to build.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from oemkit.commands import workspace_of
from oemkit.errors import UsageError

__all__ = ["MAX_JOBS", "configure", "matrix", "run"]

#: GitHub Actions runs at most 256 jobs per matrix.
MAX_JOBS = 256


def configure(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--shards", type=int, metavar="N", help="number of shards (default: from --per-shard)")
    group.add_argument("--per-shard", type=int, default=50, metavar="K",
                       help="aim for about K profiles per shard when --shards is not given (default: 50)")


def matrix(relpaths: list[str], shards: int) -> dict[str, Any]:
    """The matrix for these workspace-relative profile paths split into ``shards`` shards."""
    from oemkit.shard import shard_of

    counts = [0] * shards
    for rel in relpaths:
        counts[shard_of(rel, shards)] += 1
    include = [{"shard": f"{i + 1}/{shards}", "index": i + 1, "total": shards, "profiles": count}
               for i, count in enumerate(counts) if count]
    return {"include": include}


def run(args: argparse.Namespace) -> int:
    ws = workspace_of(args)
    relpaths = [ws.rel(p) for p in ws.buildable()]
    if args.shards is not None:
        if not 1 <= args.shards <= MAX_JOBS:
            raise UsageError(f"--shards {args.shards}: must be between 1 and {MAX_JOBS} (GitHub Actions runs at "
                             f"most {MAX_JOBS} jobs per matrix). Pass a number in that range.")
        shards = args.shards
    else:
        if args.per_shard < 1:
            raise UsageError(f"--per-shard {args.per_shard}: must be at least 1. Pass a positive number.")
        shards = min(MAX_JOBS, max(1, math.ceil(len(relpaths) / args.per_shard)))
    sys.stdout.write(json.dumps(matrix(relpaths, shards), separators=(",", ":")) + "\n")
    return 0
