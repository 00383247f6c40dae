"""Stories across days: the cross-day story index and the linking of a day's stories to
the open ones.

A day's originals are first clustered among themselves (``cluster_stories``). Each of
those day clusters then either joins an *open* story of an earlier day or starts a new
one. A story is open while its last article is at most ``story_horizon_days`` old. What
a later day needs of it is kept per day under ``LAKE/_state``:

* ``story_index/dt=D``: one row per story D touched, the story as it stands at the end
  of D (first/last seen, days, articles, sources, languages, entity keys, headline):
  the published ``stories`` table plus the entity keys' counts;
* ``story_articles/dt=D``: D's originals with their story and their vectors: *hashed*
  weights of the words and word pairs of text and title and of the entity keys of
  people / organisations / places (no vocabulary has to persist; the IDF that weighs
  them is computed when a day links, over the open stories' articles and the day's).

Linking is the all-at-once model carried over days: the pairwise link probability
``p_ab`` of two articles is ``cluster_stories``' logistic score (text cosine, people,
organisations, places), and a day cluster ``c`` is scored against an open story ``s``
through its latest ``representatives`` articles (average linkage, as all-at-once)::

    z = bias + w_pair * logit(mean p_ab) + w_title * mean cos_title - decay * (gap - 1)

``gap`` is the days since the story's latest article. ``c`` joins the best-scoring
``s`` when ``sigmoid(z) >= threshold`` **and** the mean text cosine reaches ``min_text``:
shared people or places never link two texts that disagree (a shared city, a shared
politician), and the further apart, the stronger the evidence must be. The link
parameters are calibrated on a day-by-day ECB+ stream (odd topics only;
``benchmarks/story_stream.py --fit``). That is ``model = "linear"``; by default a learned
score decides instead (``link_model_logits``): monotone gradient-boosted trees over the
mean *and the best* of each kind of pair evidence, the share of pairs that would link and
the days between (``LINK_FEATURES``), fitted on generated local news and ECB+'s odd topics
day by day (``benchmarks/story_links.py --fit``): a follow-up meets one of a story's
reports, not all of them; the text floor holds for it too. Two texts told in one template
whose names and numbers differ slot for slot (``story_slots``) are two incidents: their
pair loses ``story_slot_conflict``, and a day cluster contradicting more than
``slot_veto`` of its pairs with a story's representatives never joins it (that story is
another incident's, or already holds two). Articles in different languages are linked
within a day only (their text cosine says nothing, and entities alone never link).

Ids and reruns:

* a story's id is derived from the smallest article id of the day cluster that started
  it; a later day only ever adds articles to it, so an existing ``story_id`` never
  changes when later days arrive;
* day D reads only the index parts of days before D, and publish swaps in D's parts
  with D's tables (replacing them on a rerun), so rerunning D gives the same ids;
* rebuilding an earlier day C does not rewrite later days: a later day D keeps the
  links it made against the index as it was when D ran (the dedup index's rule). To
  carry C's change forward, rerun the later days in date order (a backfill): each
  reads the index its predecessors left, so the result is a function of the inputs.

Memory: the open stories are not loaded whole. Candidates come from a DuckDB join (out
of core) of today's articles' heaviest terms with the open articles' first
``block_terms`` terms; only the candidates' representatives are read, into a DuckDB
table, and scored ``chunk_rows`` stories at a time. The day's own vectors are built and
weighted ``chunk_rows`` articles at a time (``story_chunk_rows``; results do not depend
on it), and the texts without their names are made as they are hashed.
"""

from __future__ import annotations

import os
import re
import sys
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from newsflow import story_model
from newsflow.dates import latest_instant
from newsflow.entities.known import KnownNames
from newsflow.lake import schema, storage
from newsflow.lake.partition import (
    settle,
    staged_copies,
)
from newsflow.lake.query import day_files
from newsflow.memory import release
from newsflow.stories import (
    NAME_KINDS,
    UNCUT_KINDS,
    StoryInput,
    StoryParams,
    by_rows,
    cluster_stories,
    gives_number,
    kind_of,
    latest_year,
    linked_pairs,
    name_dots,
    name_keys,
    numbers_in,
    pair_dots,
    pair_logits,
    row_order,
    stable_story,
    stacked,
    story_key,
    top_k,
)
from newsflow.story_slots import N_DF, SlotRarity, Slots, conflicting, penalise

if TYPE_CHECKING:
    from newsflow.config import Settings

STATE = "_state"
INDEX = "story_index"  # LAKE/_state/story_index/dt=D: the stories D touched
ARTICLES = "story_articles"  # LAKE/_state/story_articles/dt=D: D's originals' vectors
DF = "story_df"  # LAKE/_state/story_df/dt=D: D's document frequencies of hashed terms
INDEX_SCHEMAS = {INDEX: schema.STORY_INDEX, ARTICLES: schema.STORY_ARTICLES, DF: schema.STORY_DF}
# hashed text / title features: at 2^20 colliding rare word pairs cost ECB+ 3 points of
# F1 (a word pair of one article looks shared); changing it starts a new index
N_TERMS = 1 << 22
N_KEYS = 1 << 18  # hashed entity keys per kind
# numbers: the text's, as keys; units: what they count (``numbers_in``)
# NAME_KINDS: the name words of an article and of its headline (``name_keys``),
# hashed by the word alone so that the two kinds' columns line up
KINDS = ("people", "orgs", "places", "numbers", "units", *NAME_KINDS)
_DF_SIZES = {
    "text": N_TERMS,
    "body": N_TERMS,
    "title": N_TERMS,
    "keys": len(KINDS) * N_KEYS,
    "slots": 2 * N_DF,  # slot entries and contexts (``story_slots``); none in older parts
}


@dataclass(frozen=True)
class LinkParams:
    """The cross-day link score (see the module docstring); the defaults are the
    settings' ``story_link_*`` and ``story_horizon_days``."""

    weight_pair: float
    weight_title: float
    decay: float
    bias: float
    threshold: float
    min_text: float
    rare_df: float = 0.05
    min_rare: float = 0.0
    horizon_days: int = 30
    representatives: int = 8  # latest articles a story is compared through
    text_terms: int = 48  # terms of an article's text vector kept in the index
    title_terms: int = 12
    top_keys: int = 10  # entity keys named in the stories table
    block_terms: int = 10  # an article's heaviest terms, a candidate must share one
    max_posting: int = 1_000  # a term more open articles have blocks nothing
    # DuckDB's share (the index queries spill past it; 320 MB fails staging a 100k
    # day's candidates, 384 leaves the day ~0.1 GB under its 2 GiB where 512 went over)
    memory_mb: int = 384
    max_candidates: int = 20  # open stories scored per day cluster
    # share of a candidate's pairs that read as two incidents in one template
    # (``story_slots``) past which it never links; 1 = off
    slot_veto: float = 1.0
    chunk_rows: int = 10_000  # articles a row-wise step takes at once (memory, not results)
    # a JSON file of learned trees over ``LINK_FEATURES`` (relative to the newsflow
    # package unless absolute; ``benchmarks/story_links.py``), or "linear" (``link_logits``)
    model: str = "story_link_model.json"

    @classmethod
    def from_settings(cls, settings: Settings) -> LinkParams:
        return replace(
            settings.params(cls, "story_link_"),
            horizon_days=settings.story_horizon_days,
            chunk_rows=settings.story_chunk_rows,
        )


