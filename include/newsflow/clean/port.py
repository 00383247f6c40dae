"""The text of trafilatura's own readability port, which trafilatura computes anyway.

trafilatura compares its extraction with a port of readability-lxml on every page (its
``compare_extraction`` fallback) and throws the port's result away when its own text
wins. Running readability-lxml itself on every page cost a third of trafilatura's time
again (clean stage 1.49x trafilatura alone, over the 1.5x budget); the port's result,
kept as it is made, gives most of the same missing paragraphs for nothing
(trafilatura_eval tune F1 0.9448 with the port on the pages above 2%, 0.9460 with
readability-lxml itself; 0.9401 without either). ``recording`` wraps trafilatura's
``try_readability`` once so that each call's result is turned into lines at once (before
trafilatura converts the tree, when it keeps the port's text) and left in a thread-local
slot, and hands those lines to the caller of the ``with`` block.

``try_readability`` is trafilatura's internal function, not its API: should a new
trafilatura drop or rename it, the clean stage goes on without the port's lines (a
warning is logged once) rather than failing every page, and
``tests/test_clean_merge.py`` fails loudly (``available``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import trafilatura.external

from newsflow.clean.ensemble import ReadLine, tree_lines

log = logging.getLogger(__name__)
_SLOT = threading.local()
_WARNED: list[bool] = []
# the name, in ``trafilatura.external``, of the function whose result is the port's text
_FUNCTION = "try_readability"


def _recorder(try_readability):
    """``try_readability`` that also leaves its result's lines in ``_SLOT``."""

    def recorded(tree):
        summary = try_readability(tree)
        if getattr(_SLOT, "active", False):
            try:
                _SLOT.lines = tree_lines(summary)
            except Exception:  # an odd tree is no reason to lose the page
                _SLOT.lines = []
        return summary

    recorded.newsflow_recorder = True  # type: ignore[attr-defined]
    recorded.__wrapped__ = try_readability  # type: ignore[attr-defined]
    return recorded


def available() -> bool:
    """Whether trafilatura still has the function the port's lines are taken from."""
    return callable(getattr(trafilatura.external, _FUNCTION, None))


def _install() -> None:
    if not available():
        if not _WARNED:
            _WARNED.append(True)
            log.warning("trafilatura.external.%s is gone: no port lines", _FUNCTION)
        return
    function = getattr(trafilatura.external, _FUNCTION)
    if not getattr(function, "newsflow_recorder", False):
        setattr(trafilatura.external, _FUNCTION, _recorder(function))


@contextmanager
def recording() -> Iterator[list[ReadLine]]:
    """A list that holds, after the block, the port's lines of the extraction run in it
    (empty when trafilatura did not run the port)."""
    _install()
    found: list[ReadLine] = []
    _SLOT.active, _SLOT.lines = True, []
    try:
        yield found
    finally:
        found.extend(_SLOT.lines)
        _SLOT.active, _SLOT.lines = False, []
