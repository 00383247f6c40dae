"""Story clustering: different articles about the same event share a ``story_id``.

Two reports of one event are written independently, so they share vocabulary and,
above all, actors; two events of the same kind (two rehab check-ins, two
earthquakes) share vocabulary but not the people, and often not the year. The
pairwise score combines, in a logistic model:

* ``text``: TF-IDF cosine of the texts (words and word pairs, sublinear tf),
* ``people``, ``orgs``, ``places``: IDF-weighted cosine of the articles' entity keys
  of each kind (countries unified across "Japan"/"Japanese"; wire agencies left out:
  a dateline says who wrote it, not what happened),
* for two articles in different languages the text cosine says nothing, so it is
  replaced by ``cross_language_text`` (a typical same-story value) and the entities
  decide,
* ``year``: a penalty when the years the articles are about differ by two or more
  (their publication year, else the latest year their text mentions),
* ``numbers``: the numbers the texts give (ages, house numbers, tolls, sums; not
  years): two reports of one incident tend to give one of the same numbers, two
  incidents of one kind in one place give different ones ("a 32-year-old woman ... the
  1500 block of Water Street" against "a 38-year-old man ... the 2500 block of Madison
  Avenue"). Sharing one adds ``number_agree``; both giving numbers and sharing none
  subtracts ``number_conflict``, and ``unit_conflict`` more when they count the same
  thing (ages, blocks: the word after the number) differently (``number_evidence``),
* ``names``: two articles whose headlines both name someone or somewhere, neither naming
  any of the other's headline names, lose ``name_conflict`` ("Vigil held for James
  Marshall" against "Vigil held for Ashley Hunter", "Shooting on Elm Street" against
  "Shooting on Cedar Lane", one template; ``name_keys``, ``name_evidence``),

``p = sigmoid(w_text*text + w_people*people + w_orgs*orgs + w_places*places
- year_penalty*year + number_agree*agree - number_conflict*conflict
- unit_conflict*unit_conflict - name_conflict*name_conflict + bias)`` (``pair_logits``).
An entity key most articles name (over ``key_max_df`` of them: the police spokesperson
of a crime desk, the country of a national paper) says nothing of which incident an
article is about, so its weight is 0, like the text's most common words. Articles whose publication dates are further apart
than ``window_days`` are never linked. Stories are the clusters of average-linkage
agglomerative clustering cut at ``threshold`` (a story joins another only if their
articles are linked on average, so one stray pair does not chain two events).

The defaults were fitted (logistic regression, then the threshold) on the odd-numbered
topics of ECB+ and checked on the even ones (``benchmarks/stories.py``). Every
weight is a ``Settings`` field (``story_*``).

Scale: only candidate pairs are scored: pairs sharing one of each other's heaviest
TF-IDF terms or people keys (blocking; terms that many articles share block nothing),
so the pairs grow linearly with the day, not quadratically. Single-linkage components
of the linked pairs bound the average-linkage runs (an average-linkage cluster never
spans two components). A component larger than ``max_component`` (a chain, not one
event) is split again at a stricter link threshold, so memory stays bounded by
``max_component``^2 floats whatever the day's size. Steps over every stored entry
(ranking each row's terms, products) run ``chunk_rows`` articles at a time and dense
blocks a slab of rows at a time, so their temporaries do not grow with the day either.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeGuard

import numpy as np
from scipy import sparse

from newsflow import story_model
from newsflow.clean.metadata import AGENCIES
from newsflow.ids import stable_id
from newsflow.memory import release
from newsflow.story_slots import Slots, penalise

if TYPE_CHECKING:
    from newsflow.config import Settings

STORY_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT", "FAC"})
KIND_OF_PREFIX = {
    "PERSON": "people",
    "ORG": "orgs",
    "FAC": "orgs",
    "EVENT": "orgs",
    "GPE": "places",
    "LOC": "places",
    "NORP": "places",
    "country": "places",
    "number": "numbers",
    "unit": "units",
    "pname": "names",
    "tname": "title_names",
}
# the two kinds of name words (``name_keys``: its people's and the body's capitalised
# words): all of an article's, its headline's; scored only against each other
# (``NAME_DOTS``). A headline's name words weigh as the names' words do (the names'
# IDF): a word too common among the names (a police spokesperson's) proves nothing in a
# headline
NAME_KINDS = ("names", "title_names")
# the kinds of key no document-frequency cut (``StoryParams.key_max_df``) applies to: a
# unit says only whether two articles count the same thing
UNCUT_KINDS = ("units",)
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
# a number of two or more digits (thousands separators allowed), not part of a decimal,
# a sum of money or a longer number: what a report states about its incident; and the
# word right after it, what it counts ("the 1500 block", "a 32-year-old")
_NUMBER = re.compile(
    r"(?<![\d.,$])\b(\d{1,3}(?:,\d{3})+|\d{2,})\b(?![.,]\d)(?:-|\s)?([A-Za-z]+(?:-[A-Za-z]+)*)?"
)


@dataclass(frozen=True, slots=True)
class StoryInput:
    article_id: str
    published_at: datetime | None
    keys: frozenset[str]
    text: str = ""
    language: str | None = None
    # the latest year ``text`` mentions, for an input whose text was dropped once hashed
    # (a 100k day's texts are ~0.2 GB the clustering does not need)
    mentioned_year: int | None = None


@dataclass(frozen=True)
class StoryParams:
    """The model's weights; see the module docstring. The weights' defaults are the
    settings' (``Settings.story_*``): build it with ``from_settings``."""

    weight_text: float
    weight_people: float
    weight_orgs: float
    weight_places: float
    year_penalty: float
    bias: float
    threshold: float
    cross_language_text: float
    window_days: int
    text_max_df: float = 0.5
    key_max_df: float = 1.0
    number_agree: float = 0.0
    number_conflict: float = 0.0
    unit_conflict: float = 0.0
    name_conflict: float = 0.0
    # subtracted when two texts read as two incidents told in one template
    # (``story_slots``): their names and numbers differ where their words are the same
    slot_conflict: float = 0.0
    # a slot filler given by more than this share of the texts with its context is a
    # template's constant (``Slots.rare``)
    slot_constant_share: float = 0.5
    # the learned pair score (``story_model``): a JSON model file, relative to this
    # package unless absolute; "linear" (or "") scores pairs by the linear terms above
    pair_model: str = "linear"
    # the trees' share of the score, the linear terms' the rest
    pair_model_weight: float = 1.0
    max_component: int = 5_000
    block_terms: int = 50
    block_people: int = 5
    max_posting: int = 1_000
    max_candidates: int = 200
    chunk_rows: int = 10_000  # articles a row-wise step takes at once (memory, not results)

    @classmethod
    def from_settings(cls, settings: Settings) -> StoryParams:
        return settings.params(cls, "story_")


