"""The cross-day story index: a later day's articles join the open stories of earlier
days, ids never change, reruns are idempotent, time decay and the text floor refuse
weak links. Self-written fixtures; the index parts are real Parquet in a lake folder,
written the way publish writes them."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from newsflow.config import Settings
from newsflow.lake import schema
from newsflow.lake.partition import partition_dir, write_partition
from newsflow.stories import StoryParams
from newsflow.story_index import (
    INDEX,
    INDEX_SCHEMAS,
    STATE,
    LinkParams,
    OpenStories,
    assign_day,
    link_logits,
    story_body,
)

SP = StoryParams.from_settings(Settings())
LP = LinkParams.from_settings(Settings())
D1 = date(2024, 5, 1)

SHOOTING = (
    "Shooting at Springfield supermarket",
    "A gunman opened fire inside the Greenway supermarket on Oak Street in Springfield on "
    "Monday, killing three shoppers and wounding a cashier before fleeing in a grey van, "
    "police chief Maria Lopez said. Mayor Tom Baker called the supermarket attack a tragedy.",
    {"PERSON:maria lopez", "PERSON:tom baker", "GPE:springfield"},
)
ARREST = (
    "Suspect in Springfield supermarket shooting arrested",
    "Police arrested a 34-year-old man suspected of the Greenway supermarket shooting on Oak "
    "Street in Springfield, in which a gunman killed three shoppers and wounded a cashier. "
    "The grey van was found nearby, police chief Maria Lopez said.",
    {"PERSON:maria lopez", "GPE:springfield", "ORG:greenway"},
)
COURT = (
    "Greenway supermarket shooting suspect charged",
    "The man accused of killing three shoppers at the Greenway supermarket on Oak Street in "
    "Springfield was charged with three counts of murder; the cashier wounded in the "
    "shooting is recovering, police chief Maria Lopez said.",
    {"PERSON:maria lopez", "GPE:springfield", "ORG:greenway"},
)
# the same city, the same people: another incident, and
# apart from the names the texts share nothing
SCHOOL = (
    "Teenager stabbed outside Springfield high school",
    "A teenage boy was stabbed after a football practice outside Lincoln High "
    "School; classmates gave first aid before an ambulance took him to hospital, where he "
    "is in stable condition. Tom Baker and Maria Lopez of Springfield visited the boy's family.",
    {"PERSON:maria lopez", "PERSON:tom baker", "GPE:springfield"},
)
FLOOD = (
    "Rhine floods Cologne",
    "Floods forced hundreds from their homes in Cologne as the Rhine rose to its highest "
    "level in a decade; the Red Cross opened shelters in schools and sports halls.",
    {"GPE:cologne", "ORG:red cross", "LOC:rhine"},
)


def _batches(day: date, docs: dict[str, tuple]) -> tuple[list, list]:
    ids = sorted(docs)
    arts = pa.table(
        {
            "article_id": ids,
            "published_at": pa.array(
                [datetime(day.year, day.month, day.day, 9, tzinfo=UTC)] * len(ids), schema.TS
            ),
            "is_duplicate": [False] * len(ids),
            "duplicate_of": pa.array([None] * len(ids), pa.string()),
            "text": [docs[a][1] for a in ids],
            "language": ["en"] * len(ids),
            "title": [docs[a][0] for a in ids],
            "source": [f"s{k % 3}.example" for k in range(len(ids))],
        }
    )
    rows = []
    for a in ids:
        text = docs[a][1].lower()
        for k in sorted(docs[a][2]):
            label, name = k.split(":", 1)
            at = 0
            while (at := text.find(name, at)) >= 0:  # each mention, as tag finds them
                rows.append({"article_id": a, "entity_key": name, "label": label, "at": at})
                at += len(name)
    ents = pa.table(
        {
            "article_id": [r["article_id"] for r in rows],
            "start": pa.array([r["at"] for r in rows], pa.int32()),
            "end": pa.array([r["at"] + len(r["entity_key"]) for r in rows], pa.int32()),
            "entity_key": [r["entity_key"] for r in rows],
            "label": [r["label"] for r in rows],
            "country": pa.array([None] * len(rows), pa.string()),
        }
    )
    return arts.to_batches(), ents.to_batches()


def run_day(
    lake: Path, day: date, docs: dict[str, tuple], lp: LinkParams = LP, sp: StoryParams = SP
) -> dict[str, str]:
    """The stories stage's assignment of ``day``, and its index parts swapped in."""
    arts, ents = _batches(day, docs)
    story, rows = assign_day(
        day,
        arts,
        ents,
        sp,
        lp,
        OpenStories(lake, day, lp.horizon_days, lp.representatives, lp.memory_mb),
        earlier=lambda ids: {},
    )
    for part, sch in INDEX_SCHEMAS.items():
        write_partition(lake / STATE, part, day.isoformat(), [rows[part]], sch)
    return story


