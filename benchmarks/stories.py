"""Story clustering on ECB+ (``../shared/eval/story_clusters``): pairwise P/R/F1.

ECB+ has 982 articles about 86 events in 43 topics; each topic pairs two events of
the same kind (a hard negative). Entities come from the pipeline's own tag code path
(``newsflow.entities.tag`` + ``normalise``, cached under ``benchmarks/.cache/``).
ECB+ stores no publication dates, so the year signal comes from the years the texts
mention.

Tuning never sees the test topics: ``--fit`` fits the logistic weights and the
threshold on the odd-numbered topics only and prints them (the defaults in
``Settings`` came from there); the report gives the odd (tune) topics, the even (held
out) topics and all. The baseline row is the brief's: TF-IDF cosine, average linkage,
threshold tuned on the same odd topics.

    .venv/bin/python benchmarks/stories.py [--fit] [--out benchmarks/results/stories.md]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _ecb_cache import ECB, ecb_entities, load_ecb, scores, story_keys  # noqa: E402
from newsflow.config import load_settings  # noqa: E402
from newsflow.stories import StoryInput, StoryParams, _Scorer, cluster_stories  # noqa: E402
from story_stream import put_section  # noqa: E402


def pairwise(gold: np.ndarray, pred: np.ndarray, mask: np.ndarray) -> tuple[float, float, float]:
    s = scores(gold[mask], pred[mask])
    return s["P"], s["R"], s["F1"]


def inputs(docs, ents) -> list[StoryInput]:
    keys = story_keys(ents)
    return [
        StoryInput(i, None, keys.get(i, frozenset()), t)
        for i, t in zip(docs.id, docs.text, strict=True)
    ]


def labels(arts: list[StoryInput], params: StoryParams) -> np.ndarray:
    out = cluster_stories(arts, params)
    return np.array([out[a.article_id] for a in arts])


def tfidf_baseline(arts, tune, gold) -> tuple[np.ndarray, float]:
    """TF-IDF cosine (unigrams), average linkage, threshold tuned on the tune topics."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    from sklearn.feature_extraction.text import TfidfVectorizer

    x = TfidfVectorizer(sublinear_tf=True, stop_words="english", max_df=0.5, min_df=2)
    m = x.fit_transform([a.text for a in arts])
    dist = 1 - (m @ m.T).toarray()
    np.fill_diagonal(dist, 0)
    z = linkage(squareform(np.clip(dist, 0, 1), checks=False), "average")
    best = max(
        (pairwise(gold, fcluster(z, 1 - t, "distance"), tune)[2], t)
        for t in np.arange(0.05, 0.6, 0.01)
    )
    return fcluster(z, 1 - best[1], "distance"), best[1]


def fit(arts, tune, gold, base: StoryParams) -> StoryParams:
    """Logistic regression on pair features of the tune topics, then the threshold."""
    from sklearn.linear_model import LogisticRegression

    scorer = _Scorer(arts, base)
    idx = np.flatnonzero(tune)
    rng = np.random.default_rng(0)
    i, j = np.triu_indices(len(idx), 1)
    i, j = idx[i], idx[j]
    topic = np.array([a.article_id.split("_")[0] for a in arts])
    keep = (topic[i] == topic[j]) | (rng.random(len(i)) < 0.05)  # all hard pairs + a sample
    i, j = i[keep], j[keep]
    cols = []
    for kind in ("text", "people", "orgs", "places"):
        m = scorer.f[kind]
        cols.append(np.asarray(m[i].multiply(m[j]).sum(axis=1)).ravel())
    ya, yb = scorer.year[i], scorer.year[j]
    cols.append(((ya > 0) & (yb > 0) & (np.abs(ya - yb) >= 2)).astype(float))
    x = np.stack(cols, 1)
    lr = LogisticRegression(max_iter=2000).fit(x, gold[i] == gold[j])
    w = lr.coef_[0]
    p = _with(
        base,
        weight_text=round(float(w[0]), 2),
        weight_people=round(float(w[1]), 2),
        weight_orgs=round(float(max(w[2], 0)), 2),
        weight_places=round(float(max(w[3], 0)), 2),
        year_penalty=round(float(max(-w[4], 0)), 2),
        bias=round(float(lr.intercept_[0]), 2),
    )
    best = max(
        (pairwise(gold, labels(arts, _with(p, threshold=t)), tune)[2], t)
        for t in np.round(np.arange(0.2, 0.8, 0.02), 2)
    )
    return _with(p, threshold=float(best[1]))


def _with(p: StoryParams, **kw) -> StoryParams:
    from dataclasses import replace

    return replace(p, **kw)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fit", action="store_true", help="fit weights on the tune topics")
    ap.add_argument("--out", type=Path, help="write the Markdown table here")
    args = ap.parse_args(argv)

    settings = load_settings()
    docs = load_ecb()
    started = time.perf_counter()
    ents = ecb_entities(docs, settings.spacy_model)
    tag_s = time.perf_counter() - started
    arts = inputs(docs, ents)
    gold = docs.story_id.astype(str).to_numpy()
    topic = docs.topic_id.astype(int).to_numpy()
    tune, test, every = topic % 2 == 1, topic % 2 == 0, np.ones(len(docs), bool)

    params = StoryParams.from_settings(settings)
    if args.fit:
        params = fit(arts, tune, gold, params)
        print("fitted on odd topics:", params)
    t0 = time.perf_counter()
    ours = labels(arts, params)
    ours_s = time.perf_counter() - t0
    base, base_thr = tfidf_baseline(arts, tune, gold)

    rows = []
    for name, lab in (
        (f"TF-IDF cosine, average linkage (threshold {base_thr:.2f} tuned on odd topics)", base),
        ("newsflow stories (text + entities + years)", ours),
    ):
        cells = []
        for mask in (tune, test, every):
            p, r, f = pairwise(gold, lab, mask)
            cells.append(f"{p:.3f} / {r:.3f} / **{f:.3f}**")
        rows.append(f"| {name} | " + " | ".join(cells) + f" | {len(set(lab))} |")
    table = "\n".join(
        [
            "| method | odd topics (tune) P / R / F1 | even topics (held out) P / R / F1 "
            "| all P / R / F1 | stories |",
            "|---|---|---|---|---|",
            *rows,
        ]
    )
    report = f"""# Story clustering on ECB+

Data: `{ECB.relative_to(ECB.parents[3])}` — {len(docs)} articles, {len(set(gold))} stories
(events) in {len(set(topic))} topics; each topic holds two events of the same kind (hard
negatives). Pairwise precision / recall / F1 over all article pairs of the subset. Weights
and thresholds were tuned on the odd-numbered topics only; the even-numbered topics are
held out.

{table}

Parameters: `{params}`.
Entities: the pipeline's tag path (`{settings.spacy_model}`), {len(ents)} mentions
({tag_s:.1f} s incl. cache). Clustering {len(docs)} articles: {ours_s:.1f} s on
{os.cpu_count()} cores (shared machine).

Command: `.venv/bin/python benchmarks/stories.py --out benchmarks/results/stories.md`
(`--fit` re-fits the weights on the odd topics and prints them).
"""
    print(report)
    if args.out:  # its own section: the other story benchmarks write theirs to the file
        args.out.parent.mkdir(parents=True, exist_ok=True)
        put_section(args.out, "# Story clustering on ECB+", report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
