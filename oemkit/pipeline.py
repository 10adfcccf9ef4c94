"""The only module that knows the order of the build steps.

Per profile: cache check -> resolve, validate and rules (:func:`oemkit.check.check_profile`) ->
split -> render -> artifact checks -> :class:`oemkit.release.Release` (version from the ledger,
release notes, report page, manifest, pack, atomic write, and the ledger entry of a release).
Errors stop that profile only. Profiles are streamed one at a time (``--jobs N``: N worker
processes, each streaming its share), so memory does not grow with the portfolio. Heavy modules
(pydantic model, Jinja) are imported only on a cache miss, which keeps a no-op rebuild cheap.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oemkit import buildcache, ledger
from oemkit.bundle import source_date_epoch
from oemkit.collector import WindowCollector
from oemkit.errors import Finding, FindingsError, OemkitError, UsageError
from oemkit.release import Release, ReleaseContext
from oemkit.workspace import Workspace

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from oemkit.render.entries import Entry

__all__ = ["BuildOptions", "BuildReport", "build", "display_path", "iter_build"]


@dataclass(frozen=True)
class BuildOptions:
    """What to build and how (all picklable: workers receive them)."""

    out_dir: Path
    jobs: int = 1
    use_cache: bool = True
    sign_key: Path | None = None
    release: bool = False
    version: str | None = None


@dataclass
class BuildReport:
    """The ``build --format json`` summary, plus the exit code it implies."""

    bundles: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    exit_code: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"bundles": self.bundles, "failed": self.failed}


def _failure(profile: str, bundle_id: str | None, findings: list[Finding], exit_code: int = 1) -> dict[str, Any]:
    return {"ok": False, "exit_code": exit_code,
            "failed": {"profile": profile, "id": bundle_id, "findings": [f.to_json() for f in findings]}}


def _error_finding(rule: str, profile: str, message: str, hint: str = "") -> Finding:
    return Finding(rule=rule, severity="error", file=profile, line=0, column=0, path="", message=message, hint=hint)


def _check_outcome(suite: Any, rel: str) -> tuple[bool, bytes, list[Finding], list[dict[str, Any]]]:
    """A profile's check suite as (all passed, JUnit XML, findings for the failures, the cases as dicts)."""
    xml = suite.to_junit_xml()
    cases = [{"name": f"{c.classname}: {c.name}".lstrip(": "), "ok": c.ok, "message": c.message}
             for c in suite.cases]
    if suite.ok:
        return True, xml, [], cases
    findings = [_error_finding("CHECK-FAILED", rel, f"artifact check {c['name']} failed: {c['message']}",
                               "the rendered artifact was rejected by its consumer; fix the profile value or the "
                               "template it names.") for c in cases if not c["ok"]]
    return False, xml, findings or [_error_finding("CHECK-FAILED", rel, "an artifact check failed.")], cases


@dataclass
class _Rendered:
    """A profile that resolved, validated and rendered, waiting for its checks."""

    rel: str
    profile: Any
    resolved: Any
    firmware: dict[str, Any]
    software: dict[str, Any]
    files: dict[str, bytes]
    bundle_id: str
    extra: list[str]
    extra_sha256: str
    data: dict[str, Any]  # profile.model_dump(mode="json"), shared by the render and the release step
    entries: list[Entry]  # the firmware entries, shared by the render and the checks


def _extra_inputs(ws: Workspace, resolved: Any) -> list[str]:
    """Files besides the YAML layers that go into a bundle (the logo the report page inlines)."""
    from oemkit.loader import asset_path

    path = asset_path(ws, resolved, "branding.logo")
    return [ws.rel(path)] if path is not None and path.is_file() else []


def _reraise(exc: BaseException) -> None:
    raise exc


def _shares_checks(options: BuildOptions) -> bool:
    """Does this build use the workspace's check results (a development build with its caches)?"""
    return options.use_cache and not options.release


