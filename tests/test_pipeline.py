"""The whole pipeline through the CLI on the bundled sample corpus, and reruns."""

import json
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest
from newsflow.cli import main
from newsflow.lake import schema
from support import SAMPLE, lake_files

EXPECTED = json.loads((SAMPLE / "expected.json").read_text())
DAY = EXPECTED["day"]


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    lake = tmp_path_factory.mktemp("lake")
    assert main(["run", "--inbox", str(SAMPLE / "inbox"), "--lake", str(lake), "--day", DAY]) == 0
    return lake


def _articles(lake: Path) -> pd.DataFrame:
    return pd.read_parquet(lake / "articles").set_index("source_uri")


def test_every_input_is_an_article_or_a_reject(lake: Path) -> None:
    manifest = json.loads((lake / "_runs" / f"dt={DAY}" / "manifest.json").read_text())
    assert manifest["inputs"] == EXPECTED["inputs"]
    assert manifest["counts"]["articles"] + manifest["counts"]["rejects"] == EXPECTED["inputs"]
    assert manifest["checks"]["inputs_accounted_for"] is True
    rejects = pd.read_parquet(lake / "rejects")
    assert sorted(rejects.source_uri) == sorted(r["source_uri"] for r in EXPECTED["rejects"])
    assert (
        rejects.bytes.map(len).gt(0).sum() >= len(rejects) - 1
    )  # bytes kept (the empty file has none)
    assert not rejects.reason.str.contains("Traceback").any()


def test_schema_exactly_as_designed(lake: Path) -> None:
    for table, expected in [
        ("articles", schema.ARTICLES),
        ("entities", schema.ENTITIES),
        ("duplicates", schema.DUPLICATES),
        ("rejects", schema.REJECTS),
        ("entity_counts", schema.ENTITY_COUNTS),
        ("stories", schema.STORY_SUMMARY),
    ]:
        (f,) = (lake / table / f"dt={DAY}").glob("*.parquet")
        assert pq.read_schema(f).remove_metadata() == expected, table


def test_copies_by_text_url_and_near_share_a_cluster(lake: Path) -> None:
    a = _articles(lake)
    groups = EXPECTED["near_duplicate_groups"]
    for group in EXPECTED["exact_duplicate_groups"] + EXPECTED["same_url_groups"] + groups:
        members = a.loc[group]
        assert members.dedup_cluster_id.nunique() == 1, group
        assert (~members.is_duplicate).sum() <= 1, group
    for group in groups:
        members = a.loc[group]
        (rep,) = members[~members.is_duplicate].article_id
        assert set(members[members.is_duplicate].duplicate_of) == {rep}
        assert members.dedup_cluster_id.iloc[0] == rep
    # nothing else is a copy, and every near group is its own cluster
    copies = {u for g in groups + EXPECTED["exact_duplicate_groups"] for u in g}
    assert not a.drop(index=list(copies)).is_duplicate.any()
    assert a.loc[[g[0] for g in groups]].dedup_cluster_id.nunique() == len(groups)
    dups = pd.read_parquet(lake / "duplicates")
    assert set(dups.article_id) == set(a[a.is_duplicate].article_id)
    assert {"exact", "near"} <= set(dups.method) <= {"url", "exact", "near"}
    near = dups[dups.method == "near"]
    assert near.similarity.between(0.2, 1).all()


def test_same_story_groups_share_a_story(lake: Path) -> None:
    a = _articles(lake)
    whole = [g for g in EXPECTED["same_story_groups"] if a.loc[g].story_id.nunique() == 1]
    # 9 of 12 today: three English follow-up pieces (a clean-up the day after the flood,
    # an analysis, a flood update) stay stories of their own; see README
    assert len(whole) >= 9, [g for g in EXPECTED["same_story_groups"] if g not in whole]
    firsts = [g[0] for g in EXPECTED["same_story_groups"]]
    assert a.loc[firsts].story_id.nunique() == len(firsts)


def test_hard_negatives_are_different_stories(lake: Path) -> None:
    a = _articles(lake)
    for x, y in EXPECTED["hard_negative_pairs"]:
        assert a.loc[x, "story_id"] != a.loc[y, "story_id"]


def test_cleaning_of_the_planted_pages(lake: Path) -> None:
    a = _articles(lake)
    for case in ("heavy_boilerplate", "content_farm_txt"):
        c = EXPECTED[case]
        text = a.loc[c["source_uri"], "text"]
        assert all(s in text for s in c["must_keep"]), case
        assert not [s for s in c["must_drop"] if s in text], case
    farm = a.loc[EXPECTED["content_farm_txt"]["source_uri"]]
    assert farm.source == EXPECTED["content_farm_txt"]["source"]
    assert pd.isna(farm.published_at)
    for uri, lang in EXPECTED["languages"].items():
        assert a.loc[uri, "language"] == lang


