"""Bytes to text, for inputs whose encoding nobody declared reliably."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class DecodeError(ValueError):
    """The bytes are not text in any encoding we can recognise."""


def looks_binary(raw: bytes) -> bool:
    """NUL bytes or many control characters in the first 4 KiB mean "not text".

    UTF-16/32 text has NULs too, so a BOM exempts it.
    """
    head = raw[:4096]
    if any(head.startswith(bom) for bom, _ in _BOMS[1:]):
        return False
    if b"\x00" in head:
        return True
    ctrl = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return bool(head) and ctrl / len(head) > 0.05


def decode_bytes(raw: bytes, *, html: bool = False, declared: str | None = None) -> str:
    """Decode ``raw``: BOM, then the HTTP charset (``declared``), then (for HTML) the
    meta charset, then UTF-8, then charset detection. Raises DecodeError for binary data."""
    if looks_binary(raw):
        raise DecodeError("binary data, not text")
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            return raw.decode(enc, errors="replace")
    if declared:
        try:
            return raw.decode(declared, errors="strict")
        except (LookupError, UnicodeDecodeError):
            pass  # servers mislabel often: fall through to the page's own declaration
    if html:
        m = _META_CHARSET.search(raw[:4096])
        if m:
            try:
                return raw.decode(m.group(1).decode("ascii"), errors="strict")
            except (LookupError, UnicodeDecodeError):
                pass  # a wrong declaration is common: fall through to detection
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw).best()
    if best is None:
        raise DecodeError("no text encoding fits these bytes")
    return str(best)
