"""Parsing of dates given by inputs (sidecars, JSONL fields, feeds)."""

from __future__ import annotations

from datetime import UTC, date, datetime


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
