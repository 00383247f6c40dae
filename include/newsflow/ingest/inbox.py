"""Walk one inbox day and yield a RawDoc or a Reject for every input document.

Every input is accounted for: each file (each line of a JSONL file, each item of a
feed, each HTML response record of a WARC) yields exactly one record, so ``inputs ==
articles + rejects`` holds downstream; a file that holds no document is one reject.
Sidecar ``.json`` files belong to their HTML page and ``sources.txt`` lists remote
sources (see ``remote.py``): neither is an input of its own.

Links are never followed and special files never opened: a symbolic link in the day
folder (wherever it points, inside the inbox or not) is a ``symlink`` reject and a FIFO,
device or socket a ``special_file`` reject, with no byte read. A link could otherwise
put ``/proc/self/environ`` or ``/etc/shadow`` into the rejects, and a FIFO would block
the run forever. A day folder that is itself a link is refused as a whole.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import posixpath
import stat
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from newsflow.dates import date_precision, parse_datetime
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
from newsflow.lake.raw_rejects import FileRange, open_regular
from newsflow.records import RawDoc, Reject

log = logging.getLogger(__name__)
ItemHandler = Callable[[list[FeedItem], str], Iterator[RawDoc | Reject]]

HTML_EXT = {".html", ".htm"}
TEXT_EXT = {".txt"}
JSONL_EXT = {".jsonl"}
STAGE = "ingest"


class TooLarge(ValueError):
    """An input over the configured size cap."""


class SymlinkRefused(ValueError):
    """The day folder is a symbolic link: it is not read at all."""


def _feed_text_items(items: list[FeedItem], where: str) -> Iterator[RawDoc | Reject]:
    for n, item in enumerate(items, start=1):
        yield item_document(item, f"{where}#item{n}")


def iter_inbox(
    day_dir: str | Path,
    *,
    max_bytes: int = 20 * 1024 * 1024,
    sidecar_max_bytes: int = 1 << 20,
    feed_items: ItemHandler | None = None,
) -> Iterator[RawDoc | Reject]:
    """Yield the documents of ``day_dir`` in a stable order (sorted relative paths).

    ``feed_items`` turns the items of a feed file into documents (by fetching their
    pages); by default they are documents of the feed's own text.
    """
    root = Path(day_dir)
    check_day_dir(root)
    if not root.is_dir():
        raise FileNotFoundError(f"inbox folder {root} does not exist")
    entries = sorted(_walk(root))
    names = {_name(p.relative_to(root).as_posix()) for p, kind in entries if kind == "file"}
    for path, kind in entries:
        rel = _name(path.relative_to(root).as_posix())
        if kind != "file":
            yield _refused(path, rel, kind)
            continue
        if _is_sidecar(rel, names) or rel == SOURCES_FILE:
            continue
        n = 0
        try:
            reader = _read_file(
                path, rel, max_bytes, feed_items or _feed_text_items, sidecar_max_bytes
            )
            for rec in reader:
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


def check_day_dir(day_dir: Path) -> None:
    """Raise SymlinkRefused if the day folder is a symbolic link (the inbox root may be
    one: that is where the operator put the inbox; a day inside it may not)."""
    if day_dir.is_symlink():
        raise SymlinkRefused(
            f"inbox folder {day_dir} is a symbolic link (to {os.readlink(day_dir)!r}): "
            "refused, links in the inbox are not followed; move the folder in instead"
        )


def _walk(root: Path) -> Iterator[tuple[Path, str]]:
    """Every entry under ``root`` but hidden ones (``.name``), without following links:
    ``(path, kind)``, kind one of file, symlink, special, unreadable. Iterative: a deep
    tree of folders cannot exhaust the stack."""
    todo = [root]
    while todo:
        folder = todo.pop()
        try:
            with os.scandir(folder) as it:
                found = [e for e in it if not e.name.startswith(".")]
        except OSError:
            if folder == root:
                raise
            yield Path(folder), "unreadable"
            continue
        for e in found:
            if e.is_symlink():
                yield Path(e.path), "symlink"
            elif e.is_dir(follow_symlinks=False):
                todo.append(Path(e.path))
            elif e.is_file(follow_symlinks=False):
                yield Path(e.path), "file"
            else:
                yield Path(e.path), "special"


def _name(rel: str) -> str:
    """A file's relative path as stored text: bytes that are not UTF-8 are shown as
    ``\\xff`` escapes, readable, and distinct for two different names."""
    return os.fsencode(rel).decode("utf-8", "backslashreplace")


def _refused(path: Path, rel: str, kind: str) -> Reject:
    """The reject of a walk entry that is not read: a link, a special file, a folder
    that cannot be listed. Nothing is opened: a link's target is only named."""
    if kind == "symlink":
        try:
            target = _name(os.readlink(path))
        except OSError:
            target = "?"
        return Reject(
            rel,
            STAGE,
            "symlink",
            f"a symbolic link (to {target!r}) is not followed: links in the inbox are refused; "
            "copy the file in instead",
        )
    if kind == "special":
        return Reject(
            rel, STAGE, "special_file", "not a regular file (a FIFO, device or socket): not opened"
        )
    return Reject(rel, STAGE, "read_error", "the folder cannot be listed")