class _Builder:
    """Per-process build state: the workspace, options, and what is the same for every profile."""

    def __init__(self, root: Path, options: BuildOptions) -> None:
        from oemkit import __version__

        self.ws = Workspace(root, frozen_files=True)  # a build reads each file once
        self.options = options
        self.toolkit = __version__
        self.sde = source_date_epoch()
        self.templates_dir = self.ws.templates_dir()
        self.shared_sha256 = "|".join((buildcache.tree_digest(self.templates_dir),
                                       buildcache.tree_digest(self.ws.schemas_dir()), buildcache.toolkit_digest()))
        # Artifact check results are keyed by content (artifact code, expected values, tool versions), so
        # they are shared by every output folder of the workspace, beside `oemkit check`'s cache: a fresh
        # output folder (CI) still compiles only the firmware headers it has never seen. --no-cache and a
        # release (whose report must come from checks run for it): each process keeps its results in
        # memory only. Variants that share firmware are neighbours, so they share a window and a worker:
        # at 1,000 profiles two workers compiled 355 headers for 350 distinct ones, where a folder shared
        # by the workers cost a file per result and its removal.
        self.check_cache = self.ws.root / buildcache.CACHE_DIR / "artifacts" if _shares_checks(options) else None
        self.collector = WindowCollector()
        self.records = buildcache.Records(options.out_dir)
        self.key: Ed25519PrivateKey | None = None
        self.key_id = ""
        if options.sign_key is not None:
            from oemkit.signing import fingerprint, load_private

            self.key = load_private(options.sign_key)
            self.key_id = fingerprint(self.key)

    @property
    def release_ctx(self) -> ReleaseContext:
        """The shared inputs of :class:`oemkit.release.Release` for this build."""
        return ReleaseContext(root=self.ws.root, out_dir=self.options.out_dir, release=self.options.release,
                              version=self.options.version, toolkit=self.toolkit, sde=self.sde, key=self.key,
                              key_id=self.key_id)

    def context(self, bundle_id: str) -> dict[str, str]:
        """Everything besides the input files that a bundle depends on (the rest of the cache key)."""
        return {"toolkit": self.toolkit, "shared": self.shared_sha256, "sde": str(self.sde),
                "key": self.key_id, "ledger": ledger.fingerprint(self.ws.root, bundle_id),
                "mode": "release" if self.options.release else "build", "version": self.options.version or ""}

    def run_many(self, paths: list[Path]) -> list[dict[str, Any]]:
        """Build a window of profiles: render each, check them together (headers compile in batches), pack each.

        One result per path, in order; a profile's error stops that profile only.
        """
        with self.collector.window():
            results = self._run_window(paths)
        self.records.flush()
        return results

    def close(self) -> None:
        """End of this process's part of the build: write the last records, return what was frozen."""
        self.records.close()
        self.collector.close()

    def _run_window(self, paths: list[Path]) -> list[dict[str, Any]]:
        results: list[dict[str, Any] | None] = []
        pending: list[tuple[int, _Rendered]] = []
        for path in paths:
            rel = self.ws.rel(path)
            outcome = self._guard(rel, self._prepare, path, rel)
            if isinstance(outcome, _Rendered):
                pending.append((len(results), outcome))
                results.append(None)
            else:
                results.append(outcome)
        if pending:
            suites = self._guard_all([r for _, r in pending], self._check)
            for (index, rendered), suite in zip(pending, suites, strict=True):
                results[index] = suite if isinstance(suite, dict) else self._guard(
                    rendered.rel, self._finish, rendered, suite)
        return [r for r in results if r is not None]

    @staticmethod
    def _guard(rel: str, step: Callable[..., Any], *args: Any) -> Any:
        """Run one profile's step; anything a user can cause becomes that profile's failure."""
        try:
            return step(*args)
        except FindingsError as exc:  # e.g. a value a target syntax cannot carry: keep file, line and key
            return _failure(rel, None, exc.findings, exc.exit_code)
        except OemkitError as exc:
            code = getattr(exc, "exit_code", 2)
            rule = re.sub(r"(?<!^)(?=[A-Z])", "-", type(exc).__name__).upper()  # ReleaseConflict -> RELEASE-CONFLICT
            return _failure(rel, None, [_error_finding(rule, rel, str(exc))], code)
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else ""
            return _failure(rel, None, [_error_finding("IO-ERROR", rel, f"cannot write{where}: {exc.strerror or exc}.",
                                                       "check the output folder, its permissions and free space.")], 2)

    def _guard_all(self, rendered: list[_Rendered], step: Callable[[list[_Rendered]], list[Any]]) -> list[Any]:
        """A step over the whole window: when it fails, every profile of the window fails with that reason."""
        try:
            return list(step(rendered))
        except (OemkitError, OSError) as exc:
            return [self._guard(r.rel, _reraise, exc) for r in rendered]  # each with its own file

    def _prepare(self, path: Path, rel: str) -> dict[str, Any] | _Rendered:
        """A cached result, a failure, or the profile rendered and ready for its checks."""
        from oemkit.check import check_profile
        from oemkit.render import entries_of, profile_data, render_all
        from oemkit.split import split

        if self.options.use_cache and not self.options.release:
            hit = buildcache.load_hit(self.records, self.ws.root, self.options.out_dir, rel, self.context)
            if hit is not None:
                return {"ok": True, "summary": {**hit, "cached": True}}
        # A build stops on errors and reports no warnings (`oemkit check` does): warning-only rules are skipped.
        result = check_profile(self.ws, path, warnings=False)
        if result.profile is None or not result.ok:
            findings = [f for f in result.findings if f.severity == "error"] or result.findings
            if not findings:
                findings = [_error_finding("BUILD-NOT-BUILDABLE", rel, "this file has no 'variant:', so it is a "
                                           "base layer, not a buildable profile.",
                                           "build the partner files that extend it, or add variant: <slug>.")]
            return _failure(rel, None, findings)
        profile, resolved = result.profile, result.resolved
        bundle_id = f"{profile.partner.id}-{profile.variant}"
        extra = _extra_inputs(self.ws, resolved)
        extra_sha256 = buildcache.files_digest(self.ws.root, extra) or ""  # hashed before use: a race only misses
        firmware, software = split(profile)
        entries = entries_of(firmware, resolved)
        files = render_all(profile, resolved, firmware, software, templates_dir=self.templates_dir, entries=entries)
        # Kept with the profile: the release step of this window comes after the next profiles' renders.
        data = profile_data(profile)
        return _Rendered(rel, profile, resolved, firmware, software, files, bundle_id, extra, extra_sha256, data,
                         entries)

    def _check(self, rendered: list[_Rendered]) -> list[Any]:
        from oemkit.checks import CheckInput, run_checks_many

        return run_checks_many([CheckInput(r.files, r.profile, (r.firmware, r.software), r.entries) for r in rendered],
                               cache_dir=self.check_cache)

    def _finish(self, r: _Rendered, suite: Any) -> dict[str, Any]:
        ok, report_xml, check_findings, checks = _check_outcome(suite, r.rel)
        if not ok:
            return _failure(r.rel, r.bundle_id, check_findings)
        files = r.files
        files["tests/report.xml"] = report_xml
        release = Release(self.release_ctx, r.profile, r.resolved, r.firmware, r.software, checks, files, r.data,
                          workspace=self.ws)
        summary = release.finish()
        summary["profile"] = r.rel
        if not self.options.release:
            self.records.put(r.rel, buildcache.record(
                files=r.resolved.files, extra=r.extra, inputs_sha256=r.resolved.inputs_sha256,
                extra_sha256=r.extra_sha256, context=self.context(r.bundle_id), bundle_id=r.bundle_id,
                bundle_rel=summary["bundle"], bundle_sha256=summary.pop("bundle_sha256"), summary=summary))
        else:
            summary.pop("bundle_sha256")
        return {"ok": True, "summary": {**summary, "cached": False}}


