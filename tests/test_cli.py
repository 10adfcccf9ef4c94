"""The CLI shell: help, exit codes, usage errors without tracebacks, `python -m oemkit`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from oemkit.cli import COMMANDS


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    from oemkit.cli import run

    with pytest.raises(SystemExit) as exc:
        run(["--help"])
    assert exc.value.code == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps and indents the help column
    for name, (_module, helptext) in COMMANDS.items():
        assert f"{name} {helptext}" in out, name


def test_no_command_prints_help_and_exits_2(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli()
    assert res.code == 2
    for name in COMMANDS:
        assert name in res.out


def test_python_dash_m(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "oemkit", "--help"], capture_output=True, text=True, check=True)
    assert "explain" in out.stdout and "Exit codes" in out.stdout


def test_no_workspace_is_usage_error(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("check", cwd=tmp_path)
    assert res.code == 2
    assert "no oemkit workspace" in res.err and "Traceback" not in res.err


def test_missing_profile_is_usage_error(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("check", "profiles/partners/nobody/x.yaml", cwd=ws)
    assert res.code == 2 and "no such file" in res.err


def test_explain_unknown_key_suggests(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("explain", "voltway-home-22-gb", "charging.max_curent_a", cwd=ws)
    assert res.code == 2 and "charging.max_current_a" in res.err


def test_explain_whole_profile_lists_layers(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("explain", "voltway-home-22-gb", "--format", "json", cwd=ws)
    values = res.json()["values"]
    layers = {v["path"]: v["layer"] for v in values}
    assert layers["branding.colors.primary"] == "software"
    assert layers["branding.led.idle"] == "firmware"
    assert all(v["file"].startswith("profiles/") and v["line"] >= 1 for v in values)


def test_workspace_option(ws: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("--workspace", str(ws), "check", cwd=tmp_path)
    assert res.code == 0, res.err


def test_partner_id_selects_all_its_variants(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("check", "--format", "json", "voltway", cwd=ws)
    assert res.json()["profiles"] == 2
