"""The records that flow between stages before they become Parquet rows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsflow.lake.raw_rejects import RawSource

_SURROGATES = re.compile("[\ud800-\udfff]")
_NAME_FIELDS = frozenset({"source_uri"})


def storable(value: str, *, name: bool = False) -> str:
    """``value`` without lone surrogates (U+D800..U+DFFF), which UTF-8, and so Parquet,
    cannot hold: one made pyarrow fail the whole day. They come from JSON ``"\\ud800"``
    escapes and from file names that are not UTF-8 (Python's surrogateescape). Text gets
    U+FFFD, as a decoder gives for bad bytes; a name gets a visible escape (``\\udcff``),
    so two different bad names stay two names."""
    if value.isascii() or not _SURROGATES.search(value):
        return value
    if name:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return _SURROGATES.sub("\ufffd", value)


class Storable:
    """Base of the records: every string (or list of strings) set on a field, when the
    record is built or later, passes through :func:`storable`, so no route that makes or
    fills a record can carry a surrogate to Parquet."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, str):
            value = storable(value, name=name in _NAME_FIELDS)
        elif isinstance(value, list):
            value = [storable(v) if isinstance(v, str) else v for v in value]
        object.__setattr__(self, name, value)


@dataclass(slots=True)
class RawDoc(Storable):
    """One input document as ingestion found it (decoded, not yet cleaned)."""

    source_uri: str
    kind: str  # "html" or "text"
    content: str
    raw: bytes
    url: str | None = None
    title: str | None = None
    source: str | None = None
    published_at: datetime | None = None
    published_precision: str | None = None  # "day" for a date-only published_at
    authors: list[str] = field(default_factory=list)

    def row(self) -> dict[str, object]:
        """The ``_work/ingested`` row (``schema.RAW``): the fields, in order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(slots=True)
class Reject(Storable):
    """An input that a stage could not turn into an article, kept with its bytes.

    ``raw_source``, when set, reads the whole input again as a stream (an input too large
    to hold in memory): the rejects sink copies it into the lake, ``raw`` stays empty."""

    source_uri: str
    stage: str
    code: str
    message: str
    raw: bytes = b""
    raw_source: RawSource | None = None

    @property
    def reason(self) -> str:
        return f"{self.code}: {self.message}"

    def row(self) -> dict[str, object]:
        return {
            "source_uri": self.source_uri,
            "stage": self.stage,
            "reason": self.reason,
            "bytes": self.raw,
        }
