"""WARC files: reading crawls from the inbox, and keeping a day's own fetches.

Inbox ``*.warc`` / ``*.warc.gz``: every ``response`` record whose payload is HTML (or
text) is one input; other records (requests, metadata, images) are not documents.
A truncated or corrupt file keeps the records read before the damage and adds one
reject for the rest, with its bytes.

``RawArchive`` writes every response a run fetched (and every fetch error, as a
``metadata`` record) to ``LAKE/_raw/dt=D/fetch.warc.gz``, swapped in atomically when
the day's fetching is done. ``ReplayFetcher`` answers the same requests from that
file, so re-running a day re-cleans it without a single request.
"""

from __future__ import annotations

import contextlib
import glob
import io
import json
import logging
import os
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsflow.ingest.decode import DecodeError, decode_bytes
from newsflow.ingest.fetch import FetchError, Response
from newsflow.lake import storage
from newsflow.lake.raw_rejects import FileRange
from newsflow.records import RawDoc, Reject

log = logging.getLogger(__name__)
STAGE = "ingest"
REQUESTED = "WARC-X-Newsflow-Requested-URI"
_DOC_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")


def _ctype(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


def _charset(value: str | None) -> str | None:
    for part in (value or "").split(";")[1:]:
        k, _, v = part.partition("=")
        if k.strip().lower() == "charset" and v.strip():
            return v.strip().strip("\"'")
    return None


def iter_warc_file(path: Path, rel: str, max_bytes: int) -> Iterator[RawDoc | Reject]:
    """One RawDoc or Reject per HTML/text response record of an inbox WARC file.

    The readers stop quietly at a truncated gzip member, so the end of the last record
    read is compared with the file size: bytes left over are a ``bad_warc`` reject.
    """
    n = 0
    end = 0
    size = path.stat().st_size
    error = ""
    with open(path, "rb") as f:
        it = ArchiveIterator(f, check_digests=False)
        try:
            for rec in it:
                doc = None
                if rec.rec_type == "response":
                    http = rec.http_headers
                    ctype = http.get_header("Content-Type") if http else None
                    if _ctype(ctype) in _DOC_TYPES:
                        n += 1
                        uri = rec.rec_headers.get_header("WARC-Target-URI")
                        body = _read_capped(rec.content_stream(), max_bytes + 1)
                        doc = _record_doc(f"{rel}#{n}", uri, body, ctype, max_bytes, rec)
                # (the offset only after the read: asking for it skips the payload)
                start = it.get_record_offset()
                end = start + it.get_record_length()
                if isinstance(doc, Reject) and doc.code == "too_large":
                    # the whole record as it is in the file (bounded by the file's size,
                    # unlike its decoded payload), streamed by the rejects sink
                    doc.raw, doc.raw_source = b"", FileRange(path, start, end)
                if doc is not None:
                    yield doc
        except Exception as e:  # noqa: BLE001 - warcio fails in many ways on damaged files
            if not isinstance(e, ArchiveLoadFailed | EOFError | OSError | ValueError):
                log.warning("unexpected error reading %s", rel, exc_info=True)
            error = str(e).splitlines()[0] if str(e) else type(e).__name__
        f.seek(end)
        rest = f.read(max_bytes)  # enough to tell a damaged tail from padding
    if error or rest.strip(b"\r\n\x00 "):
        yield Reject(
            f"{rel}#rest",
            STAGE,
            "bad_warc",
            f"the WARC file is damaged after {n} document records "
            f"(byte {end} of {size}): {error or 'truncated or unreadable tail'}",
            raw_source=FileRange(path, end),  # the whole tail, streamed by the rejects sink
        )


def _read_capped(stream: io.RawIOBase, cap: int) -> bytes:
    """Up to ``cap`` bytes (warcio's readers return short reads: loop until EOF)."""
    out = bytearray()
    while len(out) < cap:
        chunk = stream.read(min(65536, cap - len(out)))
        if not chunk:
            break
        out += chunk
    return bytes(out)


def _record_doc(
    sid: str,
    uri: str | None,
    body: bytes,
    ctype: str | None,
    max_bytes: int,
    rec: object,
) -> RawDoc | Reject:
    if len(body) > max_bytes:  # its bytes: the record as stored (see iter_warc_file)
        return Reject(sid, STAGE, "too_large", f"record over the {max_bytes} byte limit")
    # a record whose payload ends before its declared length was truncated
    consumed = getattr(rec, "raw_stream", None)
    if consumed is not None and getattr(consumed, "limit", 0) > 0:
        return Reject(sid, STAGE, "bad_warc", "the record is truncated", body)
    if not body.strip():
        return Reject(sid, STAGE, "empty", "the record has an empty payload", body)
    kind = "text" if _ctype(ctype) == "text/plain" else "html"
    try:
        content = decode_bytes(body, html=kind == "html", declared=_charset(ctype))
    except DecodeError as e:
        return Reject(sid, STAGE, "not_text", str(e), body)
    doc = RawDoc(sid, kind, content, body)
    doc.url = uri
    return doc


class RawArchive:
    """The day's fetched responses, written as a WARC and swapped in atomically."""

    def __init__(self, final: Path) -> None:
        self.final = final
        self._tmp = self._scratch(final) / f"{final.parent.name}.{uuid.uuid4().hex}.warc.gz"
        self._f: io.BufferedWriter | None = None  # opened at the first record
        self._w: WARCWriter | None = None
        self._lock = threading.Lock()  # pages are fetched (and recorded) by several threads
        self.records = 0

    @staticmethod
    def _scratch(final: Path) -> Path:
        """Where the WARC is written: locally, then renamed (local lake) or uploaded
        (object store) at commit."""
        if storage.is_remote(final):
            return Path(tempfile.gettempdir()) / "newsflow"
        return final.parent.parent / "_tmp"

    @classmethod
    def remove_stale(cls, final: Path) -> list[Path]:
        """Remove the temp WARCs that killed fetches of this day left; call it under the
        day's lock, so no live run of the day is writing one. Other days' temp files may
        be in flight and are not touched; on an object store the scratch folder is local
        and may be shared by other lakes, so nothing is removed there."""
        if storage.is_remote(final):
            return []
        scratch = cls._scratch(final)
        stale = sorted(scratch.glob(f"{glob.escape(final.parent.name)}.*.warc.gz"))
        for f in stale:
            f.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            scratch.rmdir()
        return stale

    def record(self, url: str, outcome: Response | FetchError) -> None:
        """Keep a response, or the error that stood in for one."""
        with self._lock:
            w = self._w
            if w is None:
                self._tmp.parent.mkdir(parents=True, exist_ok=True)
                self._f = open(self._tmp, "wb")  # noqa: SIM115 - closed by commit/abort
                w = self._w = WARCWriter(self._f, gzip=True)
            self.records += 1
            if isinstance(outcome, FetchError):
                self._error(w, url, outcome)
            else:
                self._response(w, outcome)

    @staticmethod
    def _response(w: WARCWriter, resp: Response) -> None:
        http = StatusAndHeaders(
            f"{resp.status} OK", list(resp.headers.items()), protocol="HTTP/1.1"
        )
        for h in ("content-encoding", "transfer-encoding", "content-length"):
            http.remove_header(h)  # the body is kept decoded
        rec = w.create_warc_record(
            resp.final_url,
            "response",
            payload=io.BytesIO(resp.body),
            length=len(resp.body),
            http_headers=http,
            warc_headers_dict={REQUESTED: resp.url},
        )
        w.write_record(rec)

    @staticmethod
    def _error(w: WARCWriter, url: str, err: FetchError) -> None:
        payload = json.dumps({"code": err.code, "message": err.message, "status": err.status})
        rec = w.create_warc_record(
            url,
            "metadata",
            payload=io.BytesIO(payload.encode()),
            warc_content_type="application/json",
            warc_headers_dict={REQUESTED: url},
        )
        w.write_record(rec)

    def commit(self) -> Path:
        assert self._f is not None, "nothing recorded"
        self._f.flush()
        os.fsync(self._f.fileno())
        self._f.close()
        self.final.parent.mkdir(parents=True, exist_ok=True)
        if storage.is_remote(self.final):
            fs, key = storage.object_key(self.final)
            fs.put_file(str(self._tmp), key)
            self._tmp.unlink()
        else:
            os.replace(self._tmp, self.final)
        with contextlib.suppress(OSError):
            self._tmp.parent.rmdir()
        return self.final

    def abort(self) -> None:
        if self._f is not None:
            self._f.close()
            self._tmp.unlink(missing_ok=True)


class ReplayFetcher:
    """Answers ``fetch(url)`` from a day's raw WARC: the same responses and errors, no I/O
    to the network. Keeps only record offsets in memory."""

    requests = 0

    def __init__(self, path: Path) -> None:
        self.path = path
        self._index: dict[str, int] = {}
        with path.open("rb") as f:
            it = ArchiveIterator(f)
            for rec in it:
                url = rec.rec_headers.get_header(REQUESTED)
                if url:
                    self._index[url] = it.get_record_offset()

    def fetch(self, url: str, **_: object) -> Response:
        if url not in self._index:
            raise FetchError("not_in_archive", f"{url} was not fetched when this day was ingested")
        with self.path.open("rb") as f:
            f.seek(self._index[url])
            rec = next(iter(ArchiveIterator(f)))
            body = _read_capped(rec.content_stream(), 1 << 40)
            if rec.rec_type == "metadata":
                e = json.loads(body)
                raise FetchError(e["code"], e["message"], e.get("status"))
            http = rec.http_headers
            headers = {k.lower(): v for k, v in http.headers} if http else {}
            status = int(http.get_statuscode()) if http else 200
            return Response(
                url, rec.rec_headers.get_header("WARC-Target-URI"), status, headers, body
            )

    def save_validators(self) -> None:
        """Nothing was fetched, so no validators changed."""

    def close(self) -> None:
        """Nothing to close: the file is opened per lookup."""
