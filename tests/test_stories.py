from dataclasses import replace
from datetime import UTC, datetime

from newsflow.stories import StoryInput, StoryParams, cluster_stories, story_key, year_of

SUMMIT = (
    "Prime Minister Fumio Kishida met Vietnamese President Vo Van Thuong in Tokyo on Monday. "
    "The two leaders agreed to raise ties to a comprehensive strategic partnership and to "
    "cooperate on security as China expands its presence in the South China Sea."
)
SUMMIT_2 = (
    "Japanese leader Fumio Kishida and Vietnam's President Vo Van Thuong upgraded relations "
    "to a comprehensive strategic partnership at talks in Tokyo, pledging security "
    "cooperation amid concern over China in the South China Sea."
)
SUMMIT_OTHER = (
    "Fumio Kishida held talks with Ferdinand Marcos in Manila on Friday about a reciprocal "
    "access agreement for troops, days after coast guard vessels collided near a shoal."
)
FLOOD = "Floods forced hundreds from their homes in Cologne as the Rhine rose, the Red Cross said."

SUMMIT_KEYS = frozenset(
    {"PERSON:fumio kishida", "PERSON:vo van thuong", "country:JP", "country:VN", "country:CN"}
)


def test_independent_reports_of_one_event_share_a_story() -> None:
    a = StoryInput("a", None, SUMMIT_KEYS | {"GPE:tokyo"}, SUMMIT, "en")
    b = StoryInput("b", None, SUMMIT_KEYS | {"GPE:tokyo"}, SUMMIT_2, "en")
    flood = StoryInput("c", None, frozenset({"country:DE", "GPE:cologne", "ORG:red cross"}), FLOOD)
    out = cluster_stories([a, b, flood])
    assert out["a"] == out["b"] != out["c"]
    assert cluster_stories([flood, b, a]) == out  # input order does not matter


def test_same_kind_of_event_with_other_actors_is_another_story() -> None:
    a = StoryInput("a", None, SUMMIT_KEYS, SUMMIT, "en")
    other_keys = frozenset({"PERSON:fumio kishida", "PERSON:ferdinand marcos", "country:PH"})
    b = StoryInput("b", None, other_keys | {"country:CN"}, SUMMIT_OTHER, "en")
    out = cluster_stories([a, b])
    assert out["a"] != out["b"]


def test_years_apart_are_different_stories() -> None:
    a = StoryInput("a", None, SUMMIT_KEYS, SUMMIT + " It was their first meeting since 2013.")
    b = StoryInput("b", None, SUMMIT_KEYS, SUMMIT_2 + " The talks took place in 2023.")
    assert year_of(a) == 2013 and year_of(b) == 2023
    p = StoryParams()
    assert len(set(cluster_stories([a, b], replace(p, year_penalty=0)).values())) == 1
    assert len(set(cluster_stories([a, b], replace(p, year_penalty=50)).values())) == 2


def test_time_window() -> None:
    a = StoryInput("a", datetime(2024, 5, 1, tzinfo=UTC), SUMMIT_KEYS, SUMMIT)
    b = StoryInput("b", datetime(2024, 5, 20, tzinfo=UTC), SUMMIT_KEYS, SUMMIT_2)
    p = StoryParams()
    out = cluster_stories([a, b], replace(p, window_days=3))
    assert out["a"] != out["b"]
    out = cluster_stories([a, b], replace(p, window_days=30, year_penalty=0))
    assert out["a"] == out["b"]


def test_other_language_relies_on_entities() -> None:
    fr = (
        "Le Premier ministre Fumio Kishida a reçu le président vietnamien Vo Van Thuong à "
        "Tokyo lundi; les deux pays renforcent leur partenariat face à la Chine."
    )
    a = StoryInput("a", None, SUMMIT_KEYS | {"GPE:tokyo"}, SUMMIT, "en")
    b = StoryInput(
        "b", None, frozenset({"PERSON:fumio kishida", "country:JP", "country:VN"}), fr, "fr"
    )
    assert len(set(cluster_stories([a, b]).values())) == 1
    no_help = replace(StoryParams(), cross_language_text=0.0)
    assert len(set(cluster_stories([a, b], no_help).values())) == 2


def test_story_keys_unify_countries() -> None:
    assert story_key("Japan", "GPE", "JP") == story_key("Japanese", "NORP", "JP") == "country:JP"
    assert story_key("Monday", "DATE", None) is None
