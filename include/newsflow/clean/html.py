"""Main text and metadata of an HTML page: trafilatura, with readability-lxml as a second
opinion (``ensemble``), the paragraphs only readability or trafilatura's port of it
(``port``) found put in (``merge``), and a rebuilt head for pages whose head swallowed
the body."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field, replace

import trafilatura
from trafilatura.settings import Document

from newsflow.clean.ensemble import (
    ReadLine,
    needs_second_opinion,
    paragraphs_left_out,
    prefer_readability,
    readability_lines,
    trim_to_support,
)
from newsflow.clean.interface import drop_interface_lines
from newsflow.clean.merge import insert_missing
from newsflow.clean.port import recording
from newsflow.clean.quality import not_the_article


@dataclass
class Extracted:
    text: str
    title: str | None = None
    authors: str | None = None
    date: str | None = None
    sitename: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # the lines of trafilatura's readability port (``port``), for ``merge``
    port: list[ReadLine] = field(default_factory=list)


def extract_html(html: str, *, url: str | None = None) -> Extracted | None:
    """The page's main text, or None.

    A page whose head swallowed the body is read again from its ``<body>`` (see
    ``repair_head``); when trafilatura's text is a small share of the page,
    readability-lxml's replaces it if it is the same article, more completely, and
    when it is the same article, less completely, trafilatura's lines around it that
    readability's lacks are cut. On every page, article paragraphs that readability
    (on the other pages: trafilatura's port of it, ``port``) found and trafilatura did
    not (a lead in its own block above the body, a paragraph in a differently marked
    block) are put in at their place (``merge``). When trafilatura's text is not the
    article at all (a slogan, PHP warnings, a few labels) and the other extractor's is
    prose, the other's is taken whole (``quality``). Lines of the page's interface
    (buttons, counters, contact labels: ``interface``) are dropped from whichever text
    is kept.
    """
    found = _choose(html, url)
    if found is None:
        return None
    text = drop_interface_lines(found.text)
    return replace(found, text=text) if text.strip() else None


def _choose(html: str, url: str | None) -> Extracted | None:
    """trafilatura's text, or readability-lxml's (or the port's) when it is the article
    and trafilatura's is not, or trafilatura's trimmed to readability's; then
    with the article lines only readability (or trafilatura's port of it) found put in
    (``merge``)."""
    found = _extract(html, url)
    if found is None:
        repaired = repair_head(html)
        if repaired is not None:
            found = _extract(repaired, url)
    if found is not None and not needs_second_opinion(found.text, html):
        if not_the_article(found.text, found.port):
            port = "\n".join(line.text for line in found.port)
            return replace(found, text=port, extra={"extractor": "port"})
        if paragraphs_left_out(found.text, html):
            merged = insert_missing(found.text, readability_lines(html))
            if merged != found.text:
                return replace(found, text=merged, extra={"extractor": "trafilatura+readability"})
        merged = insert_missing(found.text, found.port)
        if merged == found.text:
            return found
        return replace(found, text=merged, extra={"extractor": "trafilatura+port"})
    lines = readability_lines(html)
    other = "\n".join(line.text for line in lines)
    if found is None:
        return Extracted(text=other, extra={"extractor": "readability"}) if other else None
    if prefer_readability(found.text, other) or not_the_article(found.text, lines):
        return replace(found, text=other, extra={"extractor": "readability"})
    text = insert_missing(trim_to_support(found.text, other), lines)
    if text == found.text:
        return found
    return replace(found, text=text, extra={"extractor": "trafilatura+readability"})


# the head ends here at the latest: the body's tag or the first block of content
_BODY_START = re.compile(r"<(?:body|article|main|div|section|p|h1|h2|table)\b", re.IGNORECASE)
_TITLE = re.compile(r"<title\b[^>]*>([^<]{1,500})", re.IGNORECASE)
_META = re.compile(r"<meta\b[^<>]{0,2000}>", re.IGNORECASE)


def repair_head(html: str) -> str | None:
    """The page rebuilt around its body when a broken head hides it, else None.

    A few bytes missing in the head (``<title>`` or a comment never closed, a doctype
    cut short) make libxml2 read the rest of the page as the title's text or a
    comment: trafilatura then finds no body at all, where a browser (and
    readability-lxml) shows the article. HTML5 parsers recover some of these cases
    and not others (an unclosed ``<title>`` swallows the page in html5lib too), so the
    head is rebuilt instead: the title's text up to the first tag, the ``<meta>`` tags
    (dates, authors), and the page from its body or first block element on.
    """
    start = _BODY_START.search(html)
    if start is None or start.start() == 0:
        return None
    head = html[: start.start()]
    title = _TITLE.search(head)
    parts = ["<html><head>"]
    if title:
        parts.append(f"<title>{html_lib.escape(html_lib.unescape(title.group(1).strip()))}</title>")
    parts.extend(m.group(0) for m in _META.finditer(head, 0, 200_000))
    parts.append("</head>")
    parts.append(html[start.start() :])
    return "".join(parts)


def _extract(html: str, url: str | None) -> Extracted | None:
    """trafilatura's main-text extraction without comments, with its metadata.

    Tables stay: in both benchmarks they are more often article (results, figures)
    than chrome, and dropping them cost recall (AEB "tune" F1 0.955 without, 0.961 with).

    ``original_date`` asks htmldate for the publication date rather than the last
    modification, and the extensive search is off so a page's footer or crawl date
    is not mistaken for the article's.
    """
    with recording() as port:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            deduplicate=False,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    # a Document (a dict only with as_dict=True), None when nothing could be extracted
    if not isinstance(doc, Document) or doc.text is None or not doc.text.strip():
        return None
    return Extracted(
        text=doc.text,
        title=doc.title,
        authors=doc.author,
        date=doc.date,
        sitename=doc.sitename,
        port=port,
    )
