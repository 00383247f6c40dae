"""Slots: what two texts written from one template say differently.

A local desk writes its routine reports from templates: "A fire Wednesday night killed
one person and left 4 residents of a three-story apartment building without a place to
stay ... The fire on Lyman Avenue in the Lower Ridge neighborhood went to one alarm."
Two such reports of two fires share nearly every word, so every bag-of-words cosine
calls them one story; what tells them apart is what fills the template's slots: the
street, the neighbourhood, the count. Two reports of one event written independently
rarely put a name or a number in the same three words of context, and when they do,
they give the same one ("in the 1500 block of Water Street").

A *slot* of a text is a name (a run of capitalised words not opening a sentence; a list
"X and Y" is one, in any order; a house number with its street, "Route 9") or a number
(not a date, a time or a year), keyed by its context: the two words before it and the
word after it within its sentence (case-folded), when a context word is not a stop word
("fire on _ in", "in the _ neighborhood"). Two texts with a context in common *agree* on
it when one filler holds the other's words ("Kimani Gray" and "Kimani Kiki Gray") and
*conflict* otherwise ("Lyman Avenue" and "Cobb Avenue"). A filler most texts with its
context give alike ("said Chief _ of") is a template's constant (``Slots.rare``).

``conflicting``: two or more conflicts, more than agreements, one of them on a name. On
the generated desks (``benchmarks/local_desk.py``, ``local_news.py``) no pair of one
incident is so, and 58-73% of the pairs of two incidents whose texts agree (TF-IDF cosine
0.15 or more) are; on ECB+ 2 of the 4,925 pairs of one event (a game's statistics, the
papers a report quotes) and none of 1,344 of two events: the evidence is for templates,
and neutral elsewhere.

Storage: a text's first ``MAX_SLOTS`` slots are entries ``context (20 bits, its top bit
set for a name) << 11 | filler word (11 bits)``, one per word of a filler, sorted and
unique (int32 in the index);
scoring many pairs at once joins their entries with sorted-array set operations
(``conflicts``), no Python loop over pairs.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np

# an entry is 31 bits (an int32 in the index): 20 of context (its top bit set for a name),
# 11 of filler word (two different words of one context look alike 1 time in 2,048)
CTX_BITS, WORD_BITS = 20, 11
# slots kept of a text, the first in its order: a template's slots are in its lead, and
# the index keeps every representative's (a 100k day's staging is within its memory share)
MAX_SLOTS = 24
LEAD_CHARS = 1_000  # of a text, read for its slots (a long text's tokens cost, unread)
# hashed columns of the slot entries' and contexts' document frequencies (``Slots.df``)
N_DF = 1 << 20
_PRIME = 1_048_573  # the largest prime under N_DF: an entry's column mixes all its bits
_NAME_BIT = 1 << (CTX_BITS - 1)
# pairs per batch: entry keys are (pair << 31 | entry) in int64
_PAIR_BATCH = 1 << 20
# numbers whole ("240,000", "8.6", "10:45"), words with their inner hyphens and apostrophes
_TOKEN = re.compile(r"\d+(?:[.,:]\d+)*(?:-[^\W\d_]+)*|[^\W_]+(?:[-'’.][^\W_]+)*")
# what may stand right before a sentence's first word (a capital there says nothing)
_OPENS = frozenset(".!?:;\"“”‘’'(\n")


# content words scikit-learn's English stop list holds ("the fire on _ in")
_CONTENT = frozenset(
    (
        *("fire", "bill", "call", "find", "found", "system", "side", "top", "interest"),
        *("detail", "mill", "move", "name", "part", "show", "thick", "thin", "cry"),
        *("describe", "full", "back", "front", "bottom", "empty", "amount"),
    )
)


_LIST = frozenset(("and", "or", "&"))
_YEAR = re.compile(r"(?:19|20)\d\d")
# words around a number that make it part of a date or a time
_DATED = frozenset(
    (
        *("january", "february", "march", "april", "may", "june", "july", "august"),
        *("september", "october", "november", "december", "jan", "feb", "mar", "apr"),
        *("jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "am", "pm", "a.m", "p.m"),
        *("updated", "published", "posted", "gmt", "utc", "edt", "est", "bst", "cet"),
    )
)


def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) - _CONTENT


def _hash(s: str, bits: int) -> int:
    return zlib.crc32(s.encode()) & ((1 << bits) - 1)


def slot_entries(text: str, *, stop: frozenset[str] | None = None) -> np.ndarray:
    """The sorted, unique slot entries of ``text`` (see the module docstring). A
    context stays within its sentence: a slot opening one ("4 people are without a
    home") is keyed by the two words after it instead ("^ ^ _ people are"), one ending
    it by "$" after it."""
    stop = _stop_words() if stop is None else stop
    toks = [(m.group(0), m.start()) for m in _TOKEN.finditer(text, 0, LEAD_CHARS)]
    words = [t.casefold() for t, _ in toks]
    opens = [_opens_sentence(text, at) for _, at in toks]
    out: set[int] = set()
    i, n, kept = 0, len(toks), 0
    while i < n:
        tok = toks[i][0]
        number, name = tok[0].isdigit(), tok[0].isupper()
        if not (number or name):
            i += 1
            continue
        if name and opens[i]:  # a capital that opens a sentence says nothing: skip the run
            i += 1
            while i < n and not opens[i] and toks[i][0][0].isupper():
                i += 1
            continue
        j = i + 1
        if number and j < n and not opens[j] and toks[j][0][0].isupper():
            name = True  # an address: "at 2250 Quarry Road"
        if name:
            while j < n and not opens[j] and toks[j][0][0].isupper():
                j += 1
                # a list of names is one filler, in any order ("at Quarry Road and
                # Lyman Avenue", "the bodies of Smith and Jones")
                if (
                    j + 1 < n
                    and words[j] in _LIST
                    and not opens[j + 1]
                    and toks[j + 1][0][0].isupper()
                ):
                    j += 1
            if j < n and not opens[j] and toks[j][0][0].isdigit():
                j += 1  # "Route 9", "Interstate 84"
        start = i  # the first word of the slot's sentence, at most two words back
        while start > i - 2 and start > 0 and not opens[start]:
            start -= 1
        ahead = []
        for k in range(j, min(n, j + 1 + (i - start < 2))):
            if opens[k]:
                break
            ahead.append(words[k])
        ctx = ["^"] * (2 - (i - start)) + words[start:i] + ["_"] + (ahead or ["$"])
        if _keyed(ctx, words[i:j], number and not name, stop):
            c = _hash(" ".join(ctx), CTX_BITS - 1) | (_NAME_BIT if name else 0)
            out.update((c << WORD_BITS) | _hash(w, WORD_BITS) for w in words[i:j])
            kept += 1
            if kept == MAX_SLOTS:
                break
        i = j
    return np.array(sorted(out), np.int64)


def _keyed(ctx: list[str], filler: list[str], number: bool, stop: frozenset[str]) -> bool:
    """Whether a slot is kept: its context has a word that is not a stop word, and a
    number is not part of a date or a time (a page's time stamp, "May _ 2013": two
    reports of one event are published at different times)."""
    if all(w in stop or w in "^_$" for w in ctx):
        return False
    if any(w in _DATED or _YEAR.fullmatch(w) for w in (*ctx, *filler)):
        return False  # "on May _ 2013", "Updated at _ $", "10:45 AM EST"
    return not any(":" in w for w in filler) and not (number and _YEAR.fullmatch(filler[0]))


def _opens_sentence(text: str, at: int) -> bool:
    k = at - 1
    while k >= 0 and text[k] in " \t":
        k -= 1
    return k < 0 or text[k] in _OPENS


class Slots:
    """Many texts' slot entries, flat (``entries``) with row offsets (``offsets``): an
    array per text costs ~100 bytes of object beside its few entries."""

    def __init__(self, rows: Sequence[np.ndarray]) -> None:
        self.offsets = np.zeros(len(rows) + 1, np.int64)
        self.offsets[1:] = np.cumsum([len(r) for r in rows])
        self.entries = np.concatenate(rows) if len(rows) else np.empty(0, np.int64)

    @classmethod
    def of_texts(cls, texts: Sequence[str]) -> Slots:
        stop = _stop_words()
        return cls([slot_entries(t, stop=stop) for t in texts])

    @classmethod
    def from_lists(cls, offsets: np.ndarray, entries: np.ndarray) -> Slots:
        out = cls([])
        out.offsets, out.entries = offsets.astype(np.int64), entries.astype(np.int64)
        return out

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def row(self, k: int) -> np.ndarray:
        return self.entries[self.offsets[k] : self.offsets[k + 1]]

    def take(self, rows: np.ndarray) -> Slots:
        return Slots([self.row(int(k)) for k in rows])

    def df(self) -> np.ndarray:
        """Document frequencies of the entries (columns ``[0, N_DF)``) and of their
        contexts (``[N_DF, 2 * N_DF)``), hashed."""
        rows = np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.offsets))
        ctx = np.unique((rows << CTX_BITS) | (self.entries >> WORD_BITS)) & ((1 << CTX_BITS) - 1)
        cols = np.concatenate([self.entries % _PRIME, N_DF + ctx % N_DF])
        return np.bincount(cols, minlength=2 * N_DF).astype(np.float32)

    def rare(self, df: np.ndarray, share: float, min_count: int = 3) -> Slots:
        """Without a template's constants: entries that most of the texts giving their
        context fill alike (in ``min_count`` texts or more and over ``share`` of those
        with the context, by ``df``: "in Harwick", "Mayor Gil Herrera said"). Every
        text of a template fills them alike, so they prove nothing; what two reports of
        one incident share is a filler of a varying slot: the street, the victim's name."""
        entry = df[self.entries % _PRIME]
        ctx = df[N_DF + (self.entries >> WORD_BITS) % N_DF]
        keep = (entry < min_count) | (entry <= share * ctx)
        kept = np.concatenate([[0], np.cumsum(keep)])
        return Slots.from_lists(kept[self.offsets], self.entries[keep])

    def keyed(self, rows: np.ndarray) -> np.ndarray:
        """The entries of ``rows`` (one per pair) as ``pair << 31 | entry``, pair the
        position in ``rows``: sorted, since each row's entries are."""
        lens = self.offsets[rows + 1] - self.offsets[rows]
        starts = np.repeat(self.offsets[rows] - np.cumsum(lens) + lens, lens)
        idx = starts + np.arange(int(lens.sum()))
        pair = np.repeat(np.arange(len(rows), dtype=np.int64), lens)
        return (pair << (CTX_BITS + WORD_BITS)) | self.entries[idx]


class SlotRarity:
    """``Slots.rare`` with the document frequencies of one day's horizon."""

    def __init__(self, df: np.ndarray, share: float) -> None:
        self.df, self.share = df, share

    def __call__(self, slots: Slots) -> Slots:
        return slots.rare(self.df, self.share)


def conflicts(
    a: Slots, b: Slots, i: np.ndarray, j: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair (a's row i, b's row j): (contexts where they conflict, of them on a
    name, contexts where they agree). They agree on a context when one filler's words
    are all among the other's ("Kimani Gray", "Kimani Kiki Gray"; "Eagles",
    "Philadelphia Eagles"), and conflict otherwise ("Lyman Avenue", "Cobb Avenue")."""
    n = len(i)
    bad, bad_names, good = (np.zeros(n, np.int64) for _ in range(3))
    for s in range(0, n, _PAIR_BATCH):
        ka, kb = a.keyed(i[s : s + _PAIR_BATCH]), b.keyed(j[s : s + _PAIR_BATCH])
        m = min(_PAIR_BATCH, n - s)
        # (pair, context) keys and how many filler words each side gives there
        ctx_a, len_a = np.unique(ka >> WORD_BITS, return_counts=True)
        ctx_b, len_b = np.unique(kb >> WORD_BITS, return_counts=True)
        shared, at_a, at_b = np.intersect1d(ctx_a, ctx_b, assume_unique=True, return_indices=True)
        both = np.intersect1d(ka, kb, assume_unique=True) >> WORD_BITS
        common = np.zeros(len(shared), np.int64)
        np.add.at(common, np.searchsorted(shared, both), 1)
        agree = common == np.minimum(len_a[at_a], len_b[at_b])
        pair = shared >> CTX_BITS
        good[s : s + m] = np.bincount(pair[agree], minlength=m)
        bad[s : s + m] = np.bincount(pair[~agree], minlength=m)
        named = ~agree & ((shared & _NAME_BIT) != 0)
        bad_names[s : s + m] = np.bincount(pair[named], minlength=m)
    return bad, bad_names, good


def conflicting(a: Slots, b: Slots, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Whether each pair reads as two incidents in one template: two or more conflicts,
    more than agreements, one of them on a name (a number alone differs between
    reports of one event: a toll updated, a game's statistics)."""
    bad, bad_names, good = conflicts(a, b, i, j)
    return (bad >= 2) & (bad > good) & (bad_names >= 1)


def penalise(
    z: np.ndarray,
    a: Slots,
    b: Slots,
    i: np.ndarray,
    j: np.ndarray,
    weight: float,
    floor: float,
) -> np.ndarray:
    """Subtract ``weight`` from the link logits ``z`` (flat, one per pair (a's row i,
    b's row j)) of the pairs that read as two incidents in one template; only pairs at
    ``floor`` (the link threshold) or above are looked at: a pair that would not link is
    left as it is (the set operations cost ~1-5 µs a pair, and a 100k day scores tens of
    millions of pairs). Returns the positions of the pairs it lowered."""
    look = np.flatnonzero(z >= floor)
    hit = look[conflicting(a, b, i[look], j[look])] if len(look) and weight else look[:0]
    z[hit] -= weight
    return hit
