"""Remote sources of a day: feeds, sitemaps and single pages, fetched politely.

Sources come from ``Settings.sources`` and from ``INBOX/<day>/sources.txt``, one per
line: ``feed URL``, ``sitemap URL``, ``url URL`` or a bare URL (a page); ``#`` starts
a comment. Each article URL found is one input: its fetched page becomes a document,
or the fetch error becomes a reject. A feed or sitemap that cannot be fetched or read
is one reject too. Feeds and sitemaps are fetched with conditional GET; a 304 means
nothing new, and adds no input.

One budget of ``max_source_urls`` URLs per day, whatever the route: every source,
nested sitemap, article page and feed item (of a remote feed or of a feed file in the
inbox) draws one from it. What the budget leaves out is one ``too_many_urls`` reject per
list that was cut, saying how many were left (never one reject per URL); the lists
themselves are kept (inbox files stay, fetched feeds are in the day's raw WARC).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from newsflow.errors import InputError
from newsflow.ingest.decode import DecodeError, decode_bytes
from newsflow.ingest.feeds import FeedError, FeedItem, item_document, parse_feed, parse_sitemap
from newsflow.ingest.fetch import PAGE_TYPES, FetchError, Response
from newsflow.records import RawDoc, Reject

log = logging.getLogger(__name__)
STAGE = "ingest"
SOURCES_FILE = "sources.txt"
KINDS = ("feed", "sitemap", "url")
_MAX_SITEMAP_DEPTH = 3
_Parsed = TypeVar("_Parsed")  # what a feed or sitemap parser returns


class SourceError(InputError):
    """A line of a sources list that is not ``[feed|sitemap|url] URL``."""


@dataclass(frozen=True, slots=True)
class Source:
    kind: str  # feed, sitemap or url
    url: str


class FetcherLike(Protocol):
    """What ingest fetches with: the live ``Fetcher``, or a replay of the day's WARC."""

    def fetch(
        self, url: str, *, accept: tuple[str, ...] | None = ..., conditional: bool = ...
    ) -> Response: ...


def parse_sources(lines: Iterable[str], where: str = "sources") -> list[Source]:
    """Sources from lines of ``[kind] URL``; raises SourceError naming the bad line."""
    out: list[Source] = []
    for n, line in enumerate(lines, start=1):
        line = line.split("#", 1)[0].strip() if line.lstrip().startswith("#") else line.strip()
        if not line:
            continue
        parts = line.split()
        kind, url = ("url", parts[0]) if len(parts) == 1 else (parts[0].lower(), parts[-1])
        if (
            len(parts) > 2
            or kind not in KINDS
            or not url.lower().startswith(("http://", "https://"))
        ):
            raise SourceError(
                f"{where} line {n}: expected '[feed|sitemap|url] http(s)://...', got {line[:120]!r}"
            )
        out.append(Source(kind, url))
    return out


def day_sources(day_dir: Path, configured: list[str]) -> list[Source]:
    """The configured sources, then those of ``day_dir/sources.txt``, without repeats.
    A day folder or sources list that is a symbolic link is refused unread (its lines
    would be echoed in the error of a bad line: ``/etc/shadow``'s, for one)."""
    found = parse_sources(configured, "setting 'sources'")
    f = day_dir / SOURCES_FILE
    for link in (day_dir, f):
        if link.is_symlink():
            raise SourceError(
                f"{link} is a symbolic link: refused, the inbox's links are not followed"
            )
    if f.is_file():
        found += parse_sources(f.read_text("utf-8", errors="replace").splitlines(), str(f))
    return list(dict.fromkeys(found))


@dataclass(slots=True)
class _Page:
    url: str
    item: FeedItem | None  # what the feed or sitemap said about it


def page_document(resp: Response, item: FeedItem | None) -> RawDoc | Reject:
    """A fetched page as a document, with the feed's title/date/source as hints."""
    if not resp.body.strip():
        return Reject(resp.url, STAGE, "empty", "the page is empty", b"")
    kind = "text" if resp.content_type == "text/plain" else "html"
    try:
        content = decode_bytes(resp.body, html=kind == "html", declared=resp.charset)
    except DecodeError as e:
        return Reject(resp.url, STAGE, "not_text", str(e), resp.body)
    doc = RawDoc(resp.url, kind, content, resp.body)
    doc.url = resp.final_url or resp.url
    if item is not None:
        doc.title, doc.published_at, doc.source = item.title, item.published_at, item.source
    return doc


