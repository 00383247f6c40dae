"""Lines that recur across the documents of one source: cross-document chrome evidence.

A site's menus, consent banners, author bios, mastheads and footers recur on its pages;
its articles' paragraphs do not. Wording alone cannot tell a bio or a consent sentence
of a site never trained on from a closing paragraph, but its recurrence can. The clean
stage counts, per source, in how many of a shard's text dumps each line occurs (crc32
keys in one numpy array: 8 bytes per line of a dump, no text kept) before it cleans
them; each document then gets the counts of its own lines (``LineEvidence``) and the
line model sees them as features. A document cleaned alone gets none and is judged as
before.
"""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from newsflow.clean.linemodel import line_key, prose_line
from newsflow.clean.metadata import normalise_text
from newsflow.clean.urls import domain


@dataclass(frozen=True)
class LineEvidence:
    """In how many other documents of the same source each line of one document occurs."""

    counts: dict[int, int]  # line_key -> other documents holding that line (0s left out)
    documents: int  # other documents of the source that were counted

    def repeats(self, lines: list[str]) -> list[int]:
        return [self.counts.get(line_key(line), 0) for line in lines]


def source_key(kind: str, url: str | None, source: str | None) -> str | None:
    """Which documents count as one site's for line repetition: text dumps (an HTML
    page's chrome is left to the extractor) of the same source, or else of the same
    domain; None when neither is known."""
    if kind == "html":
        return None
    return source or (domain(url) if url else None) or None


def dump_keys(text: str) -> set[int]:
    """The keys of a text dump's lines, split as ``chrome.strip_chrome`` splits them."""
    from newsflow.clean.chrome import split_lines

    return {line_key(line) for line in split_lines(normalise_text(text))}


@dataclass
class SourceLines:
    """Per source, in how many of the documents added each line occurs.

    ``add`` every document first, then ask for ``evidence``: keys are packed with the
    source's number into one uint64 array and counted once, by sorting.
    """

    _sources: dict[str, int] = field(default_factory=dict)
    _docs: Counter[int] = field(default_factory=Counter)
    _packed: array = field(default_factory=lambda: array("Q"))
    _keys: np.ndarray | None = None
    _counts: np.ndarray | None = None

    def add(self, source: str, text: str) -> None:
        sid = self._sources.setdefault(source, len(self._sources))
        self._docs[sid] += 1
        self._packed.extend((sid << 32) | k for k in dump_keys(text))
        self._keys = None

    def evidence(self, source: str, text: str) -> LineEvidence | None:
        """The counts for ``text`` (one of the documents added), without itself; None
        when its source had no other document."""
        sid = self._sources.get(source)
        if sid is None or self._docs[sid] < 2:
            return None
        if self._keys is None:
            self._keys, self._counts = np.unique(
                np.frombuffer(self._packed, dtype=np.uint64), return_counts=True
            )
        assert self._counts is not None
        keys = sorted(dump_keys(text))
        packed = np.array([(sid << 32) | k for k in keys], dtype=np.uint64)
        at = np.searchsorted(self._keys, packed).clip(0, len(self._keys) - 1)
        found = self._keys[at] == packed
        counts = np.where(found, self._counts[at], 1) - 1  # not counting itself
        return LineEvidence(
            {k: int(c) for k, c in zip(keys, counts, strict=True) if c > 0},
            self._docs[sid] - 1,
        )


# A short line (not a paragraph of prose) on at least this many of the source's other
# pages, and on half of them, is the site's boilerplate whatever its wording (a
# paragraph is left to the line model: a follow-up story reuses background paragraphs) ...
RECUR_MIN = 2
# ... unless at least this share of the page's prose paragraphs recur too: the page is
# an updated version of another (a live blog's hourly versions), its text recurs as well.
NEAR_COPY = 1 / 3


def boilerplate(lines: list[str], repeats: list[int], others: int) -> list[bool]:
    """Which lines recur on so many of the source's other pages that they are its
    boilerplate (menus, banners, bios, footers): the line model leaves them out."""
    prose = [prose_line(line) for line in lines]
    recur = [r > 0 for r, p in zip(repeats, prose, strict=True) if p]
    if recur and sum(recur) >= NEAR_COPY * len(recur):
        return [False] * len(lines)
    return [
        not p and r >= RECUR_MIN and 2 * r >= others for r, p in zip(repeats, prose, strict=True)
    ]