def kind_of(key: str) -> str | None:
    """The kind (``KIND_OF_PREFIX``) of a story key, by its prefix."""
    return KIND_OF_PREFIX.get(key.split(":", 1)[0])


def story_key(entity_key: str, label: str, country: str | None) -> str | None:
    """The key an entity counts under for story overlap (countries unified)."""
    if label not in STORY_LABELS:
        return None
    if label == "ORG" and entity_key.casefold() in AGENCIES:
        return None  # the wire agency of a dateline says who wrote it, not what happened
    if label in {"GPE", "NORP"} and country:
        return f"country:{country}"
    return f"{label}:{entity_key.casefold()}"


def numbers_in(text: str) -> frozenset[str]:
    """The story keys of the numbers a text gives (``number:1500``), years left out (an
    article's publication year and the years it recalls are not facts of one incident),
    and of what they count (``unit:block`` of "the 1500 block", ``unit:year-old``)."""
    out: set[str] = set()
    for value, unit in _NUMBER.findall(text):
        value = value.replace(",", "")
        if _YEAR.fullmatch(value):
            continue
        # interned: a 100k day repeats the same few thousand numbers ~0.5M times
        out.add(sys.intern(f"number:{value}"))
        if unit:
            out.add(sys.intern(f"unit:{unit.lower()}"))
    return frozenset(out)


def number_evidence(
    shared: np.ndarray,
    same_unit: np.ndarray,
    has_a: np.ndarray,
    has_b: np.ndarray,
    params: StoryParams,
) -> np.ndarray:
    """The numbers' term of the link score for pairs of articles that share no number
    (``shared``, the cosine of their number keys, is 0) or do.

    Sharing one adds ``number_agree``. Sharing none subtracts ``number_conflict`` when
    both give numbers (``has_a``, ``has_b``), and ``unit_conflict`` more when they count
    the same thing (``same_unit`` > 0, the cosine of their units) differently: "a
    32-year-old" against "a 38-year-old", "the 1500 block" against "the 2500 block". On
    ECB+'s topics 20% of the pairs of one event give numbers and share none but only 3%
    count one thing differently (two events of a kind: 52% and 11%); on the generated
    crime desk 14% and 0% (other incidents: 89% and 67%)."""
    agree = shared > 0
    return (
        params.number_agree * agree
        - params.number_conflict * (has_a & has_b & ~agree)
        - params.unit_conflict * ((same_unit > 0) & ~agree)
    )


_NAME_WORD = re.compile(r"[^\W\d_]{2,}")
# a word is a letter and the rest of its run of ``[\w'’.-]`` (``[^\W\d_][\w'’.-]*`` scanned
# left to right); the words that may open with a capital are found by the regex engine
# alone (lower-case words, most of a text's, each cost a Python iteration otherwise):
# matched from a run's start over its leading digits and marks, their first letter an
# ASCII capital or not ASCII (``str.isupper`` decides those)
_CAPITAL = re.compile(r"(?<![\w'’.-])[\d_'’.-]*(?=[A-Z]|[^\x00-\x7f])([^\W\d_][\w'’.-]*)")
# what may stand before a sentence's first word (a capital there says nothing)
_SENTENCE_END = frozenset(".!?:;\"“”‘’'(")
# capitalised words that name a time, not an incident's people or places
_CALENDAR = frozenset(
    (
        *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        *("january", "february", "march", "april", "may", "june", "july"),
        *("august", "september", "october", "november", "december"),
    )
)


