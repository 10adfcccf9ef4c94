"""Cyclic garbage collection around the windows of a build.

A build keeps a window of profiles (their trees, models and rendered files) alive until the window's
checks have run. Left to itself, CPython's cyclic collector scans those live objects at every young
collection (about every 700 allocations) and again as they age: measured at N = 1,000, about 0.5 ms
of CPU a profile, a seventh of the whole floor. Nearly everything a build makes is freed by
reference counting as soon as its profile is done, so :class:`WindowCollector` pauses the collector
while a window is built and collects the young generations once after it (the window's few cycles).
What the process keeps for the whole build (modules, the model's validators, templates, compiled
schemas), all present after the first window, is frozen (:func:`gc.freeze`) so no collection scans it
again, and every few windows a full collection frees cycles that reached the old generation (an
evicted cache entry). Automatic collection is back on between windows and after the build.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["FULL_EVERY", "WindowCollector"]

#: A full collection after every this many windows (the young ones are collected after each).
FULL_EVERY = 8


class WindowCollector:
    """Collection policy for one build in one process: use :meth:`window` around each window, then :meth:`close`."""

    def __init__(self) -> None:
        self._windows = 0
        self._froze = False

    @contextlib.contextmanager
    def window(self) -> Iterator[None]:
        """Build one window with the collector paused; collect after it."""
        if not gc.isenabled():  # the embedding program manages collection itself
            yield
            return
        gc.disable()
        try:
            yield
        finally:
            gc.enable()
            self._windows += 1
            if self._windows == 1:
                gc.collect()
                # Another freeze is the embedding program's own policy: keep out of it.
                if gc.get_freeze_count() == 0:
                    gc.freeze()
                    self._froze = True
            else:
                gc.collect(2 if self._windows % FULL_EVERY == 0 else 1)

    def close(self) -> None:
        """Return what this build froze to the collector (a library caller's process lives on)."""
        if self._froze:
            gc.unfreeze()
            self._froze = False
