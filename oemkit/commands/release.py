"""``oemkit release [PROFILE...] [--all] [--version X.Y.Z] [-o DIR] [--sign-key KEY] ...``: cut releases.

Builds like ``oemkit build`` (same options, never from the cache) and records each bundle's
version in the release ledger (``releases/<bundle-id>/<version>.json``), under a lock per bundle
id. An unchanged profile re-releases nothing: it rebuilds the recorded version byte for byte.
"""

from __future__ import annotations

import argparse

from oemkit.commands.build import configure as configure_build
from oemkit.commands.build import execute

__all__ = ["configure", "run"]


def configure(p: argparse.ArgumentParser) -> None:
    configure_build(p)
    p.epilog = ("Builds like oemkit build (never from the cache) and records each new version in "
                "releases/<id>/<version>.json; commit that folder. An unchanged profile records nothing and "
                "rebuilds its released bundle byte for byte. See docs/releases.md.")
    p.add_argument("--version", metavar="X.Y.Z",
                   help="release as this version instead of the next one from the ledger (e.g. 2.0.0); a version "
                        "already released with other content is refused")


def run(args: argparse.Namespace) -> int:
    return execute(args, release=True)
