"""Stories across days: the cross-day story index and the linking of a day's stories to
the open ones.

A day's originals are first clustered among themselves (``cluster_stories``). Each of
those day clusters then either joins an *open* story of an earlier day or starts a new
one. A story is open while its last article is at most ``story_horizon_days`` old; what
a later day needs of it is kept per day under ``LAKE/_state/story_index/dt=D``: one row
per story the day touched, with the story's state at the end of that day (first/last
seen, days, articles, sources, languages, top entity keys, representative headline) and
its vectors. Vectors are *hashed* term weights (words and word pairs of the texts, of
the titles, and entity keys of people / organisations / places), so no vocabulary has
to persist; the IDF that weighs them is computed when a day links, over the open
stories and the day's clusters.

Linking a day cluster ``c`` to an open story ``s`` (``link_logits``)::

    z = bias + w_text*cos_text + w_title*cos_title + w_people*cos_people
        + w_orgs*cos_orgs + w_places*cos_places - decay*(gap_days - 1)

and ``c`` joins the best-scoring ``s`` when ``sigmoid(z) >= threshold`` **and**
``cos_text >= min_text``: shared people or places never link two texts that disagree
(a shared city, a shared politician), and the further apart the days, the stronger the
text and entity evidence must be (``decay`` per day). The weights are fitted by
``benchmarks/story_stream.py --fit`` on a day-by-day ECB+ stream (odd topics only).

Ids and reruns:

* a story's id is derived from the smallest article id of the day cluster that
  started it; a later day only ever adds articles to it, so an existing ``story_id``
  never changes when later days arrive;
* day D reads only the index parts of days before D, and publish swaps in D's part
  with D's tables (replacing it on a rerun), so rerunning D gives the same ids;
* rebuilding an earlier day C does not rewrite later days: a later day D keeps the
  links it made against the index as it was when D ran (the same rule as the dedup
  index). To carry C's change forward, rerun the later days in date order (a
  backfill): each reads the index its predecessors left, so the result is a function
  of the inputs alone.

Memory: the open stories are not loaded whole. Candidates come from a DuckDB join of
the day clusters' heaviest terms with each open story's first ``block_terms`` terms
(out of core), and only the candidates' vectors are read.
"""

from __future__ import annotations

import math
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from scipy import sparse

from newsflow.lake import schema, storage
from newsflow.lake.partition import iter_partition, partition_dir, settle, write_partition
from newsflow.lake.query import day_files
from newsflow.stories import (
    KIND_OF_PREFIX,
    StoryInput,
    StoryParams,
    cluster_stories,
    stable_story,
    story_key,
)

if TYPE_CHECKING:
    from newsflow.config import Settings

STATE = "_state"
INDEX = "story_index"  # LAKE/_state/story_index/dt=D
N_TERMS = 1 << 20  # hashed text / title features
N_KEYS = 1 << 18  # hashed entity keys per kind
KINDS = ("people", "orgs", "places")


@dataclass(frozen=True)
class LinkParams:
    """Weights of the cross-day link score (see the module docstring); the defaults are
    the settings' ``story_link_*`` and ``story_horizon_days``."""

    weight_text: float
    weight_title: float
    weight_people: float
    weight_orgs: float
    weight_places: float
    decay: float
    bias: float
    threshold: float
    min_text: float
    horizon_days: int = 30
    text_terms: int = 40  # terms of a story's text vector kept in the index
    title_terms: int = 16
    entity_keys: int = 24  # hashed entity keys kept per story
    top_keys: int = 10  # entity keys named in the stories table
    block_terms: int = 8  # terms a candidate must share one of
    max_posting: int = 5_000  # a term more open stories carry blocks nothing
    max_candidates: int = 30  # open stories scored per day cluster

    @classmethod
    def from_settings(cls, settings: Settings) -> LinkParams:
        return replace(
            settings.params(cls, "story_link_"), horizon_days=settings.story_horizon_days
        )