def _index(lake: Path, day: date) -> pa.Table:
    return pq.read_table(partition_dir(lake / STATE, INDEX, day.isoformat()))


LINEAR = replace(LP, model="linear")  # the link score before the learned one


@pytest.mark.parametrize("lp", [LP, LINEAR], ids=["learned", "linear"])
def test_follow_ups_join_the_story_and_ids_never_change(tmp_path: Path, lp: LinkParams) -> None:
    day1 = run_day(tmp_path, D1, {"a-shoot": SHOOTING, "z-flood": FLOOD}, lp)
    day2 = run_day(tmp_path, D1 + timedelta(days=1), {"b-arrest": ARREST}, lp)
    day4 = run_day(tmp_path, D1 + timedelta(days=3), {"c-court": COURT}, lp)
    assert day2["b-arrest"] == day4["c-court"] == day1["a-shoot"] != day1["z-flood"]
    row = _index(tmp_path, D1 + timedelta(days=3)).to_pylist()
    assert [r["story_id"] for r in row] == [day1["a-shoot"]]
    (r,) = row
    assert (r["first_seen"], r["last_seen"], r["days"], r["articles"]) == (
        D1,
        D1 + timedelta(days=3),
        3,
        3,
    )
    assert r["title"] == SHOOTING[0]  # the first article's headline stays the story's
    assert "PERSON:maria lopez" in r["entity_keys"]
    # the earlier days' parts are as they were: no id was rewritten
    assert _index(tmp_path, D1).column("story_id").to_pylist() == sorted(day1.values())


def test_rerunning_a_day_gives_the_same_ids_and_replaces_its_part(tmp_path: Path) -> None:
    run_day(tmp_path, D1, {"a-shoot": SHOOTING, "z-flood": FLOOD})
    d2 = D1 + timedelta(days=1)
    first = run_day(tmp_path, d2, {"b-arrest": ARREST})
    before = _index(tmp_path, d2)
    again = run_day(tmp_path, d2, {"b-arrest": ARREST})
    assert again == first
    assert _index(tmp_path, d2).equals(before)  # replaced, not appended twice
    # a later day sees the story once, with the rerun day counted once
    d3 = D1 + timedelta(days=2)
    later = run_day(tmp_path, d3, {"c-court": COURT})
    assert later["c-court"] == first["b-arrest"]
    assert _index(tmp_path, d3).column("articles").to_pylist() == [3]


@pytest.mark.parametrize("lp", [LP, LINEAR], ids=["learned", "linear"])
def test_entity_overlap_alone_does_not_link(tmp_path: Path, lp: LinkParams) -> None:
    """Same city, same mayor, same police chief, another incident: a new story, even
    when people are weighed far above the text."""
    heavy = replace(SP, weight_people=30.0, weight_places=30.0)
    arts, ents = _batches(D1, {"a-shoot": SHOOTING})
    _, rows = assign_day(D1, arts, ents, heavy, lp, OpenStories(tmp_path, D1, 30), earlier=dict)
    for part, sch in INDEX_SCHEMAS.items():
        write_partition(tmp_path / STATE, part, D1.isoformat(), [rows[part]], sch)
    d2 = D1 + timedelta(days=1)
    arts, ents = _batches(d2, {"b-school": SCHOOL})
    story, _ = assign_day(d2, arts, ents, heavy, lp, OpenStories(tmp_path, d2, 30), earlier=dict)
    assert story["b-school"] != rows[INDEX].column("story_id")[0].as_py()
    # the rule itself: below the text floor no score links
    z = link_logits(
        np.array([0.999]), np.array([LP.min_text / 2]), np.array([1.0]), np.array([1.0]), LP
    )
    assert z[0] == -np.inf


