"""RSS 2.0 / Atom / RDF feeds and XML sitemaps: the lists of articles sites publish.

Both are parsed from bytes only (feedparser would otherwise fetch a URL itself, past
our HTTP politeness and SSRF rules). Documents that declare XML entities are refused
before any parser sees them: no news feed needs them, and they are how "billion
laughs" bombs expand a few kilobytes into gigabytes.
"""

from __future__ import annotations

import calendar
import codecs
import html
import json
import logging
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

from newsflow.dates import parse_datetime
from newsflow.records import RawDoc, Reject, Storable

log = logging.getLogger(__name__)
STAGE = "ingest"
FEED_EXT = {".xml", ".rss", ".atom", ".rdf"}
_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(rss|feed|RDF|urlset|sitemapindex)[\s>/]")
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_CHARREF = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")  # parsers take no ';' too
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class FeedError(ValueError):
    """A feed or sitemap that cannot be read; ``code`` becomes the reject reason code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(slots=True)
class FeedItem(Storable):
    """One entry of a feed or sitemap: where the article is, and what the list says of it."""

    url: str | None
    title: str | None = None
    published_at: datetime | None = None
    summary: str | None = None
    content: str | None = None
    source: str | None = None

    def raw(self) -> bytes:
        """The item as JSON bytes: what a reject keeps when its page cannot be had."""
        d = asdict(self)
        d["published_at"] = self.published_at.isoformat() if self.published_at else None
        return json.dumps(d, ensure_ascii=False).encode()


def _ascii_view(raw: bytes) -> bytes:
    """The document's head as ASCII-compatible bytes (UTF-16/32 feeds re-encoded)."""
    head = raw[:65536]
    for bom, enc in _WIDE_BOMS:
        if head.startswith(bom):
            return head.decode(enc, errors="replace").encode("utf-8", errors="replace")
    return head


def xml_kind(raw: bytes) -> str | None:
    """ "feed", "sitemap" or None, from the root element in the document's head."""
    m = _ROOT.search(_ascii_view(raw)[:8192])
    if not m:
        return None
    return "sitemap" if m.group(1) in (b"urlset", b"sitemapindex") else "feed"


def _refuse_entities(raw: bytes) -> None:
    if _ENTITY_DECL.search(_ascii_view(raw)) or _ENTITY_DECL.search(raw):
        raise FeedError(
            "xml_entities",
            "the document declares XML entities (<!ENTITY>); refused unparsed, "
            "as entity expansion can exhaust memory",
        )


def _valid_char(m: re.Match[str]) -> str:
    hex_, dec = m.groups()
    digits = (hex_ or dec).lstrip("0")
    code = int(digits or "0", 16 if hex_ else 10) if len(digits) <= 8 else -1
    bad = not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF
    return "&#xFFFD;" if bad else m.group(0)


def _valid_charrefs(raw: bytes) -> bytes:
    """``raw`` with character references to no character (``&#xD800;``, ``&#0;``,
    ``&#x110000;``) replaced by U+FFFD's, as HTML5 parsers do. Left in, a surrogate
    reference crashed feedparser's loose parser and lxml's text access, so one bad item
    lost the whole feed."""
    for bom, enc in _WIDE_BOMS:
        if raw.startswith(bom):  # re-encoded as found (the codec writes the BOM back)
            return _CHARREF.sub(_valid_char, raw.decode(enc, errors="replace")).encode(enc)
    if b"&#" not in raw:
        return raw
    text = raw.decode("latin-1")  # byte-transparent: references are ASCII in any such feed
    return _CHARREF.sub(_valid_char, text).encode("latin-1")


def _when(entry: dict, *keys: str) -> datetime | None:
    for k in keys:
        t = entry.get(k + "_parsed")
        if t:
            try:
                return datetime.fromtimestamp(calendar.timegm(t), UTC)
            except (OverflowError, ValueError, TypeError):
                pass
        v = parse_datetime(entry.get(k))
        if v:
            return v
    return None


