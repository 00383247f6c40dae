"""Entities of the ECB+ texts through the pipeline's real tag code path, cached.

``newsflow.entities.tag`` + ``normalise`` are what the tag stage runs; the result
(one row per mention) is cached under ``benchmarks/.cache/`` keyed by the model and
the data file's size, so re-running the story benchmark does not re-tag.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ECB = HERE.parent.parent / "shared" / "eval" / "story_clusters" / "ecbplus_stories.jsonl"
CACHE = HERE / ".cache"


def load_ecb(path: Path = ECB) -> pd.DataFrame:
    return pd.DataFrame([json.loads(line) for line in path.open(encoding="utf-8")])


def ecb_entities(docs: pd.DataFrame, model: str) -> pd.DataFrame:
    from newsflow.entities import normalise, tag

    CACHE.mkdir(exist_ok=True)
    key = f"ecb_entities_{model}_{len(docs)}_{ECB.stat().st_size}.parquet"
    path = CACHE / key
    if path.exists():
        return pd.read_parquet(path)
    rows = []
    texts = docs.text.tolist()
    for aid, text, spans in zip(docs.id, texts, tag(texts, model=model), strict=True):
        for m in normalise(text, spans):
            rows.append((aid, m.start, m.end, m.text, m.label, m.entity_key, m.country))
    out = pd.DataFrame(
        rows, columns=["article_id", "start", "end", "text", "label", "entity_key", "country"]
    )
    out.to_parquet(path)
    return out
