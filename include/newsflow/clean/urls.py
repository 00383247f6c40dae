"""Canonical URLs: one spelling per article, so copies found by URL collapse."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import courlan

_AMP_TAIL = re.compile(r"/(amp|amp\.html)/?$", re.IGNORECASE)


def canonical_url(url: str | None) -> str | None:
    """Tracking parameters, fragments, ``www.``, ``/amp`` and trailing slashes removed;
    scheme unified to https. ``None`` for anything that is not an http(s) URL."""
    if not url:
        return None
    url = url.strip()
    if not re.match(r"^https?://", url, re.IGNORECASE):
        return None
    try:
        # strict=False: courlan still drops its list of trackers (utm_*, fbclid, ref, ...)
        # but keeps the parameters that name the article (?article=77, ?story=12);
        # strict=True drops those too and would merge different articles
        norm = courlan.normalize_url(url, strict=False, trailing_slash=False)
    except (ValueError, TypeError):
        return None
    parts = urlsplit(norm)
    host = (parts.hostname or "").lower()
    if not host:
        return None
    host = host.removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = _AMP_TAIL.sub("", parts.path).rstrip("/")
    return urlunsplit(("https", host, path, parts.query, ""))


def domain(url: str | None) -> str | None:
    """The host without ``www.``, used as the source when nothing better is known."""
    if not url:
        return None
    host = urlsplit(url.strip()).hostname
    return host.lower().removeprefix("www.") if host else None
