"""One day's inputs: the inbox folder's files and the remote sources, as one stream.

Remote fetches are kept in the day's raw WARC (``LAKE/_raw/fetch/dt=D/fetch.warc.gz``);
when it exists (and ``refetch`` is off) the same responses are replayed from it instead
of fetched again, so a rerun of a day sees the inputs the first run saw.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from newsflow.config import Settings
from newsflow.errors import NoInput
from newsflow.ingest.fetch import Fetcher
from newsflow.ingest.inbox import iter_inbox
from newsflow.ingest.remote import RemoteIngest, day_sources, parse_sources
from newsflow.ingest.warc import RawArchive, ReplayFetcher
from newsflow.lake import storage
from newsflow.lake.partition import partition_dir
from newsflow.records import RawDoc, Reject

log = logging.getLogger("newsflow")


def raw_archive_path(settings: Settings, day: str) -> Path:
    """The day's fetched responses (a WARC): re-running the day replays it, no refetch."""
    return partition_dir(storage.lake_path(settings.lake) / "_raw", "fetch", day) / "fetch.warc.gz"


class DayInputs:
    """The documents and rejects of ``day``, from the inbox and the remote sources.

    A context manager: on a clean exit the new responses are kept in the raw WARC (then
    the validators that assume them); on an error nothing of this fetch is kept.
    """

    def __init__(self, settings: Settings, day: str) -> None:
        self.settings, self.day = settings, day
        self.day_dir = settings.day_dir(day)
        if self.day_dir.is_dir():
            self.sources = day_sources(self.day_dir, settings.sources)
        elif settings.sources:
            self.sources = parse_sources(settings.sources, "setting 'sources'")
        else:
            raise NoInput(
                f"nothing to ingest for {day}: the inbox folder {self.day_dir} does not exist "
                "and no remote sources are set (create the folder, or set 'sources')"
            )
        raw_path = raw_archive_path(settings, day)
        for stale in RawArchive.remove_stale(raw_path):  # a killed fetch's temp WARC
            log.info("removed %s, left by an interrupted fetch of %s", stale, day)
        self.replayed = raw_path.is_file() and not settings.refetch
        self._archive = None if self.replayed else RawArchive(raw_path)
        self._fetcher: Fetcher | ReplayFetcher = (
            ReplayFetcher(raw_path)
            if self.replayed
            else Fetcher(settings, state_dir=storage.lake_path(settings.lake) / "_state")
        )
        self._remote = RemoteIngest(
            self._fetcher,
            concurrency=settings.fetch_concurrency,
            max_urls=settings.max_source_urls,
            fetch_pages=settings.fetch_pages,
            record=self._archive.record if self._archive else None,
        )

    def __iter__(self) -> Iterator[RawDoc | Reject]:
        feed_pages: list = []
        remote = self._remote
        if self.day_dir.is_dir():
            yield from iter_inbox(
                self.day_dir,
                max_bytes=self.settings.max_input_bytes,
                sidecar_max_bytes=self.settings.sidecar_max_bytes,
                feed_items=lambda found, where: remote.items(found, where, feed_pages),
            )
        yield from remote.run(self.sources)
        yield from remote.pages(feed_pages)

    @property
    def unchanged(self) -> int:
        """Remote sources that answered 304 Not Modified."""
        return self._remote.counts["unchanged"]

    def counts(self) -> dict[str, int]:
        """The remote side's non-zero counts, the requests made and whether it replayed."""
        out = {k: v for k, v in self._remote.counts.items() if v}
        out["requests"] = self._fetcher.requests
        out["replayed"] = int(self.replayed)
        return out

    def __enter__(self) -> DayInputs:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._archive is None:
                return
            if exc_type is None and self._archive.records:
                self._archive.commit()  # first the responses, then the validators
                self._fetcher.save_validators()
            else:
                self._archive.abort()
        finally:
            self._fetcher.close()