def test_entity_overlap_alone_does_not_link_within_a_day(tmp_path: Path) -> None:
    """The same gate holds among one day's articles (without it the school stabbing
    joins the shooting here); the shooting's follow-up still joins it."""
    heavy = replace(SP, weight_people=30.0, weight_places=30.0)
    docs = {"a-shoot": SHOOTING, "b-school": SCHOOL, "c-flood": FLOOD, "d-arrest": ARREST}
    arts, ents = _batches(D1, docs)
    story, _ = assign_day(D1, arts, ents, heavy, LP, OpenStories(tmp_path, D1, 30), earlier=dict)
    assert story["a-shoot"] == story["d-arrest"]
    assert len({story["a-shoot"], story["b-school"], story["c-flood"]}) == 3


def test_the_body_is_headline_and_text_without_their_names() -> None:
    text = "Maria Lopez said the Greenway store reopened."
    spans = [0, 11, 21, 29]  # "Maria Lopez", "Greenway"
    got = story_body("Greenway reopens, Maria Lopez says", text, spans)
    assert got.split() == ["reopens,", "says", "said", "the", "store", "reopened."]
    assert story_body(text, text, spans) == story_body(None, text, spans)  # headline once


@pytest.mark.parametrize("lp", [LP, replace(LINEAR, decay=0.5)], ids=["learned", "linear"])
def test_time_decay_refuses_a_weak_far_link(tmp_path: Path, lp: LinkParams) -> None:
    """The follow-up links one day on; the same evidence 25 days on is too weak (the
    linear score's ``decay``, the learned one's days between)."""
    near = tmp_path / "near"
    run_day(near, D1, {"a-shoot": SHOOTING}, lp)
    got = run_day(near, D1 + timedelta(days=1), {"b-arrest": ARREST}, lp)
    far = tmp_path / "far"
    first = run_day(far, D1, {"a-shoot": SHOOTING}, lp)
    late = run_day(far, D1 + timedelta(days=25), {"b-arrest": ARREST}, lp)
    assert got["b-arrest"] == first["a-shoot"]
    assert late["b-arrest"] != first["a-shoot"]
    # beyond the horizon the story is closed whatever the evidence
    closed = tmp_path / "closed"
    first = run_day(closed, D1, {"a-shoot": SHOOTING}, replace(lp, decay=0.0, horizon_days=5))
    late = run_day(
        closed,
        D1 + timedelta(days=6),
        {"b-arrest": ARREST},
        replace(lp, decay=0.0, horizon_days=5),
    )
    assert late["b-arrest"] != first["a-shoot"]


def _inbox(root: Path, day: date, docs: dict[str, tuple]) -> None:
    import json

    folder = root / day.isoformat()
    folder.mkdir(parents=True)
    with (folder / "news.jsonl").open("w") as f:
        for k, (aid, (title, text, _)) in enumerate(sorted(docs.items())):
            f.write(
                json.dumps(
                    {
                        "url": f"https://news{k}.example/{aid}",
                        "title": title,
                        "text": text,
                        "source": f"news{k}.example",
                        "published_at": f"{day.isoformat()}T09:00:00Z",
                    }
                )
                + "\n"
            )


