"""The figures analysts look at, computed once for the report and the Airflow UI view.

Per-day counts come from the run manifests (tiny JSON files, no Parquet read); the
rest is a handful of DuckDB aggregates that read only the columns they need from the
hive-partitioned Parquet. Both the HTML report and the Airflow plugin call these
functions, so the two always show the same numbers.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from newsflow.lake import storage
from newsflow.lake.partition import settle

ENTITY_LABELS = ("PERSON", "ORG", "GPE", "LOC", "EVENT", "NORP")


@dataclass
class DayRow:
    """One day of the lake as the overview table shows it."""

    day: str
    inputs: int
    articles: int
    rejects: int
    duplicates: int
    entities: int
    stories: int = 0
    languages: int = 0
    finished_at: str = ""
    checks_ok: bool = True
    # the DAG run that published the day ({"dag_id", "run_id"}); None when the CLI did
    run: dict[str, str] | None = None

    @property
    def duplicate_rate(self) -> float:
        """Share of the day's articles that are copies of another article."""
        return self.duplicates / self.articles if self.articles else 0.0


@dataclass
class DayDetail:
    """Everything shown for one selected day."""

    row: DayRow
    top_entities: list[tuple[str, str, int, int]] = field(default_factory=list)
    top_sources: list[tuple[str, int, int]] = field(default_factory=list)
    # (title, first seen, days, articles of the day, articles so far, sources so far)
    top_stories: list[tuple[str, str, int, int, int, int]] = field(default_factory=list)
    languages: list[tuple[str, int]] = field(default_factory=list)
    reject_reasons: list[tuple[str, int]] = field(default_factory=list)
    rejects: list[tuple[str, str, str, int]] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)


def _glob(lake: Path, table: str, day: str = "*") -> str:
    """A DuckDB glob of a table's files, quoted for a SQL string literal."""
    return storage.uri(lake / table / f"dt={day}" / "*.parquet").replace("'", "''")


def _has(lake: Path, table: str, day: str = "*") -> bool:
    return any((lake / table).glob(f"dt={day}/*.parquet"))


def manifests(lake: str | os.PathLike[str]) -> dict[str, dict]:
    """Every run manifest of the lake by day, oldest first."""
    settle(lake)  # never show a day whose publish a crash interrupted half-way
    out = {}
    for p in sorted((storage.lake_path(lake) / "_runs").glob("dt=*/manifest.json")):
        out[p.parent.name[3:]] = json.loads(p.read_text())
    return out


def fingerprint(lake: str | os.PathLike[str]) -> tuple:
    """Changes whenever a run is (re)published: the manifests' names and mtimes.
    Publish writes the manifest last, so a cache keyed on this is never stale."""
    settle(lake)
    return tuple(
        (p.parent.name, _mtime(p))
        for p in sorted((storage.lake_path(lake) / "_runs").glob("dt=*/manifest.json"))
    )


def _mtime(p: Path) -> float:
    """Modification time (an object store gives the last PUT's time)."""
    st = p.stat()
    return getattr(st, "st_mtime_ns", None) or st.st_mtime


def overview(lake: str | os.PathLike[str]) -> list[DayRow]:
    """One row per published day: counts from the manifests, stories and languages
    from one DuckDB pass over two columns of ``articles``."""
    lake = storage.lake_path(lake)
    rows: dict[str, DayRow] = {}
    for day, m in manifests(lake).items():
        rows[day] = _row(day, m)
    if rows and _has(lake, "articles"):
        agg = (
            storage.duckdb_connect(lake)
            .sql(
                f"""SELECT CAST(dt AS VARCHAR), count(DISTINCT story_id), count(DISTINCT language)
                FROM read_parquet('{_glob(lake, "articles")}', hive_partitioning = true,
                                  hive_types = {{'dt': VARCHAR}}, union_by_name = true)
                GROUP BY dt"""
            )
            .fetchall()
        )
        for day, stories, langs in agg:
            if day in rows:
                rows[day].stories, rows[day].languages = int(stories), int(langs)
    return [rows[d] for d in sorted(rows)]


