"""The domain-rule registry: small named functions with a stable ID, severity, message, hint and source.

A rule is a function ``(ctx: RuleContext) -> Iterable[Hit]`` registered with :func:`rule`. The
registry turns hits into findings that point at the file and line that set the value (from the
provenance of the resolved profile). Rule families live in the sibling modules named in
:data:`FAMILIES` and register their rules on import. A rule tied to a regulation names its
``rule_set``; it runs only where the region pack lists that set in ``region.rule_sets``.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from oemkit.errors import Finding, Severity
from oemkit.tree import Origin

if TYPE_CHECKING:
    from oemkit.loader import Resolved
    from oemkit.model import Profile
    from oemkit.workspace import Workspace

__all__ = ["FAMILIES", "Hit", "Rule", "RuleContext", "RuleFunc", "all_rules", "get_rule", "rule", "run_rules"]

#: Modules holding rule families; each registers its rules on import.
FAMILIES = ("hardware", "regulation", "ocpp", "crosslayer", "ownership", "hygiene")


class Hit(NamedTuple):
    """One violation.

    ``path`` is the dotted path of the offending value (list items by index); the finding points at
    the file and line that set it, unless ``at`` names another place (e.g. a dead value in a base
    file). ``severity`` may lower the rule's severity to a warning (a fact the pack marks unverified);
    it never raises it.
    """

    path: str
    message: str
    hint: str = ""
    at: Origin | None = None
    severity: Severity | None = None


@dataclass(frozen=True)
class RuleContext:
    """What a rule may look at."""

    profile: Profile
    resolved: Resolved
    workspace: Workspace

    def fact_severity(self, *facts: str) -> Severity | None:
        """``"warning"`` if the region pack marks any of these facts (paths under ``region``) unverified."""
        unverified = set(self.profile.region.unverified)
        for fact in facts:
            parts = fact.split(".")
            if any(".".join(parts[: i + 1]) in unverified for i in range(len(parts))):
                return "warning"
        return None

    def origin(self, path: str) -> Origin:
        """The file, line and column that set the value at ``path`` (or its nearest ancestor)."""
        return self.resolved.origin_of(path)


RuleFunc = Callable[[RuleContext], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A registered domain rule."""

    id: str
    severity: Severity
    title: str
    hint: str
    source: str
    rationale: str
    failing: str
    passing: str
    family: str
    func: RuleFunc
    rule_set: str | None = None


_REGISTRY: dict[str, Rule] = {}


def rule(
    id: str,
    *,
    severity: Severity,
    title: str,
    hint: str,
    source: str,
    rationale: str,
    failing: str,
    passing: str,
    rule_set: str | None = None,
) -> Callable[[RuleFunc], RuleFunc]:
    """Register a rule function under a stable ID (optionally only for regions listing ``rule_set``)."""

    def deco(func: RuleFunc) -> RuleFunc:
        if id in _REGISTRY:
            raise ValueError(f"duplicate rule id {id}")
        family = func.__module__.rsplit(".", 1)[-1]
        _REGISTRY[id] = Rule(id, severity, title, hint, source, rationale.strip(), failing.strip("\n"),
                             passing.strip("\n"), family, func, rule_set)
        return func

    return deco


@functools.cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule, sorted by ID."""
    for name in FAMILIES:
        try:
            importlib.import_module(f"oemkit.rules.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"oemkit.rules.{name}":
                raise
    return tuple(sorted(_REGISTRY.values(), key=lambda r: r.id))


def get_rule(rule_id: str) -> Rule | None:
    """A rule by ID (case-insensitive)."""
    return {r.id: r for r in all_rules()}.get(rule_id.upper())


def run_rules(ctx: RuleContext, *, warnings: bool = True) -> Iterator[Finding]:
    """Run every rule that applies; each hit becomes a finding at the file and line that set the value.

    ``warnings=False`` skips the rules that can only warn (a hit may lower a rule's severity, never raise
    it), for callers that act on errors alone.
    """
    sets = set(ctx.profile.region.rule_sets)
    for r in all_rules():
        if r.rule_set is not None and r.rule_set not in sets:
            continue
        if not warnings and r.severity == "warning":
            continue
        for hit in r.func(ctx):
            origin = hit.at or ctx.resolved.origin_of(hit.path)
            severity: Severity = "warning" if hit.severity == "warning" else r.severity
            yield Finding(rule=r.id, severity=severity, file=origin.file, line=origin.line,
                          column=origin.column, path=hit.path, message=hit.message, hint=hit.hint or r.hint,
                          source=r.source)
