"""Findings and the error tree shared by every step.

A :class:`Finding` is one problem a partner can act on (file, line, key path, what, how to fix).
:class:`UserError` and its subclasses are shown as a message and an exit code, never a traceback;
anything else escaping the CLI is a bug.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "Finding",
    "FindingsError",
    "OemkitError",
    "Severity",
    "UsageError",
    "UserError",
]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in a profile, in the shape fixed by the CLI contract."""

    rule: str
    severity: Severity
    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str = ""
    source: str = ""
    profile: str = field(default="", compare=False)

    def to_json(self) -> dict[str, Any]:
        """The fixed JSON shape (``profile`` is extra context, not part of the contract)."""
        data = asdict(self)
        if not data["profile"]:
            del data["profile"]
        return data

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.column, self.rule, self.path)

    def text(self) -> str:
        """One paragraph: where, what, how to fix, on which authority."""
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        key = f" [{self.path}]" if self.path else ""
        out = f"{where}: {self.severity} {self.rule}{key}: {self.message}"
        if self.hint:
            out += f" Fix: {self.hint}"
        if self.source:
            out += f" (source: {self.source})"
        return out


class OemkitError(Exception):
    """Base of every error oemkit raises on purpose."""


class UserError(OemkitError):
    """Something the user can fix; shown as one paragraph, never a traceback."""

    exit_code = 2


class UsageError(UserError):
    """Bad command line, missing file, unwritable output: exit 2."""

    exit_code = 2


class FindingsError(UserError):
    """Inputs have errors; carries the findings (exit 1)."""

    exit_code = 1

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__("\n".join(f.text() for f in findings))
