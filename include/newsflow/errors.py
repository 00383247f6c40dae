"""Errors no retry can fix: the run asked for something wrong, not the machine failed.

The DAG fails a task that raises one at once, without retries (they would fail the same
way, minutes later, and hold the next run behind ``max_active_runs=1``); the CLI exits 1
with the message. Each message is one line saying what was refused and what to do.
"""

from __future__ import annotations


class InputError(ValueError):
    """A day, location, source or setting that cannot work as given."""


class NoInput(InputError, FileNotFoundError):
    """The day has no inbox folder and no remote sources: there is nothing to ingest."""
