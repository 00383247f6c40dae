"""ECB+ for the story benchmarks: the texts, their entities through the pipeline's real
tag code path (cached), and the scores of a clustering against ECB+'s stories.

``newsflow.entities.tag`` + ``normalise`` are what the tag stage runs; the result
(one row per mention) is cached under ``benchmarks/.cache/`` keyed by the model and
the data file's size, so re-running the story benchmark does not re-tag.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
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


def story_keys(ents: pd.DataFrame) -> dict[str, frozenset[str]]:
    """Each article's story keys (``story_key``) from its ``ecb_entities`` rows."""
    from newsflow.stories import story_key

    keys: dict[str, set[str]] = {}
    for a, k, lab, c in zip(
        ents.article_id, ents.entity_key, ents.label, ents.country, strict=True
    ):
        sk = story_key(k, lab, c if isinstance(c, str) else None)
        if sk:
            keys.setdefault(a, set()).add(sk)
    return {a: frozenset(v) for a, v in keys.items()}


def scores(gold: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Pairwise P/R/F1 and B-cubed P/R/F1 of a clustering against the gold one."""
    same_g = gold[:, None] == gold[None, :]
    same_p = pred[:, None] == pred[None, :]
    iu = np.triu_indices(len(gold), 1)
    tp = (same_g & same_p)[iu].sum()
    fp = (~same_g & same_p)[iu].sum()
    fn = (same_g & ~same_p)[iu].sum()
    p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    both = (same_g & same_p).sum(1)
    bp, br = float(np.mean(both / same_p.sum(1))), float(np.mean(both / same_g.sum(1)))
    return {
        "P": p,
        "R": r,
        "F1": 2 * p * r / max(1e-9, p + r),
        "bP": bp,
        "bR": br,
        "bF1": 2 * bp * br / max(1e-9, bp + br),
    }
