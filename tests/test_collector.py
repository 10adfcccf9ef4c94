"""The build's collection policy: paused inside a window, cycles freed after it, the process left as found."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from oemkit import collector
from oemkit.collector import WindowCollector
from tests.conftest import Result


class _Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()


def test_a_window_pauses_the_collector_and_frees_its_cycles_after() -> None:
    windows = WindowCollector()
    for n in range(collector.FULL_EVERY + 1):  # the first (freezes), young ones, and a full one
        with windows.window():
            assert not gc.isenabled()
            ref = weakref.ref(_Cycle())
            assert ref() is not None  # only a collection frees a cycle
        assert gc.isenabled()
        assert ref() is None, f"window {n + 1}"
    assert gc.get_freeze_count() > 0  # what lived through the first window is frozen
    windows.close()
    assert gc.get_freeze_count() == 0


def test_a_collector_the_caller_disabled_stays_disabled_and_nothing_is_frozen() -> None:
    gc.disable()
    windows = WindowCollector()
    with windows.window():
        pass
    assert not gc.isenabled() and gc.get_freeze_count() == 0


def test_the_callers_freeze_is_left_alone() -> None:
    gc.freeze()
    frozen = gc.get_freeze_count()
    windows = WindowCollector()
    with windows.window():
        pass
    windows.close()
    assert gc.get_freeze_count() >= frozen > 0


def test_an_error_in_a_window_turns_the_collector_back_on() -> None:
    windows = WindowCollector()
    with pytest.raises(KeyboardInterrupt), windows.window():
        raise KeyboardInterrupt
    assert gc.isenabled()


def test_a_build_leaves_the_process_as_it_found_it(ws: Path, cli: Callable[..., Result],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    paused: list[bool] = []
    real = collector.WindowCollector.window

    def spy(self: WindowCollector) -> object:
        paused.append(True)
        return real(self)

    monkeypatch.setattr(collector.WindowCollector, "window", spy)
    assert cli("build", "--all", "--no-cache", cwd=ws).code == 0
    assert paused and gc.isenabled() and gc.get_freeze_count() == 0