def capitalised_words(text: str, *, sentence_starts: bool = False) -> set[str]:
    """The words of ``text`` written with a capital (case-folded), the names of its
    people, places and organisations whatever the tagger made of them; a sentence's
    first word unless ``sentence_starts`` (a headline, whose first word may be a name);
    stop words and the calendar's names left out."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    out = set()
    for m in _CAPITAL.finditer(text):
        word = m.group(1)
        if not word[0].isupper():
            continue
        if not sentence_starts and _starts_sentence(text, m.start(1)):
            continue
        for w in _NAME_WORD.findall(word.casefold()):
            if w not in ENGLISH_STOP_WORDS and w not in _CALENDAR:
                out.add(w)
    return out


def _starts_sentence(text: str, at: int) -> bool:
    """Whether the word at ``at`` opens the text, a line or a sentence (looking back
    over the spaces before it only: a text's capitals are many)."""
    i = at - 1
    while i >= 0 and text[i].isspace() and text[i] != "\n":
        i -= 1
    return i < 0 or text[i] == "\n" or text[i] in _SENTENCE_END


def name_keys(keys: Iterable[str], headline: str, body: str = "") -> set[str]:
    """Story keys of the name words an article has (``pname:reid``: the words of its
    ``PERSON:`` story keys and its body's capitalised words) and of those of them its
    headline has (``tname:reid``).

    Two articles whose headlines each name someone or somewhere the other article never
    names are about two incidents: "Vigil held for James Marshall" and "Vigil held for
    Ashley Hunter" told in one template, "Shooting on Elm Street leaves one dead" and
    "Shooting on Oak Street leaves one dead", "Tara Reid enters rehab" and "Lindsay
    Lohan enters rehab" (``name_evidence``). Words, not whole names: "Bush" meets
    "Reggie Bush", and a headline the tagger cut badly ("Esther Williams Dies") still
    meets "Esther Williams". The body's capitalised words, not only the tagger's
    people: a street tagged ORG in one report and missed in the next is still named;
    a headline in Title Case names only the words its body writes with a capital."""
    words = {
        w for k in keys if k.startswith("PERSON:") for w in _NAME_WORD.findall(k[7:].casefold())
    } | capitalised_words(body)
    if not words:
        return set()
    titled = words.intersection(capitalised_words(headline, sentence_starts=True))
    return {sys.intern(f"pname:{w}") for w in words} | {sys.intern(f"tname:{w}") for w in titled}


def _headline_body(text: str) -> tuple[str, str]:
    """A story text's first line (its headline) and the rest."""
    head, _, body = text.partition("\n")
    return head, body


def name_evidence(
    title_in_b: np.ndarray,
    b_title_in_a: np.ndarray,
    has_title_a: np.ndarray,
    has_title_b: np.ndarray,
    params: StoryParams,
) -> np.ndarray:
    """The headlines' names' term of the link score: ``name_conflict`` is subtracted
    when both headlines name people (``has_title_*``, names that weigh) and neither
    article names any word of the other's (``title_in_b``: a's headline names against
    b's names, a dot product; ``b_title_in_a`` the other way). On ECB+'s topics 0.8% of
    the pairs of one event do so (mostly names the tagger cut badly) against 13% of the
    pairs of two events of a kind; on the generated crime desk 0% and 1.9% (the vigils
    for two victims, whose texts are otherwise one template)."""
    conflict = has_title_a & has_title_b & (title_in_b <= 0) & (b_title_in_a <= 0)
    return -params.name_conflict * conflict


def gives_number(numbers: sparse.csr_matrix) -> np.ndarray:
    """Per row of weighted keys of one kind: whether the article gives a key that
    weighs (a number, a headline's name; one most articles give weighs 0, like a
    common word)."""
    return np.diff(numbers.indptr) > 0


def year_of(a: StoryInput) -> int | None:
    """The year an article is about: its publication year, else the latest it mentions."""
    if _known(a.published_at):
        return a.published_at.year
    return a.mentioned_year if a.mentioned_year is not None else latest_year(a.text)


def latest_year(text: str) -> int | None:
    """The latest year a text mentions."""
    years = [int(y) for y in _YEAR.findall(text)]
    return max(years) if years else None


def _known(when: datetime | None) -> TypeGuard[datetime]:
    return when is not None and when == when  # pandas' NaT is a datetime unequal to itself


def _rows_normalised(m: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ m)


def _no_features(n: int) -> sparse.csr_matrix:
    """An all-zero column for ``n`` articles: no usable word or entity key of a kind."""
    # scipy-stubs types csr_matrix's (rows, cols) form for float64 only
    return sparse.csr_matrix((n, 1), dtype=np.float32)  # type: ignore[arg-type]


def _features(
    articles: Sequence[StoryInput], max_text_df: float = 0.5, max_key_df: float = 1.0
) -> dict[str, sparse.csr_matrix]:
    """L2-normalised TF-IDF rows of the texts and of each kind of entity key (and of the
    numbers); words in more than ``max_text_df`` of the articles, keys in more than
    ``max_key_df``, weigh 0 (on 50 articles or more)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    n = len(articles)
    big = n >= 50  # document-frequency cut-offs only make sense on a real day's corpus
    out: dict[str, sparse.csr_matrix] = {}
    texts = [a.text or "" for a in articles]
    try:
        out["text"] = TfidfVectorizer(
            sublinear_tf=True,
            stop_words="english",
            ngram_range=(1, 2),
            min_df=2 if big else 1,
            max_df=max_text_df if big else 1.0,
            dtype=np.float32,
        ).fit_transform(texts)
    except ValueError:  # no usable word in any text
        out["text"] = _no_features(n)
    counted = [numbers_in(a.text or "") for a in articles]
    for kind in ("people", "orgs", "places", "numbers", "units"):
        docs = [
            sorted(k for k in (c if kind in ("numbers", "units") else a.keys) if kind_of(k) == kind)
            for a, c in zip(articles, counted, strict=True)
        ]
        try:
            out[kind] = TfidfVectorizer(
                analyzer=lambda ks: ks,
                dtype=np.float32,
                lowercase=False,
                max_df=max_key_df if big and kind not in UNCUT_KINDS else 1.0,
            ).fit_transform(docs)
        except ValueError:  # no key of the kind, or none left by the cut
            out[kind] = _no_features(n)
    # the headlines' name words in the columns of all the names' words, weighed by the
    # names' IDF (``NAME_KINDS``): a headline's names are matched against the other
    # article's (``name_evidence``)
    # (from the people's keys and the text's first line, the headline, unless given)
    named = [a.keys | name_keys(a.keys, *_headline_body(a.text or "")) for a in articles]
    words = {
        kind: [sorted(k.split(":", 1)[1] for k in ks if kind_of(k) == kind) for ks in named]
        for kind in NAME_KINDS
    }
    try:
        vec = TfidfVectorizer(
            analyzer=lambda ks: ks,
            dtype=np.float32,
            lowercase=False,
            max_df=max_key_df if big else 1.0,
        )
        out["names"] = vec.fit_transform(words["names"])
        out["title_names"] = vec.transform(words["title_names"])
    except ValueError:
        out["names"] = out["title_names"] = _no_features(n)
    feats = {k: _rows_normalised(sparse.csr_matrix(v)) for k, v in out.items()}
    for m in feats.values():
        m.sort_indices()  # row products (``pair_dots``) merge sorted rows
    return feats


class _Scorer:
    def __init__(
        self,
        articles: Sequence[StoryInput],
        params: StoryParams,
        features: dict[str, sparse.csr_matrix] | None = None,
        min_body: float = 0.0,
        min_rare: float = 0.0,
        slots: Slots | None = None,
    ) -> None:
        self.p = params
        self.f = (
            _features(articles, params.text_max_df, params.key_max_df)
            if features is None
            else features
        )
        self.min_body = min_body if "body" in self.f else 0.0
        self.min_rare = min_rare if "rare" in self.f else 0.0
        self.cut = math.log(params.threshold / (1 - params.threshold))
        self.weights = {
            "text": params.weight_text,
            "people": params.weight_people,
            "orgs": params.weight_orgs,
            "places": params.weight_places,
        }
        years = [year_of(a) for a in articles]
        self.year = np.array([y if y is not None else -9999 for y in years], np.int64)
        langs = sorted({a.language for a in articles if a.language})
        code: dict[str | None, int] = {lang: k + 1 for k, lang in enumerate(langs)}
        self.lang = np.array([code.get(a.language, 0) for a in articles], np.int64)
        self.ts = np.array(
            [a.published_at.timestamp() if _known(a.published_at) else np.nan for a in articles]
        )
        numbers = self.f.get("numbers")
        self.has_number = (
            gives_number(numbers) if numbers is not None else np.zeros(len(articles), bool)
        )
        on = bool(params.number_agree or params.number_conflict or params.unit_conflict)
        # kinds scored beside the weighted ones: the gates' and the numbers' evidence
        self.extra = {"body": self.min_body, "rare": self.min_rare, "numbers": on, "units": on}
        # the headlines' names, scored across kinds (``name_dots``)
        self.names_on = bool(params.name_conflict) and set(NAME_KINDS) <= self.f.keys()
        self.has_title = (
            gives_number(self.f["title_names"]) if self.names_on else np.zeros(len(articles), bool)
        )
        # the texts' slots (``story_slots``), given or made from the texts
        self.slots = None
        if params.slot_conflict:
            if slots is None:
                slots = Slots.of_texts([a.text for a in articles])
                slots = slots.rare(slots.df(), params.slot_constant_share)
            self.slots = slots

    def evidence(
        self, sims: dict[str, np.ndarray], ra: np.ndarray, rb: np.ndarray
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
        """What ``pair_logits`` scores the pairs (ra, rb) on: ``sims`` with the text
        cosine of two known, different languages set to ``cross_language_text``, whether
        each side gives a number and a headline name, and where the languages differ."""
        la, lb = self.lang[ra], self.lang[rb]
        cross = (la > 0) & (lb > 0) & (la != lb)  # two known, different languages
        text = np.broadcast_to(sims["text"], cross.shape).astype(np.float64, copy=True)
        text[cross] = self.p.cross_language_text
        has_a = {"numbers": self.has_number[ra], "title_names": self.has_title[ra]}
        has_b = {"numbers": self.has_number[rb], "title_names": self.has_title[rb]}
        return sims | {"text": text}, has_a, has_b, cross

    def _logits(
        self, sims: dict[str, np.ndarray], ra: np.ndarray, rb: np.ndarray, slots: bool = True
    ) -> np.ndarray:
        """The logistic score from per-kind similarities of the pairs (ra, rb), the
        slots' evidence with it unless ``slots`` is False.

        ``ra`` and ``rb`` broadcast against the similarity arrays: 1-d for a list of
        pairs, a column and a row for a dense block.
        """
        evidence, has_a, has_b, cross = self.evidence(sims, ra, rb)
        z = pair_logits(evidence, has_a, has_b, self.p)
        ya, yb = self.year[ra], self.year[rb]
        known = (ya > 0) & (yb > 0)
        z -= self.p.year_penalty * (known & (np.abs(ya - yb) >= 2))
        if self.min_body > 0:
            # shared names alone never link: where the text's words alone fall short of
            # a link, the texts without the names must agree too (different languages
            # aside: their words cannot agree). Two reports whose words already agree
            # are not gated: a brief's few words left without its names are noise.
            words_alone = self.p.bias + self.weights["text"] * sims["text"] >= self.cut
            z[(sims["body"] < self.min_body) & ~words_alone & ~cross] = -np.inf
        if self.min_rare > 0:
            z[(sims["rare"] < self.min_rare) & ~cross] = -np.inf
        gap = np.abs(self.ts[ra] - self.ts[rb])
        z[gap > self.p.window_days * 86400] = -np.inf  # nan compares False: unknown dates pass
        if self.slots is not None and slots:
            ia, ib = (np.broadcast_to(x, z.shape).ravel() for x in (ra, rb))
            # only pairs that would link are looked at (``penalise``)
            penalise(z.reshape(-1), self.slots, self.slots, ia, ib, self.p.slot_conflict, self.cut)
        return z

    def block(self, idx: np.ndarray, slab_cells: int = 1 << 21) -> np.ndarray:
        """Dense link probabilities among ``idx``, a slab of rows at a time (similarities
        by sparse products of the slab's rows with all of ``idx``): memory is the
        len(idx)^2 result plus one slab's similarities, whatever the vocabulary or the
        number of kinds (whole-block products of five kinds took ~1.5 GB at 5,000)."""
        kinds = [k for k, w in self.weights.items() | self.extra.items() if w and k in self.f]
        names = list(NAME_KINDS) if self.names_on else []
        rows: dict[str, sparse.csr_matrix] = {}
        # the names' two kinds are multiplied across: they share one column space
        for group in [[k] for k in kinds] + ([names] if names else []):
            rows |= dict(zip(group, _compacted([self.f[k][idx] for k in group]), strict=True))
        cols = {k: sparse.csr_matrix(m.T) for k, m in rows.items()}
        n = len(idx)
        z = np.empty((n, n))
        step = max(1, slab_cells // max(n, 1))
        for s in range(0, n, step):
            sims = {k: (rows[k][s : s + step] @ cols[k]).toarray() for k in kinds}
            if names:
                for key, (a, b) in NAME_DOTS.items():
                    sims[key] = (rows[a][s : s + step] @ cols[b]).toarray()
            z[s : s + step] = self._logits(
                sims, idx[s : s + step, None], idx[None, :], slots=n <= SLOT_BLOCK
            )
        del rows, cols
        # the logistic in place: 1 / (1 + exp(-z))
        np.negative(z, out=z)
        np.exp(z, out=z)
        z += 1.0
        return np.divide(1.0, z, out=z)

    def linked_pairs(self, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The candidate pairs (i < j, ``candidates``) whose link probability reaches
        ``threshold``, with their logits; each candidate's similarities are exact
        row-wise dot products. Candidates are scored a chunk at a time and only the
        linked ones kept, so memory follows the links, not the candidates."""
        cut = math.log(threshold / (1 - threshold))
        found = [(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))]
        for i, j in self.candidates():
            if len(i):
                ok, z = self._links(i, j, cut)
                found.append((i[ok], j[ok], z[ok]))
        i, j, z = (np.concatenate(x) for x in zip(*found, strict=True))
        # a pair can come from both blocks (text and people): keep it once
        _, first = np.unique(i * len(self.year) + j, return_index=True)
        return i[first], j[first], z[first]

    def _links(self, i: np.ndarray, j: np.ndarray, cut: float) -> tuple[np.ndarray, np.ndarray]:
        """(linked?, logit) of the pairs (i, j)."""
        sims = {
            k: pair_dots(self.f[k], self.f[k], i, j)
            for k, w in self.weights.items() | self.extra.items()
            if w and k in self.f
        }
        if self.names_on:
            sims |= name_dots(self.f, self.f, i, j, self.has_title[i] & self.has_title[j])
        z = self._logits(sims, i, j)
        ok = z >= cut
        if self.p.bias + self.weights["text"] * self.p.cross_language_text >= cut:
            # the text constant alone would link any two languages: require a shared key
            # of the most weighted entity kind, so the result does not depend on which
            # candidates the blocking happened to bring
            la, lb = self.lang[i], self.lang[j]
            cross = (la > 0) & (lb > 0) & (la != lb)
            ents = {k: w for k, w in self.weights.items() if k != "text" and k in sims}
            shared = sims[max(ents, key=ents.__getitem__)] > 0 if ents else False
            ok &= ~cross | shared
        return ok, z

    def candidates(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Candidate pairs (i < j), in chunks: those sharing one of each other's
        ``block_terms`` heaviest TF-IDF text terms or ``block_people`` heaviest people keys
        (a pair sharing both comes twice).

        Scoring every pair is quadratic, and no exact bound prunes it: a link needs a
        text cosine of only ~0.1 when people match, which long texts reach through
        common words. Two reports of one event share their rare words (names, places,
        numbers) and their main people, which are what weigh most in each vector, so
        the heaviest few find them. A term or key among the heaviest of more than
        ``max_posting`` articles names no single event and blocks nothing. Each article
        keeps at most ``max_candidates`` partners per block, those sharing the most
        weight: on a day where many articles reuse the same passages every article shares
        rare words with hundreds of others, and without this cap the pairs grow with the
        square of the day. Stories bigger than the cap still join up through chains of
        links (clusters start from connected components).
        """
        p = self.p
        for kind, k in (("text", p.block_terms), ("people", p.block_people)):
            if k > 0 and kind in self.f and self.f[kind].nnz:
                top = _heaviest(self.f[kind], k, p.max_posting, p.chunk_rows)
                yield from _sharing(top, p.max_candidates)


def _compacted(ms: list[sparse.csr_matrix]) -> list[sparse.csr_matrix]:
    """``ms`` (one column space) over only the columns some of them use, in their order.

    A block's rows are transposed for its products, and a CSR transpose costs the number
    of columns: over the hashed spaces (2^22 text terms) that was ~1 ms a kind of every
    component, ~40% of a day's clustering, for blocks of a few articles. The columns keep
    their order, so every product sums the same terms in the same order: the same bits.
    """
    used = np.unique(np.concatenate([m.indices for m in ms]))
    return [
        sparse.csr_matrix(
            (m.data, np.searchsorted(used, m.indices).astype(np.int32), m.indptr),
            shape=(m.shape[0], max(len(used), 1)),
        )
        for m in ms
    ]


def _row_ranks(m: sparse.csr_matrix, ties_by_column: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(row of each stored entry, its rank in its row by value, largest first; equal
    values by position, or by column)."""
    n = m.shape[0]
    rows = np.repeat(np.arange(n), np.diff(m.indptr))
    order = row_order(rows, m.data, m.indices if ties_by_column else None)
    rank = np.empty(m.nnz, np.int64)
    rank[order] = np.arange(m.nnz) - m.indptr[:-1][rows[order]]
    return rows, rank


def row_order(rows: np.ndarray, values: np.ndarray, columns: np.ndarray | None) -> np.ndarray:
    """The stable sort order of entries by row, then value, largest first, then (when
    given) column: ``np.lexsort((columns, -values, rows))``, the same permutation.

    A lexsort sorts indirectly once per key, ~0.4 s a million entries; float32 values
    (every weight of the daily path) and the row fit one uint64 key, whose single
    stable argsort is ~8 times faster. Equal keys, where a column decides, are few: only
    those are lexsorted again.
    """
    if values.dtype != np.float32 or np.isnan(values).any():
        keys = (-values, rows) if columns is None else (columns, -values, rows)
        return np.lexsort(keys)
    key = (rows.astype(np.uint64) << np.uint64(32)) | _descending(values)
    order = np.argsort(key, kind="stable")
    if columns is not None:
        ranked = key[order]
        tied = np.zeros(len(order), bool)
        same = ranked[1:] == ranked[:-1]
        tied[1:] |= same
        tied[:-1] |= same
        at = np.flatnonzero(tied)  # runs of equal keys, each contiguous in ``order``
        order[at] = order[at][np.lexsort((columns[order[at]], ranked[at]))]
    return order


def _descending(values: np.ndarray) -> np.ndarray:
    """float32 values as uint64 keys in the opposite order (equal values, 0.0 and -0.0
    too, get equal keys): a float's bits order like the float once a positive one's sign
    bit is set and a negative one's bits are all flipped."""
    bits = (values + np.float32(0.0)).view(np.uint32)  # -0.0 + 0.0 is 0.0
    up = np.where(bits >> np.uint32(31), ~bits, bits | np.uint32(1 << 31))
    return (~up).astype(np.uint64)


def top_k(m: sparse.csr_matrix, k: int, ties_by_column: bool = False) -> sparse.csr_matrix:
    """``m`` with only each row's ``k`` largest entries (ties by position, or by column)."""
    rows, rank = _row_ranks(m, ties_by_column)
    keep = rank < k
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows[keep], minlength=m.shape[0]))])
    return sparse.csr_matrix((m.data[keep], m.indices[keep], indptr), shape=m.shape)


