"""The learned pairwise story score: a small gradient-boosted tree model over the pair
evidence ``pair_logits`` computes (text, people, places, numbers, units, headlines'
names).

The linear score adds its terms: a text cosine of 0.3 counts the same whether the two
articles share people and numbers or conflict on both. On a crime desk (many incidents
of one kind, one template of words) what a text cosine proves depends on the rest: the
trees learn those interactions. Fitted (scikit-learn's ``GradientBoostingClassifier``,
depth 3) on the candidate pairs of ECB+'s odd topics and of a generated local-news
stream (seed 1) by ``benchmarks/story_pairs.py --fit``; ECB+'s even topics and the
stream's other seeds are held out. Prediction walks the trees in numpy over bounded
chunks of pairs, so scikit-learn is not needed at run time and memory follows the
chunk, not the day.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np

MODEL = Path(__file__).with_name("story_model.json")
# the model's inputs, in its columns' order (``pair_features``)
FEATURES = (
    "text",
    "people",
    "places",
    "numbers",
    "units",
    "both_numbers",
    "name_min",
    "name_max",
    "both_titles",
)


def pair_features(
    sims: dict[str, np.ndarray], has_a: dict[str, np.ndarray], has_b: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """The model's inputs from the evidence ``pair_logits`` gets; symmetric in the two
    articles (the headlines' names' two products as their min and max). A kind not
    scored is 0; names not scored, or where one headline names no one, are 1: no conflict."""
    shape = np.broadcast_shapes(*(v.shape for v in sims.values()))

    def get(k: str, default: float) -> np.ndarray:
        return sims[k] if k in sims else np.full(shape, default)

    both_titles = has_a["title_names"] & has_b["title_names"]
    # a block's products are scored for every pair: where a headline names no one they
    # are 0, which ``name_dots`` (and the fit) take as 1
    ta = np.where(both_titles, get("title_x_names", 1.0), 1.0)
    tb = np.where(both_titles, get("names_x_title", 1.0), 1.0)
    return {
        "text": sims["text"],
        "people": get("people", 0.0),
        "places": get("places", 0.0),
        "numbers": get("numbers", 0.0),
        "units": get("units", 0.0),
        "both_numbers": has_a["numbers"] & has_b["numbers"],
        "name_min": np.minimum(ta, tb),
        "name_max": np.maximum(ta, tb),
        "both_titles": both_titles,
    }


class TreeModel:
    """Trees stored as flat arrays: per node its feature column (-1 at a leaf), threshold,
    left and right child and value; the score is ``base`` plus the leaves' values."""

    def __init__(self, spec: dict, features: tuple[str, ...] = FEATURES) -> None:
        if not set(spec["features"]) <= set(features):
            raise ValueError(f"story model's features {spec['features']} are not of {features}")
        self.features = tuple(spec["features"])
        self.base = float(spec["base"])
        self.trees = [
            (
                np.array(t["feature"], np.int64),
                np.array(t["threshold"], np.float64),
                np.array(t["left"], np.int64),
                np.array(t["right"], np.int64),
                np.array(t["value"], np.float64),
            )
            for t in spec["trees"]
        ]
        self.depth = int(spec["depth"])
        self.dtype = np.dtype(spec.get("dtype", "float32"))

    def logits(self, feats: dict[str, np.ndarray], chunk: int = 1 << 16) -> np.ndarray:
        """The model's log-odds for each pair (``feats`` broadcast to one shape), a chunk
        of ``chunk`` pairs at a time."""
        shape = np.broadcast_shapes(*(np.shape(v) for v in feats.values()))
        cols = [np.broadcast_to(feats[k], shape).reshape(-1) for k in self.features]
        n = int(np.prod(shape))
        out = np.full(n, self.base)
        for s in range(0, n, chunk):
            # as the fitted model compares (float32 inputs for GradientBoostingClassifier)
            x = np.stack([c[s : s + chunk] for c in cols]).astype(self.dtype)
            at = np.arange(x.shape[1])
            for feature, threshold, left, right, value in self.trees:
                node = np.zeros(x.shape[1], np.int64)
                for _ in range(self.depth):
                    f = feature[node]
                    inner = f >= 0
                    go_left = x[np.where(inner, f, 0), at] <= threshold[node]
                    node = np.where(inner, np.where(go_left, left[node], right[node]), node)
                out[s : s + chunk] += value[node]
        return out.reshape(shape)


def to_json(gbm: Any, depth: int, features: tuple[str, ...] = FEATURES) -> dict:
    """A fitted binary gradient-boosted classifier as ``TreeModel``'s JSON: each tree's
    arrays, its values scaled by the learning rate, and ``base`` the initial log-odds.
    ``GradientBoostingClassifier`` compares float32 inputs (``dtype``);
    ``HistGradientBoostingClassifier`` (which takes monotonic constraints) float64."""
    if hasattr(gbm, "_predictors"):
        trees = []
        for (pred,) in gbm._predictors:
            n = pred.nodes
            leaf = n["is_leaf"].astype(bool)
            trees.append(
                {
                    "feature": np.where(leaf, -1, n["feature_idx"]).tolist(),
                    "threshold": n["num_threshold"].astype(np.float64).tolist(),
                    "left": np.where(leaf, 0, n["left"]).tolist(),
                    "right": np.where(leaf, 0, n["right"]).tolist(),
                    "value": n["value"].astype(np.float64).tolist(),  # shrunk already
                }
            )
        base = float(np.ravel(gbm._baseline_prediction)[0])
        return {
            "features": list(features),
            "depth": depth,
            "base": base,
            "dtype": "float64",
            "trees": trees,
        }
    rate = float(gbm.learning_rate)
    trees = []
    for est in gbm.estimators_[:, 0]:
        t = est.tree_
        leaf = t.children_left < 0
        trees.append(
            {
                "feature": np.where(leaf, -1, t.feature).tolist(),
                "threshold": t.threshold.tolist(),
                "left": np.maximum(t.children_left, 0).tolist(),
                "right": np.maximum(t.children_right, 0).tolist(),
                "value": (rate * t.value[:, 0, 0]).tolist(),
            }
        )
    x = np.zeros((1, gbm.n_features_in_))
    base = float(gbm.decision_function(x)[0]) - sum(
        rate * float(e.predict(x)[0]) for e in gbm.estimators_[:, 0]
    )
    return {"features": list(features), "depth": depth, "base": base, "trees": trees}


# settings that name no learned model: the linear score
LINEAR = frozenset({"", "linear"})


def learned(setting: str, features: tuple[str, ...] = FEATURES) -> TreeModel | None:
    """The learned model a setting (``story_pair_model``, ``story_link_model``) names: a
    JSON file, relative to the newsflow package unless absolute; None for the linear
    score."""
    if setting in LINEAR:
        return None
    path = Path(setting)
    return load(str(path if path.is_absolute() else MODEL.parent / path), features)


@functools.cache
def load(path: str = str(MODEL), features: tuple[str, ...] = FEATURES) -> TreeModel:
    """The model stored at ``path`` (read once), over some of ``features`` (the pair
    model's, or ``story_index.LINK_FEATURES`` for the cross-day link model)."""
    return TreeModel(json.loads(Path(path).read_text(encoding="utf-8")), features)