def day_detail(lake: str | os.PathLike[str], day: str, *, top: int = 15) -> DayDetail:
    """Top entities, sources and stories, languages and the rejects (with reasons) of
    one day."""
    settle(lake, day)
    lake = storage.lake_path(lake)
    mpath = lake / "_runs" / f"dt={day}" / "manifest.json"
    if not mpath.exists():
        raise FileNotFoundError(f"no run for {day} in {lake} (missing {mpath})")
    m = json.loads(mpath.read_text())
    row = _day_row(lake, day, m)
    con = storage.duckdb_connect(lake)
    d = DayDetail(
        row=row,
        stage_seconds={s: float(v.get("seconds", 0)) for s, v in m.get("stages", {}).items()},
        versions=m.get("versions", {}),
    )
    if _has(lake, "entity_counts", day):
        labels = ", ".join(f"'{x}'" for x in ENTITY_LABELS)
        d.top_entities = con.execute(
            f"""SELECT entity_key, label, articles, mentions
                FROM read_parquet('{_glob(lake, "entity_counts", day)}', hive_partitioning = false)
                WHERE label IN ({labels})
                ORDER BY articles DESC, mentions DESC, entity_key LIMIT ?""",
            [top],
        ).fetchall()
    if _has(lake, "articles", day):
        art = f"read_parquet('{_glob(lake, 'articles', day)}', hive_partitioning = false)"
        d.top_sources = con.execute(
            f"""SELECT coalesce(source, '(unknown)'), count(*), count(*) FILTER (WHERE is_duplicate)
                FROM {art} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?""",
            [top],
        ).fetchall()
        d.languages = con.execute(
            f"SELECT coalesce(language, '(unknown)'), count(*) FROM {art} GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
    if _has(lake, "stories", day):
        # the stories the day added most articles to, with how long they have run
        d.top_stories = con.execute(
            f"""SELECT coalesce(title, story_id), CAST(first_seen AS VARCHAR), days,
                       articles_today, articles, len(sources)
                FROM read_parquet('{_glob(lake, "stories", day)}', hive_partitioning = false)
                ORDER BY articles_today DESC, articles DESC, story_id LIMIT ?""",
            [top],
        ).fetchall()
    if _has(lake, "rejects", day):
        rej = f"read_parquet('{_glob(lake, 'rejects', day)}', hive_partitioning = false)"
        d.reject_reasons = con.execute(
            f"SELECT split_part(reason, ':', 1) AS code, count(*) FROM {rej} GROUP BY code ORDER BY 2 DESC, 1"
        ).fetchall()
        # ``size`` is the whole input's; a day published before it existed has only bytes
        cols = {c[0] for c in con.execute(f"DESCRIBE SELECT * FROM {rej}").fetchall()}
        size = "size" if "size" in cols else "octet_length(bytes)::BIGINT"
        d.rejects = con.execute(
            f"""SELECT source_uri, stage, reason, {size}
                FROM {rej} ORDER BY stage, source_uri LIMIT 500"""
        ).fetchall()
    return d


def _row(day: str, m: dict) -> DayRow:
    c = m.get("counts", {})
    return DayRow(
        day=day,
        inputs=int(m.get("inputs") or 0),
        articles=int(c.get("articles", 0)),
        rejects=int(c.get("rejects", 0)),
        duplicates=int(c.get("duplicates", 0)),
        entities=int(c.get("entities", 0)),
        finished_at=m.get("finished_at", ""),
        checks_ok=all(m.get("checks", {}).values()),
        run=m.get("run"),
    )


def _day_row(lake: Path, day: str, m: dict) -> DayRow:
    """The overview row of one day only (reads one partition, not the whole lake)."""
    row = _row(day, m)
    if _has(lake, "articles", day):
        row.stories, row.languages = (
            storage.duckdb_connect(lake)
            .sql(
                f"""SELECT count(DISTINCT story_id), count(DISTINCT language)
                FROM read_parquet('{_glob(lake, "articles", day)}', hive_partitioning = false)"""
            )
            .fetchall()[0]
        )
    return row
