from datetime import UTC, datetime

from newsflow.stories import StoryInput, cluster_stories, story_key


def keys(*ks: str) -> frozenset[str]:
    return frozenset(ks)


def test_independent_reports_of_one_event_share_a_story() -> None:
    summit = keys(
        "PERSON:fumio kishida", "PERSON:vo van thuong", "country:JP", "country:VN", "country:CN"
    )
    a = StoryInput("a", None, summit | keys("ORG:asean"))
    b = StoryInput("b", None, summit | keys("country:US", "PERSON:naruhito"))
    flood = StoryInput("c", None, keys("country:DE", "GPE:cologne", "ORG:red cross"))
    out = cluster_stories([a, b, flood])
    assert out["a"] == out["b"] != out["c"]


def test_same_places_without_shared_actors_are_not_one_story() -> None:
    a = StoryInput("a", None, keys("country:JP", "country:VN", "country:CN", "PERSON:x"))
    b = StoryInput("b", None, keys("country:JP", "country:VN", "country:CN", "PERSON:y"))
    out = cluster_stories([a, b])
    assert out["a"] != out["b"]


def test_time_window() -> None:
    ks = keys("PERSON:a b", "ORG:c", "country:FR")
    a = StoryInput("a", datetime(2024, 5, 1, tzinfo=UTC), ks)
    b = StoryInput("b", datetime(2024, 5, 20, tzinfo=UTC), ks)
    assert (
        cluster_stories([a, b], window_days=3)["a"] != cluster_stories([a, b], window_days=3)["b"]
    )
    assert (
        cluster_stories([a, b], window_days=30)["a"] == cluster_stories([a, b], window_days=30)["b"]
    )


def test_story_keys_unify_countries() -> None:
    assert story_key("Japan", "GPE", "JP") == story_key("Japanese", "NORP", "JP") == "country:JP"
    assert story_key("Monday", "DATE", None) is None
