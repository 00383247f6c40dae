"""What the DAGs need beyond the stages: which day a run is for, and its settings.

Kept free of Airflow imports so it is unit-tested without Airflow and DAG files stay
cheap to parse.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from newsflow.config import Settings, load_settings
from newsflow.dates import parse_day
from newsflow.lake import storage

# Params that map one-to-one onto Settings fields.
SETTING_PARAMS = ("inbox", "lake", "min_words", "dedup_horizon_days", "sources", "refetch")
# Params naming a location: confined to the configured roots.
LOCATION_PARAMS = ("inbox", "lake")


def resolve_day(
    params: Mapping[str, Any],
    data_interval_start: datetime | None = None,
    run_after: datetime | None = None,
) -> str:
    """The day a run processes: ``params.day``, else the data interval start, else
    the run's ``run_after`` (manual runs over REST may have no logical date)."""
    day = params.get("day")
    if day:
        return parse_day(day)
    for moment in (data_interval_start, run_after):
        if moment is not None:
            return moment.date().isoformat()
    raise ValueError("cannot tell which day to process: no params.day, data interval or run_after")


def confine(location: str, roots: list[str], what: str) -> str:
    """``location`` itself when it lies inside one of ``roots``; else a ValueError saying why.

    A run's conf must not send the pipeline to read or overwrite arbitrary places: no
    ``..`` segments, no scheme other than the roots', nothing outside them.
    """
    if any(part == ".." for part in location.replace("\\", "/").split("/")):
        raise ValueError(f"params.{what} {location!r} is refused: '..' segments are not allowed")
    if any(storage.is_within(location, root) for root in roots):
        return location
    scheme = storage.scheme(location)
    schemes = sorted({storage.scheme(r) for r in roots})
    if scheme not in schemes:
        raise ValueError(
            f"params.{what} {location!r} is refused: scheme {scheme!r} is not one of the "
            f"configured roots' ({', '.join(schemes)})"
        )
    raise ValueError(
        f"params.{what} {location!r} is refused: outside the configured roots "
        f"{roots} (NEWSFLOW_INBOX, NEWSFLOW_LAKE, NEWSFLOW_PARAM_ROOTS)"
    )


def allowed_roots(settings: Settings) -> list[str]:
    """Where a run's inbox/lake Params may point: the configured inbox, lake and
    ``param_roots``."""
    extra = [r.strip() for r in settings.param_roots.split(",") if r.strip()]
    return [settings.inbox, settings.lake, *extra]


def settings_from_params(params: Mapping[str, Any]) -> Settings:
    """Settings with the run's Params (when given) over file and environment; inbox and
    lake Params must stay inside the configured roots."""
    base = load_settings()
    roots = allowed_roots(base)
    overrides = {k: params.get(k) for k in SETTING_PARAMS}
    # an unticked "Fetch again" box means "as configured", not "never"
    overrides["refetch"] = True if params.get("refetch") else None
    for k in LOCATION_PARAMS:
        if overrides.get(k):
            confine(str(overrides[k]), roots, k)
    return load_settings(**overrides)


def report_request(extra: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """(lake, day) that a ``newsflow_articles`` Asset event asks ``news_report`` to report
    on; None for an event that names no day.

    Anyone allowed to post Asset events over the API controls ``extra``, so it is checked
    exactly as a run's Params are (``parse_day``, ``settings_from_params``): a real day,
    and a lake inside the configured roots. A refused event raises ValueError.
    """
    if not extra or "day" not in extra:
        return None
    day = parse_day(extra["day"])
    lake = extra.get("lake")
    if lake is not None and not isinstance(lake, str):
        raise ValueError(f"Asset event extra.lake must be a string, not {type(lake).__name__}")
    return settings_from_params({"lake": lake}).lake, day


def selected(params: Mapping[str, Any], stage: str) -> bool:
    """Whether the run's ``stages`` Param asks for ``stage`` (all when not given)."""
    stages = params.get("stages")
    return not stages or stage in stages