# --- vectors ---------------------------------------------------------------------------


def _hashed(texts: Sequence[str]) -> sparse.csr_matrix:
    """Sublinear term counts of words and word pairs, hashed, rows L2-normalised."""
    from sklearn.feature_extraction.text import HashingVectorizer

    m = HashingVectorizer(
        n_features=N_TERMS,
        alternate_sign=False,
        norm=None,
        ngram_range=(1, 2),
        stop_words="english",
        dtype=np.float32,
    ).transform(texts)
    m = sparse.csr_matrix(m, dtype=np.float32)
    m.data = 1.0 + np.log(m.data)
    return _normalised(m)


def _normalised(m: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    out = sparse.csr_matrix(sparse.diags((1.0 / norms).astype(np.float32)) @ m)
    out.sort_indices()
    return out


def key_feature(key: str) -> int | None:
    """The hashed column of a story key (``PERSON:…``, ``country:…``): kind k of
    ``KINDS`` owns columns [k*N_KEYS, (k+1)*N_KEYS)."""
    from sklearn.utils import murmurhash3_32

    kind = KIND_OF_PREFIX.get(key.split(":", 1)[0])
    if kind is None:
        return None
    return KINDS.index(kind) * N_KEYS + murmurhash3_32(key, positive=True) % N_KEYS


def _key_rows(keys: Sequence[frozenset[str]]) -> sparse.csr_matrix:
    rows, cols = [], []
    for r, ks in enumerate(keys):
        for c in sorted({f for f in map(key_feature, ks) if f is not None}):
            rows.append(r)
            cols.append(c)
    return sparse.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, cols)), shape=(len(keys), len(KINDS) * N_KEYS)
    )


@dataclass
class Vectors:
    """Row-aligned hashed vectors of articles, day clusters or stories."""

    text: sparse.csr_matrix
    title: sparse.csr_matrix
    keys: sparse.csr_matrix  # entity keys, all kinds side by side

    @classmethod
    def of_articles(
        cls, texts: Sequence[str], titles: Sequence[str], keys: Sequence[frozenset[str]]
    ) -> Vectors:
        return cls(_hashed(texts), _hashed(titles), _key_rows(keys))

    def grouped(self, groups: sparse.csr_matrix) -> Vectors:
        """Sums over groups (``groups`` is clusters x rows, 0/1)."""
        return Vectors(*(sparse.csr_matrix(groups @ m) for m in self.parts()))

    def parts(self) -> tuple[sparse.csr_matrix, sparse.csr_matrix, sparse.csr_matrix]:
        return self.text, self.title, self.keys


class Idf:
    """Smoothed IDF per hashed column, from document frequencies (``df``) over ``n``
    documents (the open stories and the day's clusters)."""

    def __init__(self, df: dict[str, np.ndarray], n: int) -> None:
        self.w = {
            k: (np.log((1.0 + n) / (1.0 + v)) + 1.0).astype(np.float32) for k, v in df.items()
        }

    def weigh(self, v: Vectors) -> dict[str, sparse.csr_matrix]:
        """L2-normalised IDF-weighted rows per feature kind (text, title, people, ...)."""
        out = {
            "text": _normalised(sparse.csr_matrix(v.text @ sparse.diags(self.w["text"]))),
            "title": _normalised(sparse.csr_matrix(v.title @ sparse.diags(self.w["title"]))),
        }
        keys = sparse.csr_matrix(v.keys @ sparse.diags(self.w["keys"]))
        for k, kind in enumerate(KINDS):
            out[kind] = _normalised(sparse.csr_matrix(keys[:, k * N_KEYS : (k + 1) * N_KEYS]))
        return out


def _df(m: sparse.csr_matrix, size: int) -> np.ndarray:
    return np.bincount(m.indices, minlength=size).astype(np.float64)


# --- the index on disk -----------------------------------------------------------------