def test_entities_point_into_the_text(lake: Path) -> None:
    a = pd.read_parquet(lake / "articles").set_index("article_id")
    e = pd.read_parquet(lake / "entities")
    assert len(e) > 100
    for row in e.itertuples():
        assert a.loc[row.article_id, "text"][row.start : row.end] == row.text
    assert not set(e.article_id) & set(a[a.is_duplicate].index)  # copies are not tagged twice


def test_readable_by_duckdb_and_polars(lake: Path) -> None:
    n = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{lake}/articles/*/*.parquet', hive_partitioning=true) "
        f"WHERE dt = '{DAY}'"
    ).fetchall()[0][0]
    assert n == 55
    df = pl.read_parquet(f"{lake}/entity_counts/*/*.parquet", hive_partitioning=True)
    assert df.height > 0 and {"entity_key", "label", "articles", "mentions"} <= set(df.columns)


def test_rerun_gives_the_same_rows_and_no_extra_files(lake: Path) -> None:
    before_files = lake_files(lake)
    before = {
        t: pd.read_parquet(lake / t) for t in ("articles", "entities", "duplicates", "rejects")
    }
    assert main(["run", "--inbox", str(SAMPLE / "inbox"), "--lake", str(lake), "--day", DAY]) == 0
    assert lake_files(lake) == before_files
    for t, df in before.items():
        pd.testing.assert_frame_equal(pd.read_parquet(lake / t), df, check_like=False)


def test_single_stages_and_errors(tmp_path: Path, capsys) -> None:
    inbox = str(SAMPLE / "inbox")
    assert main(["ingest", "--inbox", inbox, "--lake", str(tmp_path), "--day", DAY]) == 0
    assert main(["clean", "--lake", str(tmp_path), "--day", DAY]) == 0
    assert main(["tag", "--lake", str(tmp_path), "--day", DAY]) == 1  # dedup has not run
    assert "run the previous stage first" in capsys.readouterr().err
    assert main(["run", "--inbox", inbox, "--lake", str(tmp_path), "--day", "2024-01-01"]) == 1
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["run", "--day", "yesterday"])
    assert e.value.code == 2


def test_top_entities_have_one_label_per_key(lake: Path) -> None:
    """The day's entity_counts: one row per key under the label most articles give it
    ('Helix' is not an ORG, a PERSON and a NORP row of its own), counting every
    original article that names the key, whatever label each gave it."""
    counts = pd.read_parquet(lake / "entity_counts" / f"dt={DAY}")
    assert counts.entity_key.is_unique
    mentions = pd.read_parquet(lake / "entities" / f"dt={DAY}")
    originals = pd.read_parquet(lake / "articles" / f"dt={DAY}").query("~is_duplicate")
    mentions = mentions[mentions.article_id.isin(originals.article_id)]
    per_key = mentions.groupby("entity_key").article_id.nunique()
    assert counts.set_index("entity_key").articles.to_dict() == per_key.to_dict()
    top = counts.head(10).set_index("entity_key").label
    for key, label in top.items():
        by_label = mentions[mentions.entity_key == key].groupby("label").article_id.nunique()
        assert by_label[label] == by_label.max(), (key, by_label.to_dict())


def test_the_days_top_stories_are_its_biggest(lake: Path) -> None:
    """The report's top stories (``figures.day_detail``): the story the day added most
    articles to first, with its headline, its first day, and its articles and sources
    as the articles table counts them; the text summary and the page name it."""
    from newsflow import report
    from newsflow.lake import figures

    arts = _articles(lake)
    size = arts.groupby("story_id").size().sort_values(ascending=False, kind="stable")
    assert size.iloc[0] > 1  # the sample has a story of several articles
    top = figures.day_detail(lake, DAY).top_stories
    title, first, days, today, total, sources = top[0]
    sid = size.index[0]
    story = arts[arts.story_id == sid]
    assert (today, total, days, first) == (len(story), len(story), 1, DAY)
    assert sources == story.source.nunique()
    assert title and title in set(story.title) | set(story.text.str.split("\n").str[0])
    assert [t[3] for t in top] == sorted((t[3] for t in top), reverse=True)
    assert len(top) == min(15, arts.story_id.nunique())
    assert title in report.summary(lake, DAY)
