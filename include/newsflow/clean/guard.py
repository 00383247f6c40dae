"""Bounds on what one document may cost the clean stage.

trafilatura, its HTML parser (libxml2 through lxml), justext and htmldate are not
linear on every input: one element with 25,000 attributes (a 1 MiB page) took 89 s
and an 8 MiB run of ``<p>`` 26 s, long enough to fail a day through the task's
timeout. Two guards, both making the document a reject with its bytes:

* a structural pre-check (``too_complex``), a few regex scans that stop early, for
  the shapes known to be slow: more elements than any news page has, or an element
  with more attributes than any real one;
* a time budget (``too_slow``) for inputs nobody foresaw. SIGALRM cannot do it: it
  only fires between Python bytecodes (not inside one long libxml2 call) and only in
  a main thread, and clean runs in pool workers and Airflow task processes. So each
  document is cleaned in a persistent child process, which is killed when a document
  overruns and started again for the next one. A child is a fresh interpreter
  (``subprocess``), not a ``multiprocessing`` child, so it can also be started from
  a daemonic process (a Celery prefork worker) and never forks a threaded parent.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import os
import re
import socket
import subprocess
import sys
from dataclasses import replace
from datetime import date
from multiprocessing.connection import Connection
from typing import Any

from newsflow.clean.document import STAGE, clean_document
from newsflow.clean.repeats import LineEvidence
from newsflow.config import Settings
from newsflow.records import RawDoc, Reject

log = logging.getLogger(__name__)

Result = dict[str, Any] | Reject
# the child imports trafilatura & co. before its first document (about 1.5 s unloaded)
_START_TIMEOUT = 120.0

# the start of an element: "<" and a letter (not "</", "<!--", "<!DOCTYPE", "a < b")
_ELEMENT = re.compile(r"<[A-Za-z]")
# one attribute: space, name, and optionally "=" and a quoted or bare value; "<" is in
# neither names nor bare values, so a scan starting at one element never runs on into
# the next and the whole search stays linear
_ATTRIBUTE = r"""\s+[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>]+))?"""


@functools.lru_cache
def _attribute_patterns(limit: int) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(a tag long enough to hold ``limit`` attributes, a tag with more than ``limit``).

    The first is a cheap filter (one character class, no backtracking): only where it
    matches does the second, slower pattern run, so a normal page costs about 0.3 ms.
    """
    long_tag = re.compile(rf"<[A-Za-z][^<>]{{{2 * limit}}}")  # an attribute is >= 2 chars
    many = re.compile(rf"<[A-Za-z][^\s<>/]*(?:{_ATTRIBUTE}){{{limit + 1}}}")
    return long_tag, many


def _has_many_attributes(html: str, limit: int) -> bool:
    long_tag, many = _attribute_patterns(limit)
    return any(many.match(html, m.start()) for m in long_tag.finditer(html))


def too_complex(doc: RawDoc, settings: Settings) -> str | None:
    """Why ``doc`` is too complex to clean in bounded time, or None.

    Only HTML is checked: plain text goes through our own line rules, which are linear.
    """
    if doc.kind != "html":
        return None
    html = doc.content
    limit = settings.clean_max_elements
    elements = sum(1 for _ in itertools.islice(_ELEMENT.finditer(html), limit + 1))
    if elements > limit:
        return f"more than {limit:,} elements"
    limit = settings.clean_max_attributes
    if _has_many_attributes(html, limit):
        return f"an element with more than {limit:,} attributes"
    return None


