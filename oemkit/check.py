"""Resolve and validate profiles: the ``check`` step, one profile at a time (streamed, never the portfolio).

Order: resolve (YAML, extends) -> schema validation -> domain rules. All problems of a profile are
reported in one run; a profile whose schema fails is not run through the domain rules (they need
a valid model).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from oemkit.errors import Finding

if TYPE_CHECKING:  # the loader pulls in pydantic and the model: imported when a file is really checked
    from oemkit.loader import Resolved
    from oemkit.model import Profile
    from oemkit.workspace import Workspace

__all__ = ["PARALLEL_MIN", "CheckReport", "Outcome", "ProfileResult", "check", "check_many", "check_profile",
           "iter_check"]

#: Fewer files than this are checked in-process: starting workers would cost more than it saves.
PARALLEL_MIN = 100


@dataclass
class ProfileResult:
    """Outcome of checking one file."""

    path: str
    resolved: Resolved
    profile: Profile | None
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return self.profile is not None and not any(f.severity == "error" for f in self.findings)


@dataclass
class CheckReport:
    """Outcome of checking several files (the ``check --format json`` shape)."""

    profiles: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)

    def to_json(self) -> dict[str, object]:
        return {"profiles": self.profiles, "errors": self.errors, "warnings": self.warnings,
                "findings": [f.to_json() for f in self.findings]}


def check_profile(ws: Workspace, path: Path, *, rules: bool = True, warnings: bool = True) -> ProfileResult:
    """Resolve and validate one file. Buildable files get the full model and the domain rules.

    ``warnings=False`` (a build, which acts on errors only) skips the rules that can only warn.
    """
    from oemkit.loader import resolve, role_of
    from oemkit.validate import validate, validate_layer, validate_region_pack

    resolved = resolve(ws, path)
    if not resolved.ok:
        return ProfileResult(resolved.path, resolved, None, sorted(set(resolved.findings), key=Finding.sort_key))
    if not resolved.buildable:
        findings = validate_layer(resolved)
        if role_of(resolved.path) == "region" and not findings:
            findings = validate_region_pack(resolved)
        return ProfileResult(resolved.path, resolved, None, findings)
    profile, findings = validate(resolved)
    if profile is not None and rules:
        from oemkit.rules import RuleContext, run_rules

        findings = sorted(set(run_rules(RuleContext(profile, resolved, ws), warnings=warnings)), key=Finding.sort_key)
    return ProfileResult(resolved.path, resolved, profile, findings)


def iter_check(ws: Workspace, paths: Iterable[Path]) -> Iterator[ProfileResult]:
    """Check files one by one (streaming)."""
    for path in paths:
        yield check_profile(ws, path)


@dataclass(frozen=True)
class Outcome:
    """What a portfolio check keeps of one file's result: small and picklable (no trees, no model)."""

    path: Path
    files: tuple[str, ...]
    resolved_ok: bool
    findings: list[Finding]


def _outcome(ws: Workspace, path: Path) -> Outcome:
    result = check_profile(ws, path)
    return Outcome(path, tuple(result.resolved.files), result.resolved.ok, result.findings)


_worker_ws: Workspace | None = None


def _init_worker(ws: Workspace) -> None:
    global _worker_ws
    _worker_ws = ws  # sent once per worker, so per-run memos keyed on the workspace object stay warm


def _work(path: Path) -> Outcome:
    assert _worker_ws is not None
    return _outcome(_worker_ws, path)


def check_many(ws: Workspace, paths: list[Path], jobs: int = 1) -> Iterator[Outcome]:
    """Check files and yield their outcomes in order; with ``jobs`` > 1, in that many worker processes.

    Each worker streams its share one file at a time; only the small outcomes come back.
    """
    if jobs <= 1 or len(paths) < PARALLEL_MIN:
        for path in paths:
            yield _outcome(ws, path)
        return
    import multiprocessing

    from oemkit.rules import all_rules
    from oemkit.validate import validate

    _ = (all_rules(), validate)  # imported once here: forked workers inherit them (and the cache sees them)
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)  # fork: no second import
    chunk = max(1, min(64, len(paths) // (jobs * 8)))
    with ctx.Pool(min(jobs, len(paths)), initializer=_init_worker, initargs=(ws,)) as pool:
        yield from pool.imap(_work, paths, chunksize=chunk)


def check(ws: Workspace, paths: Iterable[Path] | None = None, *, cache: bool = False,
          jobs: int = 1) -> CheckReport:
    """Check the given files, or every buildable profile of the workspace.

    With ``cache``, results are reused from and stored in the workspace's content-hash cache
    (:mod:`oemkit.checkcache`): a file whose inputs and group are unchanged is not parsed again.
    ``jobs`` > 1 checks the files that need it in that many processes (from :data:`PARALLEL_MIN` files).
    """
    report = CheckReport()
    portfolio = ws.buildable() if paths is None or cache else []
    targets = portfolio if paths is None else list(paths)

    def run(files: list[Path]) -> Iterator[Outcome]:
        return check_many(ws, files, jobs)

    if cache:
        from oemkit.checkcache import cached_check

        results: Iterable[list[Finding]] = cached_check(ws, targets, portfolio, run)
    else:
        results = (o.findings for o in run(targets))
    for findings in results:
        report.profiles += 1
        report.findings.extend(findings)
    report.findings.sort(key=Finding.sort_key)
    return report
