"""A second extractor's opinion: readability-lxml where trafilatura found too little.

trafilatura (with its own comparison against a readability port and jusText) is the
better extractor on most pages, but on unseen news suites readability-lxml beat it:
trafilatura sometimes keeps one block of a page whose article spans several (a lead
above a gallery, a body split by an embedded player) or a short sidebar instead of
the body. readability-lxml scores every block and joins the best one's siblings, so
on those pages its text holds trafilatura's and much more.

As in the published ensembles (trafilatura's own fallback cascade, the voting
extractors of Bevendorff et al. 2023), the choice is made per page by comparing the
outputs, not by trusting either: readability's text replaces trafilatura's only when
it is much longer *and* contains nearly all of trafilatura's (so it is the same
article, more completely, and not a longer sidebar or a comment thread). Running
readability-lxml on every page would cost about as much as trafilatura itself, so it
runs only when trafilatura's text is a small share of the page. Thresholds were set
on the "tune" split of ``benchmarks/extraction.py`` (AEB and trafilatura_eval) and
checked on the held-out split (see ``benchmarks/results/extraction.md``).
"""

from __future__ import annotations

import logging
import re

import lxml.html
from readability import Document

log = logging.getLogger(__name__)

# readability runs when trafilatura's text is under this share of the page's characters
# (about a third of news pages; every page where it won on "tune" was under it)
SECOND_OPINION_SHARE = 0.02
# readability's text replaces trafilatura's when at least this much longer ...
LONGER = 2.0
# ... and holds at least this share of trafilatura's 4-token shingles
CONTAINS = 0.9

_TOKEN = re.compile(r"\w+")
_BLOCKS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "blockquote", "pre")


def needs_second_opinion(text: str, html: str) -> bool:
    """Whether trafilatura's ``text`` is little enough of ``html`` to ask readability."""
    return len(text) < SECOND_OPINION_SHARE * len(html)


def readability_text(html: str) -> str:
    """readability-lxml's main text, one line per block ("" when it finds none).

    No URL is passed: readability would then rewrite every link absolute, which was
    half its time, for links the text does not keep.
    """
    try:
        summary = Document(html).summary(html_partial=True)
        if not summary.strip():
            return ""
        tree = lxml.html.fromstring(summary)
        for el in tree.iter(*_BLOCKS):
            el.tail = "\n" + (el.tail or "")
        text = "".join(str(t) for t in tree.itertext())
    except Exception as e:  # readability raises on pages it cannot score; the page stays
        log.debug("readability failed: %s", e)
        return ""
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())


def _shingles(text: str) -> set[tuple[str, ...]]:
    tokens = _TOKEN.findall(text.casefold())
    return {tuple(tokens[i : i + 4]) for i in range(max(1, len(tokens) - 3))} if tokens else set()


def containment(part: str, whole: str) -> float:
    """Share of ``part``'s 4-token shingles that are also in ``whole`` (0 for no tokens)."""
    a = _shingles(part)
    return len(a & _shingles(whole)) / len(a) if a else 0.0


def prefer_readability(traf: str, readability: str) -> bool:
    """Whether readability's text is the same article as trafilatura's, more completely."""
    if not readability:
        return False
    if not traf.strip():
        return True
    return len(readability) >= LONGER * len(traf) and containment(traf, readability) >= CONTAINS
