"""A partition holding several days' news is linked as the stream it holds: the same
stories as the days given one by one, through ``newsflow run`` on a real lake."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from newsflow.cli import main
from newsflow.lake import schema
from newsflow.story_copies import another_report
from newsflow.story_days import publication_days
from test_story_index import ARREST, COURT, D1, FLOOD, SCHOOL, SHOOTING

# the shooting, its arrest four days on, the charges eight days on: the ends are
# further apart than the clustering's date window (3 days), the steps are not
STREAM = [
    (D1, {"a-shoot": SHOOTING, "z-flood": FLOOD}),
    (D1 + timedelta(days=4), {"b-arrest": ARREST, "m-school": SCHOOL}),
    (D1 + timedelta(days=8), {"c-court": COURT}),
]
LAST = STREAM[-1][0]


def _write(folder: Path, day: date, docs: dict[str, tuple], *, name: str = "news") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}-{day.isoformat()}.jsonl").open("w") as f:
        for aid, (title, text, _) in sorted(docs.items()):
            f.write(
                json.dumps(
                    {
                        "url": f"https://news.example/{aid}",
                        "title": title,
                        "text": text,
                        "source": "news.example",
                        "published_at": f"{day.isoformat()}T09:00:00Z",
                    }
                )
                + "\n"
            )


def _stories(lake: Path) -> dict[str, str]:
    rows = duckdb.sql(
        f"SELECT url, story_id FROM read_parquet('{lake}/articles/dt=*/*.parquet')"
    ).fetchall()
    return {u.rsplit("/", 1)[1]: s for u, s in rows}


def _grouping(story: dict[str, str], only: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for a, s in story.items():
        if a in only:
            groups.setdefault(s, set()).add(a)
    return {frozenset(g) for g in groups.values()}


def _run(inbox: Path, lake: Path, day: date) -> None:
    assert main(["run", "--inbox", str(inbox), "--lake", str(lake), "--day", day.isoformat()]) == 0


def test_a_backfill_partition_gets_the_stories_of_its_days_one_by_one(tmp_path: Path) -> None:
    daily_inbox, daily = tmp_path / "daily-inbox", tmp_path / "daily"
    for day, docs in STREAM:
        _write(daily_inbox / day.isoformat(), day, docs)
        _run(daily_inbox, daily, day)
    once_inbox, once = tmp_path / "once-inbox", tmp_path / "once"
    for day, docs in STREAM:  # every day's articles, given on the last day
        _write(once_inbox / LAST.isoformat(), day, docs)
    # and a verbatim copy of the arrest report from another site, published a day later
    copy = {"b-arrest-copy": ARREST}
    _write(once_inbox / LAST.isoformat(), STREAM[1][0] + timedelta(days=1), copy, name="copy")
    _run(once_inbox, once, LAST)

    by_day, at_once = _stories(daily), _stories(once)
    # the charges eight days on join the shooting through the arrest, as day by day
    assert at_once["c-court"] == at_once["b-arrest"] == at_once["a-shoot"]
    assert at_once["b-arrest-copy"] == at_once["a-shoot"]
    assert len({at_once[a] for a in ("a-shoot", "m-school", "z-flood")}) == 3
    assert _grouping(at_once, by_day) == _grouping(by_day, by_day)  # ids are the inputs'
    # the stories table: one row per story, its publication days as its timeline
    table = pq.read_table(once / "stories" / f"dt={LAST.isoformat()}")
    assert table.schema.remove_metadata() == schema.STORY_SUMMARY
    rows = {r["story_id"]: r for r in table.to_pylist()}
    assert len(rows) == 3
    shooting = rows[at_once["a-shoot"]]
    assert (shooting["first_seen"], shooting["last_seen"], shooting["days"]) == (D1, LAST, 3)
    assert (shooting["articles"], shooting["articles_today"]) == (4, 4)
    assert shooting["title"] == SHOOTING[0]
    # a rerun of the partition gives the same ids and the same table
    _run(once_inbox, once, LAST)
    assert _stories(once) == at_once
    assert pq.read_table(once / "stories" / f"dt={LAST.isoformat()}").equals(table)


def _dated(rows: list[tuple[str, datetime | None, str | None]]) -> pa.Table:
    return pa.table(
        {
            "article_id": [r[0] for r in rows],
            "published_at": pa.array([r[1] for r in rows], schema.TS),
            "duplicate_of": pa.array([r[2] for r in rows], pa.string()),
        }
    )


def test_publication_days_of_a_partition() -> None:
    day = date(2024, 6, 30)

    def at(d: date) -> datetime:
        return datetime(d.year, d.month, d.day, 23, tzinfo=UTC)

    # within the date window: one day, as every daily run
    near = _dated([("a", at(day), None), ("b", at(day - timedelta(days=3)), None)])
    assert publication_days(day, near, horizon_days=30, window_days=3) is None
    far = _dated(
        [
            ("a", at(day - timedelta(days=5)), None),
            ("b", None, None),  # no date: the partition's day
            ("c", at(day + timedelta(days=2)), None),  # after it: its day too
            ("d", at(date(2019, 1, 1)), None),  # before the horizon: as undated
            ("e", at(day), "a"),  # a copy: its original's day
            ("f", at(day), "elsewhere"),  # a copy of an article of another partition
        ]
    )
    got = publication_days(day, far, horizon_days=30, window_days=3)
    assert got == {
        "a": day - timedelta(days=5),
        "b": day,
        "c": day,
        "d": day,
        "e": day - timedelta(days=5),
        "f": day,
    }
    assert publication_days(day, _dated([]), horizon_days=30, window_days=3) is None
    # an archive's pages dated years apart, most undated (ECB+): one day
    archive = _dated(
        [("a", None, None), ("b", at(date(2004, 7, 28)), None), ("c", at(date(2013, 5, 2)), None)]
    )
    assert publication_days(day, archive, horizon_days=30, window_days=3) is None


def _vigil(name: str, street: str, hood: str) -> tuple[str, str, set]:
    first = name.split()[0]
    return (
        f"Vigil held for {name}",
        f"Dozens of neighbours gathered on {street} in {hood} on Sunday evening to remember "
        f"{name}, who was killed in a shooting there last week. Mayor Linda Chen attended "
        "the vigil and called for an end to gun violence in the city. Family members lit "
        "candles and released white balloons near the corner where the shooting happened. "
        "A cousin said the family was grateful for the support of the whole neighbourhood "
        "and asked anyone who saw anything to come forward. Organisers said a fund for the "
        f"funeral had raised several thousand dollars by Sunday night. {first} would have "
        "turned thirty next month, relatives said.",
        set(),
    )


def _vigils_and_a_copy(tmp_path: Path, opening: str) -> tuple[Path, str, str]:
    """(lake, the first vigil's text, its copy's) after one ``newsflow run`` of a day with
    two vigils for two victims in one template ("a-vigil", "b-vigil") and a republished
    copy of the first ("c-copy": ``opening`` before it, its last sentence cut)."""
    day = date(2024, 6, 3)
    one = _vigil("Alicia Crawford", "Washington Street", "Harbor Point")
    other = _vigil("Keith Griffin", "Market Street", "Oak Park")
    title, text, keys = one
    copy = (title, opening + text.rsplit(". ", 1)[0] + ".", keys)
    inbox, lake = tmp_path / "inbox", tmp_path / "lake"
    _write(inbox / day.isoformat(), day, {"a-vigil": one, "b-vigil": other, "c-copy": copy})
    _run(inbox, lake, day)
    return lake, text, copy[1]


def test_near_copies_of_one_template_are_told_apart(tmp_path: Path) -> None:
    """MinHash calls two vigils for two victims, told in one template, copies; the
    stories stage clusters a near copy like an original: the two get two stories, while
    a republished copy of one (a chrome line, the ending trimmed) keeps its story."""
    lake, _, _ = _vigils_and_a_copy(tmp_path, "Advertisement\n")
    methods = dict(
        duckdb.sql(
            f"""SELECT a.url, d.method FROM read_parquet('{lake}/duplicates/dt=*/*.parquet') d
                JOIN read_parquet('{lake}/articles/dt=*/*.parquet') a USING (article_id)"""
        ).fetchall()
    )
    # the precondition: dedup takes the other vigil and the copy for copies of the first
    assert {u.rsplit("/", 1)[1]: m for u, m in methods.items()} == {
        "b-vigil": "near",
        "c-copy": "near",
    }
    story = _stories(lake)
    assert story["c-copy"] == story["a-vigil"] != story["b-vigil"]


def test_a_near_copy_the_story_model_links_follows_its_original(tmp_path: Path) -> None:
    """A republished copy whose opening names somewhere its original never writes (a
    dateline) is clustered like an original only if the story model parts it from its
    original: here it links, so it follows it as a copy, out of the day's representatives
    and document frequencies; the other vigil, which the model parts, stays an original."""
    lake, text, dateline = _vigils_and_a_copy(tmp_path, "BRIDGEPORT, Conn. - ")
    ids = dict(
        duckdb.sql(
            f"SELECT url, article_id FROM read_parquet('{lake}/articles/dt=*/*.parquet')"
        ).fetchall()
    )
    ids = {u.rsplit("/", 1)[1]: a for u, a in ids.items()}
    near = duckdb.sql(
        f"SELECT article_id, duplicate_of FROM read_parquet('{lake}/duplicates/dt=*/*.parquet')"
    ).fetchall()
    # the precondition: dedup calls both copies of the first vigil, and the copy's opening
    # names somewhere the first never writes
    assert dict(near) == {ids["b-vigil"]: ids["a-vigil"], ids["c-copy"]: ids["a-vigil"]}
    assert another_report(dateline, text)
    story = _stories(lake)
    assert story["c-copy"] == story["a-vigil"] != story["b-vigil"]
    reps = duckdb.sql(
        f"SELECT article_id FROM read_parquet('{lake}/_state/story_articles/dt=*/*.parquet')"
    ).fetchall()
    assert sorted(r for (r,) in reps) == sorted([ids["a-vigil"], ids["b-vigil"]])
    n = duckdb.sql(
        f"SELECT df FROM read_parquet('{lake}/_state/story_df/dt=*/*.parquet') WHERE kind = 'n'"
    ).fetchall()
    assert n == [(2,)]  # the originals: the copy counts in no document frequency


def test_a_copy_keeps_its_opening_another_report_does_not() -> None:
    from newsflow.story_copies import other_reports

    vigil_a = _vigil("Alicia Crawford", "Washington Street", "Harbor Point")[1]
    vigil_b = _vigil("Keith Griffin", "Market Street", "Oak Park")[1]
    trimmed = "Share this article\n" + vigil_a.rsplit(". ", 2)[0] + "."
    assert not another_report(trimmed, vigil_a)  # chrome and a cut ending: a copy
    assert another_report(vigil_b, vigil_a)  # other names in one template
    # the shorter's opening gives a number the other never writes: another report
    short = trimmed.replace("Sunday evening", "Sunday evening, 41 days after the shooting,")
    longer = vigil_a.replace("Sunday evening", "Sunday evening, 38 days after the shooting,")
    assert another_report(short, longer)
    assert not another_report(short, longer.replace("38", "41"))
    batch = pa.table({"article_id": ["a", "b", "c"], "text": [vigil_a, vigil_b, trimmed]})
    got = other_reports({"b": "a", "c": "a", "d": "gone"}, batch.to_batches(), lambda ids: {})
    assert got.to_pylist() == ["b"]  # "d": its texts are nowhere, it follows its original
