"""Sharding (``oemkit.shard``) and ``oemkit matrix``: a stable partition, each profile in exactly one shard."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oemkit.commands.matrix import MAX_JOBS, matrix
from oemkit.shard import shard_of

PORTFOLIO = [f"profiles/partners/p{i:04d}/variant-{i % 7}.yaml" for i in range(2000)]


@pytest.mark.parametrize("n", [1, 2, 3, 7, 16, 256])
def test_every_profile_lands_in_exactly_one_valid_shard(n: int) -> None:
    shards = [shard_of(rel, n) for rel in PORTFOLIO]
    assert all(0 <= s < n for s in shards)
    # Same input, same answer (no per-process hash seed, no dependency on the rest of the list).
    assert shards == [shard_of(rel, n) for rel in reversed(PORTFOLIO)][::-1]


def test_adding_profiles_moves_nobody() -> None:
    before = {rel: shard_of(rel, 8) for rel in PORTFOLIO[:500]}
    after = {rel: shard_of(rel, 8) for rel in PORTFOLIO}
    assert all(after[rel] == shard for rel, shard in before.items())


def test_known_values_pin_the_algorithm() -> None:
    # Jobs of one CI run must agree on the partition, whatever oemkit build each one runs.
    ns = (1, 2, 3, 10, 256)
    assert [shard_of("profiles/partners/voltway/home-22-gb.yaml", n) for n in ns] == [0, 1, 2, 5, 233]
    assert [shard_of("profiles/partners/ampera/wallbox-22-de.yaml", n) for n in ns] == [0, 1, 1, 9, 161]


def test_shards_are_balanced_for_a_large_portfolio() -> None:
    counts = Counter(shard_of(rel, 8) for rel in PORTFOLIO)
    assert len(counts) == 8
    assert max(counts.values()) < 1.25 * len(PORTFOLIO) / 8


@pytest.mark.parametrize("n", [0, -1])
def test_shard_count_must_be_positive(n: int) -> None:
    with pytest.raises(ValueError):
        shard_of("x.yaml", n)


def test_matrix_counts_partition_the_portfolio() -> None:
    out = matrix(PORTFOLIO, 16)
    assert sum(job["profiles"] for job in out["include"]) == len(PORTFOLIO)
    assert [job["shard"] for job in out["include"]] == [f"{i}/16" for i in range(1, 17)]
    assert all(job["total"] == 16 and job["shard"] == f"{job['index']}/16" for job in out["include"])


def test_matrix_leaves_out_empty_shards() -> None:
    out = matrix(PORTFOLIO[:3], 200)
    assert 1 <= len(out["include"]) <= 3
    assert sum(job["profiles"] for job in out["include"]) == 3


def test_cli_matrix_is_one_line_of_json(ws: Path, cli: Callable[..., Any]) -> None:
    res = cli("matrix", "--shards", "3", cwd=ws)
    assert res.code == 0, res.err
    assert res.out.count("\n") == 1  # fits $GITHUB_OUTPUT as key=value
    jobs = res.json()["include"]
    assert sum(job["profiles"] for job in jobs) == 6
    buildable = sorted((ws / "profiles/partners").rglob("*.yaml"))
    expected = Counter(shard_of(p.relative_to(ws).as_posix(), 3) for p in buildable
                       if "variant:" in p.read_text(encoding="utf-8"))
    assert {job["index"] - 1: job["profiles"] for job in jobs} == dict(expected)


def test_cli_matrix_default_sizes_shards_by_portfolio(ws: Path, cli: Callable[..., Any]) -> None:
    assert cli("matrix", cwd=ws).json() == {"include": [{"shard": "1/1", "index": 1, "total": 1, "profiles": 6}]}
    src = ws / "profiles/partners/voltway"
    for i in range(4):
        shutil.copytree(src, ws / f"profiles/partners/voltway{i}")
    res = cli("matrix", "--per-shard", "5", cwd=ws)
    assert res.json()["include"][0]["total"] == 3  # 6 + 4*2 = 14 profiles, 5 per shard


@pytest.mark.parametrize("argv", [["--shards", "0"], ["--shards", str(MAX_JOBS + 1)], ["--per-shard", "0"]])
def test_cli_matrix_rejects_bad_counts(ws: Path, cli: Callable[..., Any], argv: list[str]) -> None:
    res = cli("matrix", *argv, cwd=ws)
    assert res.code == 2
    assert "error:" in res.err and "Traceback" not in res.err


def test_matrix_shards_are_what_build_selects(ws: Path, cli: Callable[..., Any]) -> None:
    from oemkit.shard import parse_shard, select

    jobs = cli("matrix", "--shards", "4", cwd=ws).json()["include"]
    rels = [p.relative_to(ws).as_posix() for p in sorted((ws / "profiles/partners").rglob("*.yaml"))
            if "variant:" in p.read_text(encoding="utf-8")]
    picked: list[str] = []
    for job in jobs:
        index, total = parse_shard(job["shard"])
        assert (index, total) == (job["index"], job["total"])
        chosen = select(rels, index, total)
        assert len(chosen) == job["profiles"]
        picked.extend(chosen)
    assert sorted(picked) == sorted(rels)  # each profile in exactly one job
