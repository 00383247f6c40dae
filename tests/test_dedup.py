import random
from datetime import UTC, date, datetime

import pytest
from newsflow.dedup import Candidate, deduplicate
from newsflow.dedup.exact import shingle_jaccard
from newsflow.ids import content_hash

DAY = date(2024, 5, 14)
TEXT = "The port strike entered its third day on Tuesday as talks failed."


def cand(aid, url=None, text=TEXT, published=None, words=None, dt=None) -> Candidate:
    return Candidate(aid, url, content_hash(text), published, words or len(text.split()), text, dt)


def test_exact_copies_with_different_typography_cluster() -> None:
    a = cand("a", published=datetime(2024, 5, 14, 9, tzinfo=UTC))
    b = cand(
        "b", text=TEXT.upper().replace(" ", "\n  "), published=datetime(2024, 5, 14, 8, tzinfo=UTC)
    )
    c = cand("c", text="A different article about the weather entirely.")
    assignment, dups = deduplicate([a, b, c], [], day=DAY)
    assert assignment["b"] == ("b", False, None)  # earliest published is the representative
    assert assignment["a"] == ("b", True, "b")
    assert assignment["c"] == ("c", False, None)
    assert [(d.article_id, d.duplicate_of, d.method, d.similarity) for d in dups] == [
        ("a", "b", "exact", 1.0)
    ]


def test_same_url_different_text_is_a_url_duplicate_with_similarity() -> None:
    a = cand("a", url="https://ex.com/x", words=50)
    b = cand("b", url="https://ex.com/x", text=TEXT + " Updated with a new paragraph.", words=60)
    assignment, dups = deduplicate([a, b], [], day=DAY)
    assert assignment["a"] == ("b", True, "b")  # no dates: the longer text represents
    (d,) = dups
    assert d.method == "url" and 0 < d.similarity < 1


def test_result_does_not_depend_on_input_order() -> None:
    docs = [
        cand(f"id{i}", url=f"https://ex.com/{i % 3}", text=f"{TEXT} {i % 4}") for i in range(12)
    ]
    expected = deduplicate(docs, [], day=DAY)
    for seed in range(5):
        shuffled = docs[:]
        random.Random(seed).shuffle(shuffled)
        assert deduplicate(shuffled, [], day=DAY) == expected


def test_copy_of_an_earlier_days_article_points_to_it() -> None:
    old = cand("old", dt=date(2024, 5, 10))
    new = cand("new", published=datetime(2024, 5, 1, tzinfo=UTC))
    assignment, dups = deduplicate([new], [old], day=DAY)
    assert assignment == {"new": ("old", True, "old")}
    assert dups[0].duplicate_of_dt == date(2024, 5, 10)


def test_the_same_url_seen_again_on_a_later_day_is_a_copy_of_the_first_sighting() -> None:
    """A feed still listing yesterday's article: same URL, so the same article_id. Today's
    row must be a copy of yesterday's (not a second representative), and a near copy
    of it today joins the same cluster."""
    url = "https://ex.com/strike"
    old = cand("u1", url=url, dt=date(2024, 5, 13))
    again = cand("u1", url=url)
    other = cand("u2", url="https://other.example/strike", text=TEXT + " More.")
    assignment, dups = deduplicate([again, other], [old], day=DAY, near=[("u2", "u1")])
    assert assignment["u1"] == ("u1", True, "u1")
    assert assignment["u2"] == ("u1", True, "u1")
    assert {(d.article_id, d.duplicate_of, d.duplicate_of_dt) for d in dups} == {
        ("u1", "u1", date(2024, 5, 13)),
        ("u2", "u1", date(2024, 5, 13)),
    }


def test_shingle_jaccard() -> None:
    assert shingle_jaccard(TEXT, TEXT) == 1.0
    assert shingle_jaccard(TEXT, "Nothing in common here at all, truly.") == 0.0


@pytest.mark.slow
def test_earlier_days_searched_when_today_has_no_urls(tmp_path) -> None:
    """Texts without URLs (only hashes) against a lake holding an earlier day: dedup's
    look-up of earlier days must not fail on the empty set of URLs."""
    import shutil

    import pandas as pd
    from newsflow import stages
    from newsflow.config import load_settings
    from support import FARM, SAMPLE_INBOX

    inbox = tmp_path / "inbox"
    for day in ("2024-05-14", "2024-05-15"):
        (inbox / day).mkdir(parents=True)
        shutil.copy(SAMPLE_INBOX / FARM, inbox / day / FARM)
    s = load_settings(inbox=str(inbox), lake=str(tmp_path / "lake"))
    stages.run(s, "2024-05-14")
    stages.run(s, "2024-05-15")
    a = pd.read_parquet(tmp_path / "lake" / "articles" / "dt=2024-05-15")
    assert len(a) == 1 and a.url.isna().all()  # ran: no crash on the empty URL set
