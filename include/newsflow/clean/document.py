"""Turn one RawDoc into an article row (or a Reject), whatever its format."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from newsflow import __version__
from newsflow.clean.chrome import strip_chrome, strip_page_chrome
from newsflow.clean.html import extract_html
from newsflow.clean.metadata import (
    agency_of,
    clean_authors,
    clean_title,
    date_from_url,
    dateline,
    detect_language,
    normalise_text,
)
from newsflow.clean.urls import canonical_url, domain
from newsflow.clean.words import count_words
from newsflow.dates import date_precision, parse_datetime
from newsflow.ids import article_id, content_hash
from newsflow.records import RawDoc, Reject

if TYPE_CHECKING:
    from newsflow.clean.repeats import LineEvidence

STAGE = "clean"


def clean_document(
    doc: RawDoc,
    *,
    day: date,
    min_words: int = 20,
    evidence: LineEvidence | None = None,
) -> dict[str, Any] | Reject:
    """An article row for ``doc`` (without dedup and story columns), or a Reject.

    HTML goes through trafilatura, then both HTML and plain text go through the same
    chrome stripping, so a page's leftovers and a text dump's boilerplate are removed
    by one set of rules. ``evidence`` (text dumps): how often the dump's lines recur in
    its source's other dumps (``repeats.SourceLines``).
    """
    title, authors, published, sitename = doc.title, list(doc.authors), doc.published_at, None
    precision = (doc.published_precision or "second") if published else None
    if doc.kind == "html":
        ex = extract_html(doc.content, url=doc.url)
        if ex is None:
            return Reject(
                doc.source_uri, STAGE, "no_text", "no main text found in the page", doc.raw
            )
        text, sitename = ex.text, ex.sitename
        title = title or clean_title(ex.title, ex.sitename, doc.url)
        authors = authors or clean_authors(ex.authors)
        if published is None and ex.date:
            published, precision = parse_datetime(ex.date), date_precision(ex.date)
    else:
        text = doc.content
    if doc.kind == "html":
        stripped = strip_page_chrome(normalise_text(text), title=title)
    else:
        stripped = strip_chrome(
            normalise_text(text, keep_breaks=True), title=title, evidence=evidence
        )
    body = "\n".join(stripped.paragraphs) or _headline_only(text, stripped.title)
    words = count_words(body)
    # a reader gets the headline and the text: a wire brief of one sentence under its
    # headline is news, a page whose extraction is a few words is not
    headed = words + (count_words(stripped.title) if stripped.title and body else 0)
    if headed < min_words or words == 0:
        # judge length on the input when the rules left nothing: a short note is
        # "too short", a long page without an article is "no text"
        before = headed or count_words(normalise_text(text))
        if before < max(min_words, 1):
            return Reject(
                doc.source_uri, STAGE, "too_short", f"{before} words (< {min_words})", doc.raw
            )
        return Reject(
            doc.source_uri, STAGE, "no_text", "nothing left after removing page chrome", doc.raw
        )
    if published is None:
        published, precision = _url_date(doc.url), "day"  # a URL path holds a day
    published = _plausible(published, day)
    agency, _place = dateline(body)
    if agency is None:
        credits = [a for a in map(agency_of, stripped.caption_credits) if a]
        agency = credits[0] if credits else None
    canon = canonical_url(doc.url)
    chash = content_hash(body)
    return {
        "article_id": article_id(canon, chash, day.isoformat()),
        "source_uri": doc.source_uri,
        "url": doc.url,
        "canonical_url": canon,
        "source": doc.source or agency or sitename or domain(doc.url),
        "title": stripped.title,
        "authors": authors or stripped.authors,
        "published_at": published,
        "published_precision": precision if published else None,
        "language": detect_language(body),
        "text": body,
        "word_count": words,
        "content_hash": chash,
        "ingest_date": day,
        "pipeline_version": __version__,
    }


def _headline_only(text: str, title: str | None) -> str:
    """The headline as the body of a text that is nothing but its headline (a one-line
    brief whose title field repeats it): chrome stripping drops a line repeating the
    title, which here would leave no article at all."""
    if not title:
        return ""
    key = title.casefold()
    lines = [line.strip() for line in normalise_text(text).split("\n") if line.strip()]
    return title if lines and all(line.casefold() == key for line in lines) else ""


def _url_date(url: str | None) -> datetime | None:
    d = date_from_url(url)
    return datetime(d.year, d.month, d.day, tzinfo=UTC) if d else None


def _plausible(published: datetime | None, day: date) -> datetime | None:
    """None for dates after the day being processed (plus a day for time zones): an
    article cannot be published after it was collected, so such a date is a page's
    "updated"/event/expiry date or a parsing error, not the publication date."""
    if published is None:
        return None
    latest = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=2)
    return published if published < latest else None
