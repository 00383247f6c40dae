"""What analysts get: every query of docs/analysts.md runs against the demo lake and the
three libraries agree; the documented columns match the code's schemas; the report
(self-contained HTML and the text summary) is written atomically and a failing report
never fails a run."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from newsflow.cli import SAMPLE_DAY, main
from newsflow.lake import schema
from newsflow.report import summary
from support import REPO, lake_files

DOC = REPO / "docs" / "analysts.md"
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The folder holding ``data/lake`` as ``newsflow demo`` writes it (the docs' LAKE)."""
    root = tmp_path_factory.mktemp("analyst")
    assert main(["demo", "--lake", str(root / "data" / "lake")]) == 0
    return root


def _blocks() -> list[tuple[str, str]]:
    out = []
    for code in BLOCK.findall(DOC.read_text()):
        first = code.splitlines()[0]
        assert first.startswith("# "), f"every block starts with '# name (library)': {first!r}"
        out.append((first[2:].strip(), code))
    return out


def _rows(result, columns: list[str]) -> list[tuple]:
    """A result of any of the three libraries as plain tuples (None for missing values)."""
    import pandas as pd

    df = result.to_pandas() if hasattr(result, "to_pandas") else result
    df = df[columns].astype(object).where(pd.notna(df[columns]), None)
    return [
        tuple(int(v) if isinstance(v, float) and v.is_integer() else v for v in row)
        for row in df.itertuples(index=False)
    ]


@pytest.mark.slow
def test_every_documented_query_runs_and_the_libraries_agree(demo: Path, monkeypatch) -> None:
    monkeypatch.chdir(demo)
    ns: dict = {}
    results: dict[str, dict[str, object]] = {}
    blocks = _blocks()
    assert len(blocks) >= 12
    for name, code in blocks:
        exec(compile(code, f"{DOC.name}:{name}", "exec"), ns)  # noqa: S102 (our own docs)
        if "result" in ns:
            query, lib = re.fullmatch(r"(\S+) \((\w+)\)", name).groups()
            results.setdefault(query, {})[lib] = ns.pop("result")
            assert len(results[query][lib]) > 0, name
    for query, keys in {
        "top-entities-week": ["entity_key", "label", "articles", "mentions"],
        "story-coverage": ["source", "articles", "copies"],
        "duplicates-of": ["article_id", "source", "method"],
    }.items():
        libs = results[query]
        assert set(libs) == {"duckdb", "pandas", "polars"}, query
        expected = _rows(libs["duckdb"], keys)
        for lib in ("pandas", "polars"):
            assert _rows(libs[lib], keys) == expected, f"{query}: {lib} disagrees with duckdb"

    # and against the files themselves
    lake = demo / "data" / "lake"
    art = pq.read_table(lake / "articles", columns=["story_id", "source"]).to_pylist()
    coverage = dict(_rows(results["story-coverage"]["duckdb"], ["source", "articles"]))
    story_rows = [r for r in art if r["story_id"] == ns["STORY"]]
    assert sum(coverage.values()) == len(story_rows)
    assert len(coverage) == len({r["source"] for r in story_rows}) >= 2
    dups = pq.read_table(lake / "duplicates", columns=["duplicate_of"]).column(0).to_pylist()
    assert len(results["duplicates-of"]["duckdb"]) == dups.count(ns["ARTICLE"]) >= 1
    rejects = pq.read_table(lake / "rejects", columns=["reason"]).num_rows
    assert int(results["rejects-by-reason"]["duckdb"]["inputs"].sum()) == rejects == 5


def test_documented_columns_match_the_schemas() -> None:
    text = DOC.read_text()
    for heading, sch in {
        "articles": schema.ARTICLES,
        "entities": schema.ENTITIES,
        "entity_counts": schema.ENTITY_COUNTS,
        "duplicates": schema.DUPLICATES,
        "rejects": schema.REJECTS,
        "stories": schema.STORY_SUMMARY,
    }.items():
        section = text.split(f"\n### {heading}\n", 1)[1].split("\n### ", 1)[0]
        documented = re.findall(r"^\| `(\w+)` \| `([^`]+)` \|", section, re.M)
        assert documented == [(f.name, str(f.type)) for f in sch], heading


@pytest.mark.slow
def test_publish_writes_a_self_contained_report(demo: Path) -> None:
    lake = demo / "data" / "lake"
    report = lake / "_reports" / f"dt={SAMPLE_DAY}" / "report.html"
    html = report.read_text()
    manifest = json.loads((lake / "_runs" / f"dt={SAMPLE_DAY}" / "manifest.json").read_text())
    assert f'id="n-inputs">{manifest["inputs"]}<' in html
    assert f'id="n-articles">{manifest["counts"]["articles"]}<' in html
    assert f'id="n-rejects">{manifest["counts"]["rejects"]}<' in html
    assert html.count('src="data:image/png;base64,') == 1  # the trend; top lists are HTML bars
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "must not load anything"
    for png in ("volume.png", "entities.png", "sources.png", "languages.png"):
        assert (report.parent / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the text summary is in the same folder; the run's folder holds only its manifest
    assert (report.parent / "report.txt").read_text() == summary(lake, SAMPLE_DAY) + "\n"
    assert lake_files(lake / "_runs") == [f"dt={SAMPLE_DAY}/manifest.json"]
    # each reject is listed with its reason
    rejects = pq.read_table(lake / "rejects", columns=["reason"]).column(0).to_pylist()
    for reason in rejects:
        assert reason.split(":")[0] in html


@pytest.mark.slow
def test_report_command_rewrites_atomically(demo: Path, capsys) -> None:
    lake = demo / "data" / "lake"
    before = lake_files(lake)
    assert main(["report", "--lake", str(lake)]) == 0
    out = capsys.readouterr().out
    assert f"_reports/dt={SAMPLE_DAY}/report.html" in out
    assert f"_reports/dt={SAMPLE_DAY}/report.txt" in out
    assert lake_files(lake) == before  # replaced in place, nothing left in _tmp


@pytest.mark.slow
def test_a_failing_report_does_not_fail_the_run(pair_inbox, tmp_path, caplog) -> None:
    inbox, day = pair_inbox
    lake = tmp_path / "lake"
    lake.mkdir()
    (lake / "_reports").write_text("a file where the reports folder should be")
    with caplog.at_level(logging.WARNING, logger="newsflow"):
        assert main(["run", "--inbox", str(inbox), "--lake", str(lake), "--day", day]) == 0
    assert pq.read_table(lake / "articles").num_rows == 2
    assert any(
        "report" in r.getMessage() and "not written" in r.getMessage() for r in caplog.records
    )
