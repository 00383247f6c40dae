"""Polite, defensive HTTP for feeds, sitemaps and article pages.

One ``Fetcher`` per run. Every request: refuses URLs whose host resolves to a
non-public address (SSRF guard, with an allow-list for tests), obeys robots.txt,
keeps per-host concurrency and spacing, sends a descriptive User-Agent, follows at
most N redirects (each hop checked again), retries 429/5xx and network errors with
exponential backoff (honouring Retry-After), streams the body under a size cap and
a total deadline, and checks the content type before reading a body it cannot use.
Bodies are decoded here, not by httpx, so that a compressed body is cut off as soon as
its *decoded* size passes the cap (a 2 MB gzip bomb never becomes 2 GiB in memory), and
only the codings asked for in Accept-Encoding are taken.
Failures are ``FetchError`` with a short code and a readable message, never a
traceback: they become reject rows.
"""

from __future__ import annotations

import email.utils
import ipaddress
import json
import logging
import os
import socket
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from newsflow.config import Settings
from newsflow.lake import storage

log = logging.getLogger(__name__)

PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
XML_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
)
_REDIRECTS = {301, 302, 303, 307, 308}
# Content-Encodings we ask for and decode ourselves (zlib wbits of each); anything else
# (br, zstd, compress, stacked codings) is refused unread
ACCEPT_ENCODING = "gzip, deflate"
_CODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_DECODE_STEP = 1 << 16  # decoded bytes per zlib call: the most one step can overshoot the cap
# Special-purpose ranges Python's is_global still counts as global (192.0.0.0/24 is IETF
# protocol assignments: only .9 and .10 are global in RFC 6890, and no news site lives
# there), and NAT64's local-use prefix (RFC 8215), which embeds an IPv4 at no fixed place
_BLOCKED_NETS = [ipaddress.ip_network("192.0.0.0/24"), ipaddress.ip_network("64:ff9b:1::/48")]
# IPv6 forms whose last 32 bits are an IPv4 address: NAT64 (RFC 6052), IPv4-compatible
# (deprecated ::a.b.c.d) and IPv4-translated (SIIT, ::ffff:0:a.b.c.d)
_LAST32_NETS = [
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("::/96"),
    ipaddress.ip_network("::ffff:0:0:0/96"),
]


class FetchError(Exception):
    """A URL that could not be fetched; ``code`` is the reject reason code."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class _Retryable(Exception):
    def __init__(self, error: FetchError, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


@dataclass(slots=True)
class Response:
    url: str  # as requested
    final_url: str  # after redirects
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            k, _, v = part.partition("=")
            if k.strip().lower() == "charset" and v.strip():
                return v.strip().strip("\"'")
        return None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it is one of the forms that carry
    one (IPv4-mapped, 6to4, NAT64, IPv4-compatible, IPv4-translated): such an address
    reaches that IPv4 host, so the guard must judge the IPv4 address, not the wrapper."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr.sixtofour is not None:
        return addr.sixtofour
    if any(addr in net for net in _LAST32_NETS):
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def _refused(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not addr.is_global or addr.is_multicast or any(addr in net for net in _BLOCKED_NETS)


def check_address(url: str, allow: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> None:
    """Refuse non-http(s) URLs and hosts resolving to loopback, private, link-local,
    metadata or otherwise non-global addresses, unless allow-listed. An IPv6 address that
    embeds an IPv4 one is judged by the IPv4 address it reaches."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError("bad_url", f"not an http(s) URL: {url[:200]!r}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchError("bad_url", f"bad port in {url[:200]!r}") from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise FetchError("dns_error", f"cannot resolve {parts.hostname}: {e}") from None
    for info in infos:
        addr = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        v4 = embedded_ipv4(addr) if isinstance(addr, ipaddress.IPv6Address) else None
        # the allow-list names hosts: an IPv4-mapped address is that host, while NAT64 or
        # 6to4 of an allowed address goes through a translator somewhere else
        same = addr.ipv4_mapped if isinstance(addr, ipaddress.IPv6Address) else None
        if any(addr in net or (same is not None and same in net) for net in allow):
            continue
        if _refused(v4 or addr) or _refused(addr):
            shown = f"{addr} (IPv4 {v4})" if v4 is not None else str(addr)
            raise FetchError(
                "blocked_address",
                f"{parts.hostname} resolves to {shown}, a loopback/private/link-local or "
                "reserved address; refused (allow it with fetch_allow_networks)",
            )


