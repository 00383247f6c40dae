"""A real HTTP server on 127.0.0.1 (threaded ``http.server``) with one path per fault.

Started by the tests themselves on a free port; every response is bounded in size and
time, so a test that goes wrong cannot hang for long or send anything off the machine.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = (
    "<html><head><title>{t}</title><meta charset='utf-8'></head><body><article>"
    "<h1>{t}</h1><p>{body}</p></article></body></html>"
)
PROSE = (
    "The harbour authority said on Tuesday that the new quay would open next spring, "
    "after two years of work and a budget that grew by a third. Dock workers welcomed "
    "the plan but asked for more night-shift staff before the first ships arrive."
)


def page(title: str) -> bytes:
    return PAGE.format(t=title, body=PROSE).encode()


class Handler(BaseHTTPRequestHandler):
    server: FaultServer

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def _send(
        self, status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8", **hdrs: str
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in hdrs.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: C901 - one branch per fault is the point
        srv = self.server
        path = self.path.split("?")[0]
        with srv.lock:
            srv.hits[path] += 1
            n = srv.hits[path]
            srv.user_agents.add(self.headers.get("User-Agent", ""))
        if path in srv.routes:
            status, body, ctype, hdrs = srv.routes[path]
            if hdrs.get("ETag") and self.headers.get("If-None-Match") == hdrs["ETag"]:
                return self._send(304, b"", ctype, ETag=hdrs["ETag"])
            return self._send(status, body, ctype, **hdrs)
        if path == "/robots.txt":
            return self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        if path.startswith("/ok/"):
            return self._send(200, page(path))
        if path == "/slow":  # headers, then nothing for longer than the read timeout
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "100")
            self.end_headers()
            time.sleep(3)
            return None
        if path == "/reset":  # connection reset (RST) without any response
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return None
        if path == "/flaky":  # two 500s, then success
            return self._send(500, b"oops") if n <= 2 else self._send(200, page("flaky"))
        if path == "/always500":
            return self._send(503, b"down")
        if path == "/ratelimited":  # 429 with Retry-After once, then success
            if n == 1:
                return self._send(429, b"slow down", Retry_After="1")
            return self._send(200, page("after 429"))
        if path == "/ratelimited-long":
            return self._send(429, b"go away", Retry_After="3600")
        if path == "/loop-a":
            return self._send(302, b"", Location="/loop-b")
        if path == "/loop-b":
            return self._send(302, b"", Location="/loop-a")
        if path.startswith("/chain/"):  # /chain/N redirects N times, then a page
            k = int(path.rsplit("/", 1)[1])
            return (
                self._send(302, b"", Location=f"/chain/{k - 1}")
                if k > 0
                else self._send(200, page("end of chain"))
            )
        if path == "/endless":  # no Content-Length, a body that never ends (until the client stops)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            chunk = b"<p>" + b"x" * 65536 + b"</p>"
            try:
                for _ in range(10_000):  # bounded: 640 MB at most, the client cuts at its cap
                    self.wfile.write(chunk)
            except OSError:
                pass
            return None
        if path == "/drip":  # one byte every 0.2 s: never a read timeout, but a long response
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            return None
        if path == "/image":
            return self._send(200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "image/png")
        if path == "/private/page":
            return self._send(200, page("private"))
        if path == "/latin1":
            body = "<html><body><p>Café à Genève, élections</p></body></html>".encode("latin-1")
            return self._send(200, body, "text/html; charset=iso-8859-1")
        if path == "/to-metadata":  # a redirect to the cloud metadata address
            return self._send(302, b"", Location="http://169.254.169.254/latest/meta-data/")
        return self._send(404, b"not here")


class FaultServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.user_agents: set[str] = set()
        self.routes: dict[str, tuple[int, bytes, str, dict[str, str]]] = {}
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def route(
        self,
        path: str,
        body: bytes,
        ctype: str = "text/html; charset=utf-8",
        status: int = 200,
        **hdrs: str,
    ) -> str:
        self.routes[path] = (status, body, ctype, hdrs)
        return self.base + path

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
