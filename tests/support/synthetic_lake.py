"""A synthetic lake with the real schemas, writers and manifests, for the UI tests and
the page-load benchmark (``benchmarks/ui_pageload.py``): many days in seconds, without
running NER. Texts are filler; the counts, sources, languages, duplicates, stories,
entities and rejects have realistic shapes (Zipf-like entity popularity, ~15% copies).
"""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
from newsflow.config import Settings
from newsflow.lake import schema
from newsflow.lake.manifest import write_manifest
from newsflow.lake.partition import write_partition


def entity_counts(entities: pa.Table, duplicates: set[str]) -> pa.Table:
    """What publish's entity_counts query gives: per (entity_key, label), the articles
    naming it and the mentions, copies left out."""
    import pyarrow.compute as pc

    dups = pa.array(sorted(duplicates), pa.string())
    kept = entities.filter(pc.invert(pc.is_in(entities["article_id"], value_set=dups)))
    g = kept.group_by(["entity_key", "label"]).aggregate(
        [("article_id", "count_distinct"), ("article_id", "count")]
    )
    return pa.table(
        {
            "entity_key": g["entity_key"],
            "label": g["label"],
            "articles": g["article_id_count_distinct"],
            "mentions": g["article_id_count"],
        }
    ).cast(schema.ENTITY_COUNTS)


SOURCES = [f"Source {chr(65 + i)}" for i in range(20)]
LANGS = ["en"] * 12 + ["de", "fr", "es", "it", "nl", "pt"]
LABELS = ["PERSON", "ORG", "GPE", "LOC", "EVENT", "NORP"]
REASONS = [
    "empty: no bytes",
    "bad_gzip: truncated stream",
    "too_short: 7 words",
    "not_text: binary",
]


def make_lake(
    lake: Path,
    *,
    days: int,
    articles_per_day: int,
    start: date = date(2024, 1, 1),
    seed: int = 7,
    run_ids: dict[str, str] | None = None,
) -> list[str]:
    """Write ``days`` published days into ``lake``; returns the days written. A day in
    ``run_ids`` is recorded as published by that news_daily run, the others by the CLI."""
    rng = random.Random(seed)
    # an inbox beside the lake, never read (inside it the settings would refuse the overlap)
    settings = Settings(lake=str(lake), inbox=str(lake.parent / f"{lake.name}-no-inbox"))
    entities_vocab = [(f"Entity {i}", LABELS[i % len(LABELS)]) for i in range(500)]
    weights = [1 / (i + 1) for i in range(len(entities_vocab))]
    out = []
    for n in range(days):
        d = start + timedelta(days=n)
        day = d.isoformat()
        arts, ents, dups = [], [], []
        originals: list[str] = []
        for i in range(articles_per_day):
            aid = f"{day}-{i:05d}"
            is_dup = bool(originals) and rng.random() < 0.15
            of = rng.choice(originals) if is_dup else None
            if not is_dup:
                originals.append(aid)
            text = f"Article {i} of {day}. " + "words " * rng.randint(80, 400)
            arts.append(
                {
                    "article_id": aid,
                    "source_uri": f"{day}/{i}.html",
                    "url": f"https://example.org/{day}/{i}",
                    "canonical_url": f"https://example.org/{day}/{i}",
                    "source": rng.choice(SOURCES),
                    "title": f"Title {i}",
                    "authors": ["A. Writer"],
                    "published_at": datetime(d.year, d.month, d.day, tzinfo=UTC)
                    + timedelta(minutes=rng.randint(0, 1439)),
                    "published_precision": "second",
                    "language": rng.choice(LANGS),
                    "text": text,
                    "word_count": len(text.split()),
                    "content_hash": f"h-{of or aid}",
                    "dedup_cluster_id": f"c-{of or aid}",
                    "is_duplicate": is_dup,
                    "duplicate_of": of,
                    "story_id": f"s-{day}-{rng.randint(0, max(1, articles_per_day // 4))}",
                    "ingest_date": d,
                    "pipeline_version": "synthetic",
                }
            )
            if is_dup:
                dups.append(
                    {
                        "article_id": aid,
                        "duplicate_of": of,
                        "similarity": 1.0,
                        "method": "exact",
                        "duplicate_of_dt": d,
                    }
                )
            for k, (key, label) in enumerate(rng.choices(entities_vocab, weights, k=5)):
                ents.append(
                    {
                        "article_id": aid,
                        "start": 10 * k,
                        "end": 10 * k + 6,
                        "text": key,
                        "label": label,
                        "entity_key": key,
                        "country": None,
                    }
                )
        rejects = [
            {
                "source_uri": f"{day}/bad-{j}.bin",
                "stage": "ingest",
                "reason": rng.choice(REASONS),
                "bytes": b"\x00" * j,
                "size": j,
                "sha256": hashlib.sha256(b"\x00" * j).hexdigest(),
                "raw_uri": None,
            }
            for j in range(rng.randint(0, max(1, articles_per_day // 30)))
        ]
        articles = pa.Table.from_pylist(arts, schema.ARTICLES)
        entities = pa.Table.from_pylist(ents, schema.ENTITIES)
        dup_ids = {a["article_id"] for a in arts if a["is_duplicate"]}
        sort = [("source", "ascending"), ("published_at", "ascending"), ("article_id", "ascending")]
        written = {
            "articles": write_partition(
                lake, "articles", day, [articles.sort_by(sort)], schema.ARTICLES
            ),
            "entities": write_partition(lake, "entities", day, [entities], schema.ENTITIES),
            "duplicates": write_partition(
                lake,
                "duplicates",
                day,
                [pa.Table.from_pylist(dups, schema.DUPLICATES)],
                schema.DUPLICATES,
            ),
            "rejects": write_partition(
                lake,
                "rejects",
                day,
                [pa.Table.from_pylist(rejects, schema.REJECTS)],
                schema.REJECTS,
            ),
            "entity_counts": write_partition(
                lake, "entity_counts", day, [entity_counts(entities, dup_ids)], schema.ENTITY_COUNTS
            ),
        }
        with tempfile.TemporaryDirectory() as stats:
            counts = {
                "inputs": len(arts) + len(rejects),
                "documents": len(arts),
                "rejects": len(rejects),
            }
            for stage, c in (("ingest", counts), ("publish", {"articles": len(arts)})):
                Path(stats, f"{stage}.json").write_text(
                    json.dumps(
                        {"stage": stage, "seconds": round(rng.uniform(0.1, 3), 3), "counts": c}
                    )
                )
            write_manifest(
                settings,
                day,
                written,
                stats_dir=Path(stats),
                run_id=(run_ids or {}).get(day),
            )
        out.append(day)
    return out
