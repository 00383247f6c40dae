"""What the DAGs need beyond the stages: which day a run is for, and its settings.

Kept free of Airflow imports so it is unit-tested without Airflow and DAG files stay
cheap to parse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from newsflow.config import Settings, load_settings
from newsflow.dates import parse_day
from newsflow.errors import InputError
from newsflow.lake import storage
from newsflow.registry import PARAM_WORDS

# Params that map one-to-one onto Settings fields.
SETTING_PARAMS = ("inbox", "lake", "min_words", "dedup_horizon_days", "sources", "refetch")
# Params naming a location: confined to the configured roots.
LOCATION_PARAMS = ("inbox", "lake")


def resolve_day(params: Mapping[str, Any], *moments: datetime | None) -> str:
    """The day a run processes: ``params.day``, else the first of ``moments`` given.

    The DAG passes the run's logical date (a scheduled or backfill run's is its data
    interval's start; ``airflow dags test news_daily 2023-11-27`` gives 2023-11-27), its
    data interval start, then ``run_after`` (manual runs over REST may have neither)."""
    day = params.get("day")
    if day:
        return parse_day(day)
    for moment in moments:
        if moment is not None:
            return moment.date().isoformat()
    raise InputError("cannot tell which day to process: no params.day and no run date")


def run_note(conf: Mapping[str, Any] | None, *moments: datetime | None) -> str | None:
    """The note a news_daily run carries in the UI: the day it processes, which its
    trigger time (all a manual run's list entry shows) does not tell. None when the day
    cannot be told (the run's first task then fails saying why)."""
    try:
        return f"Day {resolve_day(conf or {}, *moments)}"
    except InputError:
        return None


# How Airflow words a Param its JSON schema refuses at trigger time.
_REFUSED = re.compile(r"Invalid input for param (\w+):")


def explain_refusal(detail: str, conf: Mapping[str, Any]) -> str | None:
    """Airflow's trigger-time refusal of a Param (``detail``, which quotes the JSON
    schema) in plain words: the field, the value given and what it must be. None when
    ``detail`` is not such a refusal."""
    found = _REFUSED.search(detail)
    if found is None or found.group(1) not in PARAM_WORDS:
        return None
    name = found.group(1)
    title, rule = PARAM_WORDS[name]
    given = repr(conf[name])[:200] if name in conf else "nothing"
    return f"{title}: {given} is refused; it must be {rule}."


def confine(location: str, roots: list[str], what: str) -> str:
    """``location`` itself when it lies inside one of ``roots``; else a ValueError saying why.

    A run's conf must not send the pipeline to read or overwrite arbitrary places: no
    ``..`` segments, no scheme other than the roots', nothing outside them.
    """
    if any(part == ".." for part in location.replace("\\", "/").split("/")):
        raise InputError(f"params.{what} {location!r} is refused: '..' segments are not allowed")
    if any(storage.is_within(location, root) for root in roots):
        return location
    scheme = storage.scheme(location)
    schemes = sorted({storage.scheme(r) for r in roots})
    if scheme not in schemes:
        raise InputError(
            f"params.{what} {location!r} is refused: scheme {scheme!r} is not one of the "
            f"configured roots' ({', '.join(schemes)})"
        )
    raise InputError(
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
    lake Params must stay inside the configured roots. Settings that cannot work (from
    the Params, the config file or the environment) are an ``InputError``."""
    try:
        roots = allowed_roots(load_settings())
        overrides = {k: params.get(k) for k in SETTING_PARAMS}
        # an unticked "Fetch again" box means "as configured", not "never"
        overrides["refetch"] = True if params.get("refetch") else None
        for k in LOCATION_PARAMS:
            if overrides.get(k):
                confine(str(overrides[k]), roots, k)
        return load_settings(**overrides)
    except ValidationError as e:
        raise InputError("settings refused: " + "; ".join(x["msg"] for x in e.errors())) from None


def selected(params: Mapping[str, Any], stage: str) -> bool:
    """Whether the run's ``stages`` Param asks for ``stage`` (all when not given)."""
    stages = params.get("stages")
    return not stages or stage in stages
