"""Paragraphs of the article that trafilatura left out and readability-lxml kept.

trafilatura reads a page's article from the blocks its rules accept; a lead set apart
from the body (a teaser paragraph in its own ``<div>`` above the text, the standfirst
of German and Spanish news sites) or a paragraph inside a differently marked block is
then missing, while readability-lxml, which joins the best-scored block's siblings,
keeps it. (The other text is readability-lxml's where it runs, else that of
trafilatura's own readability port, ``port``.) Where both extractors read the same
article, readability's lines that
trafilatura's text lacks are put into it at the place readability has them: after
the line both texts hold before them (the anchor), or before the first line both
hold (a lead). Only lines that read as article prose are taken: long enough, ending
like a sentence, not mostly link text, not in a figure/caption/gallery block of
readability's markup, not an interface label (``interface``), and not repeated in
readability's text (a caption shown twice, a teaser box). A run of missing lines
after the last anchor (comments, a footer, related teasers) is never taken.
"""

from __future__ import annotations

import re
from collections import Counter

from newsflow.clean.ensemble import ReadLine
from newsflow.clean.interface import is_interface_line

# a line taken must have at least this many words ...
MIN_WORDS = 8
# ... end like a sentence ...
_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’»)]*$")
# ... and have at most this share of its characters in links
MAX_LINKS = 0.3
# the two texts must be the same article: this share of trafilatura's 4-token shingles
# is in readability's text
SAME_ARTICLE = 0.5
# lines are put in only where at least this many of readability's lines are anchors
MIN_ANCHORS = 2

_TOKEN = re.compile(r"\w+")


def insert_missing(traf: str, lines: list[ReadLine]) -> str:
    """``traf`` with readability's article lines it lacks put in at their place."""
    if not lines or not traf.strip():
        return traf
    ours = traf.split("\n")
    at = _Locator(ours)
    if at.share_in(lines) < SAME_ARTICLE:
        return traf
    repeated = Counter(_key(line.text) for line in lines)
    inserts: dict[int, list[str]] = {}
    gap: list[ReadLine] = []
    last: int | None = None
    anchors = 0
    for line in lines:
        place = at.find(line.text)
        if place is None:
            gap.append(line)
            continue
        if last is not None and place < last:  # out of order: no place for the gap
            gap = []
            continue
        # a lead above the first anchor, or lines between two adjacent anchors
        if last is None or place <= last + 1:
            for g in gap:
                if _prose(g) and repeated[_key(g.text)] == 1:
                    inserts.setdefault(place, []).append(g.text)
        gap, last, anchors = [], place, anchors + 1
    if anchors < MIN_ANCHORS or not inserts:
        return traf
    out: list[str] = []
    for i, own in enumerate(ours):
        out.extend(inserts.get(i, ()))
        out.append(own)
    return "\n".join(out)


def _key(text: str) -> str:
    return " ".join(_TOKEN.findall(text.casefold()))


def _prose(line: ReadLine) -> bool:
    """Whether ``line`` reads as a paragraph of the article rather than chrome."""
    text = line.text
    return (
        len(_TOKEN.findall(text)) >= MIN_WORDS
        and bool(_SENTENCE_END.search(text))
        and line.links <= MAX_LINKS
        and not line.media
        and not is_interface_line(text)
    )


class _Locator:
    """Which of trafilatura's lines holds a given line of readability's."""

    def __init__(self, lines: list[str]) -> None:
        self.by_shingle: dict[tuple[str, ...], int] = {}
        self.by_key: dict[str, int] = {}
        for i, line in enumerate(lines):
            words = _TOKEN.findall(line.casefold())
            self.by_key.setdefault(" ".join(words), i)
            for j in range(len(words) - 3):
                self.by_shingle.setdefault(tuple(words[j : j + 4]), i)

    def share_in(self, lines: list[ReadLine]) -> float:
        """Share of trafilatura's 4-token shingles that are in readability's ``lines``
        (``ensemble.containment`` of the two texts, from the shingles already indexed)."""
        if not self.by_shingle:
            return 0.0
        tokens = _TOKEN.findall("\n".join(line.text for line in lines).casefold())
        theirs = {tuple(tokens[j : j + 4]) for j in range(len(tokens) - 3)}
        return len(theirs.intersection(self.by_shingle)) / len(self.by_shingle)

    def find(self, text: str) -> int | None:
        """The index of the line holding ``text`` (half its shingles), else None."""
        words = _TOKEN.findall(text.casefold())
        if not words:
            return None
        if len(words) < 4:
            return self.by_key.get(" ".join(words))
        own = [tuple(words[j : j + 4]) for j in range(len(words) - 3)]
        hits = [self.by_shingle[s] for s in own if s in self.by_shingle]
        if 2 * len(hits) < len(own):
            return None
        return Counter(hits).most_common(1)[0][0]