# the latest row of every story in $files (the index parts of the horizon)
_OPEN_SQL = """SELECT * FROM read_parquet($files, hive_partitioning = false)
               QUALIFY row_number() OVER (PARTITION BY story_id ORDER BY last_seen DESC) = 1"""


class OpenStories:
    """The index parts of the ``horizon_days`` days before ``day``: a DuckDB view of the
    open stories (each story's latest row), queried for document frequencies,
    candidates and the candidates' rows."""

    def __init__(self, lake: str | os.PathLike[str], day: date, horizon_days: int) -> None:
        settle(lake)  # an earlier day's publish a crash interrupted is finished first
        self.files = (
            day_files(
                storage.lake_path(lake) / STATE,
                INDEX,
                day - timedelta(days=horizon_days),
                day - timedelta(days=1),
            )
            if horizon_days > 0
            else []
        )
        self.con = storage.duckdb_connect(lake)
        if self.files:
            self.con.execute("CREATE TEMP TABLE open AS " + _OPEN_SQL, {"files": self.files})
        else:
            self.con.register("open", schema.STORY_INDEX.empty_table())
        self.n = int(self.con.execute("SELECT count(*) FROM open").fetchone()[0])  # type: ignore[index]

    def df(self) -> dict[str, np.ndarray]:
        """Document frequencies of the hashed columns over the open stories."""
        out = {}
        for name, col, size in (
            ("text", "text_terms", N_TERMS),
            ("title", "title_terms", N_TERMS),
            ("keys", "key_terms", len(KINDS) * N_KEYS),
        ):
            arr = np.zeros(size, np.float64)
            if self.n:
                t, c = (
                    self.con.execute(
                        f"SELECT t, count(*) FROM (SELECT unnest({col}) AS t FROM open) GROUP BY t"
                    )
                    .fetchnumpy()
                    .values()
                )
                arr[t.astype(np.int64)] = c
            out[name] = arr
        return out

    def candidates(
        self, top_terms: sparse.csr_matrix, p: LinkParams
    ) -> tuple[np.ndarray, list[str]]:
        """(day cluster row, open story id) pairs sharing one of the cluster's heaviest
        terms with one of the story's first ``block_terms`` terms, at most
        ``max_candidates`` per cluster (those sharing most, ties by id)."""
        if not self.n or not top_terms.nnz:
            return np.empty(0, np.int64), []
        coo = top_terms.tocoo()
        self.con.register(
            "today",
            pa.table({"idx": coo.row.astype(np.int64), "term": coo.col.astype(np.int32)}),
        )
        rows = self.con.execute(
            """WITH post AS (
                   SELECT story_id, unnest(text_terms[1:$k]) AS term FROM open),
               usable AS (
                   SELECT term FROM post GROUP BY term HAVING count(*) <= $maxpost)
               SELECT idx, story_id FROM (
                   SELECT t.idx, p.story_id, count(*) AS shared
                   FROM today t JOIN post p USING (term) JOIN usable u USING (term)
                   GROUP BY ALL)
               QUALIFY row_number() OVER (PARTITION BY idx ORDER BY shared DESC, story_id)
                       <= $per
               ORDER BY idx, story_id""",
            {"k": p.block_terms, "maxpost": p.max_posting, "per": p.max_candidates},
        ).fetchall()
        self.con.unregister("today")
        if not rows:
            return np.empty(0, np.int64), []
        idx, ids = zip(*rows, strict=True)
        return np.asarray(idx, np.int64), list(ids)

    def rows(self, story_ids: set[str]) -> pa.Table:
        """The open stories' index rows, sorted by story id."""
        if not story_ids or not self.n:
            return schema.STORY_INDEX.empty_table()
        self.con.register("want", pa.table({"k": pa.array(sorted(story_ids), pa.string())}))
        out = self.con.sql(
            "SELECT * FROM open WHERE story_id IN (SELECT k FROM want) ORDER BY story_id"
        ).to_arrow_table()
        self.con.unregister("want")
        return out.select(schema.STORY_INDEX.names).cast(schema.STORY_INDEX)