class RemoteIngest:
    """Turns sources (and feed items found in inbox files) into documents and rejects.

    ``record`` is called with every response and fetch error, to keep them in the day's
    raw WARC. ``fetch_pages`` False makes feed items documents of the feed's own text.
    """

    def __init__(
        self,
        fetcher: FetcherLike,
        *,
        concurrency: int,
        max_urls: int,
        fetch_pages: bool = True,
        record: Callable[[str, Response | FetchError], None] | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.concurrency = concurrency
        self.max_urls = max_urls
        self.fetch_pages = fetch_pages
        self.record = record or (lambda url, r: None)
        self.counts = {
            "feeds": 0,
            "sitemaps": 0,
            "unchanged": 0,
            "pages_fetched": 0,
            "over_budget": 0,
        }
        self._left = max_urls  # the day's budget, shared by every route
        self._seen: set[str] = set()

    def _take(self) -> bool:
        """Draw one URL from the day's budget; False once it is spent."""
        if self._left <= 0:
            return False
        self._left -= 1
        return True

    def _cut(self, uri: str, n: int, what: str) -> Reject:
        """The one reject standing for the ``n`` URLs of a list the budget left out."""
        self.counts["over_budget"] += n
        return Reject(
            uri,
            STAGE,
            "too_many_urls",
            f"{n} {what} not taken: the day's budget of max_source_urls={self.max_urls} URLs "
            "(sources, sitemaps, pages and feed items together) is spent",
            b"",
        )

    def _queue(self, page: _Page, pages: list[_Page]) -> bool:
        """Queue a page to fetch, drawn from the budget; False when the budget is spent.
        A URL already queued (listed by two feeds) is one input: nothing is drawn."""
        if page.url in self._seen:
            return True
        if not self._take():
            return False
        self._seen.add(page.url)
        pages.append(page)
        return True

    def _get(
        self, url: str, *, accept: tuple[str, ...] | None, conditional: bool = False
    ) -> Response:
        try:
            resp = self.fetcher.fetch(url, accept=accept, conditional=conditional)
        except FetchError as e:
            self.record(url, e)
            raise
        self.record(url, resp)
        return resp

    def run(self, sources: list[Source]) -> Iterator[RawDoc | Reject]:
        pages: list[_Page] = []
        left_out = 0
        for src in sources:
            if src.kind == "url":
                left_out += not self._queue(_Page(src.url, None), pages)
            elif not self._take():
                left_out += 1
            elif src.kind == "feed":
                yield from self._feed(src.url, pages)
            else:
                yield from self._sitemap(src.url, pages, depth=0)
        if left_out:
            yield self._cut("sources#over_budget", left_out, "of the day's sources")
        yield from self.pages(pages)

    def _fetch_parsed(
        self, url: str, parse: Callable[[bytes, str], _Parsed]
    ) -> Generator[Reject, None, _Parsed | None]:
        """Conditional GET of a feed or sitemap, parsed with ``parse``; yields a Reject
        when it cannot be fetched or parsed; returns None for those and for a 304."""
        try:
            resp = self._get(url, accept=None, conditional=True)
        except FetchError as e:
            yield Reject(url, STAGE, e.code, e.message, b"")
            return None
        if resp.status == 304:
            self.counts["unchanged"] += 1
            return None
        try:
            return parse(resp.body, resp.final_url)
        except FeedError as e:
            yield Reject(url, STAGE, e.code, str(e), resp.body)
            return None

    def _feed(self, url: str, pages: list[_Page]) -> Iterator[RawDoc | Reject]:
        self.counts["feeds"] += 1
        parsed = yield from self._fetch_parsed(url, parse_feed)
        if parsed is not None:
            yield from self.items(parsed[0], url, pages)

    def _sitemap(self, url: str, pages: list[_Page], depth: int) -> Iterator[RawDoc | Reject]:
        self.counts["sitemaps"] += 1
        parsed = yield from self._fetch_parsed(url, parse_sitemap)
        if parsed is None:
            return
        items, nested = parsed
        yield from self.items(items, url, pages)
        if nested and depth + 1 >= _MAX_SITEMAP_DEPTH:
            yield Reject(
                f"{url}#nested",
                STAGE,
                "sitemap_too_deep",
                f"{len(nested)} nested sitemaps not fetched: sitemap indexes nest deeper "
                f"than {_MAX_SITEMAP_DEPTH} levels",
                "\n".join(nested).encode(),
            )
            return
        for k, sub in enumerate(nested):
            if not self._take():
                yield self._cut(f"{url}#nested", len(nested) - k, "nested sitemaps")
                return
            yield from self._sitemap(sub, pages, depth + 1)

    def items(
        self, items: list[FeedItem], where: str, pages: list[_Page]
    ) -> Iterator[RawDoc | Reject]:
        """Queue the pages of feed items (or, not fetching, make documents of them), each
        drawn from the day's budget; the items past it are one ``too_many_urls`` reject."""
        for n, item in enumerate(items, start=1):
            if self.fetch_pages and item.url:
                if self._queue(_Page(item.url, item), pages):
                    continue
            elif self._take():
                if self.fetch_pages:
                    yield Reject(
                        f"{where}#item{n}", STAGE, "no_url", "the feed item has no link", item.raw()
                    )
                else:
                    yield item_document(item, item.url or f"{where}#item{n}")
                continue
            yield self._cut(f"{where}#over_budget", len(items) - n + 1, f"items of {where}")
            return

    def pages(self, pages: list[_Page]) -> Iterator[RawDoc | Reject]:
        """Fetch pages (queued once each, see ``_queue``) with a bounded window of requests
        in flight, yielding in order."""
        todo = deque(pages)
        if not todo:
            return
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="fetch") as pool:
            window: deque[tuple[_Page, Future[Response]]] = deque()
            while todo or window:
                while todo and len(window) < 2 * self.concurrency:
                    p = todo.popleft()
                    window.append((p, pool.submit(self._get, p.url, accept=PAGE_TYPES)))
                page, fut = window.popleft()
                try:
                    resp = fut.result()
                except FetchError as e:
                    yield Reject(
                        page.url, STAGE, e.code, e.message, page.item.raw() if page.item else b""
                    )
                    continue
                except Exception as e:  # a bug in one fetch must not end the run
                    log.warning("fetch of %s failed", page.url, exc_info=True)
                    yield Reject(page.url, STAGE, "fetch_error", f"{type(e).__name__}: {e}", b"")
                    continue
                self.counts["pages_fetched"] += 1
                yield page_document(resp, page.item)
