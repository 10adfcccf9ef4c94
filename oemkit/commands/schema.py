"""``oemkit schema [-o DIR]``: export the JSON Schemas."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["configure", "run"]


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", default="schemas", metavar="DIR", help="output folder (default: schemas)")


def run(args: argparse.Namespace) -> int:
    from oemkit.schema import write_schemas

    for path in write_schemas(Path(args.output)):
        print(path)
    return 0
