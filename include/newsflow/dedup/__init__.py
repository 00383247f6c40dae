"""Duplicate detection: canonical URL and exact text first, across days."""

from newsflow.dedup.exact import Candidate, Duplicate, deduplicate

__all__ = ["Candidate", "Duplicate", "deduplicate"]