class BoundedCleaner:
    """``clean_document`` with the pre-check and the per-document time budget.

    Use as a context manager (the child process ends with it). With
    ``clean_timeout_seconds=0`` documents are cleaned in this process, unbounded.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.timeout = settings.clean_timeout_seconds
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None

    def __enter__(self) -> BoundedCleaner:
        if self.timeout > 0:
            self._child()  # a child that cannot start fails the stage, not each document
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __call__(self, doc: RawDoc, *, day: date, evidence: LineEvidence | None = None) -> Result:
        why = too_complex(doc, self.settings)
        if why:
            return Reject(doc.source_uri, STAGE, "too_complex", why, doc.raw)
        if self.timeout <= 0:
            return clean_document(
                doc, day=day, min_words=self.settings.min_words, evidence=evidence
            )
        return self._in_child(doc, day, evidence)

    def _in_child(self, doc: RawDoc, day: date, evidence: LineEvidence | None) -> Result:
        job = (replace(doc, raw=b""), day, self.settings.min_words, evidence)  # bytes stay here
        conn = self._child()
        try:
            conn.send(job)
            done = conn.poll(self.timeout)
            outcome = conn.recv() if done else None
        except (EOFError, OSError):  # the child crashed (a C extension, the OOM killer)
            why = f"the cleaning process died ({_exit_status(self.close(grace=1))})"
            return Reject(doc.source_uri, STAGE, "clean_error", why, doc.raw)
        if outcome is None:
            self.close()  # killed mid-document; the next document starts a new child
            log.warning("clean of %s took over %gs: rejected", doc.source_uri, self.timeout)
            return Reject(
                doc.source_uri,
                STAGE,
                "too_slow",
                f"cleaning took more than {self.timeout:g} s",
                doc.raw,
            )
        status, value = outcome
        if status == "error":
            return Reject(doc.source_uri, STAGE, "clean_error", value, doc.raw)
        if isinstance(value, Reject):
            return replace(value, raw=doc.raw)
        return value

    def _child(self) -> Connection:
        """The running child's connection, starting a child (and waiting until it has
        imported the extractors, which is not part of any document's budget) if needed."""
        if self._conn is not None and self._proc is not None and self._proc.poll() is None:
            return self._conn
        self.close()  # a child that died between documents is replaced before the next
        ours, theirs = socket.socketpair()
        with theirs:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "newsflow.clean.guard", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
                stdin=subprocess.DEVNULL,
            )
        self._conn = Connection(ours.detach())
        try:
            if not self._conn.poll(_START_TIMEOUT):
                raise EOFError
            self._conn.recv()  # "ready"
        except EOFError:
            status = _exit_status(self.close(grace=1))
            raise RuntimeError(f"the cleaning process did not start ({status})") from None
        return self._conn

    def close(self, grace: float = 0.0) -> int | None:
        """Stop the child (killed: it may be stuck in a C call) and reap it. Returns its
        own exit code if it ended within ``grace`` seconds (a crashed child), else None."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        code = None
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self._proc.wait(grace) if grace else self._proc.poll()
            if code is None:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        return code


def _exit_status(code: int | None) -> str:
    if code is None:
        return "still running"
    return f"signal {-code}" if code < 0 else f"exit code {code}"


_WARM_UP = (
    "<html><head><title>Warm-up page</title></head><body><article><p>"
    + "The extractors load their stop lists and models on first use. " * 5
    + "</p></article></body></html>"
)


def _serve(fd: int) -> None:
    """The child's loop: clean each document received, send back the row or reject."""
    conn = Connection(fd)
    # first use loads stop lists, the TLD list and the language model: not a page's cost
    clean_document(RawDoc("warm-up", "html", _WARM_UP, b""), day=date.today())
    conn.send("ready")
    while True:
        try:
            doc, day, min_words, evidence = conn.recv()
        except EOFError:
            return
        try:
            row = clean_document(doc, day=day, min_words=min_words, evidence=evidence)
            outcome: tuple[str, Any] = ("ok", row)
        except Exception as e:  # one bad document must not end the run
            log.warning("clean failed for %s: %s", doc.source_uri, e, exc_info=True)
            outcome = ("error", f"{type(e).__name__}: {e}")
        try:
            conn.send(outcome)
        except OSError:  # the stage is gone (killed, or stopped on an error)
            return


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