def _lists_to_csr(
    terms: pa.ChunkedArray, weights: pa.ChunkedArray, size: int
) -> sparse.csr_matrix:
    t = terms.combine_chunks()
    offsets = np.array(t.offsets, np.int64)
    cols = np.array(t.flatten().to_numpy(zero_copy_only=False), np.int32)
    data = np.array(weights.combine_chunks().flatten().to_numpy(zero_copy_only=False), np.float32)
    m = sparse.csr_matrix((data, cols, offsets - offsets[0]), shape=(len(t), size))
    m.sum_duplicates()
    m.sort_indices()
    return m


def stored_vectors(rows: pa.Table) -> Vectors:
    """The (unweighted) vectors of index rows; a story's vectors are its articles' mean."""
    return Vectors(
        _lists_to_csr(rows["text_terms"], rows["text_weights"], N_TERMS),
        _lists_to_csr(rows["title_terms"], rows["title_weights"], N_TERMS),
        _lists_to_csr(rows["key_terms"], rows["key_weights"], len(KINDS) * N_KEYS),
    )


# --- linking ---------------------------------------------------------------------------


def _pair_dots(
    a: sparse.csr_matrix, b: sparse.csr_matrix, i: np.ndarray, j: np.ndarray
) -> np.ndarray:
    if not len(i):
        return np.empty(0)
    return np.asarray(a[i].multiply(b[j]).sum(axis=1)).ravel().astype(np.float64)


def link_logits(sims: dict[str, np.ndarray], gap_days: np.ndarray, p: LinkParams) -> np.ndarray:
    """The link score of pairs from their per-kind cosines and day gaps; pairs whose
    text cosine is below ``min_text`` get -inf (entities alone never link)."""
    z = (
        p.bias
        + p.weight_text * sims["text"]
        + p.weight_title * sims["title"]
        + p.weight_people * sims["people"]
        + p.weight_orgs * sims["orgs"]
        + p.weight_places * sims["places"]
        - p.decay * np.maximum(gap_days - 1, 0)
    )
    z[sims["text"] < p.min_text] = -np.inf
    return z


def _top_per_row(m: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    """``m`` with only each row's ``k`` largest entries (ties by column)."""
    n = m.shape[0]
    rows = np.repeat(np.arange(n), np.diff(m.indptr))
    order = np.lexsort((m.indices, -m.data, rows))
    rank = np.empty(m.nnz, np.int64)
    rank[order] = np.arange(m.nnz) - m.indptr[:-1][rows[order]]
    keep = rank < k
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows[keep], minlength=n))])
    out = sparse.csr_matrix((m.data[keep], m.indices[keep], indptr), shape=m.shape)
    out.sort_indices()
    return out


@dataclass
class Linked:
    """The result of linking a day: each day cluster's open story (or None) and the
    IDF it used (to choose the terms kept in the index)."""

    story: list[str | None]
    idf: Idf
    old: pa.Table  # index rows of the open stories linked to
    features: list[dict[str, float]]  # per linked cluster: the pair's similarities