# --- vectors ---------------------------------------------------------------------------


def _hashed(texts: Iterable[str], chunk_rows: int) -> sparse.csr_matrix:
    """Sublinear term counts of words and word pairs, hashed, rows L2-normalised;
    ``chunk_rows`` texts at a time (the vectorizer's token lists and unsummed entries of
    a whole 100k day take gigabytes; hashing needs no vocabulary, so chunks agree).
    ``texts`` may be made as they are read (the texts without their names)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    hasher = HashingVectorizer(
        n_features=N_TERMS,
        alternate_sign=False,
        norm=None,
        ngram_range=(1, 2),
        stop_words="english",
        dtype=np.float32,
    )

    def rows(part: Sequence[str]) -> sparse.csr_matrix:
        m = sparse.csr_matrix(hasher.transform(part), dtype=np.float32)
        m.data = 1.0 + np.log(m.data)
        return _normalised(m)

    it = iter(texts)
    parts = [rows(chunk) for chunk in iter(lambda: list(islice(it, chunk_rows)), [])]
    if not parts:  # a day of copies only: the vectorizer cannot take no rows
        return sparse.csr_matrix((0, N_TERMS), dtype=np.float32)  # type: ignore[arg-type]
    return stacked(parts)


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

    kind = kind_of(key)
    if kind is None:
        return None
    if kind in NAME_KINDS:
        key = key.split(":", 1)[1]
    return KINDS.index(kind) * N_KEYS + int(murmurhash3_32(key, positive=True)) % N_KEYS


def key_columns(keys: Iterable[str]) -> array[int]:
    """The hashed columns (``key_feature``) of an article's story keys, sorted, once each:
    what the day keeps of its keys until the vectors are built (a set of some 60 key
    strings, numbers and name words included, takes ~3 KB: ~0.3 GB at 100k articles)."""
    return array("i", sorted({f for f in map(key_feature, keys) if f is not None}))


def _key_rows(cols: Sequence[array[int]]) -> sparse.csr_matrix:
    """0/1 rows of the articles' key columns (``key_columns``)."""
    indptr = np.zeros(len(cols) + 1, np.int64)
    indptr[1:] = np.cumsum([len(c) for c in cols])
    indices = np.frombuffer(b"".join(c.tobytes() for c in cols), np.intc).astype(np.int32)
    return sparse.csr_matrix(
        (np.ones(len(indices), np.float32), indices, indptr),
        shape=(len(cols), len(KINDS) * N_KEYS),
    )


@dataclass
class Vectors:
    """Row-aligned hashed vectors of the index's articles (``stored_vectors``)."""

    text: sparse.csr_matrix
    body: sparse.csr_matrix  # the text without its entities' names
    title: sparse.csr_matrix
    keys: sparse.csr_matrix  # entity keys, all kinds side by side, 0/1

    def parts(self) -> dict[str, sparse.csr_matrix]:
        return {"text": self.text, "body": self.body, "title": self.title, "keys": self.keys}


def _raw_idf(df: np.ndarray, n: int) -> np.ndarray:
    """Smoothed IDF of hashed columns with document frequencies ``df`` over ``n``
    articles (sklearn's ``smooth_idf``)."""
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


class Idf:
    """Smoothed IDF per hashed column, from document frequencies ``df`` over ``n``
    articles (the open stories' and the day's)."""

    def __init__(self, df: dict[str, np.ndarray], n: int, sp: StoryParams) -> None:
        self.w = {k: self.of(k, v, n, sp)[1] for k, v in df.items()}
        self.text_df, self.n = df["text"], n

    @staticmethod
    def rare(df: np.ndarray, n: int, rare_df: float) -> np.ndarray | None:
        """IDF of the words few of the articles have (in at least two, at most
        ``rare_df`` of them: a victim's name, a street, a number), 0 for the others;
        None on fewer than 50 articles, where every word is that rare. Two reports of
        one incident share some; two incidents of one kind told in the same words
        share none."""
        if n < 50:
            return None
        return _raw_idf(df, n) * ((df >= 2) & (df <= rare_df * n))

    @staticmethod
    def of(kind: str, df: np.ndarray, n: int, sp: StoryParams) -> tuple[np.ndarray, np.ndarray]:
        """(IDF, IDF used for similarities) of one kind: the second, as cluster_stories'
        TF-IDF on a corpus of 50 or more, is 0 for words of one article or of more than
        ``sp.text_max_df`` of them, and for entity keys (and numbers) of more than
        ``sp.key_max_df``."""
        raw = _raw_idf(df, n)
        w = raw.copy()
        if n >= 50 and kind != "keys":
            w[(df < 2) | (df > sp.text_max_df * n)] = 0.0
        elif n >= 50:
            w[df > sp.key_max_df * n] = 0.0
            for uncut in (KINDS.index(k) * N_KEYS for k in UNCUT_KINDS):
                w[uncut : uncut + N_KEYS] = raw[uncut : uncut + N_KEYS]
        if kind == "keys":  # the headlines' name words take the names' IDF (NAME_KINDS)
            names, titles = (KINDS.index(k) * N_KEYS for k in NAME_KINDS)
            w[titles : titles + N_KEYS] = w[names : names + N_KEYS]
            # a name word no headline has meets no headline (the names are only scored
            # against headlines, ``NAME_DOTS``, and only for whether they meet): it is
            # dropped from the weighted rows, most of a body's capitalised words
            w[names : names + N_KEYS][df[titles : titles + N_KEYS] == 0] = 0.0
        return raw, w

    def weigh(
        self, v: Vectors, chunk_rows: int, rare_df: float | None
    ) -> dict[str, sparse.csr_matrix]:
        """L2-normalised IDF-weighted rows per feature kind (text, title, people, ...,
        and ``rare``, the text's rare words, unless ``rare_df`` is None)."""
        out: dict[str, sparse.csr_matrix] = {}
        for k, m in v.parts().items():
            out |= _weighted(k, m, self.w[k], chunk_rows)
        rare = None if rare_df is None else self.rare(self.text_df, self.n, rare_df)
        if rare is not None:
            out |= _weighted("rare", v.text, rare, chunk_rows)
        return out


