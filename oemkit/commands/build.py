"""``oemkit build [PROFILE...] [--all] [-o DIR] [--jobs N] [--no-cache] [--format text|json] [--sign-key KEY]
[--shard I/N]``: development bundles, versioned from the release ledger but not recorded in it.

``oemkit release`` (:mod:`oemkit.commands.release`) shares these options and records the release.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oemkit.commands import workspace_of
from oemkit.errors import UsageError

if TYPE_CHECKING:
    from oemkit.pipeline import BuildReport
    from oemkit.workspace import Workspace

__all__ = ["configure", "execute", "run"]


def configure(p: argparse.ArgumentParser) -> None:
    p.epilog = ("Bundles go to DIR/<partner>/<id>-<version>.tar.gz. A development build takes its version from "
                "the release ledger (releases/) without recording it; oemkit release records it. Unchanged "
                "profiles are not rebuilt (cached). Exit 1 when a profile fails. See docs/releases.md.")
    p.add_argument("profiles", nargs="*", metavar="PROFILE",
                   help="profile files, partner ids or bundle ids (or --all)")
    p.add_argument("--all", action="store_true", help="every buildable profile of the workspace")
    p.add_argument("-o", "--output", metavar="DIR", help="output folder (default: dist in the workspace)")
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N", help="build N profiles in parallel (processes)")
    p.add_argument("--no-cache", action="store_true", help="rebuild even profiles whose inputs are unchanged")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--sign-key", metavar="KEY", help="sign manifest.json with this Ed25519 key (oemkit keygen)")
    p.add_argument("--shard", metavar="I/N", help="build only shard I of N (see oemkit matrix)")


def _targets(args: argparse.Namespace, ws: Workspace) -> list[Path]:
    if args.all and args.profiles:
        raise UsageError("pass profiles or --all, not both.")
    if not args.all and not args.profiles:
        raise UsageError("nothing to build: name profiles (files, partner ids such as voltway, bundle ids such as "
                         "voltway-home-22-gb) or pass --all for every buildable profile.")
    paths = ws.buildable() if args.all else ws.select(args.profiles)
    unique = list(dict.fromkeys(Path(os.path.abspath(p)) for p in paths))
    if args.shard:
        from oemkit.shard import parse_shard, select

        index, total = parse_shard(args.shard)
        keep = set(select([ws.rel(p) for p in unique], index, total))
        unique = [p for p in unique if ws.rel(p) in keep]
    return unique


def _line(result: dict[str, Any], out_dir: Path) -> str:
    from oemkit.pipeline import display_path

    if not result["ok"]:
        failed = result["failed"]
        from oemkit.errors import Finding

        texts = [Finding(**{k: v for k, v in f.items() if k in Finding.__dataclass_fields__}).text()
                 for f in failed["findings"]]
        return "\n".join([f"failed    {failed['profile']}", *(f"    {t}" for t in texts)])
    s = result["summary"]
    state = "cached" if s["cached"] else "built"
    if "released" in s:  # oemkit release: recorded now, or already in the ledger with these bytes
        state = "released" if s["released"] else "unchanged"
    return (f"{state:<10}{display_path(out_dir / s['bundle'])}  (version {s['version']}; firmware "
            f"{s['firmware_version']} sha256 {s['firmware_sha256'][:12]}; software {s['software_version']})")


def execute(args: argparse.Namespace, *, release: bool) -> int:
    """Run ``build`` or ``release`` with parsed arguments; the exit code."""
    from oemkit.pipeline import BuildOptions

    ws = workspace_of(args)
    if args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: must be at least 1.")
    out_dir = Path(os.path.abspath(args.output)) if args.output else ws.root / "dist"
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{args.output}: exists and is not a folder. Pass a folder for -o.")
    sign_key = Path(args.sign_key) if args.sign_key else None
    if sign_key is not None:
        from oemkit.signing import load_private

        load_private(sign_key)  # a bad key is a usage error before anything is built
    paths = _targets(args, ws)
    options = BuildOptions(out_dir=out_dir, jobs=args.jobs, use_cache=not args.no_cache, sign_key=sign_key,
                           release=release, version=getattr(args, "version", None))
    report = _run_with_progress(ws, paths, options, args.format)
    if args.format == "json":
        sys.stdout.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        cached = sum(b["cached"] for b in report.bundles)
        sys.stdout.write(f"{len(report.bundles)} bundle(s) ({cached} cached), {len(report.failed)} failed\n")
    return report.exit_code


def _run_with_progress(ws: Workspace, paths: list[Path], options: Any, fmt: str) -> BuildReport:
    from oemkit.pipeline import build

    total = len(paths)
    if sys.stderr.isatty() and total > 1:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(TextColumn("building"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("build", total=total)

            def on_tty(result: dict[str, Any]) -> None:
                bar.advance(task)
                if fmt == "text":
                    bar.console.print(_line(result, options.out_dir), markup=False, highlight=False, soft_wrap=True)

            return build(ws, paths, options, on_tty)
    done = 0

    def on_plain(result: dict[str, Any]) -> None:
        nonlocal done
        done += 1
        if fmt == "text":
            sys.stdout.write(_line(result, options.out_dir) + "\n")
        else:
            name = result["summary"]["id"] if result["ok"] else result["failed"]["profile"]
            sys.stderr.write(f"[{done}/{total}] {name}: {'ok' if result['ok'] else 'failed'}\n")

    return build(ws, paths, options, on_plain)


def run(args: argparse.Namespace) -> int:
    return execute(args, release=False)
