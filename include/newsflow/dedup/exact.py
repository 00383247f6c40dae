"""Duplicate clusters: the same canonical URL, the same normalised text, or a verified
near-duplicate pair (``near``, from MinHash LSH).

URL and exact-text links are found first and cheaply (dictionary look-ups); near
pairs are added to the same union-find. Every article of the day and the
representatives of earlier days (within the horizon) go into it; each cluster's representative is an earlier day's
article if there is one (its partition is never edited), else the earliest
published, then the longest text, then the smallest id, so the choice does not
depend on the order of input files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from newsflow.dedup.unionfind import UnionFind
from newsflow.ids import normalise_for_hash

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Candidate:
    """What dedup needs to know of an article (today's or an earlier day's)."""

    article_id: str
    canonical_url: str | None
    content_hash: str
    published_at: datetime | None
    word_count: int
    text: str | None = None
    dt: date | None = None  # set for earlier days' articles


@dataclass(frozen=True, slots=True)
class Duplicate:
    article_id: str
    duplicate_of: str
    similarity: float | None
    method: str
    duplicate_of_dt: date


def _rank(c: Candidate) -> tuple:
    return (c.dt is None, c.published_at or _FAR_FUTURE, -c.word_count, c.article_id)


def shingle_jaccard(a: str, b: str, k: int = 3) -> float:
    """Jaccard similarity of word k-shingles of two texts."""

    def shingles(t: str) -> set[tuple[str, ...]]:
        w = normalise_for_hash(t).split()
        return {tuple(w[i : i + k]) for i in range(max(1, len(w) - k + 1))}

    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb) if sa or sb else 1.0


def deduplicate(
    today: list[Candidate],
    earlier: list[Candidate],
    *,
    day: date,
    near: Iterable[tuple[str, str]] = (),
    similarity: Callable[[str, str], float | None] | None = None,
) -> tuple[dict[str, tuple[str, bool, str | None]], list[Duplicate]]:
    """Cluster ``today`` (with ``earlier`` as possible originals).

    ``near`` holds verified near-duplicate id pairs; ``similarity(a, b)`` gives the
    estimated Jaccard of two articles for the ``duplicates`` rows (without it, the
    texts' shingle Jaccard when both texts are given). Returns ``{article_id: (dedup_cluster_id, is_duplicate, duplicate_of)}`` for today's
    articles and the rows of the ``duplicates`` table.
    """

    # An earlier day's article can carry today's id (the same URL seen again, e.g. a feed
    # still listing yesterday's story): it gets its own node, so today's row becomes a
    # copy of the earlier one instead of replacing it.
    def node(c: Candidate) -> str:
        return c.article_id if c.dt is None else f"{c.article_id}@{c.dt.isoformat()}"

    by_id = {node(c): c for c in [*earlier, *today]}
    today_ids = {c.article_id for c in today}
    earlier_node = {c.article_id: node(c) for c in earlier}

    def resolve(a: str) -> str | None:
        return a if a in today_ids else earlier_node.get(a)

    uf = UnionFind()
    first_seen: dict[tuple[str, str], str] = {}
    how: dict[str, str] = {}
    for c in sorted(by_id.values(), key=_rank):
        n = node(c)
        uf.add(n)
        for method, key in (("url", c.canonical_url), ("exact", c.content_hash)):
            if not key:
                continue
            other = first_seen.setdefault((method, key), n)
            if other != n and uf.union(other, n):
                how.setdefault(n, method)
    near_linked: list[str] = []
    for a, b in sorted(tuple(sorted(p)) for p in near):
        na, nb = resolve(a), resolve(b)
        if na and nb and na != nb and uf.union(na, nb):
            near_linked.append(na)
    near_roots = {uf.find(a) for a in near_linked}

    assignment: dict[str, tuple[str, bool, str | None]] = {}
    rows: list[Duplicate] = []
    for root, members in uf.groups().items():
        rep = min((by_id[m] for m in members), key=_rank)
        for m in members:
            c = by_id[m]
            if c.dt is not None:
                continue  # earlier days' rows are not rewritten
            if c is rep:
                assignment[m] = (rep.article_id, False, None)
                continue
            assignment[m] = (rep.article_id, True, rep.article_id)
            sim: float | None  # None: no estimate and no texts to compare
            if c.content_hash == rep.content_hash:
                method, sim = "exact", 1.0
            else:
                # a text that differs from the representative's is a near copy when
                # MinHash joined its cluster; else it came in through another copy's URL
                if c.canonical_url and c.canonical_url == rep.canonical_url:
                    method = "url"
                else:
                    method = "near" if root in near_roots else how.get(m, "exact")
                sim = similarity(m, rep.article_id) if similarity else None
                if sim is None and c.text and rep.text:
                    sim = shingle_jaccard(c.text, rep.text)
            rows.append(Duplicate(m, rep.article_id, sim, method, rep.dt or day))
    rows.sort(key=lambda d: d.article_id)
    return assignment, rows
