"""The records that flow between stages before they become Parquet rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsflow.lake.raw_rejects import RawSource


@dataclass(slots=True)
class RawDoc:
    """One input document as ingestion found it (decoded, not yet cleaned)."""

    source_uri: str
    kind: str  # "html" or "text"
    content: str
    raw: bytes
    url: str | None = None
    title: str | None = None
    source: str | None = None
    published_at: datetime | None = None
    authors: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Reject:
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