def by_rows(
    m: sparse.csr_matrix, step: Callable[[sparse.csr_matrix], sparse.csr_matrix], chunk_rows: int
) -> sparse.csr_matrix:
    """``step`` (row-wise: each output row depends on its input row only) applied to
    ``chunk_rows`` rows of ``m`` at a time, stacked: its temporaries (int64 row numbers
    and sort orders of every stored entry, products) then follow the chunk, not the day
    (whole-day ranks of a 100k day's text vectors took over 1 GB)."""
    if m.shape[0] <= chunk_rows:
        return sparse.csr_matrix(step(m))
    return stacked([step(m[s : s + chunk_rows]) for s in range(0, m.shape[0], chunk_rows)])


def stacked(parts: list[sparse.csr_matrix]) -> sparse.csr_matrix:
    """The row blocks ``parts`` as one matrix; ``parts`` is emptied, each block released
    once copied, so the peak is the result and one block (``sparse.vstack`` holds every
    block beside the result: twice a day's vectors)."""
    nnz = sum(p.nnz for p in parts)
    n, cols = sum(p.shape[0] for p in parts), parts[0].shape[1]
    data = np.empty(nnz, parts[0].dtype)
    indices = np.empty(nnz, np.int32)
    indptr = np.empty(n + 1, np.int64)
    indptr[0] = 0
    at, row = nnz, n
    while parts:  # from the last block: the allocator can return the top of its heap
        p = parts.pop()
        at, row = at - p.nnz, row - p.shape[0]
        data[at : at + p.nnz] = p.data
        indices[at : at + p.nnz] = p.indices
        indptr[row + 1 : row + 1 + p.shape[0]] = p.indptr[1:] + at
        del p
    return sparse.csr_matrix((data, indices, indptr), shape=(n, cols))


