"""The Kconfig check: load ``firmware/oem.conf`` with kconfiglib against ``firmware/Kconfig``, warnings are failures.

kconfiglib is the Kconfig implementation Zephyr builds with. Any warning fails the check (an unknown
symbol, a malformed value of the wrong type, a value outside its ``range``, a promptless
assignment), and each symbol's resulting value must equal the profile's: this catches a value
that was clamped or ignored without a warning, and a string whose escaping changed its text.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
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


def run_kconfig_check(tree: bytes, fragment: bytes, entries: Iterable[Entry]) -> tuple[bool, str]:
    """(ok, message) of loading the fragment against the tree."""
    import kconfiglib

    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="oemkit-kconfig-") as tmp:
        folder = Path(tmp)
        (folder / "Kconfig").write_bytes(tree)
        (folder / "oem.conf").write_bytes(fragment)
        try:
            kconf = kconfiglib.Kconfig(str(folder / "Kconfig"), warn_to_stderr=False)
        except kconfiglib.KconfigError as exc:
            return False, f"kconfiglib cannot parse firmware/Kconfig: {exc}".replace(str(folder) + "/", "")
        kconf.warn_assign_undef = True
        kconf.warn_assign_override = True
        kconf.warn_assign_redun = True
        kconf.load_config(str(folder / "oem.conf"))
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
        problems = [w.replace(str(folder) + "/", "") for w in kconf.warnings] + problems
    if problems:
        return False, "kconfiglib: " + "\n".join(problems)
    return True, "oem.conf loads against Kconfig with no warning and every value as set"
