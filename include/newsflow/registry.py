"""What the DAG, the CLI and the stages agree on: the stages of a day, in order, which of
them are sharded, their time limits and the patterns the DAG's Params are checked with.

Dependency-free on purpose: the DAG file imports it while the scheduler parses it, so
parsing stays cheap, and nothing here can drift into a second copy.
"""

from __future__ import annotations

# The DAG that runs the stages; a day's manifest records which of its runs published it.
DAG_ID = "news_daily"

# The stages of a day, in the order they run; each reads the previous one's work files.
STAGES: tuple[str, ...] = ("ingest", "clean", "dedup", "tag", "stories", "publish")

# Stages the DAG maps over shards of the day (dynamic task mapping): the CPU-bound ones.
# Each has a planner task (``plan_<stage>``) that splits the day under the day's lock.
SHARDED: tuple[str, ...] = ("clean", "tag")

# Generous per-task ceilings (minutes): a stuck task fails and retries instead of
# holding the day.
TIMEOUT_MINUTES: dict[str, int] = {
    "ingest": 30,
    "clean": 60,
    "dedup": 30,
    "tag": 120,
    "stories": 30,
    "publish": 30,
}
PLAN_TIMEOUT_MINUTES = 5

# What each stage's counts mean in its log line: (read, written, rejected) count keys.
LOG_COUNTS: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "ingest": ("inputs", ("documents",), "rejects"),
    "clean": ("documents", ("articles",), "rejects"),
    "dedup": ("articles", ("articles", "duplicates"), None),
    "tag": ("articles_tagged", ("mentions",), None),
    "stories": ("articles", ("stories",), None),
    "publish": ("articles", ("articles", "entities", "duplicates", "rejects", "stories"), None),
}

# The day's hand-over files under ``LAKE/_work/<table>/dt=D``; publish removes them.
WORK_TABLES: tuple[str, ...] = (
    "ingested",
    "rejects_ingest",
    "cleaned",
    "rejects_clean",
    "source_lines",
    "deduped",
    "duplicates",
    "entities",
    "minhash",
    "minhash_signatures",
    "stories",
    "story_index",
    "story_articles",
    "story_df",
    "stats",
)

# JSON-schema pattern of the Day Param: a plain YYYY-MM-DD text field (a date picker's
# mm/dd/yyyy display contradicted it); parse_day checks the day is real.
DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# JSON-schema pattern of the inbox/lake Params, checked by Airflow at trigger time: no
# `..` segment, and either a plain path or a URL of a scheme the lake supports.
LOCATION_PATTERN = r"^(?!.*(?:^|/)\.\.(?:/|$))(?:(?:file|s3|memory)://.+|[^:]+)$"
# JSON-schema pattern of one remote source Param entry (the sources.txt line format).
SOURCE_PATTERN = r"^(?:(?:feed|sitemap|url|FEED|SITEMAP|URL)\s+)?https?://\S+$"

# Each Param's form title and, in words, what it must be. Airflow's own refusal of a
# bad value quotes the JSON schema (regexes and all); the plugin shows these instead.
PARAM_WORDS: dict[str, tuple[str, str]] = {
    "day": ("Day (YYYY-MM-DD)", "a day written year-month-day, e.g. 2024-05-14, or left empty"),
    "inbox": (
        "Inbox",
        "a folder path, or a file://, s3:// or memory:// URL, with no '..' parts, or left empty",
    ),
    "lake": (
        "Lake",
        "a folder path, or a file://, s3:// or memory:// URL, with no '..' parts, or left empty",
    ),
    "stages": ("Stages", "a list of stages among " + ", ".join(STAGES)),
    "min_words": ("Minimum words", "a whole number, 0 or more, or left empty"),
    "dedup_horizon_days": ("Dedup horizon (days)", "a whole number, 0 or more, or left empty"),
    "sources": (
        "Remote sources",
        "one source per line: 'feed URL', 'sitemap URL', 'url URL' or a bare http(s) URL",
    ),
    "refetch": ("Fetch again", "on or off"),
}
