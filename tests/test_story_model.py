from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from newsflow import story_model
from newsflow.config import Settings
from newsflow.stories import StoryParams, pair_logits
from newsflow.story_index import LINK_FEATURES
from sklearn.ensemble import GradientBoostingClassifier

DEFAULTS = StoryParams.from_settings(Settings())
LINEAR = replace(DEFAULTS, pair_model="linear")
TREES = replace(DEFAULTS, pair_model="story_model.json", pair_model_weight=0.5)
LINK_MODEL = Path(story_model.__file__).with_name("story_link_model.json")


def test_the_json_trees_score_as_the_fitted_model_does() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((400, len(story_model.FEATURES)))
    y = x[:, 0] + 0.5 * x[:, 3] * x[:, 5] + 0.2 * rng.random(400) > 0.9
    gbm = GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0).fit(x, y)
    model = story_model.TreeModel(story_model.to_json(gbm, 3))
    test = rng.random((1000, len(story_model.FEATURES)))
    feats = {k: test[:, c] for c, k in enumerate(story_model.FEATURES)}
    np.testing.assert_allclose(
        model.logits(feats, chunk=64), gbm.decision_function(test), atol=1e-9
    )


def _pair(**kw: float) -> tuple[dict, dict, dict]:
    sims = {
        k: np.array([kw.get(k, 1.0 if k in ("title_x_names", "names_x_title") else 0.0)])
        for k in ("text", "people", "places", "numbers", "units", "title_x_names", "names_x_title")
    }
    has = {"numbers": np.array([True]), "title_names": np.array([bool(kw.get("titles", 0))])}
    return sims, has, has


def test_the_learned_score_weighs_a_shared_number_by_how_much_else_agrees() -> None:
    # two shootings in one city told in one template (candidate pairs of local-news seed
    # 1), sharing one of their numbers (a round age), headlines naming each other's names
    # only weakly: the linear score links them on the text and the shared number; the
    # trees learned that reports of one incident share more of their numbers and names
    other = _pair(
        text=0.22,
        people=0.13,
        numbers=0.51,
        units=1.0,
        title_x_names=0.23,
        names_x_title=0.34,
        titles=1,
    )
    cut = np.log(DEFAULTS.threshold / (1 - DEFAULTS.threshold))
    assert pair_logits(*other, LINEAR)[0] > cut
    assert pair_logits(*other, TREES)[0] < cut
    same = _pair(
        text=0.27, numbers=0.55, units=0.59, title_x_names=0.39, names_x_title=0.79, titles=1
    )
    assert pair_logits(*same, TREES)[0] > pair_logits(*same, LINEAR)[0] > cut


def test_the_learned_score_broadcasts_over_a_block() -> None:
    # a block scores the headlines' names' products for every pair: 0 where a headline
    # names no one, which is no conflict (as ``name_dots`` gives a list of pairs)
    sims = {
        "text": np.array([[0.1, 0.5], [0.5, 0.1]]),
        "people": np.zeros((2, 2)),
        "title_x_names": np.zeros((2, 2)),
        "names_x_title": np.zeros((2, 2)),
    }
    has_a = {"numbers": np.array([[True], [False]]), "title_names": np.array([[False], [False]])}
    has_b = {"numbers": np.array([[True, False]]), "title_names": np.array([[False, False]])}
    block = pair_logits(sims, has_a, has_b, TREES)
    one = pair_logits(
        {"text": np.array([0.5]), "people": np.zeros(1)},
        {"numbers": np.array([True]), "title_names": np.array([False])},
        {"numbers": np.array([False]), "title_names": np.array([False])},
        TREES,
    )
    assert block.shape == (2, 2)
    assert block[0, 1] == one[0]


def test_histogram_trees_score_as_the_fitted_model_does_over_some_features() -> None:
    # the link model: HistGradientBoostingClassifier (monotonic constraints), float64
    # thresholds, over a subset of the features it may use
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(1)
    names = ("a", "b", "c")
    x = rng.random((600, 3))
    y = x[:, 0] - 0.5 * x[:, 2] + 0.2 * rng.random(600) > 0.3
    gbm = HistGradientBoostingClassifier(
        max_iter=15, max_depth=3, monotonic_cst=[1, 0, -1], random_state=0
    ).fit(x, y)
    model = story_model.TreeModel(story_model.to_json(gbm, 3, names), ("a", "b", "c", "d"))
    test = rng.random((1000, 3))
    feats = {k: test[:, c] for c, k in enumerate(names)} | {"d": np.zeros(1000)}
    np.testing.assert_allclose(
        model.logits(feats, chunk=64), gbm.decision_function(test), atol=1e-9
    )
    with pytest.raises(ValueError, match="not of"):
        story_model.TreeModel(story_model.to_json(gbm, 3, names), ("a", "b"))


def test_the_packaged_link_model_never_scores_more_agreement_lower() -> None:
    # the cross-day link trees are fitted with monotonic constraints: more agreement
    # (any cosine, probability or share but the units') never lowers a candidate's score,
    # more days between never raise it (unconstrained, trees fitted on generated news
    # had two identical texts that name no one as two stories)
    model = story_model.load(str(LINK_MODEL), LINK_FEATURES)
    rng = np.random.default_rng(2)
    n = 4000
    base = {k: rng.random(n) for k in model.features}
    base["gap"] = rng.integers(1, 20, n).astype(float)
    z = model.logits(base)
    for k in model.features:
        if k.startswith("units") or k in ("articles", "representatives"):
            continue
        # fewer days between, or more of any agreement
        more = np.maximum(base[k] - 3, 1) if k == "gap" else np.clip(base[k] + 0.3, 0, 1)
        assert (model.logits(base | {k: more}) >= z - 1e-12).all(), k
