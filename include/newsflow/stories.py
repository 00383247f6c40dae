"""Story clustering: different articles about the same event share a ``story_id``.

Two articles are linked when they name enough of the same entities (people,
organisations, places; countries unified across "Japan"/"Japanese"), at least one
of them an actor rather than a place (the same countries alone make a topic, not an
event), and were published close enough in time. Overlap is measured against the
smaller entity set, so a short report is not penalised for a long article's lists.
Linked articles form stories by connected components. Entities that appear in a large share of the day's articles ("United
States") say little about the event and are ignored when counting overlap.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from newsflow.clean.metadata import AGENCIES
from newsflow.dedup.unionfind import UnionFind
from newsflow.ids import stable_id

STORY_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT", "FAC"})
ACTOR_PREFIXES = ("PERSON:", "ORG:", "EVENT:")


@dataclass(frozen=True, slots=True)
class StoryInput:
    article_id: str
    published_at: datetime | None
    keys: frozenset[str]


def story_key(entity_key: str, label: str, country: str | None) -> str | None:
    """The key an entity counts under for story overlap (countries unified)."""
    if label not in STORY_LABELS:
        return None
    if label == "ORG" and entity_key.casefold() in AGENCIES:
        return None  # the wire agency of a dateline says who wrote it, not what happened
    if label in {"GPE", "NORP"} and country:
        return f"country:{country}"
    return f"{label}:{entity_key.casefold()}"


def cluster_stories(
    articles: list[StoryInput],
    *,
    min_shared: int = 3,
    min_overlap: float = 0.3,
    window_days: int = 3,
    max_key_share: float = 0.3,
) -> dict[str, str]:
    """``{article_id: story_id}``; the story id is derived from its smallest article id."""
    n = len(articles)
    df: dict[str, int] = defaultdict(int)
    for a in articles:
        for k in a.keys:
            df[k] += 1
    too_common = {k for k, c in df.items() if n >= 10 and c / n > max_key_share}
    keys = [a.keys - too_common for a in articles]
    index: dict[str, list[int]] = defaultdict(list)
    for i, ks in enumerate(keys):
        for k in ks:
            index[k].append(i)

    uf = UnionFind()
    for a in articles:
        uf.add(a.article_id)
    for i, a in enumerate(articles):
        shared: dict[int, int] = defaultdict(int)
        for k in keys[i]:
            for j in index[k]:
                if j > i:
                    shared[j] += 1
        for j, s in shared.items():
            if s < min_shared:
                continue
            if s / min(len(keys[i]), len(keys[j])) < min_overlap:
                continue
            if not any(k.startswith(ACTOR_PREFIXES) for k in keys[i] & keys[j]):
                continue
            b = articles[j]
            if (
                a.published_at
                and b.published_at
                and abs((a.published_at - b.published_at).total_seconds()) > window_days * 86400
            ):
                continue
            uf.union(a.article_id, b.article_id)
    out: dict[str, str] = {}
    for members in uf.groups().values():
        sid = stable_id("story", min(members))
        for m in members:
            out[m] = sid
    return out
