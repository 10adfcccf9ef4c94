"""Coverage-guided fuzzing of the loader with atheris (libFuzzer): ``nox -s fuzz``.

Usage: ``python tests/fuzz/fuzz_loader.py CORPUS_DIR [libFuzzer args]`` (e.g. ``-max_total_time=60``).
The corpus is seeded from the example profiles and tests/fuzz/seeds/ on every start. Each input is
parsed (yamlio, with the loader's per-file checks), merged onto nothing and onto itself (merge) and flattened (tree); a
:class:`~oemkit.yamlio.LoadFailure` with a located finding is the expected answer to bad input,
anything else raised is a crash. Turn every crash into a case under tests/hostile/ (docs/limits.md).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))


def _seed(corpus: Path) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    sources = [*sorted((REPO / "profiles").rglob("*.yaml")), *sorted((HERE / "seeds").glob("*"))]
    for i, src in enumerate(sources):
        if src.is_file():
            shutil.copyfile(src, corpus / f"seed-{i:03d}-{src.name}")


def test_one_input(data: bytes) -> None:
    """One fuzz input through parse, merge and flatten; only a located LoadFailure may escape."""
    from oemkit.fields import merge_strategies
    from oemkit.loader import check_ids
    from oemkit.merge import merge
    from oemkit.tree import provenance, to_plain
    from oemkit.yamlio import LoadFailure, parse_bytes

    try:
        tree = parse_bytes(data, "fuzz.yaml")
        check_ids(tree)  # as the loader does for every file
    except LoadFailure as exc:
        finding = exc.finding
        if finding.line < 1 or finding.column < 1 or not finding.rule or not finding.hint:
            raise AssertionError(f"finding without a location or hint: {finding}") from None
        return
    strategies = merge_strategies()
    once = merge(None, tree, "", strategies)
    twice = merge(once, tree, "", strategies)
    if repr(to_plain(twice)) != repr(to_plain(once)):  # repr: NaN != NaN, but prints the same
        raise AssertionError("merging a layer onto itself changed it")
    provenance(twice)


def main() -> None:
    import atheris

    with atheris.instrument_imports():
        import oemkit.loader
        import oemkit.merge
        import oemkit.tree
        import oemkit.yamlio  # noqa: F401
    args = sys.argv[1:]
    dirs = [a for a in args if not a.startswith("-")]
    if dirs and not Path(dirs[0]).is_file():  # a single file is a crash being reproduced
        _seed(Path(dirs[0]))
    atheris.Setup([sys.argv[0], *args], test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