def _coding(value: str, url: str) -> str | None:
    """The one Content-Encoding we asked for that the response uses (None: identity)."""
    codings = [c.strip().lower() for c in value.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in _CODINGS:
        return codings[0]
    raise FetchError(
        "bad_encoding",
        f"{url} sent Content-Encoding {value.strip()[:100]!r}, but only {ACCEPT_ENCODING!r} "
        "was asked for; refused unread",
    )


def _zlib_header(head: bytes) -> bool:
    """Whether a "deflate" body starts with the zlib header the RFC asks for (RFC 1950)."""
    return len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


def _decoded(chunks: Iterable[bytes], coding: str | None, url: str) -> Iterator[bytes]:
    """The body, decoded as it streams in, at most ``_DECODE_STEP`` bytes at a time: the
    caller stops as soon as the decoded size passes its cap, so a bomb is cut off after
    decoding just past the cap, whatever its ratio."""
    if coding is None:
        yield from chunks
        return
    wbits = _CODINGS[coding]
    z, started, carry = None, False, b""
    try:
        for chunk in chunks:
            data, pending, carry = carry + chunk, False, b""
            while data or pending:
                if z is None:  # the start of the body, or of a further gzip member
                    if len(data) < 2:
                        carry = data  # too short to tell: wait for the next chunk
                        break
                    if started and (coding == "deflate" or not data.startswith(b"\x1f\x8b")):
                        return  # bytes after the body end it
                    raw = coding == "deflate" and not _zlib_header(data)
                    z, started = zlib.decompressobj(-zlib.MAX_WBITS if raw else wbits), True
                out = z.decompress(data, _DECODE_STEP)
                data = z.unconsumed_tail
                pending = len(out) == _DECODE_STEP  # zlib may hold more output for input it took
                if out:
                    yield out
                if z.eof:
                    data, pending, z = z.unused_data, False, None
    except zlib.error as e:
        raise FetchError("bad_encoding", f"{url}: undecodable {coding} body ({e})") from None


class _HostGate:
    """At most N requests in flight per host, and a minimum spacing between them."""

    def __init__(self, concurrency: int, delay: float) -> None:
        self._concurrency, self._delay = concurrency, delay
        self._lock = threading.Lock()
        self._sems: dict[str, threading.Semaphore] = {}
        self._next: dict[str, float] = {}
        self.delays: dict[str, float] = {}

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._lock:
            sem = self._sems.setdefault(host, threading.BoundedSemaphore(self._concurrency))
        with sem:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next.get(host, now))
                self._next[host] = start + max(self._delay, self.delays.get(host, 0.0))
            if start > now:
                time.sleep(start - now)
            yield


