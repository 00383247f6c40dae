"""Cross-day links after a day is published again: the one place a stage edits another
day's partition.

A copy on day E points (``duplicate_of``, ``duplicate_of_dt``) at a representative of an
earlier day D. When D is rebuilt without that article (its input was removed) or the
article is no longer a representative, E's link would dangle and E's copy would never be
tagged (copies are not). So publishing D ends with :func:`repair_later_days`: every later
day with such links is rewritten, under that day's lock and through the same publish
journal as a publish (atomic, rolled forward after a crash), before D itself is swapped in
(so a crash in between leaves a copy promoted early, never a dangling link):

- the copies of one lost original on the first later day become a cluster of their own:
  the best ranked (earliest published, longest, smallest id: dedup's rule) is promoted
  (``is_duplicate`` false, ``duplicate_of`` null, its own ``dedup_cluster_id``), tagged
  with NER, and added to the cross-day index; the others point at it;
- copies of the same lost original on still later days point at that new representative;
- the day's ``duplicates``, ``entities``, ``entity_counts`` and manifest (counts and
  checksums, plus a ``repairs`` entry saying why) are rewritten to match.

Articles D gains are not looked for in later days already published (a later day is
deduplicated against the earlier days as they were when it ran); rerun that day to link
them. Nothing else of a later day changes: its rows, ids, stories and rejects stay.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from newsflow.config import Settings
from newsflow.lake import schema, storage
from newsflow.lake.manifest import file_entries
from newsflow.lake.partition import (
    finish_publish,
    partition_dir,
    publish_atomically,
    write_partition,
)

log = logging.getLogger("newsflow")


@dataclass(frozen=True)
class _Row:
    """What re-linking needs of one copy (or of its new representative)."""

    article_id: str
    canonical_url: str | None
    content_hash: str
    published_at: datetime | None
    word_count: int
    text: str
    language: str | None
    day: str

    def rank(self) -> tuple:
        far = datetime.max.replace(tzinfo=UTC)
        return (self.published_at or far, -self.word_count, self.article_id)


def _uris(folder: Path) -> list[str]:
    """The Parquet files of a partition folder (published or still in scratch), as URIs
    for DuckDB; none when it does not exist."""
    return [storage.uri(f) for f in sorted(folder.glob("*.parquet"))]


def _files(lake: str, table: str, day: str) -> list[str]:
    return _uris(partition_dir(lake, table, day))


def _published_after(lake: str, day: str) -> list[str]:
    runs = storage.lake_path(lake) / "_runs"
    days = sorted(p.parent.name[3:] for p in runs.glob("dt=*/manifest.json"))
    return [d for d in days if d > day]


def _broken(settings: Settings, later: str, day: str, arts: list[str]) -> dict[str, str]:
    """``{copy: lost original}``: ``later``'s copies of ``day``'s articles that ``day``'s
    articles (the files ``arts``) no longer have as representatives."""
    dups = _files(settings.lake, "duplicates", later)
    if not dups:
        return {}
    con = storage.duckdb_connect(settings.lake)
    reps = (
        "SELECT article_id FROM read_parquet($arts, hive_partitioning = false) "
        "WHERE NOT is_duplicate"
        if arts
        else "SELECT NULL::VARCHAR AS article_id WHERE false"
    )
    params = {"dups": dups, "day": date.fromisoformat(day)} | ({"arts": arts} if arts else {})
    rows = con.execute(
        f"""SELECT article_id, duplicate_of FROM read_parquet($dups, hive_partitioning = false)
            WHERE duplicate_of_dt = $day AND duplicate_of NOT IN ({reps})""",
        params,
    ).fetchall()
    return dict(rows)


def repair_later_days(
    settings: Settings, day: str, articles: Path | None = None
) -> dict[str, dict]:
    """Re-link or promote later days' copies whose original ``day``'s articles no longer
    have (see the module's docstring). ``articles`` is the folder of the day's new
    articles, still in scratch: publish repairs the later days *before* swapping the day
    in, so no instant (and no crash) leaves a dangling link, at worst a copy promoted
    early. None: the day's published articles. The caller holds ``day``'s lock; each
    later day is rewritten under its own. Returns ``{later day: repair}``."""
    from newsflow.lake.lock import day_lock

    lake, done = settings.lake, {}
    arts = _uris(articles) if articles is not None else _files(lake, "articles", day)
    new_rep: dict[str, _Row] = {}  # lost original -> its copies' new representative
    for later in _published_after(lake, day):
        if not _broken(settings, later, day, arts):
            continue
        with day_lock(lake, later, settings.lock_timeout_seconds):
            finish_publish(lake, later)
            broken = _broken(settings, later, day, arts)  # again: the day may have changed
            if broken:
                done[later] = _repair_day(settings, later, day, broken, new_rep)
    return done


def _copies(settings: Settings, later: str, ids: set[str]) -> list[_Row]:
    con = storage.duckdb_connect(settings.lake)
    con.register("ids", pa.table({"k": pa.array(sorted(ids), pa.string())}))
    rows = con.execute(
        """SELECT article_id, canonical_url, content_hash, published_at, word_count, text,
                  language
           FROM read_parquet($f, hive_partitioning = false)
           WHERE article_id IN (SELECT k FROM ids) ORDER BY article_id""",
        {"f": _files(settings.lake, "articles", later)},
    ).fetchall()
    return [
        _Row(aid, url, content_hash, published_at, word_count, text, language, day=later)
        for aid, url, content_hash, published_at, word_count, text, language in rows
    ]


def _relink(
    copies: list[_Row], broken: dict[str, str], new_rep: dict[str, _Row]
) -> tuple[list[_Row], dict[str, tuple[_Row, _Row]]]:
    """(promoted copies, {copy id: (copy, its new representative)}) for one later day."""
    by_lost: dict[str, list[_Row]] = {}
    for c in copies:
        by_lost.setdefault(broken[c.article_id], []).append(c)
    promoted, points_to = [], {}
    for lost, members in sorted(by_lost.items()):
        if lost not in new_rep:
            rep = min(members, key=_Row.rank)
            new_rep[lost] = rep
            promoted.append(rep)
        rep = new_rep[lost]
        points_to.update({c.article_id: (c, rep) for c in members if c is not rep})
    return promoted, points_to


def _duplicate_row(copy: _Row, rep: _Row, old: dict) -> dict:
    """The copy's ``duplicates`` row, pointing at its new representative."""
    from newsflow.dedup.exact import shingle_jaccard

    if copy.content_hash == rep.content_hash:
        method, sim = "exact", 1.0
    else:
        same_url = copy.canonical_url and copy.canonical_url == rep.canonical_url
        method, sim = ("url" if same_url else "near"), shingle_jaccard(copy.text, rep.text)
    return old | {
        "duplicate_of": rep.article_id,
        "similarity": sim,
        "method": method,
        "duplicate_of_dt": date.fromisoformat(rep.day),
    }


def _repair_day(
    settings: Settings, later: str, day: str, broken: dict[str, str], new_rep: dict[str, _Row]
) -> dict:
    """Rewrite ``later``'s tables so that none of its copies points at ``day``'s lost
    articles, and swap them in with its manifest through the publish journal."""
    from newsflow.entities.mentions import mention_rows

    lake = settings.lake
    promoted, points_to = _relink(_copies(settings, later, set(broken)), broken, new_rep)
    # {article id: (dedup_cluster_id, is_duplicate, duplicate_of)}, as dedup assigns them
    fix: dict[str, tuple[str, bool, str | None]] = {
        r.article_id: (r.article_id, False, None) for r in promoted
    }
    fix |= {a: (rep.article_id, True, rep.article_id) for a, (_, rep) in points_to.items()}
    counts = {"articles_tagged": 0, "mentions": 0, "normalise_errors": 0}
    mentions = list(
        mention_rows(settings, [(r.article_id, r.text, r.language) for r in promoted], counts)
    )
    written = {
        "articles": _articles(settings, later, fix),
        "duplicates": _duplicates(settings, later, promoted, points_to),
    }
    written["entities"] = _entities(settings, later, mentions)
    written["entity_counts"] = _entity_counts(settings, later, written)
    swaps = [(tmp, partition_dir(lake, t, later)) for t, tmp in written.items()]
    swaps += _index(settings, later, promoted)
    repair = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "because": f"dt={day} was rebuilt without the originals of these copies",
        "promoted": sorted(r.article_id for r in promoted),
        "relinked": sorted(points_to),
        "mentions": counts["mentions"],
    }
    manifest_tmp = storage.lake_path(lake) / "_tmp" / f"manifest.dt={later}.{os.getpid()}.json"
    _manifest(settings, later, written, repair, manifest_tmp)
    swaps.append((manifest_tmp, partition_dir(lake, "_runs", later) / "manifest.json"))
    publish_atomically(lake, later, swaps)
    log.warning(
        "publish %s: repaired %s (its copies of %s's lost articles): promoted %d, relinked %d",
        day,
        later,
        day,
        len(promoted),
        len(points_to),
    )
    return repair


