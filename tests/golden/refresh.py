"""Rewrite the golden files under tests/golden/ from the current templates and example profiles.

Usage: ``python3 tests/golden/refresh.py`` from anywhere; then review ``git diff tests/golden``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

if __name__ == "__main__":
    env = {**os.environ, "OEMKIT_UPDATE_GOLDEN": "1"}
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-q", "tests/test_render_golden.py"], cwd=ROOT, env=env))