def _weighted(
    kind: str, m: sparse.csr_matrix, w: np.ndarray, chunk_rows: int
) -> dict[str, sparse.csr_matrix]:
    """``m``'s rows weighted by ``w``, L2-normalised (``chunk_rows`` rows at a time);
    entity keys split by kind."""

    def weigh(part: sparse.csr_matrix) -> sparse.csr_matrix:
        mw = sparse.csr_matrix(part @ sparse.diags(w))
        mw.eliminate_zeros()  # the words IDF says nothing of: most of a big day's word pairs
        return _normalised(mw)

    if kind != "keys":
        return {kind: by_rows(m, weigh, chunk_rows)}
    mw = sparse.csr_matrix(m @ sparse.diags(w))
    mw.eliminate_zeros()
    return {
        name: _normalised(sparse.csr_matrix(mw[:, k * N_KEYS : (k + 1) * N_KEYS]))
        for k, name in enumerate(KINDS)
    }


def day_vectors(
    texts: Sequence[str],
    bodies: Iterable[str],
    titles: Sequence[str],
    key_cols: Sequence[array[int]],
    window: tuple[dict[str, np.ndarray], int],
    p: LinkParams,
    sp: StoryParams,
) -> tuple[dict[str, sparse.csr_matrix], Idf, dict[str, np.ndarray], dict[str, pa.Array]]:
    """The day's originals' vectors, one kind at a time (a 100k day's raw word-pair
    matrix is ~0.3 GB; only the weighted rows, without the words IDF says nothing of,
    are kept): (weighted rows per kind, the IDF of window + day, the day's document
    frequencies, the ``story_articles`` term columns)."""
    df, n_window = window
    n = n_window + len(key_cols)
    weighted: dict[str, sparse.csr_matrix] = {}
    today: dict[str, np.ndarray] = {}
    stored: dict[str, pa.Array] = {}
    for kind, make, k in (
        ("text", lambda: _hashed(texts, p.chunk_rows), p.text_terms),
        ("body", lambda: _hashed(bodies, p.chunk_rows), p.text_terms),
        ("title", lambda: _hashed(titles, p.chunk_rows), p.title_terms),
        ("keys", lambda: _key_rows(key_cols), 0),
    ):
        m = make()
        today[kind] = _df(m)
        raw, w = Idf.of(kind, df[kind] + today[kind], n, sp)
        if k:
            # chosen by the IDF without the document-frequency cut: a word only this
            # article has today may be the one a follow-up shares
            stored[f"{kind}_terms"], stored[f"{kind}_weights"] = top_terms(m, raw, k, p.chunk_rows)
        else:
            stored["key_terms"] = pa.ListArray.from_arrays(
                pa.array(m.indptr.astype(np.int32)), pa.array(m.indices.astype(np.int32))
            )
        weighted |= _weighted(kind, m, w, p.chunk_rows)
        rare = (
            Idf.rare(df[kind] + today[kind], n, p.rare_df)
            if kind == "text" and p.min_rare > 0
            else None
        )
        if rare is not None:
            weighted |= _weighted("rare", m, rare, p.chunk_rows)
        del m
        release()
    return weighted, Idf({k: df[k] + today[k] for k in today}, n, sp), today, stored


def _df(m: sparse.csr_matrix) -> np.ndarray:
    return np.bincount(m.indices, minlength=m.shape[1]).astype(np.float32)


