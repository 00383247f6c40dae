"""Duplicate detection: canonical URL and exact text first, then MinHash LSH
near-duplicates, across days."""

from newsflow.dedup import minhash, near
from newsflow.dedup.exact import Candidate, Duplicate, deduplicate

__all__ = ["Candidate", "Duplicate", "deduplicate", "minhash", "near"]
