"""Parsing of dates given by inputs (sidecars, JSONL fields, feeds)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from newsflow.errors import InputError

# The days a run may process. Day arithmetic (the dedup horizon before a day, two days
# of time zones after it) must stay inside Python's dates (0001-01-01 failed in dedup
# with OverflowError), and every tool reading the lake must represent the day's
# timestamps (pandas' nanosecond timestamps end on 2262-04-11).
MIN_DAY = date(1900, 1, 1)
MAX_DAY = date(2261, 12, 31)


def parse_day(value: object) -> str:
    """``value`` as YYYY-MM-DD if it is a day a run may process; else a ValueError
    with a one-line reason. The CLI, a run's Params and an Asset event's ``extra`` all
    pass through here: the result is the canonical form of a real date in range, so it
    is safe inside a path (``dt=<day>``)."""
    text = str(value)[:80]
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{text!r} is not a day like 2024-05-14 (YYYY-MM-DD)") from None
    if not MIN_DAY <= day <= MAX_DAY:
        raise InputError(f"{text!r} is out of range: days from {MIN_DAY} to {MAX_DAY}")
    return day.isoformat()


_DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


def date_precision(value: object) -> str | None:
    """How precise a publication date given as ``value`` is: "day" for a date without a
    time of day ("2024-05-13", a ``date``), "second" for a timestamp, None for nothing.

    A date-only value parses to 00:00 UTC, which reads as a time: without this, a
    date-only source would seem to publish every story first, at midnight.
    """
    if value is None or value == "":
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return "day"
    if isinstance(value, str) and _DATE_ONLY.match(value):
        return "day"
    return "second"


def parse_datetime(value: object) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string, a date or a datetime; else None.

    Naive values are taken as UTC: news metadata without an offset is far more often
    UTC than local time, and a wrong hour matters less than a lost date.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        s = value.strip().replace("Z", "+00:00") if value.strip().endswith("Z") else value.strip()
        try:
            dt = datetime.fromisoformat(s)
        except ValueError:
            return None
    else:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def latest_instant(published: datetime | None, precision: str | None) -> datetime | None:
    """The latest moment an article can have been published: a date-only
    ``published_at`` (precision "day", stored as 00:00 UTC) is the end of its day, so
    it never looks earlier than an article of the same day with a time."""
    if published is None or precision != "day":
        return published
    return published + timedelta(days=1) - timedelta(microseconds=1)