def test_the_stories_table_and_a_timeline_across_days(tmp_path: Path) -> None:
    """Through the CLI, two days: the follow-up keeps the story's id, the stories table
    has the designed schema and one row per story and day, and the documented timeline
    query returns the story's days and sources."""
    import duckdb
    from newsflow.cli import main

    inbox, lake = tmp_path / "inbox", tmp_path / "lake"
    d2 = D1 + timedelta(days=1)
    _inbox(inbox, D1, {"a-shoot": SHOOTING, "z-flood": FLOOD})
    _inbox(inbox, d2, {"b-arrest": ARREST, "c-school": SCHOOL})
    for d in (D1, d2):
        args = ["run", "--inbox", str(inbox), "--lake", str(lake), "--day", d.isoformat()]
        assert main(args) == 0
    (f,) = (lake / "stories" / f"dt={d2.isoformat()}").glob("*.parquet")
    assert pq.read_schema(f).remove_metadata() == schema.STORY_SUMMARY
    story = dict(
        duckdb.sql(
            f"SELECT url, story_id FROM read_parquet('{lake}/articles/dt=*/*.parquet')"
        ).fetchall()
    )
    by = {u.rsplit("/", 1)[1]: s for u, s in story.items()}
    assert by["b-arrest"] == by["a-shoot"] != by["c-school"] != by["z-flood"]
    rows = duckdb.sql(
        f"""SELECT a.dt, a.source, count(*) AS articles, any_value(s.title) AS story,
                   any_value(s.days) AS days_so_far, any_value(s.first_seen) AS first_seen
            FROM read_parquet('{lake}/articles/dt=*/*.parquet') a
            JOIN read_parquet('{lake}/stories/dt=*/*.parquet') s USING (dt, story_id)
            WHERE story_id = (SELECT story_id FROM read_parquet('{lake}/stories/dt=*/*.parquet')
                              ORDER BY days DESC, articles DESC, story_id LIMIT 1)
            GROUP BY ALL ORDER BY a.dt, a.source"""
    ).fetchall()
    assert [(r[0], r[2], r[4], r[5]) for r in rows] == [(D1, 1, 1, D1), (d2, 1, 2, D1)]
    assert rows[0][3] == SHOOTING[0] == rows[1][3]  # the first headline stays the title
    # rerunning the first day changes no id, and its stories table is the same
    before = pq.read_table(lake / "stories" / f"dt={D1.isoformat()}")
    assert main(["run", "--inbox", str(inbox), "--lake", str(lake), "--day", D1.isoformat()]) == 0
    assert pq.read_table(lake / "stories" / f"dt={D1.isoformat()}").equals(before)


def test_a_date_only_article_is_not_the_first_of_its_day(tmp_path: Path) -> None:
    """The story's headline is its first article's: a date-only published_at (stored
    as 00:00) counts as the end of its day, so a timed report of that day comes first."""
    arts, ents = _batches(D1, {"a-shoot": SHOOTING, "b-arrest": ARREST})
    table = pa.Table.from_batches(arts)
    midnight = datetime(D1.year, D1.month, D1.day, tzinfo=UTC)
    table = table.set_column(
        1, "published_at", pa.array([midnight + timedelta(hours=9), midnight], schema.TS)
    ).append_column("published_precision", pa.array(["second", "day"]))
    story, rows = assign_day(
        D1, table.to_batches(), ents, SP, LP, OpenStories(tmp_path, D1, 30), earlier=dict
    )
    assert story["a-shoot"] == story["b-arrest"]
    assert rows[INDEX].column("title").to_pylist() == [SHOOTING[0]]
    undated = table.set_column(
        table.schema.get_field_index("published_precision"),
        "published_precision",
        pa.array(["second", "second"]),
    )
    _, rows = assign_day(
        D1, undated.to_batches(), ents, SP, LP, OpenStories(tmp_path, D1, 30), earlier=dict
    )
    assert rows[INDEX].column("title").to_pylist() == [ARREST[0]]  # midnight is first


def test_chunk_rows_bounds_memory_not_results(tmp_path: Path) -> None:
    """Row-wise steps and the linking's ranges of candidate stories a chunk at a time
    (here one article or one story per chunk) give the stories and index rows of
    the whole day at once."""
    days = [
        (D1, {"a-shoot": SHOOTING, "m-school": SCHOOL, "z-flood": FLOOD}),
        (D1 + timedelta(days=1), {"b-arrest": ARREST, "y-flood": FLOOD}),
        (D1 + timedelta(days=2), {"c-court": COURT}),
    ]
    got = {}
    for chunk in (1, LP.chunk_rows):
        lake = tmp_path / str(chunk)
        lp = replace(LP, chunk_rows=chunk)
        got[chunk] = [run_day(lake, d, docs, lp) for d, docs in days]
        got[chunk].append(_index(lake, days[-1][0]).to_pylist())
    assert got[1] == got[LP.chunk_rows]
    day1, day2, day3, _ = got[1]
    assert day1["a-shoot"] == day2["b-arrest"] == day3["c-court"] != day1["m-school"]
    assert day2["y-flood"] == day1["z-flood"]