def _articles(settings: Settings, later: str, fix: dict[str, tuple]) -> Path:
    """``later``'s articles with the dedup columns of the fixed rows replaced (same order)."""
    from newsflow.lake.partition import partition_files

    files = partition_files(settings.lake, "articles", later)  # before the scratch exists

    def batches():
        for b in (b for f in files for b in storage.parquet_file(f).iter_batches(5_000)):
            ids = b.column("article_id").to_pylist()
            if not any(a in fix for a in ids):
                yield b
                continue
            t = pa.Table.from_batches([b])
            for k, name in enumerate(("dedup_cluster_id", "is_duplicate", "duplicate_of")):
                old = t.column(name).to_pylist()
                new = [fix[a][k] if a in fix else v for a, v in zip(ids, old, strict=True)]
                t = t.set_column(
                    t.schema.get_field_index(name), name, pa.array(new, t.schema.field(name).type)
                )
            yield t

    return write_partition(
        settings.lake,
        "articles",
        later,
        batches(),
        schema.ARTICLES,
        row_group_size=settings.row_group_size,
        swap=False,
    )


def _duplicates(
    settings: Settings, later: str, promoted: list[_Row], points_to: dict[str, tuple[_Row, _Row]]
) -> Path:
    """``later``'s duplicates without the promoted copies, the others pointing anew."""
    from newsflow.lake.partition import read_partition

    gone = {r.article_id for r in promoted}
    out = []
    for r in read_partition(settings.lake, "duplicates", later).to_pylist():
        if r["article_id"] in gone:
            continue
        if r["article_id"] in points_to:
            r = _duplicate_row(*points_to[r["article_id"]], r)
        out.append(r)
    out.sort(key=lambda r: r["article_id"])
    return write_partition(
        settings.lake,
        "duplicates",
        later,
        [pa.Table.from_pylist(out, schema.DUPLICATES)],
        schema.DUPLICATES,
        swap=False,
    )


