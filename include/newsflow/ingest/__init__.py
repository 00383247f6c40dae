"""Ingestion: turn the files of an inbox day into decoded documents or rejects."""

from newsflow.ingest.inbox import iter_inbox

__all__ = ["iter_inbox"]
