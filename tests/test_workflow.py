"""CI and editor integration files: the release workflow, the pre-commit hooks, the VS Code settings.

The workflow is linted against the GitHub Actions workflow schema (check-jsonschema's vendored copy,
no network), and every ``oemkit`` command it runs is parsed by the real CLI parser, so renaming an
option breaks this test rather than the next release.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from oemkit.cli import _parser

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github/workflows/release.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"


def _workflow() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return data


def _commands(line: str) -> Iterator[list[str]]:
    """Simple commands of one shell line (split at ``;``, ``|``, ``&&``, ``||``; redirections dropped)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words: list[str] = []
    skip = False
    for token in lexer:
        if token in (";", "|", "||", "&&", "&"):
            yield words
            words = []
        elif token in (">", ">>", "<"):
            skip = True
        elif skip:
            skip = False
        else:
            words.append(token)
    yield words


def _oemkit_commands(script: str) -> Iterator[list[str]]:
    """``oemkit ...`` invocations in a run script: ``${{ }}`` and shell variables become ``1``,
    ``"$@"`` the arguments collected by ``set --`` lines (how the workflow builds optional flags)."""
    script = re.sub(r"\\\n", " ", script).replace('"$(', " ").replace(')"', " ")
    positional: list[str] = []
    for line in script.splitlines():
        line = re.sub(r"\$\{\{.*?\}\}", "1", line)
        for words in _commands(line):
            while words[:1] in (["then"], ["else"], ["do"]):
                words = words[1:]
            if words[:2] == ["set", "--"]:
                rest = words[2:]
                positional = [*positional, *rest[1:]] if rest[:1] == ["$@"] else rest
            if "oemkit" in words:
                args: list[str] = []
                for word in words[words.index("oemkit") + 1:]:
                    args.extend(positional if word == "$@" else [re.sub(r"\$\{?\w+\}?", "1", word)])
                yield [*args, "X.tar.gz"] if words[0] == "xargs" else args  # xargs appends the files


@pytest.mark.parametrize("schema", ["vendor.github-workflows", "custom.github-workflows-require-timeout"])
def test_workflow_passes_the_actions_schema(schema: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(WORKFLOW)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_oemkit_command_in_the_workflow_parses() -> None:
    found = []
    for job in _workflow()["jobs"].values():
        for step in job.get("steps", []):
            for argv in _oemkit_commands(step.get("run", "")):
                found.append(argv[0])
                args = _parser(argv).parse_args(argv)  # exits (SystemExit) on an unknown option
                assert args.command == argv[0]
    assert {"check", "matrix", "build", "verify", "diff"} <= set(found)


def test_build_is_sharded_by_the_matrix_command() -> None:
    jobs = _workflow()["jobs"]
    plan_steps = {s.get("id"): s for s in jobs["plan"]["steps"]}
    assert "oemkit matrix" in plan_steps["matrix"]["run"]
    assert jobs["plan"]["outputs"]["matrix"] == "${{ steps.matrix.outputs.matrix }}"
    build = jobs["build"]
    assert build["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert build["strategy"]["fail-fast"] is False
    runs = "\n".join(s.get("run", "") for s in build["steps"])
    assert "SHARD: ${{ matrix.shard }}" in WORKFLOW.read_text(encoding="utf-8")
    assert re.search(r'set -- --all --shard "\$SHARD"', runs) and 'oemkit build "$@"' in runs
    assert "oemkit verify" in runs
    uploads = [s for s in build["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert uploads and "dist/**/*.tar.gz" in uploads[0]["with"]["path"]


def test_matrix_output_fits_the_workflow(ws: Path, cli: Callable[..., Any]) -> None:
    res = cli("matrix", "--per-shard", "2", cwd=ws)
    include = res.json()["include"]
    used = set(re.findall(r"\bmatrix\.(\w+)", WORKFLOW.read_text(encoding="utf-8"))) - {"outputs"}
    assert used and all(used <= set(job) for job in include)
    # Each shard string is what `oemkit build --shard` accepts.
    for job in include:
        argv = ["build", "--all", "--shard", job["shard"]]
        args = _parser(argv).parse_args(argv)
        assert args.shard == job["shard"]


def test_pull_requests_get_the_diff_table() -> None:
    impact = _workflow()["jobs"]["impact"]
    assert impact["if"] == "${{ github.event_name == 'pull_request' }}"
    assert impact["permissions"]["pull-requests"] == "write"
    runs = "\n".join(s.get("run", "") for s in impact["steps"])
    assert 'oemkit diff --all "origin/$BASE_REF" --format markdown' in runs
    assert "gh pr comment" in runs


def test_workflow_does_not_interpolate_untrusted_input_into_scripts() -> None:
    # Expressions in run: blocks are shell injection vectors (branch names, PR titles); use env: instead.
    for job in _workflow()["jobs"].values():
        for step in job.get("steps", []):
            assert "${{" not in step.get("run", ""), step.get("name")
    assert _workflow()["permissions"] == {"contents": "read"}


def test_tests_run_with_debian_chromium_and_ci_set() -> None:
    plan = _workflow()["jobs"]["plan"]
    assert plan["container"].endswith("-bookworm")
    assert plan["env"]["CI"] == "true"  # the browser test fails instead of skipping without chromium
    assert any("install-system-deps.sh" in s.get("run", "") for s in plan["steps"])


def test_pre_commit_hooks_run_oemkit_check(ws: Path, cli: Callable[..., Any]) -> None:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(hooks, list) and {h["id"] for h in hooks} == {"oemkit-check", "oemkit-check-files"}
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["language"] == "python"
        assert re.search(hook["files"], "profiles/partners/voltway/home-22-gb.yaml")
        assert not re.search(hook["files"], "README.md")
        argv = shlex.split(hook["entry"])
        assert argv[0] == "oemkit"
        files = ["profiles/partners/voltway/home-22-gb.yaml"] if hook.get("pass_filenames", True) else []
        assert cli(*argv[1:], *files, cwd=ws).code == 0
    # ...and they fail on a broken profile.
    (ws / "profiles/partners/voltway/home-22-gb.yaml").write_text("variant: Not A Slug\n", encoding="utf-8")
    assert cli("check", cwd=ws).code == 1


def test_vscode_maps_profiles_to_the_schemas() -> None:
    settings = json.loads((REPO / ".vscode/settings.json").read_text(encoding="utf-8"))
    schemas = settings["yaml.schemas"]
    for schema_path in schemas:
        assert (REPO / schema_path).is_file(), schema_path
    assert "profiles/partners/**/*.yaml" in schemas["./schemas/profile-layer.schema.json"]
    assert "profiles/regions/*.yaml" in schemas["./schemas/region-pack.schema.json"]
    assert settings["yaml.yamlVersion"] == "1.2"  # the loader's semantics: NO is a string
