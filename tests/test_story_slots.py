"""Slots (``newsflow.story_slots``): two incidents told in one template are two stories."""

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from newsflow.config import Settings
from newsflow.lake.partition import partition_dir
from newsflow.stories import StoryInput, StoryParams, cluster_stories
from newsflow.story_index import ARTICLES, STATE
from newsflow.story_slots import Slots, conflicting, conflicts, slot_entries
from test_story_index import FLOOD, LP, run_day

SP = StoryParams.from_settings(Settings())


def _fire(day: str, count: int, street: str, hood: str) -> str:
    """One outlet's template: only the slots change from fire to fire."""
    return (
        f"Fire leaves residents without a home\nA fire {day} night left {count} residents of a "
        f"two-story house without a place to stay, city fire officials said. The fire on "
        f"{street} in the {hood} neighborhood went to one alarm. Fire Chief Denise Okafor "
        "said no firefighters were hurt. The state fire marshal's office was notified."
    )


LYMAN = _fire("Wednesday", 4, "Lyman Avenue", "Lower Ridge")
COBB = _fire("Thursday", 6, "Cobb Avenue", "Eastgate")
# another outlet's report of the Lyman Avenue fire, in its own words
LYMAN_TV = (
    "Family of four forced out by Lower Ridge fire\nNeighbors watched from the sidewalk as "
    "smoke poured out of a house on Lyman Avenue in the Lower Ridge neighborhood. All 4 "
    "residents of the two-story house got out; the Red Cross is helping them."
)


def _pair(a: str, b: str) -> tuple[np.ndarray, ...]:
    s = Slots.of_texts([a, b])
    return tuple(x[0] for x in conflicts(s, s, np.array([0]), np.array([1])))


def test_two_incidents_in_one_template_conflict_and_reports_of_one_agree() -> None:
    bad, bad_names, good = _pair(LYMAN, COBB)
    # the weekday, the count, the street, the neighbourhood
    assert (bad, bad_names, good) == (4, 3, 0)
    bad, _, good = _pair(LYMAN, LYMAN_TV)
    assert bad == 0 and good >= 1  # "in the Lower Ridge neighborhood"
    s = Slots.of_texts([LYMAN, COBB, LYMAN_TV])
    hits = conflicting(s, s, np.array([0, 0, 1]), np.array([1, 2, 2]))
    assert hits.tolist() == [True, False, False]


def test_a_filler_agrees_with_one_holding_its_words_and_lists_in_any_order() -> None:
    one = "Friends held a vigil for Kimani Gray in the park on Sunday."
    two = "Friends held a vigil for Kimani Kiki Gray in the park on Sunday."
    assert _pair(one, two) == (0, 0, 2)  # the name, and "park on Sunday"
    a = "A crash at Quarry Road and Lyman Avenue hurt two drivers."
    b = "A crash at Lyman Avenue and Quarry Road hurt two drivers."
    c = "A crash at Lyman Avenue and Tanner Street hurt two drivers."
    assert _pair(a, b) == (0, 0, 1)
    assert _pair(a, c) == (1, 1, 0)


def test_sentence_starts_dates_and_times_are_no_slots() -> None:
    # a capitalised run opening a sentence, a time stamp, a date, a year
    assert len(slot_entries("Lindsay Lohan arrived. Updated at 10:45 on May 3, 2013.")) == 0
    # a number opening a sentence is keyed by the words after it
    a, b = "Crews left. 4 people are without a home.", "Crews left. 6 people are without a home."
    assert _pair(a, b) == (1, 0, 0)


def test_a_template_s_constants_neither_agree_nor_conflict() -> None:
    texts = [
        f"The fire was put out, said Chief Ray Lindqvist of Harwick on day {k}." for k in range(9)
    ]
    texts.append("The fire was put out, said Chief Anna Berg of Harwick on day 3.")
    s = Slots.of_texts(texts)
    kept = s.rare(s.df(), 0.5)
    # the chief's and the city's words of nine texts ("said _ of", "lindqvist of _ on")
    # are the template's: dropped; the tenth's other chief is kept, but not "chief"
    assert len(kept.row(0)) == len(s.row(0)) - 4
    assert len(kept.row(9)) == len(s.row(9)) - 1
    assert len(s.rare(s.df(), 1.0).entries) == len(s.entries)


def test_one_template_s_incidents_are_separate_stories_within_a_day() -> None:
    arts = [
        StoryInput("a", None, frozenset(), LYMAN, "en"),
        StoryInput("b", None, frozenset(), COBB, "en"),
        StoryInput("c", None, frozenset(), LYMAN_TV, "en"),
    ]
    merged = cluster_stories(arts, replace(SP, slot_conflict=0.0))
    assert merged["a"] == merged["b"]  # without slots the template's words link them
    out = cluster_stories(arts, SP)
    assert out["a"] != out["b"]


def test_a_later_day_s_incident_in_the_same_template_is_a_new_story(tmp_path: Path) -> None:
    d2 = date(2024, 5, 2)
    for conflict, apart in ((SP.slot_conflict, True), (0.0, False)):
        sp = replace(SP, slot_conflict=conflict)
        lake = tmp_path / str(conflict)
        one = run_day(lake, d2 - timedelta(days=1), {"a": ("", LYMAN, set()), "f": FLOOD}, sp=sp)
        two = run_day(lake, d2, {"b": ("", COBB, set()), "c": ("", LYMAN_TV, set())}, sp=sp)
        assert (one["a"] != two["b"]) is apart


def test_a_story_whose_representatives_the_day_contradicts_is_not_joined(tmp_path: Path) -> None:
    """The veto: with a penalty too small to part them (0.5), the other fire's report
    joins the first fire's story unless contradicting a share of the story's articles
    vetoes the link (``story_link_slot_veto``)."""
    d1, d2 = date(2024, 5, 1), date(2024, 5, 2)
    sp = replace(SP, slot_conflict=0.5)
    for veto, joined in ((1.0, True), (LP.slot_veto, False)):
        lp = replace(LP, slot_veto=veto)
        lake = tmp_path / str(veto)
        one = run_day(lake, d1, {"a": ("", LYMAN, set()), "f": FLOOD}, lp=lp, sp=sp)
        two = run_day(lake, d2, {"b": ("", COBB, set())}, lp=lp, sp=sp)
        assert (two["b"] == one["a"]) is joined


def test_index_parts_written_before_slots_were_kept_still_link(tmp_path: Path) -> None:
    """An older lake's ``story_articles`` parts have no ``slot_entries``: a later day
    reads them (their articles conflict with nothing) and still links its follow-up."""
    d1, d2 = date(2024, 5, 1), date(2024, 5, 2)
    one = run_day(tmp_path, d1, {"a": ("", LYMAN, set()), "f": FLOOD})
    for f in partition_dir(tmp_path / STATE, ARTICLES, d1.isoformat()).glob("*.parquet"):
        pq.write_table(pq.read_table(f).drop_columns(["slot_entries"]), f)
    two = run_day(tmp_path, d2, {"b": ("", COBB, set()), "c": ("", LYMAN, set())})
    assert two["c"] == one["a"]  # the same text a day later
    # nothing tells the other fire apart from an old part's article (what the slots
    # add): it links as it did before slots were kept
    assert two["b"] == one["a"]
