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
article, more completely, and not a longer sidebar or a comment thread); when it is
the same article *inside* trafilatura's, trafilatura's lines at the edges that it lacks
are cut (what trafilatura took in around the article, which the other extractor's
scoring left out). A line-level 2-of-3 vote and a learned page-level choice were tried
and left out (``docs/quality.md``). Replacing and trimming are done only when
trafilatura's text is a small share of the page (more pages cost quality on "tune");
there, readability's lines also give the paragraphs only it found (``merge``: its text
comes as ``ReadLine``s that say which lines were links or captions in its markup), and
on the other pages trafilatura's own readability port, which trafilatura runs anyway,
gives them (``port``), except on pages with long paragraphs trafilatura's text lacks
(``paragraphs_left_out``: a split article's other part), where readability-lxml runs
to give them. Thresholds were set
on the "tune" split of ``benchmarks/extraction.py`` (AEB and trafilatura_eval) and
checked on the held-out split (see ``benchmarks/results/extraction.md``).
"""

from __future__ import annotations

import copy
import html as html_lib
import logging
import re
from dataclasses import dataclass

import lxml.html
from readability import Document
from readability.cleaners import html_cleaner
from readability.htmls import build_doc
from readability.readability import REGEXES

log = logging.getLogger(__name__)

# readability-lxml runs, and may replace or trim trafilatura's text, when that is under this
# share of the page's characters (about a third of news pages; every page where
# replacing won on "tune" was under it)
SECOND_OPINION_SHARE = 0.02
# readability's text replaces trafilatura's when at least this much longer ...
LONGER = 2.0
# ... and holds at least this share of trafilatura's 4-token shingles
CONTAINS = 0.9
# trafilatura's leading and trailing lines that readability's text does not hold are cut
# when readability's text lies within trafilatura's (at least SUBSET of its shingles) and
# covers at least TRIM_COVERS of it: the same article, with trafilatura's extra lines at
# its edges being the chrome both extractors see (press-release boilerplate, "Order
# reprints", a bare URL, related headlines)
SUBSET = 0.95
TRIM_COVERS = 0.6
# a line is "held" by the other text when this share of its 4-token shingles is in it
LINE_HELD = 0.5
# ... but a leading sentence this long is the article's lead, which readability often
# leaves out when it sits in its own block above the body (tune: trafilatura_eval
# 0.9401 -> 0.9404 with AEB unchanged; 20 words cut AEB's decks back in)
LEAD_WORDS = 30
_SENTENCE_END = re.compile(r"[.!?…\"”»)]$")
# on the other pages readability-lxml runs (to put in the paragraphs it found that
# trafilatura's text lacks, ``merge``) when the page has at least LEFT_OUT long
# paragraphs (a ``<p>`` starting with PARAGRAPH_CHARS characters of text) that
# trafilatura's text lacks, holding at least LEFT_OUT_SHARE of its length: the first
# part of an article split by a gallery or player, which trafilatura's port does not
# see either. A regular expression over the markup finds them (0.1 CPU-s over the 780
# "tune" pages); readability then ran on 30 of the 540 "tune" pages above
# SECOND_OPINION_SHARE, and the same one page changed for LEFT_OUT 2-5 and
# LEFT_OUT_SHARE 0.3-1.0. (Replacing trafilatura's text by readability's there, as
# under SECOND_OPINION_SHARE, lost a held-out page's paragraphs; merging does not.)
LEFT_OUT = 3
LEFT_OUT_SHARE = 0.5
PARAGRAPH_CHARS = 100
_PARAGRAPH = re.compile(rf"<p\b[^>]*>\s*([^<]{{{PARAGRAPH_CHARS},}})", re.IGNORECASE)
_PREFIX = 60

_TOKEN = re.compile(r"\w+")
_BLOCKS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "blockquote", "pre")


def needs_second_opinion(text: str, html: str) -> bool:
    """Whether trafilatura's ``text`` is little enough of ``html`` to run readability-lxml,
    whose text may then replace or trim trafilatura's (and give it missing lines)."""
    return len(text) < SECOND_OPINION_SHARE * len(html)


def paragraphs_left_out(text: str, html: str) -> bool:
    """Whether ``html`` has long paragraphs that trafilatura's ``text`` lacks, enough
    of them to be a part of the article (see ``LEFT_OUT``)."""
    flat = " ".join(text.split())
    missing = 0
    chars = 0
    for match in _PARAGRAPH.finditer(html):
        para = " ".join(html_lib.unescape(match.group(1)).split())
        if para[:_PREFIX] not in flat:
            missing += 1
            chars += len(para)
    return missing >= LEFT_OUT and chars >= LEFT_OUT_SHARE * len(text)


# readability's own cleaner without its JavaScript step: that step removes ``on*``
# attributes and rewrites every link to blank ``javascript:`` URLs, a quarter of
# readability's time (24% on the benchmark pages), for attributes the text never shows
# (the same text came out on all 1,171 benchmark pages)
_CLEANER = copy.copy(html_cleaner)
_CLEANER.javascript = False


class _TextDocument(Document):
    """readability's ``Document`` for a page whose text, not its markup, is wanted."""

    def _parse(self, input: str):  # noqa: A002 (readability's signature)
        """``Document._parse`` without a URL and with ``_CLEANER``."""
        doc, self.encoding = build_doc(input)
        for elem in doc.xpath("//*[@hidden]"):
            elem.drop_tree()
        for elem in doc.xpath("//*[@style]"):
            if REGEXES["displayNoneRe"].search(elem.get("style")):
                elem.drop_tree()
        doc = _CLEANER.clean_html(doc)
        doc.resolve_base_href(handle_failures=self.handle_failures)
        return doc


@dataclass(frozen=True)
class ReadLine:
    """One line of readability's text and where it sat in readability's markup."""

    text: str
    links: float  # share of its characters inside links
    media: bool  # most of it inside a figure, caption, gallery or player


# a block of a picture, gallery or player: its text is a caption or a control label
_MEDIA_TAGS = frozenset({"figure", "figcaption", "picture", "video", "audio"})
_MEDIA_CLASS = re.compile(
    r"caption|legend|credit|gallery|slide|carousel|figure|lightbox|media|photo|image|visual"
    r"|video|player|bildunterschrift",
    re.IGNORECASE,
)
_BLOCK_SET = frozenset(_BLOCKS)


def readability_lines(html: str) -> list[ReadLine]:
    """readability-lxml's main text, one ``ReadLine`` per block ([] when it finds none).

    No URL is passed: readability would then rewrite every link absolute, which was
    half its time, for links the text does not keep.
    """
    try:
        summary = _TextDocument(html).summary(html_partial=True)
        if not summary.strip():
            return []
        tree = lxml.html.fromstring(summary)
    except Exception as e:  # readability raises on pages it cannot score; the page stays
        log.debug("readability failed: %s", e)
        return []
    return tree_lines(tree)


def tree_lines(tree) -> list[ReadLine]:
    """The text of an extractor's result ``tree``, one ``ReadLine`` per block."""
    pieces: list[tuple[str, bool, bool]] = []
    _walk(tree, False, False, pieces)
    lines: list[ReadLine] = []
    current: list[tuple[str, bool, bool]] = []
    for piece, link, media in pieces:
        for i, part in enumerate(piece.split("\n")):
            if i:
                _close(current, lines)
            if part:
                current.append((part, link, media))
    _close(current, lines)
    return lines


def _walk(el, link: bool, media: bool, out: list[tuple[str, bool, bool]]) -> None:
    """``el``'s text in document order, each piece with whether it is link or media text;
    a block element's end is a line break (as the text of ``tree.itertext()`` would be
    with a newline put before every block's tail)."""
    if not isinstance(el.tag, str):  # a comment or processing instruction: no text
        return
    link = link or el.tag == "a"
    media = media or _is_media(el)
    if el.text:
        out.append((el.text, link, media))
    for child in el:
        _walk(child, link, media, out)
        tail = child.tail or ""
        if isinstance(child.tag, str) and child.tag in _BLOCK_SET:
            tail = "\n" + tail
        if tail:
            out.append((tail, link, media))


def _is_media(el) -> bool:
    if el.tag in _MEDIA_TAGS:
        return True
    names = f"{el.get('class') or ''} {el.get('id') or ''}"
    return bool(names.strip()) and bool(_MEDIA_CLASS.search(names))


def _close(current: list[tuple[str, bool, bool]], lines: list[ReadLine]) -> None:
    """End the line being built from ``current`` (kept when it has text)."""
    text = "".join(part for part, _, _ in current).strip()
    if text:
        links = sum(len(part.strip()) for part, link, _ in current if link)
        media = sum(len(part.strip()) for part, _, in_media in current if in_media)
        lines.append(ReadLine(text, min(1.0, links / len(text)), 2 * media > len(text)))
    current.clear()


def readability_text(html: str) -> str:
    """readability-lxml's main text, one line per block ("" when it finds none)."""
    return "\n".join(line.text for line in readability_lines(html))


def _shingles(text: str) -> set[tuple[str, ...]]:
    tokens = _TOKEN.findall(text.casefold())
    return {tuple(tokens[i : i + 4]) for i in range(max(1, len(tokens) - 3))} if tokens else set()


def containment(part: str, whole: str) -> float:
    """Share of ``part``'s 4-token shingles that are also in ``whole`` (0 for no tokens)."""
    a = _shingles(part)
    return len(a & _shingles(whole)) / len(a) if a else 0.0


def _held(line: str, shingles: set[tuple[str, ...]], tokens: str) -> bool:
    """Whether ``line`` is in the text of ``shingles``/``tokens`` (short lines: verbatim)."""
    words = _TOKEN.findall(line.casefold())
    if len(words) < 4:
        return not words or " ".join(words) in tokens
    own = {tuple(words[i : i + 4]) for i in range(len(words) - 3)}
    return len(own & shingles) >= LINE_HELD * len(own)


def trim_to_support(traf: str, readability: str) -> str:
    """trafilatura's text without the leading and trailing lines readability's lacks.

    Only when readability's text is the same article inside trafilatura's (it holds
    nearly nothing else, and most of trafilatura's): then the lines only trafilatura
    kept at the edges are what it took in around the article, while lines in the
    middle are kept (a subheading or caption readability dropped is still the article),
    and so is a long leading sentence (``_lead``).
    """
    if not readability or not traf.strip():
        return traf
    covers = containment(traf, readability)
    if not TRIM_COVERS <= covers < 1.0 or containment(readability, traf) < SUBSET:
        return traf
    shingles = _shingles(readability)
    tokens = " ".join(_TOKEN.findall(readability.casefold()))
    lines = traf.split("\n")
    held = [_held(line, shingles, tokens) if line.strip() else None for line in lines]
    start, end = 0, len(lines)
    while start < end and held[start] is not True and not _lead(lines[start]):
        start += 1
    while end > start and held[end - 1] is not True:
        end -= 1
    return "\n".join(lines[start:end]) if start < end else traf


def _lead(line: str) -> bool:
    """Whether ``line`` reads as an article's lead: a long sentence, not a label."""
    line = line.strip()
    return len(_TOKEN.findall(line)) >= LEAD_WORDS and bool(_SENTENCE_END.search(line))


def prefer_readability(traf: str, readability: str) -> bool:
    """Whether readability's text is the same article as trafilatura's, more completely."""
    if not readability:
        return False
    if not traf.strip():
        return True
    return len(readability) >= LONGER * len(traf) and containment(traf, readability) >= CONTAINS