def link_clusters(clusters: Vectors, open_: OpenStories, day: date, p: LinkParams) -> Linked:
    """Each day cluster's best open story above the link threshold, or None."""
    n = clusters.text.shape[0]
    df = open_.df()
    for name, m in zip(("text", "title", "keys"), clusters.parts(), strict=True):
        df[name] += _df(m, len(df[name]))
    idf = Idf(df, open_.n + n)
    today = idf.weigh(clusters)
    top = _top_per_row(today["text"], p.block_terms)
    c_idx, s_ids = open_.candidates(top, p)
    old = open_.rows(set(s_ids))
    story: list[str | None] = [None] * n
    feats: list[dict[str, float]] = [{} for _ in range(n)]
    if not len(c_idx):
        return Linked(story, idf, old.slice(0, 0), feats)
    names = old["story_id"].to_pylist()
    pos = {s: k for k, s in enumerate(names)}
    s_idx = np.array([pos[s] for s in s_ids], np.int64)
    theirs = idf.weigh(stored_vectors(old))
    sims = {k: _pair_dots(today[k], theirs[k], c_idx, s_idx) for k in today}
    last = np.array([(day - d).days for d in old["last_seen"].to_pylist()], np.float64)
    z = link_logits(sims, last[s_idx], p)
    cut = math.log(p.threshold / (1 - p.threshold))
    best: dict[int, tuple[float, str, int]] = {}
    for k in np.flatnonzero(z >= cut).tolist():
        c, s = int(c_idx[k]), names[s_idx[k]]
        if c not in best or (-z[k], s) < (-best[c][0], best[c][1]):
            best[c] = (float(z[k]), s, k)
    for c, (_, s, k) in best.items():
        story[c] = s
        feats[c] = {name: float(v[k]) for name, v in sims.items()}
    used = sorted({s for s in story if s})
    keep = [pos[s] for s in used]
    return Linked(story, idf, old.take(keep), feats)


# --- the day's index rows --------------------------------------------------------------


@dataclass
class DayArticle:
    """What a story row needs of one of the day's articles (copies included)."""

    article_id: str
    title: str | None
    source: str | None
    language: str | None
    keys: frozenset[str]
    published: Any  # datetime or None; orders the story's first headline


def _top_weights(
    m: sparse.csr_matrix, idf: np.ndarray, k: int
) -> tuple[list[list[int]], list[list[float]]]:
    """Each row's ``k`` terms of largest weight x IDF (stored in that order, so the first
    ``block_terms`` are the story's blocking terms), with their unweighted values."""
    if not m.shape[0]:
        return [], []
    w = sparse.csr_matrix(m @ sparse.diags(idf))
    w.sort_indices()
    top = _top_per_row(w, k)
    rows = np.repeat(np.arange(m.shape[0]), np.diff(top.indptr))
    order = np.lexsort((top.indices, -top.data, rows))  # by row, heaviest first
    cols = top.indices[order]
    vals = top.data[order] / idf[cols]  # w = m x idf on the same entries
    bounds = top.indptr[1:-1]
    return (
        [c.tolist() for c in np.split(cols.astype(np.int64), bounds)],
        [v.tolist() for v in np.split(vals.astype(np.float64), bounds)],
    )


def _headline(a: DayArticle, text_first_line: str) -> str:
    return (a.title or text_first_line or "").strip()[:300]


