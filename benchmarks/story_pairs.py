"""The pair model of story clustering: its candidate pairs' evidence with gold labels,
and the fit of the learned pair score (``newsflow/story_model.json``).

Pairs are the ones the stories stage really scores: ``newsflow run`` (in process) on
one day holding all the articles of a set, recording each pair the within-day scorer scores
(``_Scorer._logits``: the candidate pairs, then every pair of each component average
linkage clusters) and its model inputs
(``story_model.pair_features``); pairs the scorer's gates drop (dates too far apart,
bodies that disagree) are left out: no score links them. Sets: ECB+'s odd topics and
the generated local-news stream (``benchmarks/local_news.py``) seed 1 to fit on; ECB+'s
even topics and seeds 0 and 2 held out.

    .venv/bin/python benchmarks/story_pairs.py            # pair-level AP / F1 per set
    .venv/bin/python benchmarks/story_pairs.py --fit      # rewrite story_model.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _ecb_cache import ECB, load_ecb  # noqa: E402
from local_news import START, stream  # noqa: E402
from newsflow import stories, story_model  # noqa: E402
from newsflow.cli import main as newsflow_cli  # noqa: E402

TREES, DEPTH, RATE = 50, 3, 0.1


@contextmanager
def recording() -> Iterator[list[tuple[np.ndarray, np.ndarray, np.ndarray, dict]]]:
    """Within the block, the pairs the scorer scores (candidates, components' blocks) are
    appended as (article ids a, b, logit with the gates, model inputs)."""
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray, dict]] = []
    init, logits = stories._Scorer.__init__, stories._Scorer._logits

    def init_(self: Any, articles: Any, *a: Any, **k: Any) -> None:
        init(self, articles, *a, **k)
        self.ids = np.array([x.article_id for x in articles])

    def logits_(
        self: Any, sims: dict, ra: np.ndarray, rb: np.ndarray, slots: bool = True
    ) -> np.ndarray:
        z = logits(self, sims, ra, rb, slots)
        # a list of candidates, or a dense block of a component (average linkage
        # averages over every pair of it: the pairs no block brought count too)
        ia, ib = (x.ravel() for x in np.broadcast_arrays(ra, rb))
        evidence, has_a, has_b, _ = self.evidence(sims, ra, rb)
        feats = story_model.pair_features(evidence, has_a, has_b)
        flat = {
            k: np.broadcast_to(v, np.shape(z)).ravel().astype(np.float64) for k, v in feats.items()
        }
        up = ia < ib
        found.append(
            (self.ids[ia[up]], self.ids[ib[up]], z.ravel()[up], {k: v[up] for k, v in flat.items()})
        )
        return z

    stories._Scorer.__init__, stories._Scorer._logits = init_, logits_  # type: ignore[method-assign]
    try:
        yield found
    finally:
        stories._Scorer.__init__, stories._Scorer._logits = init, logits  # type: ignore[method-assign]


def pairs(name: str) -> dict[str, np.ndarray]:
    """The candidate pairs of one set ("ecb" or a local-news seed) run all at once:
    ``X`` (model inputs, ``story_model.FEATURES`` order), ``y`` (same gold story),
    ``group`` (ECB+ topic or incident, of the first article), ``z`` (today's logit)."""
    root = Path(tempfile.mkdtemp(prefix="story-pairs-"))
    try:
        if name == "ecb":
            docs = load_ecb()
            day, text = "2024-01-10", ECB.read_text(encoding="utf-8")
            col = "source_uri"

            def gold(u: str) -> tuple[int, str]:
                row = docs.iloc[int(u.rsplit("#L", 1)[1]) - 1]
                return int(row.topic_id), str(row.story_id)
        else:
            arts = stream(90, 28, int(name))
            day, col = START.isoformat(), "url"
            keep = ("url", "title", "text", "source", "published_at")
            text = "".join(json.dumps({k: a[k] for k in keep}) + "\n" for a in arts)
            incident = {a["url"]: a["incident"] for a in arts}

            def gold(u: str) -> tuple[int, str]:
                return incident[u], str(incident[u])

        (root / "inbox" / day).mkdir(parents=True)
        (root / "inbox" / day / "in.jsonl").write_text(text, encoding="utf-8")
        # today's logits (``z``) by the linear score, whatever the settings' model
        os.environ["NEWSFLOW_STORY_PAIR_MODEL"] = "linear"
        with recording() as found:
            newsflow_cli(
                ["run", "--inbox", str(root / "inbox"), "--lake", str(root / "lake"), "--day", day]
            )
        rows = duckdb.sql(
            f"SELECT article_id, {col} FROM read_parquet('{root}/lake/articles/dt=*/*.parquet')"
        ).fetchall()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    of = {a: gold(u) for a, u in rows}
    a = np.concatenate([f[0] for f in found])
    b = np.concatenate([f[1] for f in found])
    z = np.concatenate([f[2] for f in found])
    x = np.stack([np.concatenate([f[3][k] for f in found]) for k in story_model.FEATURES], 1)
    # a pair can come from both blocks (text and people): once; gated pairs left out
    _, first = np.unique(np.char.add(a.astype(str), b.astype(str)), return_index=True)
    first = first[np.isfinite(z[first])]
    return {
        "X": x[first],
        "y": np.array([of[i][1] == of[j][1] for i, j in zip(a[first], b[first], strict=True)]),
        "group": np.array([of[i][0] for i in a[first]]),
        "z": z[first],
    }


def split(data: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[mask] for k, v in data.items()}


def sets() -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict[str, np.ndarray]]]:
    """(sets to fit on, held-out sets)."""
    ecb = pairs("ecb")
    odd = ecb["group"] % 2 == 1
    tune = {"ECB+ odd topics": split(ecb, odd), "local news seed 1": pairs("1")}
    held = {
        "ECB+ even topics": split(ecb, ~odd),
        "local news seed 0": pairs("0"),
        "local news seed 2": pairs("2"),
    }
    return tune, held


