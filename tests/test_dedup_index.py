"""Near-duplicates through the real stages: the cross-day index under LAKE/_state,
reruns, the horizon, and independence from input order."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from newsflow.cli import main
from newsflow.config import Settings
from newsflow.dedup import Candidate, deduplicate
from newsflow.dedup.minhash import MinHashParams, band_hashes, estimate, signatures
from newsflow.dedup.near import NearRule, pairs_within
from support import lake_files

WORDS = [
    "council",
    "harbour",
    "minister",
    "budget",
    "strike",
    "union",
    "court",
    "police",
    "river",
    "storm",
    "market",
    "bank",
    "rates",
    "school",
    "hospital",
    "election",
    "mayor",
    "village",
    "bridge",
    "railway",
    "airport",
    "farmers",
    "workers",
    "investors",
    "prices",
    "energy",
    "water",
    "museum",
    "report",
    "inquiry",
    "talks",
    "agreement",
    "protest",
    "season",
    "director",
    "company",
    "station",
    "coast",
    "border",
    "museum",
    "festival",
    "council",
    "vote",
    "license",
    "transport",
]


def article(seed: int, n: int = 160) -> str:
    """A deterministic pseudo-article: sentences of common news words."""
    rng = random.Random(seed)
    sents = []
    while sum(len(s.split()) for s in sents) < n:
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
        sents.append(" ".join(words).capitalize() + ".")
    paras = [" ".join(sents[i : i + 3]) for i in range(0, len(sents), 3)]
    return "\n".join(paras)


def syndicated(text: str) -> str:
    """A republished copy: new first line, an ad line, the ending trimmed."""
    paras = text.split("\n")
    keep = paras[: max(2, int(len(paras) * 0.7))]
    return "\n".join(["Read more: our partners report.", *keep[:2], "Advertisement", *keep[2:]])


def write_inbox(inbox: Path, day: str, docs: list[dict], name: str = "feed.jsonl") -> None:
    d = inbox / day
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_text("".join(json.dumps(x) + "\n" for x in docs))


def run(inbox: Path, lake: Path, day: str) -> None:
    assert main(["run", "--inbox", str(inbox), "--lake", str(lake), "--day", day]) == 0


def articles(lake: Path, day: str) -> pd.DataFrame:
    return pd.read_parquet(lake / "articles" / f"dt={day}").set_index("url")


ORIGINAL = article(1)
OTHER = article(2)


@pytest.mark.slow
def test_copy_links_to_last_weeks_original_and_reruns_are_idempotent(tmp_path: Path) -> None:
    inbox, lake = tmp_path / "inbox", tmp_path / "lake"
    write_inbox(
        inbox,
        "2024-05-07",
        [
            {"url": "https://wire.example/a", "text": ORIGINAL, "published_at": "2024-05-07"},
            {"url": "https://wire.example/b", "text": OTHER, "published_at": "2024-05-07"},
        ],
    )
    write_inbox(
        inbox,
        "2024-05-14",
        [
            {"url": "https://farm.example/x", "text": syndicated(ORIGINAL)},
            {"url": "https://farm.example/y", "text": article(3)},
        ],
    )
    run(inbox, lake, "2024-05-07")
    assert (lake / "_state" / "minhash" / "dt=2024-05-07" / "part-0.parquet").is_file()
    run(inbox, lake, "2024-05-14")
    old, new = articles(lake, "2024-05-07"), articles(lake, "2024-05-14")
    orig_id = old.loc["https://wire.example/a", "article_id"]
    copy = new.loc["https://farm.example/x"]
    assert copy.is_duplicate and copy.duplicate_of == orig_id == copy.dedup_cluster_id
    assert not new.loc["https://farm.example/y"].is_duplicate
    dups = pd.read_parquet(lake / "duplicates" / "dt=2024-05-14")
    (row,) = dups.itertuples()
    assert (row.duplicate_of, row.method, str(row.duplicate_of_dt)) == (
        orig_id,
        "near",
        "2024-05-07",
    )
    assert 0.3 < row.similarity < 1
    # the copy's story is the original's
    assert copy.story_id == old.loc["https://wire.example/a", "story_id"]

    # rebuilding the earlier day replaces its index partition (same files, same rows)
    files = lake_files(lake)
    state = pd.read_parquet(lake / "_state" / "minhash")
    run(inbox, lake, "2024-05-07")
    run(inbox, lake, "2024-05-14")
    assert lake_files(lake) == files
    pd.testing.assert_frame_equal(pd.read_parquet(lake / "_state" / "minhash"), state)
    pd.testing.assert_frame_equal(articles(lake, "2024-05-14"), new)

    # only representatives are indexed: today's copy is not, today's new article is
    idx = pd.read_parquet(lake / "_state" / "minhash_signatures" / "dt=2024-05-14")
    assert set(idx.article_id) == {new.loc["https://farm.example/y", "article_id"]}

    # a day rebuilt without the original takes it out of the index; the copy is then new
    write_inbox(
        inbox, "2024-05-07", [{"url": "https://wire.example/b", "text": OTHER}], "feed.jsonl"
    )
    run(inbox, lake, "2024-05-07")
    assert len(pd.read_parquet(lake / "_state" / "minhash_signatures" / "dt=2024-05-07")) == 1
    run(inbox, lake, "2024-05-14")
    assert not articles(lake, "2024-05-14").is_duplicate.any()


@pytest.mark.slow
def test_horizon_limits_the_index(tmp_path: Path, monkeypatch) -> None:
    inbox, lake = tmp_path / "inbox", tmp_path / "lake"
    write_inbox(inbox, "2024-05-01", [{"url": "https://wire.example/a", "text": ORIGINAL}])
    write_inbox(inbox, "2024-05-14", [{"url": "https://farm.example/x", "text": ORIGINAL}])
    run(inbox, lake, "2024-05-01")
    monkeypatch.setenv("NEWSFLOW_DEDUP_HORIZON_DAYS", "5")
    run(inbox, lake, "2024-05-14")
    assert not articles(lake, "2024-05-14").is_duplicate.any()
    monkeypatch.setenv("NEWSFLOW_DEDUP_HORIZON_DAYS", "30")
    run(inbox, lake, "2024-05-14")
    assert articles(lake, "2024-05-14").is_duplicate.all()


@pytest.mark.slow
def test_same_day_result_does_not_depend_on_file_order(tmp_path: Path) -> None:
    docs = [{"url": f"https://s{i}.example/a", "text": syndicated(ORIGINAL)} for i in range(3)]
    docs += [{"url": "https://wire.example/a", "text": ORIGINAL, "published_at": "2024-05-14"}]
    docs += [{"url": f"https://n.example/{i}", "text": article(10 + i)} for i in range(4)]
    results = []
    for k, perm in enumerate([docs, docs[::-1], docs[3:] + docs[:3]]):
        inbox, lake = tmp_path / f"inbox{k}", tmp_path / f"lake{k}"
        write_inbox(inbox, "2024-05-14", perm[:4], "b.jsonl" if k else "a.jsonl")
        write_inbox(inbox, "2024-05-14", perm[4:], "a.jsonl" if k else "b.jsonl")
        run(inbox, lake, "2024-05-14")
        a = articles(lake, "2024-05-14").sort_index()
        results.append(a[["article_id", "dedup_cluster_id", "is_duplicate", "duplicate_of"]])
    for r in results[1:]:
        pd.testing.assert_frame_equal(r, results[0])
    a = results[0]
    assert a.is_duplicate.sum() == 3
    assert set(a[a.is_duplicate].duplicate_of) == {a.loc["https://wire.example/a", "article_id"]}


def test_trimmed_copy_matches_by_containment_and_boilerplate_does_not() -> None:
    params = MinHashParams.from_settings(Settings())
    boiler = article(99, 120)
    texts = [
        ORIGINAL,
        " ".join(ORIGINAL.split()[:70]),  # the first 70 of ~160 words: Jaccard ~0.4
        article(5) + "\n" + boiler,  # two articles sharing a long boilerplate block
        article(6) + "\n" + boiler,
    ]
    sig, sizes = signatures(texts, params)
    jac, cont = estimate(sig[[0, 2]], sizes[[0, 2]], sig[[1, 3]], sizes[[1, 3]])
    assert jac[0] < 0.6 and cont[0] > 0.9
    assert cont[1] < 0.7
    i, j, _ = pairs_within(sig, sizes, band_hashes(sig, params), NearRule())
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 1)]


def test_signatures_are_stable_and_batch_independent() -> None:
    params = MinHashParams.from_settings(Settings())
    texts = [article(i) for i in range(30)]
    one, _ = signatures(texts, params)
    parts = [signatures(texts[k : k + 7], params)[0] for k in range(0, 30, 7)]
    assert np.array_equal(one, np.concatenate(parts))
    # a fixed value guards the cross-day index against silent hashing changes
    assert int(signatures(["a b c d e f"], params)[0][0, 0]) == int(
        signatures(["A, b c-d e f!"], params)[0][0, 0]
    )


def test_near_edges_join_clusters_in_any_order() -> None:
    day = date(2024, 5, 14)
    cands = [Candidate(f"id{i}", None, f"h{i}", None, 100 + i) for i in range(6)]
    edges = [("id0", "id3"), ("id3", "id5"), ("id1", "id2")]
    expected = deduplicate(cands, [], day=day, near=edges, similarity=lambda a, b: 0.8)
    for seed in range(4):
        rng = random.Random(seed)
        c, e = cands[:], [tuple(reversed(x)) for x in edges]
        rng.shuffle(c)
        rng.shuffle(e)
        assert deduplicate(c, [], day=day, near=e, similarity=lambda a, b: 0.8) == expected
    assignment, rows = expected
    assert assignment["id0"] == ("id5", True, "id5")  # no dates: the longest represents
    assert {r.method for r in rows} == {"near"}


def _one_story_two_clusters(inbox: Path, day: str, lake: Path) -> None:
    run(inbox, lake, day)
    a = pd.read_parquet(lake / "articles")
    assert len(a) == 2 and a.story_id.nunique() == 1 and a.dedup_cluster_id.nunique() == 2


@pytest.mark.slow
def test_seed_pair_one_story_two_clusters(seed_inbox, tmp_path: Path) -> None:
    _one_story_two_clusters(*seed_inbox, tmp_path / "lake")


def test_sample_pair_one_story_two_clusters(pair_inbox, tmp_path: Path) -> None:
    """The seeds' self-written twin: an AP farm copy and another paper's report."""
    _one_story_two_clusters(*pair_inbox, tmp_path / "lake")