def story_rows(
    day: date,
    stories: dict[str, list[int]],
    articles: Sequence[DayArticle],
    originals: dict[str, list[int]],
    art_vectors: Vectors,
    first_lines: Sequence[str],
    old: pa.Table,
    idf: Idf,
    p: LinkParams,
) -> pa.Table:
    """The index rows of the stories the day touched (schema ``STORY_INDEX``).

    ``stories`` maps story id -> positions in ``articles`` (all the day's articles in
    it, copies too); ``originals`` story id -> rows of ``art_vectors`` (its originals
    today); ``old`` the stories' rows of earlier days (the open ones touched today).
    A story's vectors are the mean of all its originals' vectors so far (kept to the
    heaviest terms).
    """
    prev = {r["story_id"]: r for r in old.to_pylist()}
    prev_vec = stored_vectors(old) if old.num_rows else None
    prev_pos = {s: k for k, s in enumerate(old["story_id"].to_pylist())}
    ids = sorted(stories)
    n = len(ids)
    # sums of today's originals' vectors per story, plus the earlier mean x count
    rr, cc = [], []
    for r, s in enumerate(ids):
        for c in originals.get(s, []):
            rr.append(r)
            cc.append(c)
    groups = sparse.csr_matrix(
        (np.ones(len(rr), np.float32), (rr, cc)), shape=(n, art_vectors.text.shape[0])
    )
    sums = art_vectors.grouped(groups)
    counts = np.asarray(groups.sum(axis=1)).ravel()
    if prev_vec is not None:
        pr, pc, pw = [], [], []
        for r, s in enumerate(ids):
            if s in prev_pos:
                pr.append(r)
                pc.append(prev_pos[s])
                pw.append(float(prev[s]["originals"]))
                counts[r] += prev[s]["originals"]
        lift = sparse.csr_matrix((np.array(pw, np.float32), (pr, pc)), shape=(n, old.num_rows))
        sums = Vectors(
            *(
                a + sparse.csr_matrix(lift @ b)
                for a, b in zip(sums.parts(), prev_vec.parts(), strict=True)
            )
        )
    scale = sparse.diags((1.0 / np.maximum(counts, 1)).astype(np.float32))
    means = Vectors(*(sparse.csr_matrix(scale @ m) for m in sums.parts()))
    t_terms, t_vals = _top_weights(means.text, idf.w["text"], p.text_terms)
    h_terms, h_vals = _top_weights(means.title, idf.w["title"], p.title_terms)
    k_terms, k_vals = _top_weights(means.keys, idf.w["keys"], p.entity_keys)
    out: dict[str, list] = {name: [] for name in schema.STORY_INDEX.names}
    for r, s in enumerate(ids):
        arts = [articles[k] for k in stories[s]]
        before = prev.get(s)
        first = min(
            stories[s],
            key=lambda k: (
                articles[k].published is None,
                articles[k].published or 0,
                articles[k].article_id,
            ),
        )
        key_count: Counter[str] = Counter()
        if before:
            key_count.update(dict(zip(before["entity_keys"], before["entity_counts"], strict=True)))
        for a in arts:
            key_count.update(a.keys)
        top_keys = sorted(key_count.items(), key=lambda kv: (-kv[1], kv[0]))[: p.top_keys]
        out["story_id"].append(s)
        out["title"].append(
            before["title"] if before else _headline(articles[first], first_lines[first])
        )
        out["first_seen"].append(before["first_seen"] if before else day)
        out["last_seen"].append(day)
        out["days"].append((before["days"] if before else 0) + 1)
        out["articles"].append((before["articles"] if before else 0) + len(arts))
        out["articles_today"].append(len(arts))
        out["originals"].append(int(counts[r]))
        out["sources"].append(
            sorted(set(before["sources"] if before else []) | {a.source for a in arts if a.source})
        )
        out["languages"].append(
            sorted(
                set(before["languages"] if before else [])
                | {a.language for a in arts if a.language}
            )
        )
        out["entity_keys"].append([k for k, _ in top_keys])
        out["entity_counts"].append([c for _, c in top_keys])
        out["text_terms"].append(t_terms[r])
        out["text_weights"].append(t_vals[r])
        out["title_terms"].append(h_terms[r])
        out["title_weights"].append(h_vals[r])
        out["key_terms"].append(k_terms[r])
        out["key_weights"].append(k_vals[r])
    return pa.table(out, schema=schema.STORY_INDEX)


# --- a day -----------------------------------------------------------------------------


