"""Sessions for build engineers: ``nox -l`` lists them; ``nox -s build -- voltway`` builds one partner."""

from __future__ import annotations

import nox

nox.options.sessions = ["check", "tests", "lint"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"


def _install(session: nox.Session, *extras: str) -> None:
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install("-e", spec)


@nox.session(python=PYTHON)
def check(session: nox.Session) -> None:
    """Check every buildable profile (or the ones named after --)."""
    _install(session)
    session.run("oemkit", "check", *session.posargs)


@nox.session(python=PYTHON)
def build(session: nox.Session) -> None:
    """Build development bundles into dist/ (all, or the partners/profiles named after --)."""
    _install(session)
    targets = list(session.posargs) or ["--all"]
    session.run("oemkit", "build", *targets, "-o", "dist")


@nox.session(python=PYTHON, default=False)
def release(session: nox.Session) -> None:
    """Cut releases: build, sign (OEMKIT_SIGN_KEY) and append to the release ledger."""
    _install(session)
    import os

    args = list(session.posargs) or ["--all"]
    key = os.environ.get("OEMKIT_SIGN_KEY")
    if key:
        args += ["--sign-key", key]
    session.run("oemkit", "release", *args, "-o", "dist")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite (pytest; extra arguments after --)."""
    _install(session, "test")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff, mypy --strict (pydantic plugin) and the schema-description check."""
    _install(session, "lint")
    session.run("ruff", "check", "oemkit", "tests", "bench", "scripts", "noxfile.py")
    session.run("mypy")
    session.run("python", "scripts/check_descriptions.py")


@nox.session(python=PYTHON, default=False)
def schema(session: nox.Session) -> None:
    """Regenerate schemas/ from the models."""
    _install(session)
    session.run("oemkit", "schema", "-o", "schemas")


@nox.session(python=PYTHON, default=False)
def fuzz(session: nox.Session) -> None:
    """Fuzz the YAML loader with atheris (time-bounded: -- -max_total_time=N)."""
    _install(session, "test")
    session.install("atheris")
    args = list(session.posargs) or ["-max_total_time=60"]
    session.run("python", "tests/fuzz/fuzz_loader.py", "tests/fuzz/corpus", *args)


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Portfolio benchmark: N=1,000 and 10,000 against check-jsonschema and the floor (writes bench/results/)."""
    _install(session, "test")
    session.install("check-jsonschema", "pyinstrument")
    session.run("python", "bench/run.py", *session.posargs)
