"""What the DAGs need beyond the stages: which day a run is for, and its settings.

Kept free of Airflow imports so it is unit-tested without Airflow and DAG files stay
cheap to parse.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from newsflow.config import Settings, load_settings

# Params that map one-to-one onto Settings fields.
SETTING_PARAMS = ("inbox", "lake", "min_words", "dedup_horizon_days")


def resolve_day(
    params: Mapping[str, Any],
    data_interval_start: datetime | None = None,
    run_after: datetime | None = None,
) -> str:
    """The day a run processes: ``params.day``, else the data interval start, else
    the run's ``run_after`` (manual runs over REST may have no logical date)."""
    day = params.get("day")
    if day:
        return date.fromisoformat(str(day)).isoformat()
    for moment in (data_interval_start, run_after):
        if moment is not None:
            return moment.date().isoformat()
    raise ValueError("cannot tell which day to process: no params.day, data interval or run_after")


def settings_from_params(params: Mapping[str, Any]) -> Settings:
    """Settings with the run's Params (when given) over file and environment."""
    return load_settings(**{k: params.get(k) for k in SETTING_PARAMS})


def selected(params: Mapping[str, Any], stage: str) -> bool:
    """Whether the run's ``stages`` Param asks for ``stage`` (all when not given)."""
    stages = params.get("stages")
    return not stages or stage in stages
