"""Arrow schemas of the lake tables and of the stage hand-over files.

These are the data contract of docs/design.md in code: every writer casts to one of
these schemas, so a column cannot silently change type between runs.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = 1

TS = pa.timestamp("us", tz="UTC")

# Output of ingest: one row per input document, still raw.
RAW = pa.schema(
    [
        ("source_uri", pa.string()),
        ("kind", pa.string()),  # "html" or "text"
        ("content", pa.large_string()),  # decoded document
        ("raw", pa.large_binary()),  # the original bytes, for rejects
        ("url", pa.string()),
        ("title", pa.string()),
        ("source", pa.string()),
        ("published_at", TS),
        ("published_precision", pa.string()),
        ("authors", pa.list_(pa.string())),
    ]
)

_ARTICLE_CORE = [
    ("article_id", pa.string()),
    ("source_uri", pa.string()),
    ("url", pa.string()),
    ("canonical_url", pa.string()),
    ("source", pa.string()),
    ("title", pa.string()),
    ("authors", pa.list_(pa.string())),
    ("published_at", TS),
    # "day": published_at is a date without a time of day (stored as 00:00 UTC);
    # "second": a timestamp; null when published_at is
    ("published_precision", pa.string()),
    ("language", pa.string()),
    ("text", pa.large_string()),
    ("word_count", pa.int32()),
    ("content_hash", pa.string()),
]
_ARTICLE_TAIL = [
    ("ingest_date", pa.date32()),
    ("pipeline_version", pa.string()),
]
_DEDUP = [
    ("dedup_cluster_id", pa.string()),
    ("is_duplicate", pa.bool_()),
    ("duplicate_of", pa.string()),
]

# Output of clean (no dedup or story columns yet).
CLEANED = pa.schema(_ARTICLE_CORE + _ARTICLE_TAIL)
# Output of dedup.
DEDUPED = pa.schema(_ARTICLE_CORE + _DEDUP + _ARTICLE_TAIL)
# The published articles table, exactly as docs/design.md lists it.
ARTICLES = pa.schema(_ARTICLE_CORE + _DEDUP + [("story_id", pa.string())] + _ARTICLE_TAIL)

ENTITIES = pa.schema(
    [
        ("article_id", pa.string()),
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("text", pa.string()),
        ("label", pa.string()),
        ("entity_key", pa.string()),
        ("country", pa.string()),
    ]
)

DUPLICATES = pa.schema(
    [
        ("article_id", pa.string()),
        ("duplicate_of", pa.string()),
        ("similarity", pa.float64()),
        ("method", pa.string()),  # url, exact, near
        ("duplicate_of_dt", pa.date32()),
    ]
)

# The cross-day near-duplicate index (LAKE/_state, internal): one day's representatives'
# LSH bucket hashes, and their MinHash signatures (num_perm uint32, little-endian) with
# the size of their shingle set, to verify candidates from later days.
# _work/stories: each article's story (the stories stage's output, publish joins it in)
STORIES = pa.schema([("article_id", pa.string()), ("story_id", pa.string())])

_STORY_SUMMARY = [
    ("story_id", pa.string()),
    ("title", pa.string()),  # the headline of the story's first article
    ("first_seen", pa.date32()),  # the first and latest day with an article of the story
    ("last_seen", pa.date32()),
    ("days", pa.int32()),  # days with an article of the story, up to this one
    ("articles", pa.int64()),  # articles of the story up to this day (copies included)
    ("articles_today", pa.int32()),  # of them, this day's
    ("sources", pa.list_(pa.string())),  # distinct sources so far, sorted
    ("languages", pa.list_(pa.string())),
    ("entity_keys", pa.list_(pa.string())),  # most named story keys, most articles first
]
# The published stories table: one row per story with an article on the day, as it
# stands at the end of that day.
STORY_SUMMARY = pa.schema(_STORY_SUMMARY)
# The cross-day story index (LAKE/_state, internal; see newsflow/story_index.py):
# story_index/dt=D: the summary of every story D touched, with the counts of its entity
# keys; story_articles/dt=D: D's originals, their story and their hashed vectors (the
# heaviest terms first; entity keys' columns), what a later day compares its own with.
STORY_INDEX = pa.schema(_STORY_SUMMARY + [("entity_counts", pa.list_(pa.int32()))])
STORY_ARTICLES = pa.schema(
    [
        ("story_id", pa.string()),
        ("article_id", pa.string()),
        ("day", pa.date32()),
        ("text_terms", pa.list_(pa.int32())),
        ("text_weights", pa.list_(pa.float32())),
        ("body_terms", pa.list_(pa.int32())),  # the text without its entities' names
        ("body_weights", pa.list_(pa.float32())),
        ("title_terms", pa.list_(pa.int32())),
        ("title_weights", pa.list_(pa.float32())),
        ("key_terms", pa.list_(pa.int32())),
        # what fills the text's slots (newsflow/story_slots.py); null in parts written
        # before it was kept
        ("slot_entries", pa.list_(pa.int32())),
    ]
)
# story_df/dt=D: D's originals' document frequencies per hashed column (kind text,
# body, title or keys), and their number (kind "n"): the IDF of the story horizon
STORY_DF = pa.schema([("kind", pa.string()), ("term", pa.int32()), ("df", pa.int32())])

MINHASH_BANDS = pa.schema(
    [("article_id", pa.string()), ("band", pa.int16()), ("bucket", pa.int64())]
)
MINHASH_SIGNATURES = pa.schema(
    [("article_id", pa.string()), ("shingles", pa.int32()), ("signature", pa.binary())]
)

# ``dt`` comes from the hive partition folder, not from a column in the file.
REJECTS = pa.schema(
    [
        ("source_uri", pa.string()),
        ("stage", pa.string()),
        ("reason", pa.string()),  # "code: message"
        ("bytes", pa.large_binary()),  # the whole input; null when it is in raw_uri
        ("size", pa.int64()),  # bytes of the whole input
        ("sha256", pa.string()),  # hex digest of the whole input
        ("raw_uri", pa.string()),  # _raw/rejects/dt=D/<sha256> (lake-relative) or null
    ]
)

ENTITY_COUNTS = pa.schema(
    [
        ("entity_key", pa.string()),
        ("label", pa.string()),
        ("articles", pa.int64()),
        ("mentions", pa.int64()),
    ]
)
