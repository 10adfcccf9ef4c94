"""The outcome of the checks of one profile's artifacts, and its JUnit XML form (the bundle's tests/report.xml).

The XML is deterministic: no timestamps, durations or host names, cases in the order they ran,
so the same artifacts always give the same bytes and bundles stay reproducible.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

__all__ = ["CheckCase", "CheckSuite"]

# Characters XML 1.0 cannot hold, even escaped.
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _XML_BAD.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclass(frozen=True, slots=True)
class CheckCase:
    """One check: ``classname`` is the artifact (``firmware.oem_config.h``), ``name`` what was checked."""

    name: str
    classname: str
    ok: bool
    message: str = ""
    time: float = 0.0
    skipped: bool = False
    cached: bool = False


@dataclass
class CheckSuite:
    """All checks of one profile's artifacts."""

    name: str
    cases: list[CheckCase] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no case failed (skipped cases do not fail)."""
        return all(case.ok for case in self.cases)

    @property
    def failures(self) -> list[CheckCase]:
        return [case for case in self.cases if not case.ok]

    def to_junit_xml(self) -> bytes:
        """JUnit XML (one ``testsuite``), byte-for-byte the same for the same results."""
        counts = {"tests": str(len(self.cases)), "failures": str(len(self.failures)), "errors": "0",
                  "skipped": str(sum(c.skipped for c in self.cases)), "time": "0"}
        root = ET.Element("testsuites", {"name": "oemkit checks", **counts})
        suite = ET.SubElement(root, "testsuite", {"name": _xml_text(self.name), **counts})
        for case in self.cases:
            el = ET.SubElement(suite, "testcase", {"classname": _xml_text(case.classname),
                                                   "name": _xml_text(case.name), "time": "0"})
            message = _xml_text(case.message)
            if not case.ok:
                ET.SubElement(el, "failure", {"message": message.split("\n", 1)[0]}).text = message
            elif case.skipped:
                ET.SubElement(el, "skipped", {"message": message})
            elif message:
                ET.SubElement(el, "system-out").text = message
        ET.indent(root)
        data: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
        return data + b"\n"