def _inner_name(rel: str) -> str:
    return rel[:-3] if rel.lower().endswith(".gz") else rel


def _is_sidecar(rel: str, names: set[str]) -> bool:
    if not rel.lower().endswith(".json"):
        return False
    stem = rel[:-5]
    return any(stem + ext in names for ext in (".html", ".htm", ".html.gz", ".htm.gz"))


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, gunzipped if needed; never more than ``max_bytes`` in memory."""
    with open_regular(path) as f:
        magic = f.read(2)
        f.seek(0)
        stream = gzip.GzipFile(fileobj=f) if magic == b"\x1f\x8b" else f
        data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TooLarge(f"input is larger than the {max_bytes} byte limit")
    return data


def _read_file(
    path: Path, rel: str, max_bytes: int, feed_items: ItemHandler, sidecar_max_bytes: int
) -> Iterator[RawDoc | Reject]:
    inner = _inner_name(rel)
    ext = Path(inner).suffix.lower()
    if ext == ".warc":
        what = "HTML or text response record"
        yield from _or_empty(iter_warc_file(path, rel, max_bytes), rel, what, b"")
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
        yield from _or_empty(_read_jsonl(raw, rel), rel, "JSON line", raw)
        return
    kind = xml_kind(raw) if ext in FEED_EXT or ext not in HTML_EXT | TEXT_EXT else None
    if ext in FEED_EXT or kind:
        try:
            items, nested = parse_sitemap(raw) if kind == "sitemap" else (parse_feed(raw)[0], [])
        except FeedError as e:
            yield Reject(rel, STAGE, e.code, str(e), raw)
            return
        if nested:
            yield _sitemap_index(rel, nested, b"" if items else raw, whole=not items)
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
    problem = _apply_sidecar(doc, path, rel, sidecar_max_bytes) if ext in HTML_EXT else None
    yield doc
    if problem is not None:
        yield problem


def _or_empty(
    records: Iterator[RawDoc | Reject], rel: str, what: str, raw: bytes
) -> Iterator[RawDoc | Reject]:
    """``records``, or one ``empty`` reject if there are none: a file is never silent."""
    empty = True
    for rec in records:
        empty = False
        yield rec
    if empty:
        yield Reject(rel, STAGE, "empty", f"the file holds no {what}", raw)


def _sitemap_index(rel: str, nested: list[str], raw: bytes, *, whole: bool) -> Reject:
    """A sitemap index in the inbox is one reject, not a crawl: it holds no article,
    only more lists; following them from a dropped file would fetch without the day's
    URL budget. ``sources.txt`` is where a crawl is asked for, with its limits."""
    return Reject(
        rel if whole else f"{rel}#sitemaps",
        STAGE,
        "sitemap_index",
        f"a sitemap index lists {len(nested)} sitemaps, not articles, and inbox files are "
        f"not crawled; to fetch them, add 'sitemap URL' lines to {SOURCES_FILE} "
        f"(first: {nested[0][:200]})",
        raw,
    )


def _apply_sidecar(doc: RawDoc, path: Path, rel: str, max_bytes: int) -> Reject | None:
    """Apply the page's sidecar ``.json`` to ``doc``; a sidecar over ``max_bytes`` is not
    read and a broken one not applied: the page is kept without their hints, and the
    sidecar is a reject saying why (one row of its own, so inputs still add up)."""
    base = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
    sidecar = path.with_name(Path(base).stem + ".json")
    uri = posixpath.join(posixpath.dirname(rel), _name(sidecar.name))
    try:
        st = os.lstat(sidecar)
    except OSError:
        return None  # no sidecar
    if not stat.S_ISREG(st.st_mode):
        return None  # a link or special file: the walk rejected it, unread
    if st.st_size > max_bytes:
        return Reject(
            uri,
            STAGE,
            "sidecar_too_large",
            f"the sidecar is {st.st_size} bytes, over the {max_bytes} byte limit "
            "(sidecar_max_bytes): not read; the page was ingested without it",
        )
    data = b""
    try:
        with open_regular(sidecar) as f:
            data = f.read(max_bytes)
        meta = json.loads(data.decode("utf-8-sig"))
    except (ValueError, OSError, RecursionError) as e:
        detail = (str(e).splitlines() or [type(e).__name__])[0][:200]
        return Reject(
            uri,
            STAGE,
            "bad_sidecar",
            f"not readable JSON ({detail}); the page was ingested without it",
            data,
        )
    if not isinstance(meta, dict):
        return Reject(
            uri,
            STAGE,
            "bad_sidecar",
            "not a JSON object; the page was ingested without it",
            data,
        )
    _apply_meta(doc, meta)
    return None


def _apply_meta(doc: RawDoc, meta: dict) -> None:
    def text(key: str) -> str | None:
        v = meta.get(key)
        return v.strip() or None if isinstance(v, str) else None

    doc.url = text("url")
    doc.title = text("title")
    doc.source = text("source")
    doc.published_at = parse_datetime(meta.get("published_at"))
    doc.published_precision = date_precision(meta.get("published_at")) if doc.published_at else None
    authors = meta.get("authors") or meta.get("author")
    if isinstance(authors, str):
        authors = [authors]
    if isinstance(authors, list):
        doc.authors = [a.strip() for a in authors if isinstance(a, str) and a.strip()]


def _read_jsonl(raw: bytes, rel: str) -> Iterator[RawDoc | Reject]:
    """One record per non-blank line; whatever goes wrong with a line is that line's
    reject, never the rest of the file's."""
    for n, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        uri = f"{rel}#L{n}"
        try:
            yield _jsonl_line(line, uri, n)
        except Exception as e:  # noqa: BLE001 - one bad line must not take the next ones
            log.warning("cannot read %s", uri, exc_info=True)
            yield Reject(uri, STAGE, "read_error", f"line {n}: {type(e).__name__}", line)


def _jsonl_line(line: bytes, uri: str, n: int) -> RawDoc | Reject:
    try:
        obj = json.loads(line.decode("utf-8-sig"))
    except RecursionError:
        return Reject(uri, STAGE, "bad_json", f"line {n} is nested too deep to read", line)
    except (UnicodeDecodeError, ValueError) as e:
        return Reject(uri, STAGE, "bad_json", f"line {n} is not valid JSON ({e})", line)
    if not isinstance(obj, dict):
        return Reject(uri, STAGE, "bad_json", f"line {n} is not a JSON object", line)
    html, text = obj.get("html"), obj.get("text")
    if isinstance(html, str) and html.strip():
        doc = RawDoc(uri, "html", html, line)
    elif isinstance(text, str) and text.strip():
        doc = RawDoc(uri, "text", text, line)
    else:
        return Reject(uri, STAGE, "missing_text", f"line {n} has neither 'text' nor 'html'", line)
    _apply_meta(doc, obj)
    return doc
