"""Walk one inbox day and yield a RawDoc or a Reject for every input document.

Every input is accounted for: each file (each line of a JSONL file, each item of a
feed, each HTML response record of a WARC) yields exactly one record, so ``inputs ==
articles + rejects`` holds downstream. Sidecar ``.json`` files belong to their HTML
page and ``sources.txt`` lists remote sources (see ``remote.py``): neither is an input
of its own.
"""

from __future__ import annotations

import gzip
import json
import logging
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from newsflow.dates import parse_datetime
from newsflow.ingest.decode import DecodeError, decode_bytes
from newsflow.ingest.feeds import (
    FEED_EXT,
    FeedError,
    FeedItem,
    item_document,
    parse_feed,
    parse_sitemap,
    xml_kind,
)
from newsflow.ingest.remote import SOURCES_FILE
from newsflow.ingest.warc import iter_warc_file
from newsflow.lake.raw_rejects import FileRange
from newsflow.records import RawDoc, Reject

log = logging.getLogger(__name__)
ItemHandler = Callable[[list[FeedItem], str], Iterator[RawDoc | Reject]]

HTML_EXT = {".html", ".htm"}
TEXT_EXT = {".txt"}
JSONL_EXT = {".jsonl"}
STAGE = "ingest"


class TooLarge(ValueError):
    """An input over the configured size cap."""


def _feed_text_items(items: list[FeedItem], where: str) -> Iterator[RawDoc | Reject]:
    for n, item in enumerate(items, start=1):
        yield item_document(item, f"{where}#item{n}")


def iter_inbox(
    day_dir: str | Path,
    *,
    max_bytes: int = 20 * 1024 * 1024,
    feed_items: ItemHandler | None = None,
) -> Iterator[RawDoc | Reject]:
    """Yield the documents of ``day_dir`` in a stable order (sorted relative paths).

    ``feed_items`` turns the items of a feed file into documents (by fetching their
    pages); by default they are documents of the feed's own text.
    """
    root = Path(day_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"inbox folder {root} does not exist")
    files = sorted(p for p in root.rglob("*") if p.is_file() and not _hidden(p, root))
    names = {p.relative_to(root).as_posix() for p in files}
    for path in files:
        rel = path.relative_to(root).as_posix()
        if _is_sidecar(rel, names) or rel == SOURCES_FILE:
            continue
        n = 0
        try:
            for rec in _read_file(path, rel, max_bytes, feed_items or _feed_text_items):
                n += 1
                yield rec
        except Exception as e:  # noqa: BLE001 - one unreadable file must not end the run
            log.warning("cannot read %s", rel, exc_info=True)
            detail = (str(e).splitlines() or [""])[0][:300]
            yield Reject(
                f"{rel}#rest" if n else rel,
                STAGE,
                "read_error",
                f"cannot read the file ({type(e).__name__}: {detail})",
                raw_source=FileRange(path),  # the whole file, streamed by the rejects sink
            )


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _inner_name(rel: str) -> str:
    return rel[:-3] if rel.lower().endswith(".gz") else rel


def _is_sidecar(rel: str, names: set[str]) -> bool:
    if not rel.lower().endswith(".json"):
        return False
    stem = rel[:-5]
    return any(stem + ext in names for ext in (".html", ".htm", ".html.gz", ".htm.gz"))


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, gunzipped if needed; never more than ``max_bytes`` in memory."""
    with open(path, "rb") as f:
        magic = f.read(2)
        f.seek(0)
        stream = gzip.GzipFile(fileobj=f) if magic == b"\x1f\x8b" else f
        data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TooLarge(f"input is larger than the {max_bytes} byte limit")
    return data


def _read_file(
    path: Path, rel: str, max_bytes: int, feed_items: ItemHandler
) -> Iterator[RawDoc | Reject]:
    inner = _inner_name(rel)
    ext = Path(inner).suffix.lower()
    if ext == ".warc":
        yield from iter_warc_file(path, rel, max_bytes)
        return
    try:
        raw = _read_bytes(path, max_bytes)
    except TooLarge as e:  # the whole file is kept, streamed by the rejects sink
        yield Reject(rel, STAGE, "too_large", str(e), raw_source=FileRange(path))
        return
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as e:
        yield Reject(rel, STAGE, "bad_gzip", f"cannot decompress: {e}", raw_source=FileRange(path))
        return
    if ext in JSONL_EXT:
        yield from _read_jsonl(raw, rel)
        return
    kind = xml_kind(raw) if ext in FEED_EXT or ext not in HTML_EXT | TEXT_EXT else None
    if ext in FEED_EXT or kind:
        try:
            items = parse_sitemap(raw)[0] if kind == "sitemap" else parse_feed(raw)[0]
        except FeedError as e:
            yield Reject(rel, STAGE, e.code, str(e), raw)
            return
        yield from feed_items(items, rel)
        return
    if ext not in HTML_EXT | TEXT_EXT:
        yield Reject(rel, STAGE, "unsupported_format", f"no reader for '{ext or rel}' files", raw)
        return
    if not raw.strip():
        yield Reject(rel, STAGE, "empty", "the file is empty", raw)
        return
    try:
        content = decode_bytes(raw, html=ext in HTML_EXT)
    except DecodeError as e:
        yield Reject(rel, STAGE, "not_text", str(e), raw)
        return
    doc = RawDoc(rel, "html" if ext in HTML_EXT else "text", content, raw)
    if ext in HTML_EXT:
        _apply_sidecar(doc, path)
    yield doc


def _apply_sidecar(doc: RawDoc, path: Path) -> None:
    base = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
    sidecar = path.with_name(Path(base).stem + ".json")
    if not sidecar.is_file():
        return
    try:
        meta = json.loads(sidecar.read_text("utf-8"))
    except (ValueError, OSError):
        return  # a broken sidecar loses only hints; the page itself is still good
    if isinstance(meta, dict):
        _apply_meta(doc, meta)


def _apply_meta(doc: RawDoc, meta: dict) -> None:
    def text(key: str) -> str | None:
        v = meta.get(key)
        return v.strip() or None if isinstance(v, str) else None

    doc.url = text("url")
    doc.title = text("title")
    doc.source = text("source")
    doc.published_at = parse_datetime(meta.get("published_at"))
    authors = meta.get("authors") or meta.get("author")
    if isinstance(authors, str):
        authors = [authors]
    if isinstance(authors, list):
        doc.authors = [a.strip() for a in authors if isinstance(a, str) and a.strip()]


def _read_jsonl(raw: bytes, rel: str) -> Iterator[RawDoc | Reject]:
    for n, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        uri = f"{rel}#L{n}"
        try:
            obj = json.loads(line.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as e:
            yield Reject(uri, STAGE, "bad_json", f"line {n} is not valid JSON ({e})", line)
            continue
        if not isinstance(obj, dict):
            yield Reject(uri, STAGE, "bad_json", f"line {n} is not a JSON object", line)
            continue
        html, text = obj.get("html"), obj.get("text")
        if isinstance(html, str) and html.strip():
            doc = RawDoc(uri, "html", html, line)
        elif isinstance(text, str) and text.strip():
            doc = RawDoc(uri, "text", text, line)
        else:
            yield Reject(
                uri, STAGE, "missing_text", f"line {n} has neither 'text' nor 'html'", line
            )
            continue
        _apply_meta(doc, obj)
        yield doc