def _text(v: object) -> str | None:
    return v.strip() or None if isinstance(v, str) else None


def parse_feed(raw: bytes, base_url: str | None = None) -> tuple[list[FeedItem], str | None]:
    """The items of an RSS/Atom/RDF feed, and the feed's title.

    feedparser's loose parser recovers items from malformed feeds (unescaped ``&``,
    truncation); the defect is logged, the items kept. A document with no items and
    no recognisable feed root raises FeedError.
    """
    import feedparser

    _refuse_entities(raw)
    raw = _valid_charrefs(raw)
    parsed = feedparser.parse(raw, response_headers={"content-location": base_url or ""})
    if parsed.bozo:
        log.info(
            "feed %s is malformed (%s); kept what could be read",
            base_url or "",
            parsed.get("bozo_exception"),
        )
    if not parsed.entries:
        if not parsed.version and xml_kind(raw) is None:
            raise FeedError("bad_feed", "not an RSS, Atom or RDF feed (no feed root element)")
        raise FeedError("empty_feed", "the feed has no items")
    feed_title = _text(parsed.feed.get("title"))
    items = []
    for e in parsed.entries:
        link = _text(e.get("link"))
        if link and base_url:
            link = urljoin(base_url, link)
        content = None
        if e.get("content"):
            content = _text(max((c.get("value") or "" for c in e["content"]), key=len))
        items.append(
            FeedItem(
                url=link,
                title=_text(e.get("title")),
                published_at=_when(e, "published", "updated", "created"),
                summary=_text(e.get("summary")),
                content=content,
                source=feed_title,
            )
        )
    return items, feed_title


def parse_sitemap(raw: bytes, base_url: str | None = None) -> tuple[list[FeedItem], list[str]]:
    """Article entries of a sitemap (news sitemaps give title and publication date), and
    the nested sitemaps of a sitemap index."""
    from lxml import etree

    _refuse_entities(raw)
    raw = _valid_charrefs(raw)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, recover=True, huge_tree=False, load_dtd=False
    )
    try:
        root = etree.fromstring(raw, parser=parser)
    except etree.XMLSyntaxError as e:
        raise FeedError("bad_sitemap", f"not a readable sitemap ({e})") from None
    if root is None:
        raise FeedError("bad_sitemap", "not a readable sitemap (no root element)")

    def local(el) -> str:
        return etree.QName(el).localname if isinstance(el.tag, str) else ""

    def child_text(el, name: str) -> str | None:
        for c in el.iter():
            if local(c) == name and c.text and c.text.strip():
                return c.text.strip()
        return None

    items: list[FeedItem] = []
    nested: list[str] = []
    for el in root:
        kind = local(el)
        loc = child_text(el, "loc")
        if not loc:
            continue
        loc = urljoin(base_url, loc) if base_url else loc
        if kind == "sitemap":
            nested.append(loc)
        elif kind == "url":
            items.append(
                FeedItem(
                    url=loc,
                    title=child_text(el, "title"),
                    published_at=parse_datetime(child_text(el, "publication_date")),
                    source=child_text(el, "name"),
                )
            )
    if not items and not nested:
        raise FeedError("empty_sitemap", "the sitemap lists no URLs")
    return items, nested


def item_document(item: FeedItem, source_uri: str) -> RawDoc | Reject:
    """A feed item as a document made from the feed's own text (no page fetched)."""
    body = item.content or item.summary
    if not body:
        return Reject(source_uri, STAGE, "no_content", "the feed item has no text", item.raw())
    title = html.escape(item.title or "")
    page = f"<html><head><title>{title}</title></head><body><article>{body}</article></body></html>"
    doc = RawDoc(source_uri, "html", page, item.raw())
    doc.url, doc.title, doc.published_at, doc.source = (
        item.url,
        item.title,
        item.published_at,
        item.source,
    )
    return doc