class Fetcher:
    """HTTP client of one run; thread-safe (pages are fetched by a small thread pool)."""

    def __init__(self, settings: Settings, state_dir: Path | None = None) -> None:
        self.s = settings
        self._allow = [ipaddress.ip_network(n, strict=False) for n in settings.fetch_allow_networks]
        self._client = httpx.Client(
            timeout=httpx.Timeout(settings.http_timeout_seconds),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        )
        self._gate = _HostGate(settings.per_host_concurrency, settings.per_host_delay_seconds)
        self._robots: dict[str, RobotFileParser | bool] = {}
        self._robots_lock = threading.Lock()
        self._state_file = state_dir / "http_validators.json" if state_dir else None
        self._validators: dict[str, dict[str, str]] = {}
        if self._state_file and self._state_file.is_file():
            try:
                self._validators = json.loads(self._state_file.read_text("utf-8"))
            except (OSError, ValueError):
                log.warning("ignoring unreadable %s", self._state_file)
        self._new_validators: dict[str, dict[str, str]] = {}
        self.requests = 0

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- conditional GET state -------------------------------------------------
    def save_validators(self) -> None:
        """Persist ETag/Last-Modified of this run's feeds (call after the raw WARC is kept,
        so a crash can never leave validators for responses we did not keep)."""
        if not self._state_file or not self._new_validators:
            return
        merged = {**self._validators, **self._new_validators}
        self._state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._state_file.with_name(f".{self._state_file.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(merged, indent=1, sort_keys=True), "utf-8")
        storage.replace_file(tmp, self._state_file)

    # --- robots.txt -----------------------------------------------------------------
    def _allowed_by_robots(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._robots_lock:  # held while loading: each robots.txt is fetched once
            rp = self._robots.get(origin)
            if rp is None:
                rp = self._robots[origin] = self._load_robots(origin)
        if isinstance(rp, bool):
            return rp
        return rp.can_fetch(self.s.user_agent, url)

    def _load_robots(self, origin: str) -> RobotFileParser | bool:
        """RFC 9309: 4xx means no rules; an unreachable robots.txt (5xx, network) means
        the whole site is off limits for now."""
        try:
            resp = self._follow(origin + "/robots.txt", {}, accept=None, robots=False)
        except FetchError as e:
            if e.status is not None and 400 <= e.status < 500:
                return True
            log.info("robots.txt of %s unreachable (%s): not fetching there", origin, e.message)
            return False
        rp = RobotFileParser()
        rp.parse(resp.body.decode("utf-8", errors="replace").splitlines())
        delay = rp.crawl_delay(self.s.user_agent)
        if delay:
            self._gate.delays[urlsplit(origin).netloc] = min(float(delay), 60.0)
        return rp

    # --- requests -------------------------------------------------------------------
    def fetch(
        self, url: str, *, accept: tuple[str, ...] | None = PAGE_TYPES, conditional: bool = False
    ) -> Response:
        """GET ``url`` politely. Returns the final response (status 200, or 304 for a
        conditional request whose document did not change); raises FetchError.

        With ``refetch`` the saved validators are not sent: a refetch wants the documents
        themselves, and a 304 would leave it nothing to ingest."""
        headers = {}
        if conditional and url in self._validators and not self.s.refetch:
            v = self._validators[url]
            if v.get("etag"):
                headers["If-None-Match"] = v["etag"]
            if v.get("last_modified"):
                headers["If-Modified-Since"] = v["last_modified"]
        resp = self._follow(url, headers, accept=accept, robots=self.s.respect_robots)
        if conditional and resp.status == 200:
            v = {
                k: resp.headers[h]
                for k, h in (("etag", "etag"), ("last_modified", "last-modified"))
                if resp.headers.get(h)
            }
            if v:
                self._new_validators[url] = v
        return resp

    def _follow(
        self, url: str, headers: dict[str, str], *, accept: tuple[str, ...] | None, robots: bool
    ) -> Response:
        seen: set[str] = set()
        current = url
        for _hop in range(self.s.http_max_redirects + 1):
            if current in seen:
                raise FetchError("redirect_loop", f"redirect loop at {current}")
            seen.add(current)
            check_address(current, self._allow)
            if robots and not self._allowed_by_robots(current):
                raise FetchError("robots_disallowed", f"robots.txt disallows {current}")
            resp = self._with_retries(current, headers, accept)
            if resp.status in _REDIRECTS:
                location = resp.headers.get("location")
                if not location:
                    raise FetchError("http_error", f"HTTP {resp.status} without a Location")
                current = urljoin(current, location)
                headers = {}  # validators belong to the first URL only
                continue
            resp.url = url
            return resp
        raise FetchError(
            "too_many_redirects", f"more than {self.s.http_max_redirects} redirects from {url}"
        )

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        ra = exc.retry_after if isinstance(exc, _Retryable) else None
        if ra is not None:
            return ra
        return wait_exponential(
            multiplier=self.s.http_backoff_seconds, max=self.s.http_backoff_max_seconds
        )(state)

    def _with_retries(
        self, url: str, headers: dict[str, str], accept: tuple[str, ...] | None
    ) -> Response:
        retrying = Retrying(
            stop=stop_after_attempt(self.s.http_retries + 1),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
        )
        try:
            return retrying(self._once, url, headers, accept)
        except _Retryable as e:
            attempts = self.s.http_retries + 1
            raise FetchError(
                e.error.code, f"{e.error.message} (after {attempts} attempts)", e.error.status
            ) from None

    def _body(self, r: httpx.Response, url: str, encoding: str, deadline: float) -> bytes:
        """The decoded body, cut off once more than ``http_max_bytes`` came on the wire or
        came out of the decoder (whichever first), or at the deadline."""
        cap = self.s.http_max_bytes
        coding = _coding(encoding, url)

        def limited(chunks: Iterable[bytes], what: str) -> Iterator[bytes]:
            size = 0
            for chunk in chunks:
                size += len(chunk)
                if size > cap:
                    raise FetchError(
                        "too_large", f"{url} sent more than {cap} bytes{what}; cut off"
                    )
                if time.monotonic() > deadline:
                    raise FetchError(
                        "timeout", f"{url} took longer than {self.s.http_deadline_seconds} s in all"
                    )
                yield chunk

        wire = limited(r.iter_raw(), "")
        decoded = limited(_decoded(wire, coding, url), f" once {coding}-decoded" if coding else "")
        return b"".join(decoded)

    def _once(self, url: str, headers: dict[str, str], accept: tuple[str, ...] | None) -> Response:
        host = urlsplit(url).netloc
        deadline = time.monotonic() + self.s.http_deadline_seconds
        cap = self.s.http_max_bytes
        with self._gate.slot(host):
            self.requests += 1
            try:
                with self._client.stream("GET", url, headers=headers) as r:
                    hdrs = {k.lower(): v for k, v in r.headers.items()}
                    status = r.status_code
                    if status == 429 or status >= 500:
                        ra = parse_retry_after(hdrs.get("retry-after"))
                        err = FetchError(
                            "http_error", f"HTTP {status} {r.reason_phrase} from {url}", status
                        )
                        if ra is not None and ra > self.s.http_backoff_max_seconds:
                            raise FetchError(
                                "rate_limited",
                                f"HTTP {status}: {url} asks to retry after {ra:.0f} s, longer than "
                                f"http_backoff_max_seconds={self.s.http_backoff_max_seconds}",
                            )
                        raise _Retryable(err, ra)
                    if status in _REDIRECTS or status == 304:
                        return Response(url, url, status, hdrs)
                    if status >= 400:
                        raise FetchError(
                            "http_error", f"HTTP {status} {r.reason_phrase} from {url}", status
                        )
                    ctype = hdrs.get("content-type", "").split(";")[0].strip().lower()
                    if accept is not None and ctype and ctype not in accept:
                        raise FetchError(
                            "bad_content_type",
                            f"{url} is {ctype!r}, not one of {', '.join(accept)}",
                        )
                    length = hdrs.get("content-length", "")
                    if length.isdigit() and int(length) > cap:
                        raise FetchError(
                            "too_large", f"{url} is {length} bytes, over the {cap} limit"
                        )
                    body = self._body(r, url, hdrs.get("content-encoding", ""), deadline)
                    return Response(url, str(r.url), status, hdrs, body)
            except httpx.TimeoutException:
                raise _Retryable(
                    FetchError(
                        "timeout", f"no answer from {url} within {self.s.http_timeout_seconds} s"
                    )
                ) from None
            except (httpx.TransportError, httpx.StreamError) as e:
                msg = str(e) or type(e).__name__
                raise _Retryable(FetchError("network_error", f"{url}: {msg}")) from None