def _vigil(name: str, street: str) -> tuple:
    text = (
        f"Dozens of people gathered on {street} to remember {name}, who was killed in a "
        "shooting there. Mayor Linda Chen attended the vigil and called for an end to gun "
        f"violence. Family members lit candles near the spot where {name} was shot."
    )
    return f"Vigil held for {name}", text, {f"PERSON:{name.lower()}", "PERSON:linda chen"}


def test_a_later_day_s_story_whose_headline_names_another_person_is_new(tmp_path: Path) -> None:
    """Vigils for two victims on two days, one template and the mayor in both: the
    second headline names someone the first story never names, so it starts a story of
    its own; without the headlines' names (``name_conflict`` 0) and the slots
    (``slot_conflict`` 0: the streets and names differ in one template) it joins the first."""
    d2 = D1 + timedelta(days=1)
    for conflict, apart in ((SP.name_conflict, True), (0.0, False)):
        sp = replace(SP, name_conflict=conflict, slot_conflict=conflict and SP.slot_conflict)
        lake = tmp_path / str(conflict)
        one = run_day(lake, D1, {"a": _vigil("James Marshall", "Elm Street"), "f": FLOOD}, sp=sp)
        two = run_day(lake, d2, {"b": _vigil("Ashley Hunter", "Oak Street")}, sp=sp)
        assert (one["a"] != two["b"]) is apart


def test_name_words_no_headline_has_weigh_nothing() -> None:
    """The names are scored only against headlines: a body's capitalised word that no
    headline of the window or the day has is dropped from the weighted rows (most of
    them: the rows stay small at 100k articles a day); one a headline has keeps its
    weight, in both kinds."""
    from newsflow.story_index import KINDS, N_KEYS, Idf, key_feature

    n = 60
    df = np.zeros(len(KINDS) * N_KEYS, np.float32)
    only_body, headlined = key_feature("pname:riverside"), key_feature("pname:elm")
    assert only_body is not None and headlined is not None
    df[only_body] = df[headlined] = 3.0
    title = key_feature("tname:elm")
    assert title is not None
    df[title] = 1.0
    _, w = Idf.of("keys", df, n, SP)
    assert w[only_body] == 0.0
    assert w[headlined] > 0 and w[title] == w[headlined]


def _limit_mb(open_: OpenStories) -> float:
    ((got,),) = open_.con.sql("SELECT current_setting('memory_limit')").fetchall()
    value, unit = got.split()
    return float(value) * {"MiB": 1.0, "GiB": 1024.0, "MB": 1e6 / 2**20, "GB": 1e9 / 2**20}[unit]


def test_staged_representatives_are_read_in_a_quarter_of_duckdbs_share(tmp_path: Path) -> None:
    """While a day's pairs are scored DuckDB holds only a quarter of its share (the rest
    spilled and given back: at 100k articles the full share kept put the day over 2 GiB);
    the staged rows read back the same, and the next query has the whole share again."""
    day1 = run_day(tmp_path, D1, {"a-shoot": SHOOTING, "z-flood": FLOOD})
    open_ = OpenStories(tmp_path, D1 + timedelta(days=1), 30, memory_mb=512)
    full = _limit_mb(open_)
    ids = pa.array(sorted(set(day1.values())), pa.string())
    open_.stage_reps(ids)
    assert _limit_mb(open_) <= full / 4 + 1
    reps = open_.reps_of(0, len(ids))
    assert reps.column("story_id").to_pylist() == ids.to_pylist()
    assert open_.rows(set(ids.to_pylist())).num_rows == len(ids)
    assert _limit_mb(open_) == full