def fit(tune: dict[str, dict[str, np.ndarray]]) -> dict:
    """The tree model (``story_model.TreeModel``'s JSON) fitted on the ``tune`` sets."""
    from sklearn.ensemble import GradientBoostingClassifier

    x = np.vstack([d["X"] for d in tune.values()])
    y = np.concatenate([d["y"] for d in tune.values()])
    gbm = GradientBoostingClassifier(
        n_estimators=TREES, max_depth=DEPTH, learning_rate=RATE, random_state=0
    ).fit(x, y)
    return story_model.to_json(gbm, DEPTH)


def report(name: str, d: dict[str, np.ndarray], model: story_model.TreeModel) -> str:
    from sklearn.metrics import average_precision_score

    s = model.logits({k: d["X"][:, c] for c, k in enumerate(story_model.FEATURES)})

    def at(score: np.ndarray, cut: float) -> str:
        pred = score >= cut
        tp = (pred & d["y"]).sum()
        p, r = tp / max(pred.sum(), 1), tp / max(d["y"].sum(), 1)
        return f"{p:.3f} / {r:.3f} / {2 * p * r / max(p + r, 1e-9):.3f}"

    cut = float(np.log(0.42 / 0.58))
    return (
        f"| {name} | {len(d['y'])} ({int(d['y'].sum())}) | {average_precision_score(d['y'], d['z']):.3f}"
        f" | {at(d['z'], cut)} | {average_precision_score(d['y'], s):.3f} | {at(s, 0.0)} |"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fit", action="store_true", help="rewrite newsflow/story_model.json")
    args = ap.parse_args(argv)
    tune, held = sets()
    if args.fit:
        story_model.MODEL.write_text(json.dumps(fit(tune), indent=None) + "\n", encoding="utf-8")
        story_model.load.cache_clear()
    model = story_model.load()
    print(
        "| set | pairs (same story) | linear AP | linear P / R / F1 at 0.42 | trees AP | trees P / R / F1 at 0.5 |"
    )
    print("|---|---|---|---|---|---|")
    for name, d in (tune | held).items():
        print(report(name, d, model))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
