"""``python -m oemkit``."""

from oemkit.cli import main

main()