def _heaviest(m: sparse.csr_matrix, k: int, max_posting: int, chunk_rows: int) -> sparse.csr_matrix:
    """``m`` with only each row's ``k`` largest entries, and without the columns that
    more than ``max_posting`` rows keep."""
    top = by_rows(m, lambda part: top_k(part, k), chunk_rows)
    posting = np.bincount(top.indices, minlength=m.shape[1])
    keep = posting[top.indices] <= max_posting
    rows = np.repeat(np.arange(m.shape[0]), np.diff(top.indptr))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows[keep], minlength=m.shape[0]))])
    return sparse.csr_matrix((top.data[keep], top.indices[keep], indptr), shape=m.shape)


def _sharing(
    m: sparse.csr_matrix, per_row: int, chunk_rows: int = 500
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Pairs (i < j) of rows of ``m`` sharing a column, each row keeping the ``per_row``
    others it shares the most weight with (``m @ m.T`` in row chunks: a row can share
    terms with up to ``block_terms * max_posting`` others, so a chunk's product is up to
    that many entries per row; 2,000-row chunks took 1.4 GB at 100k articles)."""
    mt = sparse.csr_matrix(m.T)
    for s in range(0, m.shape[0], chunk_rows):
        prod = sparse.csr_matrix(m[s : s + chunk_rows] @ mt)
        prod.setdiag(0, k=s)
        prod.eliminate_zeros()
        rows, rank = _row_ranks(prod)
        keep = rank < per_row
        i, j = rows[keep] + s, prod.indices[keep].astype(np.int64)
        yield np.minimum(i, j), np.maximum(i, j)


def pair_dots(
    a: sparse.csr_matrix,
    b: sparse.csr_matrix,
    i: np.ndarray,
    j: np.ndarray,
    entries: int = 1 << 21,
) -> np.ndarray:
    """Row dot products ``a[i[k]] . b[j[k]]`` for each pair, in bounded chunks (``a`` and
    ``b`` may be one matrix: pairs within a day; or today's rows and an index's).

    A chunk is the pairs whose two rows hold about ``entries`` stored entries (2^21: a
    chunk of 5,000 pairs of ~250-term texts, as before): memory follows the entries
    copied, not the pairs, and a kind of few entries a row (people, places, numbers: 1
    to 4) takes few chunks. Each chunk costs some scipy calls whatever its size (~0.25
    ms): in fixed chunks of 5,000 pairs, a third of such a kind's time. Each pair's dot
    product is its own row's sum: chunks do not change it.
    """
    out = np.empty(len(i), np.float64)
    held = np.cumsum(np.diff(a.indptr)[i] + np.diff(b.indptr)[j])
    cuts = np.searchsorted(held, np.arange(entries, held[-1] if len(i) else 0, entries))
    bounds = np.unique(np.concatenate([[0], cuts, [len(i)]]))
    for s, e in zip(bounds[:-1], bounds[1:], strict=True):
        x, y = a[i[s:e]], b[j[s:e]]
        out[s:e] = np.asarray(x.multiply(y).sum(axis=1)).ravel()
    return out


def pair_logits(
    sims: dict[str, np.ndarray],
    has_a: dict[str, np.ndarray],
    has_b: dict[str, np.ndarray],
    params: StoryParams,
) -> np.ndarray:
    """The link score of article pairs from their evidence: ``sims``, the cosines per
    kind (and the headlines' names' ``NAME_DOTS``); ``has_a``, ``has_b``, whether each
    side gives a number (``numbers``), a headline name (``title_names``) that weighs.
    The one model both the day's clustering and the cross-day link score pairs by:
    the learned trees of ``params.pair_model`` when set (``story_model``), else the
    linear terms."""
    p = params
    model = story_model.learned(p.pair_model)
    if model is not None:
        trees = model.logits(story_model.pair_features(sims, has_a, has_b))
        if p.pair_model_weight >= 1:
            return trees
        return p.pair_model_weight * trees + (1 - p.pair_model_weight) * _linear(
            sims, has_a, has_b, p
        )
    return _linear(sims, has_a, has_b, p)


def _linear(
    sims: dict[str, np.ndarray],
    has_a: dict[str, np.ndarray],
    has_b: dict[str, np.ndarray],
    p: StoryParams,
) -> np.ndarray:
    """The linear terms of ``pair_logits``."""
    z = np.full(np.broadcast_shapes(*(v.shape for v in sims.values())), p.bias)
    for kind, w in (
        ("text", p.weight_text),
        ("people", p.weight_people),
        ("orgs", p.weight_orgs),
        ("places", p.weight_places),
    ):
        if w and kind in sims:
            z += w * sims[kind]
    if "numbers" in sims and "units" in sims:
        z += number_evidence(sims["numbers"], sims["units"], has_a["numbers"], has_b["numbers"], p)
    if p.name_conflict and "title_x_names" in sims:
        ta, tb = has_a["title_names"], has_b["title_names"]
        z += name_evidence(sims["title_x_names"], sims["names_x_title"], ta, tb, p)
    return z


# the largest component whose dense block has its pairs' slots looked at: the candidate
# pairs always are (the links that make components); a bigger component's block is a
# chain of many articles, where the slots' set operations over every pair that would
# link took a 100k day's clustering from 322 to 432 s of CPU
SLOT_BLOCK = 1_000

# the cross-kind products the headlines' names are scored by: (rows of, against)
NAME_DOTS = {"title_x_names": ("title_names", "names"), "names_x_title": ("names", "title_names")}


def name_dots(
    a: dict[str, sparse.csr_matrix],
    b: dict[str, sparse.csr_matrix],
    i: np.ndarray,
    j: np.ndarray,
    both: np.ndarray,
) -> dict[str, np.ndarray]:
    """``NAME_DOTS`` of the pairs (a's row i, b's row j), computed only where ``both``
    headlines name someone (elsewhere 1: no conflict can arise; most pairs of a big day
    are such, and the products cost)."""
    out = {}
    for key, (x, y) in NAME_DOTS.items():
        dots = np.ones(len(i))
        dots[both] = pair_dots(a[x], b[y], i[both], j[both])
        out[key] = dots
    return out


def _components(
    members: np.ndarray, pairs: tuple[np.ndarray, np.ndarray, np.ndarray], cut: float, n: int
) -> list[np.ndarray]:
    """Connected components among ``members`` of the ``pairs`` (i, j, logit) whose
    logit reaches ``cut``; indices are article positions out of ``n``."""
    from scipy.sparse.csgraph import connected_components

    i, j, z = pairs
    inside = np.zeros(n, bool)
    inside[members] = True
    keep = inside[i] & inside[j] & (z >= cut)
    pos = np.full(n, -1, np.int64)
    pos[members] = np.arange(len(members))
    m = len(members)
    graph = sparse.coo_matrix(
        (np.ones(int(keep.sum())), (pos[i[keep]], pos[j[keep]])), shape=(m, m)
    )
    _, comp = connected_components(graph, directed=False)
    order = np.argsort(comp, kind="stable")
    bounds = np.flatnonzero(np.diff(comp[order])) + 1
    return [members[part] for part in np.split(order, bounds)]


def cluster_stories(
    articles: Sequence[StoryInput],
    params: StoryParams,
    features: dict[str, sparse.csr_matrix] | None = None,
    min_body: float = 0.0,
    min_rare: float = 0.0,
    slots: Slots | None = None,
) -> dict[str, str]:
    """``{article_id: story_id}``; a story's id is derived from its smallest article id.

    ``features`` (L2-normalised rows of ``text``, ``people``, ``orgs``, ``places`` and
    optionally ``body``, row for row with ``articles``) replace the TF-IDF of the
    articles alone: the daily run passes vectors weighted by the IDF of the whole story
    horizon, steadier than one small day's. With ``body`` (the texts without the names
    of their entities), two articles in one language whose bodies' cosine is below
    ``min_body`` are never linked, whatever names they share. ``slots``, row for row
    with ``articles``, are their texts' (``story_slots``, without the template constants
    ``Slots.rare`` drops) when the texts themselves are not given (made from the texts
    otherwise, when ``slot_conflict`` is set). The result
    does not depend on the order of ``articles``.
    """
    p = params
    order = sorted(range(len(articles)), key=lambda k: articles[k].article_id)
    arts = [articles[k] for k in order]
    if features is not None and order != list(range(len(order))):
        # a copy of every matrix: callers that can pass their articles in id order do
        features = {k: sparse.csr_matrix(m[order]) for k, m in features.items()}
    if slots is not None and order != list(range(len(order))):
        slots = slots.take(np.array(order, np.int64))
    n = len(arts)
    groups: list[list[int]] = []
    if n > 1:
        scorer = _Scorer(arts, p, features, min_body, min_rare, slots)
        # Components of linked pairs bound the average-linkage runs (an average-linkage
        # cluster never spans two components). A component too large for a dense block
        # is chained, not one event: it is split again at a stricter link threshold
        # (the pairs are scored once; a stricter cut only filters them).
        pairs = scorer.linked_pairs(p.threshold)
        release()  # the candidates' products and sort orders
        todo = [(np.arange(n), p.threshold)]
        while todo:
            idx, threshold = todo.pop()
            cut = math.log(threshold / (1 - threshold))
            dense: list[np.ndarray] = []  # components for average linkage
            for members in _components(idx, pairs, cut, n):
                if len(members) <= 2:
                    groups.append(members.tolist())  # a pair is linked by construction
                elif len(members) > p.max_component:
                    if threshold < 0.995:
                        todo.append((members, threshold + (1 - threshold) / 2))
                    else:
                        groups.append(members.tolist())
                else:
                    dense.append(members)
            for batch in _batches(dense):
                if len(batch) == 1:  # the block's one reference is the argument (freed there)
                    groups += _average_groups(scorer.block(batch[0]), batch[0], p.threshold)
                    continue
                prob = scorer.block(np.concatenate(batch))
                at = 0
                for members in batch:
                    end = at + len(members)
                    groups += _average_groups(prob[at:end, at:end], members, p.threshold)
                    at = end
    else:
        groups = [[k] for k in range(n)]
    out: dict[str, str] = {}
    for g in groups:
        ids = [arts[k].article_id for k in g]
        sid = stable_id("story", min(ids))
        for a in ids:
            out[a] = sid
    return out


def linked_pairs(
    articles: Sequence[StoryInput],
    params: StoryParams,
    features: dict[str, sparse.csr_matrix],
    pairs: Sequence[tuple[int, int]],
    min_body: float = 0.0,
    min_rare: float = 0.0,
) -> list[bool]:
    """Whether the story model links each of ``pairs`` (positions in ``articles``, with
    their texts; ``features`` as ``cluster_stories`` takes them, row for row)."""
    if not pairs:
        return []
    scorer = _Scorer(articles, params, features, min_body, min_rare)
    i, j = (np.array(x, np.int64) for x in zip(*pairs, strict=True))
    return scorer._links(i, j, scorer.cut)[0].tolist()


# components of up to BATCH_COMPONENT articles are scored together in one dense block of up
# to BATCH_ROWS articles: a block's fixed cost (some scipy calls a kind, ~5 ms) outweighed
# the products of a day's many components of 3 to 10 articles. The cells between two
# components are computed and left unread; no cell depends on the block's other rows
# (each similarity sums its own pair's terms, in the same order), so the same bits. Both
# stay under SLOT_BLOCK, which every batched component is under too.
BATCH_COMPONENT = 32
BATCH_ROWS = 256


def _batches(components: list[np.ndarray]) -> Iterator[list[np.ndarray]]:
    """``components`` grouped into the runs scored in one dense block: the small ones
    (``BATCH_COMPONENT``) together up to ``BATCH_ROWS`` articles, the others alone."""
    run: list[np.ndarray] = []
    held = 0
    for members in components:
        if len(members) > BATCH_COMPONENT:
            yield [members]
            continue
        if held + len(members) > BATCH_ROWS:
            yield run
            run, held = [], 0
        run.append(members)
        held += len(members)
    if run:
        yield run


def _average_groups(prob: np.ndarray, members: np.ndarray, threshold: float) -> list[list[int]]:
    """The average-linkage clusters of ``members`` cut at ``threshold``, from their dense
    link probabilities ``prob`` (released here once the distances are made: a component
    of ``max_component`` articles holds n^2 floats twice)."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    dist = prob + prob.T  # 1 - (p + p.T) / 2, with no more n^2 copies
    del prob
    dist /= 2
    np.subtract(1.0, dist, out=dist)
    np.fill_diagonal(dist, 0.0)
    np.clip(dist, 0, 1, out=dist)
    condensed = squareform(dist, checks=False)
    del dist
    z = linkage(condensed, "average")
    del condensed
    labels = fcluster(z, 1.0 - threshold, "distance")
    return [members[labels == lab].tolist() for lab in np.unique(labels)]


def stable_story(article_id: str) -> str:
    """The story id of an article that is in no story with others: its own."""
    return stable_id("story", article_id)