def _top_per_row(m: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    """``m`` with only each row's ``k`` largest entries (ties by column), sorted."""
    out = top_k(m, k, ties_by_column=True)
    out.sort_indices()
    return out


def top_terms(
    m: sparse.csr_matrix, idf: np.ndarray, k: int, chunk_rows: int
) -> tuple[pa.Array, pa.Array]:
    """Each row's ``k`` terms of largest weight x IDF, heaviest first (ties by column),
    and their unweighted values, as list columns."""
    top = by_rows(
        m, lambda part: _top_per_row(sparse.csr_matrix(part @ sparse.diags(idf)), k), chunk_rows
    )
    rows = np.repeat(np.arange(m.shape[0]), np.diff(top.indptr))
    order = row_order(rows, top.data, top.indices)
    cols = top.indices[order]
    vals = top.data[order] / idf[cols]  # the weighted matrix has m's entries x idf
    offsets = pa.array(top.indptr.astype(np.int32))
    return (
        pa.ListArray.from_arrays(offsets, pa.array(cols.astype(np.int32))),
        pa.ListArray.from_arrays(offsets, pa.array(vals.astype(np.float32))),
    )


def _lists_to_csr(
    terms: pa.ChunkedArray, weights: pa.ChunkedArray | None, size: int
) -> sparse.csr_matrix:
    t = terms.combine_chunks()
    offsets = np.array(t.offsets, np.int64)
    cols = np.array(t.flatten().to_numpy(zero_copy_only=False), np.int32)
    data = (
        np.array(weights.combine_chunks().flatten().to_numpy(zero_copy_only=False), np.float32)
        if weights is not None
        else np.ones(len(cols), np.float32)
    )
    m = sparse.csr_matrix((data, cols, offsets - offsets[0]), shape=(len(t), size))
    m.sum_duplicates()
    m.sort_indices()
    return m


def stored_vectors(rows: pa.Table) -> Vectors:
    """The (unweighted) vectors of ``story_articles`` rows."""
    return Vectors(
        _lists_to_csr(rows["text_terms"], rows["text_weights"], N_TERMS),
        _lists_to_csr(rows["body_terms"], rows["body_weights"], N_TERMS),
        _lists_to_csr(rows["title_terms"], rows["title_weights"], N_TERMS),
        _lists_to_csr(rows["key_terms"], None, len(KINDS) * N_KEYS),
    )


def slot_lists(slots: Slots | None, n: int) -> pa.Array:
    """The ``slot_entries`` column of ``n`` articles' ``story_articles`` rows (null when
    the day made none: ``slot_conflict`` off)."""
    if slots is None:
        return pa.nulls(n, pa.list_(pa.int32()))
    return pa.ListArray.from_arrays(
        pa.array(slots.offsets.astype(np.int32)), pa.array(slots.entries.astype(np.int32))
    )


def stored_slots(rows: pa.Table) -> Slots:
    """The slots of ``story_articles`` rows; none for a row without (written before
    slots were kept, or with ``slot_conflict`` off): it conflicts with nothing."""
    col = rows["slot_entries"].combine_chunks()
    col = pc.fill_null(col, pa.scalar([], pa.list_(pa.int32())))
    offsets = np.array(col.offsets, np.int64)
    entries = np.array(col.flatten().to_numpy(zero_copy_only=False), np.int64)
    return Slots.from_lists(offsets - offsets[0], entries)


# --- the index on disk -----------------------------------------------------------------


class OpenStories:
    """The index parts of the ``horizon_days`` days before ``day``, queried with DuckDB
    straight from the Parquet files, in at most ``memory_mb`` (DuckDB spills past it):
    the window's document frequencies, candidate stories, the candidates' latest
    ``representatives`` articles and their stories' latest rows. ``also`` is a second
    state folder read beside the lake's (a partition's earlier publication days,
    ``story_days``)."""

    def __init__(
        self,
        lake: str | os.PathLike[str],
        day: date,
        horizon_days: int,
        representatives: int = 8,
        memory_mb: int = 384,
        also: Path | None = None,
    ) -> None:
        import tempfile

        settle(lake)  # an earlier day's publish a crash interrupted is finished first
        states = [storage.lake_path(lake) / STATE] + ([also] if also is not None else [])
        first, last = day - timedelta(days=horizon_days), day - timedelta(days=1)

        def files(part: str) -> list[str]:
            if horizon_days <= 0:
                return []
            return [f for state in states for f in day_files(state, part, first, last)]

        # ``also``: index parts of a partition's earlier publication days (``story_days``)
        self.files, self.rep_files, self.df_files = files(INDEX), files(ARTICLES), files(DF)
        self.representatives = representatives
        self.memory_mb = int(memory_mb)
        self._tmp = tempfile.TemporaryDirectory(prefix="newsflow-stories-")
        self.con = storage.duckdb_connect(lake)
        self._share(self.memory_mb)
        self.con.execute(f"SET temp_directory = '{self._tmp.name}'")
        self.con.execute("SET preserve_insertion_order = false")
        # the index's files are read a few times a day: the OS caches them, and DuckDB's
        # copy of them would stay in the process beside the day's vectors
        self.con.execute("SET enable_external_file_cache = false")

    def _share(self, mb: int) -> None:
        """DuckDB's memory limit; lowering it spills what it holds past the new limit to
        its temp directory and gives that memory back to the system."""
        self.con.execute(f"SET memory_limit = '{int(mb)}MB'")

    def df(self) -> tuple[dict[str, np.ndarray], int]:
        """Document frequencies of the hashed columns over the horizon's originals, and
        their number (from the days' ``story_df`` parts)."""
        out = {name: np.zeros(size, np.float32) for name, size in _DF_SIZES.items()}
        if not self.df_files:
            return out, 0
        n = 0
        # streamed and summed in numpy: a GROUP BY over 30 days of a 100k-article day's
        # frequencies (~10^8 rows, ~10^7 groups) does not fit DuckDB's memory share
        reader = self.con.sql(
            "SELECT kind, term, df FROM read_parquet($files, hive_partitioning = false)",
            params={"files": self.df_files},
        ).to_arrow_reader(1_000_000)
        for batch in reader:
            kinds = batch.column(0).to_numpy(zero_copy_only=False)
            terms = batch.column(1).to_numpy()
            df = batch.column(2).to_numpy().astype(np.float32)
            for name, arr in out.items():
                sel = kinds == name
                if sel.any():
                    arr += np.bincount(terms[sel], weights=df[sel], minlength=len(arr)).astype(
                        np.float32
                    )
            n += int(df[kinds == "n"].sum())
        return out, n

    def candidates(
        self, top: sparse.csr_matrix, p: LinkParams, chunk: int = 5_000
    ) -> tuple[np.ndarray, pa.Array]:
        """(today's article row, open story id) pairs sharing one of the terms of
        ``top`` (each article's heaviest terms that few open articles have) with a
        story's article, at most ``max_candidates`` stories per article (those sharing
        most, ties by id); the ids stay Arrow strings (millions of Python strings on a
        100k day)."""
        if not self.rep_files or not top.nnz:
            return np.empty(0, np.int64), pa.array([], pa.string())
        self._share(self.memory_mb)
        coo = top.tocoo()
        # the open articles' postings of today's blocking terms, once (a table DuckDB
        # may spill), then today's articles a chunk at a time: the per-article ranking
        # of one whole 100k day did not fit DuckDB's memory share
        self.con.register("terms", pa.table({"term": np.unique(coo.col).astype(np.int32)}))
        self.con.execute(
            """CREATE OR REPLACE TEMP TABLE post AS
               SELECT story_id, term FROM (
                   SELECT story_id, unnest(text_terms) AS term
                   FROM read_parquet($files, hive_partitioning = false))
               WHERE term IN (SELECT term FROM terms)""",
            {"files": self.rep_files},
        )
        self.con.unregister("terms")
        idx: list[np.ndarray] = [np.empty(0, np.int64)]
        ids: list[pa.Array] = [pa.array([], pa.string())]
        row, col = coo.row.astype(np.int64), coo.col.astype(np.int32)
        for start in range(0, top.shape[0], chunk):
            sel = (row >= start) & (row < start + chunk)
            self.con.register("today", pa.table({"idx": row[sel], "term": col[sel]}))
            got = self.con.sql(
                """SELECT idx, story_id FROM (
                       SELECT t.idx, p.story_id, count(*) AS shared
                       FROM today t JOIN post p USING (term) GROUP BY ALL)
                   QUALIFY row_number() OVER (PARTITION BY idx ORDER BY shared DESC, story_id)
                           <= $per
                   ORDER BY idx, story_id""",
                params={"per": p.max_candidates},
            ).to_arrow_table()
            idx.append(got["idx"].to_numpy().astype(np.int64))
            ids.extend(got["story_id"].cast(pa.string()).chunks)
            self.con.unregister("today")
        self.con.execute("DROP TABLE post")
        return np.concatenate(idx), pa.concat_arrays(ids)

    def stage_reps(self, story_ids: pa.Array) -> None:
        """Keep the latest ``representatives`` articles of the stories ``story_ids``
        (sorted, distinct; story k gets code k) in a DuckDB table (spilled past
        ``memory_mb``), for ``reps_of`` to read back a range of stories at a time: the
        candidates' vectors of a 100k day do not fit beside the day's own. Staged, the
        table is read a range at a time: DuckDB keeps a quarter of its share while the
        pairs are scored (at 100k articles the full share, kept, put the day ~0.1 GB
        over its 2 GiB); ``candidates``, ``rows`` and the next staging take the whole
        share back."""
        self._share(self.memory_mb)
        self.con.register("want", pa.table({"k": story_ids, "code": np.arange(len(story_ids))}))
        # which rows first, on their keys alone (a window over the rows' term lists did
        # not fit a smaller share), then those rows, sorted (a sort spills)
        self.con.execute(
            """CREATE OR REPLACE TEMP TABLE pick AS
               SELECT w.code, r.story_id, r.day, r.article_id
               FROM read_parquet($files, hive_partitioning = false, union_by_name = true) r
               JOIN want w ON r.story_id = w.k
               QUALIFY row_number() OVER (
                   PARTITION BY r.story_id ORDER BY r.day DESC, r.article_id) <= $r""",
            {"files": self.rep_files, "r": self.representatives},
        )
        self.con.execute(
            """CREATE OR REPLACE TEMP TABLE reps AS
               SELECT p.code, r.* FROM read_parquet($files, hive_partitioning = false, union_by_name = true) r
               JOIN pick p USING (story_id, day, article_id)
               ORDER BY p.code, r.article_id""",
            {"files": self.rep_files},
        )
        self.con.execute("DROP TABLE pick")
        self.con.unregister("want")
        self._share(max(64, self.memory_mb // 4))

    def reps_of(self, lo: int, hi: int) -> pa.Table:
        """The staged representatives of the stories coded ``lo`` to ``hi - 1``, by story
        and article id, with their ``code``."""
        out = self.con.sql(
            "SELECT * FROM reps WHERE code >= $lo AND code < $hi ORDER BY code, article_id",
            params={"lo": lo, "hi": hi},
        ).to_arrow_table()
        for name in schema.STORY_ARTICLES.names:
            if name not in out.column_names:  # parts written before the column was kept
                out = out.append_column(
                    name, pa.nulls(len(out), schema.STORY_ARTICLES.field(name).type)
                )
        rows = out.select(schema.STORY_ARTICLES.names).cast(schema.STORY_ARTICLES)
        return rows.append_column("code", out["code"].cast(pa.int64()))

    def rows(self, story_ids: set[str]) -> pa.Table:
        """The stories' latest ``story_index`` rows, by story id."""
        if not story_ids or not self.files:
            return schema.STORY_INDEX.empty_table()
        self._share(self.memory_mb)
        self.con.register("want", pa.table({"k": pa.array(sorted(story_ids), pa.string())}))
        out = self.con.sql(
            """SELECT * FROM read_parquet($files, hive_partitioning = false)
               WHERE story_id IN (SELECT k FROM want)
               QUALIFY row_number() OVER (PARTITION BY story_id ORDER BY last_seen DESC) = 1
               ORDER BY story_id""",
            params={"files": self.files},
        ).to_arrow_table()
        self.con.unregister("want")
        return out.select(schema.STORY_INDEX.names).cast(schema.STORY_INDEX)


# --- linking ---------------------------------------------------------------------------

# the learned link model's inputs, per (day cluster, open story) candidate: the pairs'
# link probability, cosines of the texts without names, headlines, numbers, what they
# count, people and places, each as the mean and the best over the pairs (a follow-up
# meets one of the story's reports, not all), the share of pairs that would link, the
# days between, the sizes; a model may use some of them. (The rare words' cosines, as
# ``min_rare`` has them, added nothing to the fitted trees: left out, with the
# representatives' rare vectors they cost, at 100k articles a day where the learned
# score with them took 611 s of CPU against the 10 minutes asked.)
_LINK_KINDS = ("p", "body", "title", "numbers", "units", "people", "places")
LINK_FEATURES = (
    *(f"{k}_{how}" for k in _LINK_KINDS for how in ("mean", "max")),
    "p_share",
    "gap",
    "articles",
    "representatives",
)


def link_logits(
    mean_p: np.ndarray,
    mean_body: np.ndarray,
    mean_title: np.ndarray,
    gap_days: np.ndarray,
    p: LinkParams,
    mean_rare: np.ndarray | None = None,
) -> np.ndarray:
    """The cross-day link score of (day cluster, open story) pairs; -inf where the texts
    disagree (the mean cosine of the texts without their entities' names is below
    ``min_text``), whatever names they share, and where they share no rare word (mean
    cosine of the rare words, when given, below ``min_rare``: two incidents)."""
    q = np.clip(mean_p, 1e-6, 1 - 1e-6)
    z = (
        p.bias
        + p.weight_pair * np.log(q / (1 - q))
        + p.weight_title * mean_title
        - p.decay * np.maximum(gap_days - 1, 0)
    )
    return _gated(z, mean_body, mean_rare, p)


def _gated(
    z: np.ndarray, mean_body: np.ndarray, mean_rare: np.ndarray | None, p: LinkParams
) -> np.ndarray:
    """``z`` with -inf where the texts without names disagree (``min_text``) and where
    the rare words, when given, do (``min_rare``): the gates of either link score."""
    z[mean_body < p.min_text] = -np.inf
    if mean_rare is not None:
        z[mean_rare < p.min_rare] = -np.inf
    return z


def link_clusters(
    today: dict[str, sparse.csr_matrix],
    idf: Idf,
    window_df: np.ndarray,
    member: np.ndarray,
    open_: OpenStories,
    day: date,
    sp: StoryParams,
    p: LinkParams,
    slots: Slots | None = None,
    rare: SlotRarity | None = None,
) -> list[str | None]:
    """Each day cluster's best open story above the link threshold, or None.

    ``today`` are today's originals' vectors weighted by ``idf``, ``window_df`` the
    open days' document frequencies of text terms, ``member`` each original's day
    cluster (0..k-1); ``slots``, when ``sp.slot_conflict`` is set, today's originals'
    slots (``story_slots``) without the template constants ``rare`` drops (of the open
    stories' representatives too)."""
    n_clusters = int(member.max()) + 1 if len(member) else 0
    story: list[str | None] = [None] * n_clusters
    # block on each article's heaviest words that some open articles have, but not too
    # many (a word most articles have names no single event)
    usable = ((window_df > 0) & (window_df <= p.max_posting)).astype(np.float32)
    top = by_rows(
        today["text"],
        lambda part: _top_per_row(sparse.csr_matrix(part @ sparse.diags(usable)), p.block_terms),
        p.chunk_rows,
    )
    top.eliminate_zeros()
    a_idx, s_ids = open_.candidates(top, p)
    del top
    release()
    if not len(a_idx):
        return story
    distinct = pc.unique(s_ids)
    names = pc.take(distinct, pc.sort_indices(distinct))  # candidate stories, coded in id order
    code = pc.index_in(s_ids, value_set=names).to_numpy().astype(np.int64)
    # (cluster, story) candidates, by story: a range of stories' representatives at a time
    cand = np.unique(np.stack([code, member[a_idx]]), axis=1)[::-1]
    del a_idx, s_ids, code
    open_.stage_reps(names)
    order = np.argsort(member, kind="stable")
    c_start = np.searchsorted(member[order], np.arange(n_clusters + 1))
    cut = float(np.log(p.threshold / (1 - p.threshold)))
    best: dict[int, tuple[float, str]] = {}
    bounds = np.searchsorted(cand[1], np.arange(0, len(names) + p.chunk_rows, p.chunk_rows))
    for lo, (start, end) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        if start == end:
            continue
        first = lo * p.chunk_rows
        part = cand[:, start:end]
        reps = open_.reps_of(first, first + p.chunk_rows)
        theirs = rare(stored_slots(reps)) if rare is not None else None
        scores = _scored(part, reps, first, today, idf, order, c_start, day, sp, p, slots, theirs)
        del reps
        release()  # the chunk's vectors and pairs
        for k, z in scores:
            if z >= cut:
                c, s = int(part[0, k]), names[int(part[1, k])].as_py()
                if c not in best or (-z, s) < (-best[c][0], best[c][1]):
                    best[c] = (z, s)
    for c, (_, s) in best.items():
        story[c] = s
    return story


def _scored(
    cand: np.ndarray,
    reps: pa.Table,
    first: int,
    today: dict[str, sparse.csr_matrix],
    idf: Idf,
    order: np.ndarray,
    c_start: np.ndarray,
    day: date,
    sp: StoryParams,
    p: LinkParams,
    slots: Slots | None = None,
    their_slots: Slots | None = None,
) -> Iterable[tuple[int, float]]:
    """(position in ``cand``, link score) of the (day cluster, open story) candidates
    ``cand``, whose stories' representatives ``reps`` are coded from ``first`` on: every
    (cluster article, story representative) pair is scored, then averaged per
    candidate."""
    n_stories = int(reps["code"][-1].as_py()) - first + 1
    rep_story = reps["code"].to_numpy() - first
    rep_day = np.array([(day - d).days for d in reps["day"].to_pylist()], np.float64)
    theirs = idf.weigh(stored_vectors(reps), p.chunk_rows, p.rare_df if p.min_rare > 0 else None)
    r_start = np.searchsorted(rep_story, np.arange(n_stories + 1))
    c, s = cand[0], cand[1] - first
    n_arts = np.minimum(c_start[c + 1] - c_start[c], p.representatives)
    n_reps = r_start[s + 1] - r_start[s]
    size = n_arts * n_reps
    # pair t of candidate g: article t // n_reps of the cluster, representative t % n_reps
    g = np.repeat(np.arange(cand.shape[1]), size)
    t = np.arange(len(g)) - np.repeat(np.cumsum(size) - size, size)
    i = order[c_start[c][g] + t // n_reps[g]]
    j = r_start[s][g] + t % n_reps[g]
    # the names' kinds are only scored across (``name_dots``)
    sims = {k: pair_dots(today[k], theirs[k], i, j) for k in today if k not in NAME_KINDS}
    has_a = {k: gives_number(today[k])[i] for k in ("numbers", "title_names")}
    has_b = {k: gives_number(theirs[k])[j] for k in ("numbers", "title_names")}
    if sp.name_conflict:
        sims |= name_dots(today, theirs, i, j, has_a["title_names"] & has_b["title_names"])
    z_pair = pair_logits(sims, has_a, has_b, sp)
    count = np.bincount(g, minlength=cand.shape[1])
    both = (slots, their_slots) if slots is not None and their_slots is not None else None
    if both is not None:
        cut = np.log(sp.threshold / (1 - sp.threshold))  # only pairs that would link
        penalise(z_pair, *both, i, j, sp.slot_conflict, cut)
    prob = 1.0 / (1.0 + np.exp(-z_pair))

    def mean(x: np.ndarray) -> np.ndarray:
        return np.bincount(g, weights=x, minlength=cand.shape[1]) / count

    gap = np.full(n_stories, np.inf)
    np.minimum.at(gap, rep_story, rep_day)
    rare = mean(sims["rare"]) if "rare" in sims else None  # ``min_rare`` set
    if p.model in story_model.LINEAR:
        z = link_logits(mean(prob), mean(sims["body"]), mean(sims["title"]), gap[s], p, rare)
    else:
        starts = np.cumsum(size) - size  # every candidate has a pair: g is sorted, dense
        feats = {"gap": gap[s], "articles": n_arts, "representatives": n_reps}
        feats["p_share"] = mean((prob >= 0.5).astype(np.float64))
        for k in _LINK_KINDS:
            x = prob if k == "p" else sims[k]
            feats[f"{k}_mean"], feats[f"{k}_max"] = mean(x), np.maximum.reduceat(x, starts)
        z = link_model_logits(feats, p, rare)
    if both is not None:
        z[_slot_clash(z, g, i, j, count, *both, p) > p.slot_veto] = -np.inf
    return zip(range(len(z)), z.tolist(), strict=True)


def _slot_clash(
    z: np.ndarray,
    g: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    count: np.ndarray,
    slots: Slots,
    their_slots: Slots,
    p: LinkParams,
) -> np.ndarray:
    """The share of each candidate's pairs whose texts contradict each other slot for
    slot (``story_slots.conflicting``), for the candidates that would link (``z`` at the
    link threshold; 0 for the others): a story one of whose representatives the
    cluster's texts so contradict is another incident's (or already holds two), and the
    cluster does not join it. All their pairs are looked at, not only those that would
    link on their own: two vigils of two victims told in one template, weeks apart, are
    linked by their words and headlines while the pair's own score is low."""
    at = np.flatnonzero((z >= np.log(p.threshold / (1 - p.threshold)))[g])
    bad = at[conflicting(slots, their_slots, i[at], j[at])] if len(at) else at
    return np.bincount(g[bad], minlength=len(z)) / count


def link_model_logits(
    feats: dict[str, np.ndarray], p: LinkParams, mean_rare: np.ndarray | None = None
) -> np.ndarray:
    """The learned link score (``p.model``'s trees over ``LINK_FEATURES``), with the
    gates of ``link_logits``: shared names alone never link."""
    model = story_model.learned(p.model, LINK_FEATURES)
    if model is None:
        raise ValueError(f"story link model {p.model!r} names no model file")
    return _gated(model.logits(feats), feats["body_mean"], mean_rare, p)


# --- the day's index rows --------------------------------------------------------------


@dataclass
class DayArticle:
    """What a story row needs of one of the day's articles (copies included)."""

    article_id: str
    title: str | None
    source: str | None
    language: str | None
    # its story keys, once each: a tuple, not a set (~2.2 KB against ~0.24 KB for 25
    # keys: ~0.2 GB of a 100k-article day of real articles)
    keys: tuple[str, ...]
    published: Any  # datetime or None (a date-only one at its day's end): orders the
    # story's first headline
    first_line: str


def _first(arts: Sequence[DayArticle], ks: list[int]) -> DayArticle:
    return arts[
        min(
            ks,
            key=lambda k: (arts[k].published is None, arts[k].published or 0, arts[k].article_id),
        )
    ]


def story_rows(
    day: date,
    members: dict[str, list[int]],
    arts: Sequence[DayArticle],
    old: pa.Table,
    top_keys: int,
) -> pa.Table:
    """The ``story_index`` rows of the stories the day touched: ``members`` maps story
    id -> positions in ``arts`` (copies too), ``old`` holds the stories' rows of
    earlier days."""
    prev = {r["story_id"]: r for r in old.to_pylist()}
    out: dict[str, list] = {name: [] for name in schema.STORY_INDEX.names}
    for s in sorted(members):
        mine = [arts[k] for k in members[s]]
        before = prev.get(s)
        counts: Counter[str] = Counter()
        if before:
            counts.update(dict(zip(before["entity_keys"], before["entity_counts"], strict=True)))
        for a in mine:
            counts.update(a.keys)
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top_keys]
        first = _first(arts, members[s])
        row = {
            "story_id": s,
            "title": before["title"] if before else (first.title or first.first_line).strip(),
            "first_seen": before["first_seen"] if before else day,
            "last_seen": day,
            "days": (before["days"] if before else 0) + 1,
            "articles": (before["articles"] if before else 0) + len(mine),
            "articles_today": len(mine),
            "sources": sorted(
                set(before["sources"] if before else []) | {a.source for a in mine if a.source}
            ),
            "languages": sorted(
                set(before["languages"] if before else [])
                | {a.language for a in mine if a.language}
            ),
            "entity_keys": [k for k, _ in top],
            "entity_counts": [c for _, c in top],
        }
        for k, v in row.items():
            out[k].append(v)
    return pa.table(out, schema=schema.STORY_INDEX)


def article_rows(
    day: date, ids: list[str], stories: list[str], stored: dict[str, pa.Array]
) -> pa.Table:
    """The ``story_articles`` rows of the day's originals: their story and the term
    columns of ``day_vectors``."""
    return (
        pa.table({"story_id": stories, "article_id": ids, "day": [day] * len(ids)} | stored)
        .select(schema.STORY_ARTICLES.names)
        .cast(schema.STORY_ARTICLES)
    )


def df_rows(df: dict[str, np.ndarray], n: int) -> pa.Table:
    """The ``story_df`` rows of a day: each kind's non-zero document frequencies, and
    the number of originals (kind ``n``)."""
    names = ["n", *df]
    # the kind of each row as a code into ``names`` (a Python string per row took
    # ~0.2 GB at 100k articles: millions of distinct hashed terms)
    codes, terms, counts = [np.zeros(1, np.int8)], [np.zeros(1, np.int64)], [np.array([n])]
    for k, arr in enumerate(df.values(), start=1):
        nz = np.flatnonzero(arr)
        codes.append(np.full(len(nz), k, np.int8))
        terms.append(nz)
        counts.append(arr[nz].astype(np.int64))
    kind = pa.DictionaryArray.from_arrays(pa.array(np.concatenate(codes)), pa.array(names))
    return pa.table(
        {
            "kind": kind.cast(pa.string()),
            "term": np.concatenate(terms),
            "df": np.concatenate(counts),
        }
    ).cast(schema.STORY_DF)


def headed(title: str | None, text: str) -> str:
    """The headline over the text: clean takes a repeated headline out of the text, yet
    it is the article's densest summary of what happened (and in a wire brief often
    the lead sentence itself), so the story's words include it once."""
    if not title or text.startswith(title):
        return text
    return f"{title}\n{text}"


def story_body(title: str | None, text: str, spans: Sequence[int]) -> str:
    """The headline and text without their names (``spans``: the text's mentions, flat
    start, end pairs): the words that must agree for a link. The headline's names are
    the text's mentions found in it (entities are tagged on the text alone)."""
    body = without_names(text, spans)
    if not title or text.startswith(title):
        return body
    names = {text[spans[k] : spans[k + 1]] for k in range(0, len(spans) - 1, 2)}
    for name in sorted(names, key=len, reverse=True):
        # a name the headline does not hold is not matched: its pattern is not built (the
        # compiled patterns of a day's many names overflow ``re``'s cache: one compiled
        # for every mention, most of them the body's)
        if len(name) > 1 and name in title:
            title = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", title)
    return f"{title}\n{body}"


def without_names(text: str, spans: Sequence[int]) -> str:
    """``text`` with the mentions at ``spans`` (flat start, end pairs) blanked: what the
    text says beyond whom and where, the evidence that must agree for a link."""
    if not spans:
        return text
    chars = list(text)
    for k in range(0, len(spans) - 1, 2):
        start, end = max(spans[k], 0), min(spans[k + 1], len(chars))
        if end > start:
            chars[start:end] = " " * (end - start)
    return "".join(chars)


# --- a day -----------------------------------------------------------------------------


def _bodies(
    reps: Sequence[StoryInput], heads: Sequence[int], spans: dict[str, array[int]]
) -> Iterator[str]:
    """The texts without their names (``story_body``), made as they are hashed (a second
    copy of a day's texts otherwise); the mentions' offsets are the text's."""
    none = array("i")
    for a, h in zip(reps, heads, strict=True):
        yield story_body(a.text[: h - 1] if h else None, a.text[h:], spans.get(a.article_id, none))


def _followers(
    near: dict[str, str],
    reps: Sequence[StoryInput],
    titles: Sequence[str],
    key_cols: Sequence[array[int]],
    heads: Sequence[int],
    spans: dict[str, array[int]],
    window: tuple[dict[str, np.ndarray], int],
    link: LinkParams,
    params: StoryParams,
) -> dict[str, str]:
    """{copy: original} for the ``near`` copies (clustered like originals, as they may
    be other reports: ``story_copies``) that the story model links to their original,
    both among the day's originals ``reps``. Their vectors are made apart, against the
    window's frequencies, before the day's: such a copy counts in them no more than the
    copies left out."""
    pos = {a.article_id: k for k, a in enumerate(reps)}
    pairs = [(pos[c], pos[o]) for c, o in sorted(near.items()) if o in pos and o not in near]
    if not pairs:
        return {}
    sub = sorted({k for pair in pairs for k in pair})
    at = {k: s for s, k in enumerate(sub)}
    vectors = day_vectors(
        [reps[k].text for k in sub],
        _bodies([reps[k] for k in sub], [heads[k] for k in sub], spans),
        [titles[k] for k in sub],
        [key_cols[k] for k in sub],
        window,
        link,
        params,
    )[0]
    linked = linked_pairs(
        [reps[k] for k in sub],
        params,
        {k: vectors[k] for k in ("text", "body", "rare", *KINDS) if k in vectors},
        [(at[c], at[o]) for c, o in pairs],
        link.min_text,
        link.min_rare,
    )
    return {
        reps[c].article_id: reps[o].article_id
        for (c, o), ok in zip(pairs, linked, strict=True)
        if ok
    }


def assign_day(
    day: date,
    articles: Iterable[pa.RecordBatch],
    entities: Iterable[pa.RecordBatch],
    params: StoryParams,
    link: LinkParams,
    open_: OpenStories,
    *,
    earlier: Callable[[set[str]], dict[str, str]],
) -> tuple[dict[str, str], dict[str, pa.Table]]:
    """``({article_id: story_id}, {index part: the day's rows})`` for a day's articles.

    ``articles`` are the day's deduped rows (``article_id``, ``published_at``,
    ``published_precision`` (optional), ``is_duplicate``, ``duplicate_of``, ``text``, ``language``, ``title``, ``source``),
    ``entities`` its mentions (``article_id``, ``entity_key``, ``label``, ``country``);
    ``earlier`` gives the story of earlier days' articles. Originals are clustered within
    the day (``cluster_stories``), each day cluster joins its open story or starts one
    (``link_clusters``); a copy joins its original's story, from today or from the day
    the original was published; an article in no story gets one of its own. Rows become
    Python objects a batch at a time (a whole day's entities as dicts would take
    gigabytes at 100k articles).
    """
    keys: dict[str, set[str]] = {}
    spans: dict[str, array[int]] = {}  # (start, end) of every mention, flat
    names = KnownNames()  # for articles with no entities (a language with no NER model)
    for batch in entities:
        for r in batch.to_pylist():
            spans.setdefault(r["article_id"], array("i")).extend((r["start"], r["end"]))
            k = story_key(r["entity_key"], r["label"], r["country"])
            if k:
                # one string per distinct key, not one per mention (~0.1 GB at 100k)
                k = sys.intern(k)
                keys.setdefault(r["article_id"], set()).add(k)
                names.add(r["entity_key"], k)
    arts: list[DayArticle] = []
    dup_of: list[str | None] = []
    reps: list[StoryInput] = []
    key_cols: list[array[int]] = []  # each original's hashed keys (its StoryInput keeps none)
    titles: list[str] = []
    heads: list[int] = []
    near: dict[str, str] = {}  # near copies that may be other reports -> their originals
    for batch in articles:
        for r in batch.to_pylist():
            text = r["text"] or ""
            found = frozenset(keys.get(r["article_id"], ())) or names.keys_in(text)
            line = text.split("\n", 1)[0][:300]
            arts.append(
                DayArticle(
                    r["article_id"], r["title"], r["source"], r["language"], tuple(found),
                    latest_instant(r["published_at"], r.get("published_precision")), line,
                )
            )  # fmt: skip
            dup_of.append(r["duplicate_of"] if r["is_duplicate"] else None)
            if not r["is_duplicate"]:
                if r["duplicate_of"]:  # a near copy that may be another report
                    near[r["article_id"]] = r["duplicate_of"]
                titles.append(r["title"] or line)
                story_text = headed(r["title"], text)
                heads.append(len(story_text) - len(text))  # the headline put before it
                # numbers and the people's name words count as keys of their kinds
                told = found | numbers_in(story_text) | name_keys(found, titles[-1], text)
                key_cols.append(key_columns(told))
                reps.append(
                    StoryInput(
                        r["article_id"], r["published_at"], frozenset(), story_text, r["language"]
                    )
                )
    del keys, names
    release()  # the rows' dicts, between the kept texts
    window = open_.df()
    window_slots = window[0].pop("slots")
    # a near copy the story model links to its original is a copy after all: it follows
    # its original, out of the clustering and of the document frequencies
    follow = _followers(near, reps, titles, key_cols, heads, spans, window, link, params)
    dup_of = [follow.get(a.article_id, d) for a, d in zip(arts, dup_of, strict=True)]
    # the others in id order, as cluster_stories takes them (else it copies every vector
    # matrix)
    ids = [a.article_id for a in reps]
    order = sorted((k for k, a in enumerate(ids) if a not in follow), key=ids.__getitem__)
    reps = [reps[k] for k in order]
    key_cols = [key_cols[k] for k in order]
    titles = [titles[k] for k in order]
    heads = [heads[k] for k in order]
    bodies = _bodies(reps, heads, spans)
    weighted, idf, today_df, stored = day_vectors(
        [a.text for a in reps],
        bodies,
        titles,
        key_cols,
        window,
        link,
        params,
    )
    # of the window, linking needs only the words' frequencies; the day's own become
    # its index rows now (dense arrays over every hashed column: ~0.2 GB kept to the end)
    window_text = window[0]["text"]
    # what fills the texts' slots (``story_slots``), kept whole for later days and
    # scored without the fillers common in the horizon (a template's constants)
    slots = rare = whole = None
    if params.slot_conflict:
        whole = Slots.of_texts([a.text for a in reps])
        today_df["slots"] = whole.df()
        rare = SlotRarity(window_slots + today_df["slots"], params.slot_constant_share)
        slots = rare(whole)
    stored["slot_entries"] = slot_lists(whole, len(reps))
    day_df = df_rows(today_df, len(reps))
    del spans, bodies, window, today_df, key_cols, window_slots, whole
    # the texts are hashed: clustering needs of them only the year they mention
    reps = [replace(a, text="", mentioned_year=latest_year(a.text)) for a in reps]
    release()  # the raw hashed rows and the texts
    within = cluster_stories(
        reps,
        params,
        {k: weighted[k] for k in ("text", "body", "rare", *KINDS) if k in weighted},
        link.min_text,
        link.min_rare,
        slots,
    )
    day_ids = sorted(set(within.values()))
    cpos = {s: k for k, s in enumerate(day_ids)}
    member = np.array([cpos[within[a.article_id]] for a in reps], np.int64)
    rep_ids = [a.article_id for a in reps]
    del reps, titles
    linked = link_clusters(
        weighted, idf, window_text, member, open_, day, params, link, slots, rare
    )
    final = [old or new for old, new in zip(linked, day_ids, strict=True)]
    story = {a: final[c] for a, c in zip(rep_ids, member.tolist(), strict=True)}
    story.update(earlier({d for d in dup_of if d and d not in story}))
    out: dict[str, str] = {}
    members: dict[str, list[int]] = {}
    for pos, (a, d) in enumerate(zip(arts, dup_of, strict=True)):
        sid = (story.get(d) if d else story.get(a.article_id)) or stable_story(a.article_id)
        out[a.article_id] = sid
        members.setdefault(sid, []).append(pos)
    old = open_.rows(set(members) - set(day_ids))
    rows = {
        INDEX: story_rows(day, members, arts, old, link.top_keys),
        ARTICLES: article_rows(day, rep_ids, [story[a] for a in rep_ids], stored),
        DF: day_df,
    }
    return out, rows


def publish_story_index(settings: Settings, work: Path, day: str) -> list[tuple[Path, Path]]:
    """The day's parts of the story index, written to scratch from the stories stage's
    work files, as (scratch, final) for ``publish_atomically`` to swap in with the day's
    tables: a rerun replaces the day's parts, and a day that never reached publish is
    not in the index."""
    state = storage.lake_path(settings.lake) / STATE
    return staged_copies(work, state, day, INDEX_SCHEMAS, batch_size=10_000)
