"""Run a command as a child process and measure it: wall time, exit code, peak RSS (``wait4`` rusage).

Timings on a shared 2-core machine drift between a fast and a slow level for tens of seconds at a
time, so comparisons are made in paired A/B runs (:func:`paired`): each round runs every command once,
one after the other, and a ratio is taken within the round, so both sides see the same noise. The
median of the rounds' ratios is reported.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Run", "median_ratio", "median_seconds", "paired", "run"]


@dataclass
class Run:
    """One finished child process."""

    argv: list[str]
    seconds: float
    code: int
    max_rss_mib: float
    stdout: str = field(repr=False, default="")
    stderr: str = field(repr=False, default="")


def run(argv: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None, check: bool = True) -> Run:
    """Run ``argv`` to completion; ``check`` raises on a non-zero exit with the command's stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        # wait4 (not Popen.wait) so the child's own rusage, including its peak RSS, comes back with it.
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = Run(list(argv), seconds, proc.returncode, usage.ru_maxrss / 1024,
                     out.read().decode(errors="replace"), err.read().decode(errors="replace"))
    if check and result.code != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {result.code} in {cwd}:\n{result.stderr[-2000:]}")
    return result


def paired(rounds: int, commands: dict[str, Callable[[], Run]]) -> dict[str, list[Run]]:
    """Run every command once per round, in the given order (A B C A B C ...)."""
    out: dict[str, list[Run]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, fn in commands.items():
            out[name].append(fn())
    return out


def median_ratio(top: list[Run], bottom: list[Run]) -> float:
    """Median over rounds of top[i].seconds / bottom[i].seconds."""
    return statistics.median(t.seconds / b.seconds for t, b in zip(top, bottom, strict=True))


def median_seconds(runs: list[Run]) -> float:
    """Median wall time."""
    return statistics.median(r.seconds for r in runs)