def assign_day(
    day: date,
    articles: Iterable[pa.RecordBatch],
    entities: Iterable[pa.RecordBatch],
    params: StoryParams,
    link: LinkParams,
    open_: OpenStories,
    *,
    earlier: Callable[[set[str]], dict[str, str]],
) -> tuple[dict[str, str], pa.Table]:
    """``({article_id: story_id}, the day's index rows)`` for every article of a day.

    ``articles`` are the day's deduped rows (``article_id``, ``published_at``,
    ``is_duplicate``, ``duplicate_of``, ``text``, ``language``, ``title``, ``source``),
    ``entities`` its mentions (``article_id``, ``entity_key``, ``label``, ``country``);
    ``earlier`` gives the story of earlier days' articles. Originals are clustered within
    the day (``cluster_stories``), each day cluster joins its open story or starts one
    (``link_clusters``); a copy joins its original's story, from today or from the day
    the original was published; an article in no story gets one of its own. Rows become
    Python objects a batch at a time (a whole day's entities as dicts would take
    gigabytes at 100k articles).
    """
    keys: dict[str, set[str]] = {}
    for batch in entities:
        for r in batch.to_pylist():
            k = story_key(r["entity_key"], r["label"], r["country"])
            if k:
                # one string per distinct key, not one per mention (~0.1 GB at 100k)
                keys.setdefault(r["article_id"], set()).add(sys.intern(k))
    day_arts: list[DayArticle] = []
    dup_of: list[str | None] = []
    reps: list[StoryInput] = []
    rep_pos: list[int] = []  # position in day_arts of each original
    titles: list[str] = []
    first_lines: list[str] = []
    for batch in articles:
        for r in batch.to_pylist():
            found = frozenset(keys.get(r["article_id"], ()))
            text = r["text"] or ""
            first_lines.append(text.split("\n", 1)[0][:300])
            day_arts.append(
                DayArticle(
                    r["article_id"], r["title"], r["source"], r["language"], found,
                    r["published_at"],
                )
            )  # fmt: skip
            dup_of.append(r["duplicate_of"])
            if not r["is_duplicate"]:
                rep_pos.append(len(day_arts) - 1)
                titles.append(r["title"] or first_lines[-1])
                reps.append(
                    StoryInput(r["article_id"], r["published_at"], found, text, r["language"])
                )
    del keys
    within = cluster_stories(reps, params)
    day_ids = sorted(set(within.values()))
    cpos = {s: k for k, s in enumerate(day_ids)}
    member = np.array([cpos[within[a.article_id]] for a in reps], np.int64)
    vectors = Vectors.of_articles([a.text for a in reps], titles, [a.keys for a in reps])
    del reps
    groups = sparse.csr_matrix(
        (np.ones(len(member), np.float32), (member, np.arange(len(member)))),
        shape=(len(day_ids), len(member)),
    )
    linked = link_clusters(vectors.grouped(groups), open_, day, link)
    final = [old or new for old, new in zip(linked.story, day_ids, strict=True)]
    story: dict[str, str] = {
        day_arts[p].article_id: final[c] for p, c in zip(rep_pos, member.tolist(), strict=True)
    }
    story.update(earlier({d for d in dup_of if d and d not in story}))
    out: dict[str, str] = {}
    members: dict[str, list[int]] = {}
    for k, (a, d) in enumerate(zip(day_arts, dup_of, strict=True)):
        sid = (story.get(d) if d else story.get(a.article_id)) or stable_story(a.article_id)
        out[a.article_id] = sid
        members.setdefault(sid, []).append(k)
    originals: dict[str, list[int]] = {}
    for row, c in enumerate(member.tolist()):
        originals.setdefault(final[c], []).append(row)
    old = linked.old
    more = {s for s in members if s not in day_ids} - set(old["story_id"].to_pylist())
    if more:  # stories of earlier days that only copies touched today
        old = pa.concat_tables([old, open_.rows(more)]).sort_by("story_id")
    rows = story_rows(
        day, members, day_arts, originals, vectors, first_lines, old, linked.idf, link
    )
    return out, rows


def publish_story_index(settings: Settings, work: Path, day: str) -> list[tuple[Path, Path]]:
    """The day's part of the story index, written to scratch from the stories stage's
    work file, as (scratch, final) for ``publish_atomically`` to swap in with the day's
    tables: a rerun replaces the day's part, and a day that never reached publish is
    not in the index."""
    state = storage.lake_path(settings.lake) / STATE
    batches = iter_partition(work, INDEX, day, batch_size=10_000)
    tmp = write_partition(state, INDEX, day, batches, schema.STORY_INDEX, swap=False)
    return [(tmp, partition_dir(state, INDEX, day))]
