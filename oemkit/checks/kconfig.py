"""The Kconfig check: load ``firmware/oem.conf`` with kconfiglib against ``firmware/Kconfig``, warnings are failures.

kconfiglib is the Kconfig implementation Zephyr builds with. Any warning fails the check (an unknown
symbol, a malformed value of the wrong type, a value outside its ``range``, a promptless
assignment), and each symbol's resulting value must equal the profile's: this catches a value
that was clamped or ignored without a warning, and a string whose escaping changed its text.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from oemkit.render.entries import Entry

__all__ = ["expected_value", "run_kconfig_check"]


def expected_value(entry: Entry) -> str:
    """The value kconfiglib should report for an entry (``Symbol.str_value``)."""
    if entry.kind == "bool":
        return "y" if entry.value else "n"
    if entry.kind == "color":
        return "0x" + str(entry.value)[1:].upper()
    if entry.kind == "float":
        return repr(float(entry.value))
    return str(entry.value)


class _Tree:
    """A parsed Kconfig tree kept for the next fragments: parsing costs far more than loading a fragment."""

    def __init__(self, tree: bytes) -> None:
        import kconfiglib

        self.folder = tempfile.mkdtemp(prefix="oemkit-kconfig-")
        try:
            path = os.path.join(self.folder, "Kconfig")
            with open(path, "wb") as fh:
                fh.write(tree)
            self.error = ""
            try:
                self.kconf = kconfiglib.Kconfig(path, warn_to_stderr=False)
            except kconfiglib.KconfigError as exc:
                self.error = f"kconfiglib cannot parse firmware/Kconfig: {exc}".replace(self.folder + "/", "")
                return
            self.parse_warnings = list(self.kconf.warnings)
            self.kconf.warn_assign_undef = True
            self.kconf.warn_assign_override = True
            self.kconf.warn_assign_redun = True
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def load(self, fragment: bytes, entries: Iterable[Entry]) -> list[str]:
        """Problems of loading ``fragment`` (``replace=True`` clears the previous fragment's values first)."""
        kconf = self.kconf
        kconf.warnings = list(self.parse_warnings)
        fd, conf = tempfile.mkstemp(prefix="oemkit-", suffix="-oem.conf")  # a file, not a folder: cheaper
        with os.fdopen(fd, "wb") as fh:
            fh.write(fragment)
        try:
            kconf.load_config(conf, replace=True)
            problems: list[str] = []
            for entry in entries:
                if entry.kconfig_type is None:
                    continue
                sym = kconf.syms.get(entry.name)
                if sym is None or sym.nodes == []:
                    problems.append(f"{entry.name} is not declared in firmware/Kconfig")
                    continue
                want = expected_value(entry)
                got = sym.str_value  # evaluating it also raises range warnings
                if sym.user_value is None:
                    problems.append(f"CONFIG_{entry.name} is not assigned in firmware/oem.conf")
                elif got != want:
                    problems.append(f"CONFIG_{entry.name} is {got!r} after loading, expected {want!r}")
            return [w.replace(conf, "oem.conf").replace(self.folder + "/", "") for w in kconf.warnings] + problems
        finally:
            os.unlink(conf)



@functools.lru_cache(maxsize=32)  # a build has a few tree shapes (product x connectors)
def _tree(tree: bytes) -> _Tree:
    return _Tree(tree)


def run_kconfig_check(tree: bytes, fragment: bytes, entries: Iterable[Entry]) -> tuple[bool, str]:
    """(ok, message) of loading the fragment against the tree.

    Trees of one build differ in their comments only (bundle id, source), so the parsed tree is kept
    (keyed on the tree's bytes: a different tree is parsed anew) and only the fragment is loaded per check.
    """
    parsed = _tree(tree)
    if parsed.error:
        return False, parsed.error
    problems = parsed.load(fragment, entries)
    if problems:
        return False, "kconfiglib: " + "\n".join(problems)
    return True, "oem.conf loads against Kconfig with no warning and every value as set"
