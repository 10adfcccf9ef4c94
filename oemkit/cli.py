"""The ``oemkit`` command: parse arguments, call the library, print, exit.

Kept import-light so ``oemkit --help`` starts fast: each command's module (``oemkit.commands.*``)
is imported only when that command runs. This is the one error boundary: :class:`UserError` is
printed as one paragraph with its exit code; ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

__all__ = ["COMMANDS", "main", "run"]

#: name -> (module, one-line help). Order is the order of ``oemkit --help``.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("oemkit.commands.check", "resolve and validate profiles (all buildable ones when no path)"),
    "explain": ("oemkit.commands.explain", "show resolved values with layer, impact and the file:line that set them"),
    "split": ("oemkit.commands.split", "write firmware parameters and software configuration as two JSON documents"),
    "diff": ("oemkit.commands.diff", "change impact between two profiles, two bundles, or a git ref (--all)"),
    "build": ("oemkit.commands.build", "render, check and pack release bundles"),
    "release": ("oemkit.commands.release", "cut a release: build and append to the release ledger"),
    "verify": ("oemkit.commands.verify", "check a bundle's checksums, manifest and signature"),
    "new": ("oemkit.commands.new", "scaffold a new partner from the cookiecutter template"),
    "keygen": ("oemkit.commands.keygen", "write an ed25519 signing key pair"),
    "matrix": ("oemkit.commands.matrix", "print the CI build matrix (shards) as JSON"),
    "schema": ("oemkit.commands.schema", "export the JSON Schemas"),
    "rules": ("oemkit.commands.rules", "list the domain rules, or explain one"),
}

VERSION = "0.1.0"


def _chosen(argv: Sequence[str]) -> str | None:
    skip = False
    for token in argv:
        if skip:
            skip = False
            continue
        if token == "--workspace":
            skip = True
            continue
        if token.startswith("-"):
            continue
        return token if token in COMMANDS else None
    return None


def _parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oemkit",
        description="Partner profiles for EV-charger OEM/ODM programs: validate, split into firmware and "
        "software layers, and emit signed, reproducible release bundles.",
        epilog="Exit codes: 0 ok (warnings allowed), 1 the inputs have errors, 2 usage or I/O error.",
    )
    parser.add_argument("--version", action="version", version=f"oemkit {VERSION}")
    parser.add_argument("--workspace", metavar="DIR", help="workspace folder (default: found upward from here)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = _chosen(argv)
    for name, (module, helptext) in COMMANDS.items():
        p = sub.add_parser(name, help=helptext, description=helptext[0].upper() + helptext[1:] + ".")
        if name == chosen:
            importlib.import_module(module).configure(p)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser(argv)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    module = importlib.import_module(COMMANDS[args.command][0])
    from oemkit.errors import UserError

    try:
        code: int = module.run(args)
        return code
    except UserError as exc:
        print(f"oemkit {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("oemkit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except OSError as exc:
        if args.debug:
            raise
        name = f" {exc.filename}" if exc.filename else ""
        print(f"oemkit {args.command}: error:{name}: {exc.strerror or exc}. Check the path, its permissions "
              "and the free disk space, then run again.", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: say so plainly; the traceback only with --debug
        if args.debug:
            raise
        print(f"oemkit {args.command}: internal error: {type(exc).__name__}: {exc}. This is a bug in oemkit; "
              "run again with --debug and report the traceback.", file=sys.stderr)
        return 3


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