_builder: _Builder | None = None


def _init(root: Path, options: BuildOptions) -> None:
    global _builder
    # Ctrl-C reaches the whole process group: the parent stops the pool; workers must not each
    # print a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _builder = _Builder(root, options)


def _work(paths: list[str]) -> list[dict[str, Any]]:
    assert _builder is not None
    return _builder.run_many([Path(p) for p in paths])


#: Profiles per window: the headers of a window that are not in the cache compile in one compiler run.
WINDOW = 128


def _windows(paths: list[Path], jobs: int) -> Iterator[list[Path]]:
    """Windows of :data:`WINDOW` profiles, and with several workers smaller ones at the end.

    A window's new headers compile in one compiler run (~45 ms however few), so windows are as large as
    they can be; only the last ``2 * jobs`` windows are smaller, so no worker idles long waiting for
    another's last window (at 1,000 profiles and 2 workers: 10 compiler runs instead of 17).
    """
    if jobs <= 1:
        for start in range(0, len(paths), WINDOW):
            yield paths[start:start + WINDOW]
        return
    small = max(8, min(WINDOW, len(paths) // (jobs * 8)))
    head = max(0, len(paths) - small * jobs * 2)
    for start in range(0, head, WINDOW):
        yield paths[start:min(start + WINDOW, head)]
    for start in range(head, len(paths), small):
        yield paths[start:start + small]


def iter_build(ws: Workspace, paths: list[Path], options: BuildOptions) -> Iterator[dict[str, Any]]:
    """Build profiles, yielding one result per profile as its window finishes (streamed; order not kept)."""
    if options.jobs <= 1 or len(paths) <= 1:
        builder = _Builder(ws.root, options)
        try:
            for window in _windows(paths, 1):
                yield from builder.run_many(window)
        finally:
            builder.close()
        return
    # Fail fast (bad SOURCE_DATE_EPOCH, unreadable key) before starting workers, without the
    # per-builder set-up (hashing the toolkit and templates) that each worker does anyway.
    source_date_epoch()
    if options.sign_key is not None:
        from oemkit.signing import load_private

        load_private(options.sign_key)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    jobs = min(options.jobs, len(paths))
    windows = [[str(p) for p in w] for w in _windows(paths, jobs)]
    with ctx.Pool(jobs, initializer=_init, initargs=(ws.root, options)) as pool:
        for results in pool.imap_unordered(_work, windows):
            yield from results


def build(ws: Workspace, paths: list[Path] | None = None, options: BuildOptions | None = None,
          on_result: Callable[[dict[str, Any]], None] | None = None) -> BuildReport:
    """Build the given profiles (default: every buildable one) into ``options.out_dir`` (default ``dist``).

    The Python face of ``oemkit build``: ``build(ws).to_json()`` is what ``--format json`` prints.
    ``on_result`` sees each profile's result as it arrives (progress bars, text output).
    """
    if paths is None:
        paths = ws.buildable()
    if options is None:
        options = BuildOptions(out_dir=ws.root / "dist")
    if options.version is not None:
        if not options.release:
            raise UsageError("--version is only for oemkit release; a development build takes its version from "
                             "the release ledger.")
        try:
            ledger.parse_version(options.version)
        except ValueError:
            raise UsageError(f"--version {options.version}: expected MAJOR.MINOR.PATCH, e.g. 2.0.0.") from None
    report = BuildReport()
    seen: dict[str, str] = {}
    clashes: set[str] = set()
    for result in iter_build(ws, paths, options):
        if result["ok"]:
            summary = result["summary"]
            first = seen.setdefault(summary["id"], summary.get("profile", ""))
            if first != summary.get("profile", ""):
                clashes.add(summary["id"])
                rel = summary.get("profile", "")
                result = _failure(rel, summary["id"], [_duplicate(summary["id"], rel, first)])
        if on_result is not None:
            on_result(result)
        if result["ok"]:
            report.bundles.append(_public(result["summary"], options.out_dir))
        else:
            report.failed.append(result["failed"])
            report.exit_code = max(report.exit_code, result["exit_code"])
    # Two profiles wrote the same bundle path: neither bundle can be trusted to be "its" profile's.
    for b in [b for b in report.bundles if b["id"] in clashes]:
        report.bundles.remove(b)
        profile = seen[b["id"]]
        report.failed.append(_failure(profile, b["id"], [_duplicate(b["id"], profile, "another profile")])["failed"])
        report.exit_code = max(report.exit_code, 1)
    report.bundles.sort(key=lambda b: b["id"])
    report.failed.sort(key=lambda f: f["profile"])
    return report


def _duplicate(bundle_id: str, profile: str, other: str) -> Finding:
    return _error_finding("BUILD-DUPLICATE-ID", profile, f"bundle id {bundle_id} is also built by {other}; both "
                          "write the same bundle file.", "give one of the two profiles another variant.")


def display_path(path: Path) -> str:
    """A bundle path as the user wants to see it: relative to the current folder when inside it."""
    rel = os.path.relpath(path)
    return path.as_posix() if rel.startswith("..") else Path(rel).as_posix()


def _public(summary: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """The fixed ``build --format json`` shape of one bundle."""
    public = {"id": summary["id"], "path": display_path(out_dir / summary["bundle"]), "version": summary["version"],
              "firmware_version": summary["firmware_version"], "software_version": summary["software_version"],
              "firmware_sha256": summary["firmware_sha256"], "cached": summary["cached"]}
    if "released" in summary:  # oemkit release only: True when this run recorded the version in the ledger
        public["released"] = summary["released"]
    return public