def _entities(settings: Settings, later: str, mentions: list[dict]) -> Path:
    """``later``'s mentions plus the promoted copies', in publish's order."""
    from newsflow.lake.views import ENTITIES_SQL

    new = pa.Table.from_pylist(mentions, schema.ENTITIES)
    sql = ENTITIES_SQL.replace(
        "read_parquet($entities, hive_partitioning = false)",
        "(SELECT * FROM read_parquet($entities, hive_partitioning = false) UNION ALL "
        "SELECT * FROM new)",
    )
    batches = storage.query_batches(
        settings.lake,
        sql,
        {"entities": _files(settings.lake, "entities", later)},
        tables={"new": new},
        batch_size=settings.row_group_size,
        memory_mb=settings.publish_memory_mb,
    )
    return write_partition(
        settings.lake,
        "entities",
        later,
        batches,
        schema.ENTITIES,
        row_group_size=settings.row_group_size,
        swap=False,
    )


def _entity_counts(settings: Settings, later: str, written: dict[str, Path]) -> Path:
    """Publish's entity counts over the rewritten articles and entities."""
    from newsflow.lake.views import ENTITY_COUNTS_SQL

    batches = storage.query_batches(
        settings.lake,
        ENTITY_COUNTS_SQL,
        {"entities": _uris(written["entities"]), "deduped": _uris(written["articles"])},
        batch_size=settings.row_group_size,
        memory_mb=settings.publish_memory_mb,
    )
    return write_partition(
        settings.lake,
        "entity_counts",
        later,
        batches,
        schema.ENTITY_COUNTS,
        row_group_size=settings.row_group_size,
        swap=False,
    )


def _index(settings: Settings, later: str, promoted: list[_Row]) -> list[tuple[Path, Path]]:
    """The promoted copies join ``later``'s part of the cross-day index (representatives
    only), so a still later copy of them is found."""
    from newsflow.dedup import minhash
    from newsflow.dedup.index import INDEX_SCHEMAS, STATE, Signatures, index_tables
    from newsflow.lake.partition import read_partition

    if not settings.dedup_near or not promoted:
        return []
    params = minhash.MinHashParams.from_settings(settings)
    state = storage.lake_path(settings.lake) / STATE
    sig, sizes = minhash.signatures([r.text for r in promoted], params)
    bands = minhash.band_hashes(sig, params)
    new = index_tables(Signatures([r.article_id for r in promoted], sig, sizes, bands))
    swaps = []
    for table, sch in INDEX_SCHEMAS.items():
        parts = [new[table]]
        if any(partition_dir(state, table, later).glob("*.parquet")):
            parts.insert(0, read_partition(state, table, later).cast(sch))
        merged = pa.concat_tables(parts)
        merged = merged.take(pc.sort_indices(merged, [("article_id", "ascending")]))
        tmp = write_partition(state, table, later, [merged], sch, swap=False)
        swaps.append((tmp, partition_dir(state, table, later)))
    return swaps


def _manifest(
    settings: Settings, later: str, written: dict[str, Path], repair: dict, out: Path
) -> None:
    """``later``'s manifest with the rewritten tables' files, counts and the repair."""
    path = partition_dir(settings.lake, "_runs", later) / "manifest.json"
    manifest = json.loads(path.read_text())
    files = {k: v for k, v in manifest["files"].items() if k.split("/")[0] not in written}
    files.update(file_entries(written, later))
    for table in written:
        manifest["counts"][table] = sum(
            v["rows"] for k, v in files.items() if k.startswith(f"{table}/")
        )
    manifest["files"] = dict(sorted(files.items()))
    manifest.setdefault("repairs", []).append(repair)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(manifest, indent=2))
