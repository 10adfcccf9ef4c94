"""oemkit: partner profiles -> validated model -> firmware/software split -> signed release bundles.

The public API is imported lazily so that ``oemkit --help`` stays fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "build", "check", "explain", "find_workspace", "resolve", "split", "validate"]

_LAZY = {
    "check": ("oemkit.check", "check"),
    "resolve": ("oemkit.loader", "resolve"),
    "validate": ("oemkit.validate", "validate"),
    "find_workspace": ("oemkit.workspace", "find_workspace"),
    "explain": ("oemkit.explain", "explain"),
    "split": ("oemkit.split", "split"),
    "build": ("oemkit.pipeline", "build"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'oemkit' has no attribute {name!r}")
