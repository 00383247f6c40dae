"""Stable identifiers and text fingerprints."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def stable_id(*parts: str, length: int = 32) -> str:
    """A hex id that depends only on ``parts`` (so reruns give the same ids)."""
    h = hashlib.sha256("\x1f".join(parts).encode("utf-8"))
    return h.hexdigest()[:length]


def normalise_for_hash(text: str) -> str:
    """Case, accents' compatibility forms, punctuation and spacing removed.

    Two copies of one text that differ only in typography (curly quotes, dashes,
    line breaks) get the same fingerprint.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())


def content_hash(text: str) -> str:
    return stable_id(normalise_for_hash(text))


def article_id(canonical_url: str | None, text_hash: str, day: str) -> str:
    """An article's id: its canonical URL (or, without one, its text's hash) on its ingest
    day. The day is part of it so that ``article_id`` alone is unique across the lake:
    the same URL or text on two days is two rows (the later a copy of the earlier), and
    analysts join any two tables on ``article_id`` without a day."""
    return (
        stable_id("url", canonical_url, day) if canonical_url else stable_id("text", text_hash, day)
    )
