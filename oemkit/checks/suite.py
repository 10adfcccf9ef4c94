"""The outcome of the checks of one profile's artifacts, and its JUnit XML form (the bundle's tests/report.xml).

The XML is deterministic: no timestamps, durations or host names, cases in the order they ran,
so the same artifacts always give the same bytes and bundles stay reproducible.
"""

from __future__ import annotations

import functools
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
        """JUnit XML (one ``testsuite``), byte-for-byte the same for the same results.

        ElementTree writes every element. Each case's element is written once per process for the
        same (classname, name, outcome, message), as most profiles of a portfolio share them, and
        the suite's elements around them: the same bytes as indenting and serialising the whole tree.
        """
        if not self.cases:
            return self._tree_xml()
        counts = self._counts()
        return "".join((
            _XML_DECLARATION, _start_tag("testsuites", {"name": "oemkit checks", **counts}),
            "\n  ", _start_tag("testsuite", {"name": _xml_text(self.name), **counts}),
            "\n    ", "\n    ".join(_case_xml(c.classname, c.name, c.ok, c.message, c.skipped) for c in self.cases),
            "\n  </testsuite>\n</testsuites>\n",
        )).encode("utf-8")

    def _counts(self) -> dict[str, str]:
        return {"tests": str(len(self.cases)), "failures": str(len(self.failures)), "errors": "0",
                "skipped": str(sum(c.skipped for c in self.cases)), "time": "0"}

    def _tree_xml(self) -> bytes:
        """The whole tree indented and serialised by ElementTree (a suite without cases)."""
        counts = self._counts()
        root = ET.Element("testsuites", {"name": "oemkit checks", **counts})
        suite = ET.SubElement(root, "testsuite", {"name": _xml_text(self.name), **counts})
        for case in self.cases:
            suite.append(_case_element(case.classname, case.name, case.ok, case.message, case.skipped))
        ET.indent(root)
        data: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
        return data + b"\n"


_XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"


def _case_element(classname: str, name: str, ok: bool, message: str, skipped: bool) -> ET.Element:
    el = ET.Element("testcase", {"classname": _xml_text(classname), "name": _xml_text(name), "time": "0"})
    text = _xml_text(message)
    if not ok:
        ET.SubElement(el, "failure", {"message": text.split("\n", 1)[0]}).text = text
    elif skipped:
        ET.SubElement(el, "skipped", {"message": text})
    elif text:
        ET.SubElement(el, "system-out").text = text
    return el


@functools.lru_cache(maxsize=4096)
def _case_xml(classname: str, name: str, ok: bool, message: str, skipped: bool) -> str:
    """One ``testcase`` element as ElementTree writes it at its depth in the report (two levels in)."""
    el = _case_element(classname, name, ok, message, skipped)
    ET.indent(el, level=2)
    return ET.tostring(el, encoding="unicode")


def _start_tag(tag: str, attrib: dict[str, str]) -> str:
    """``<tag a="...">`` with ElementTree's attribute escaping (it writes an empty element as ``<tag ... />``)."""
    empty = ET.tostring(ET.Element(tag, attrib), encoding="unicode")
    return empty.removesuffix(" />") + ">"
