"""The benchmark's metrics, as AEB and trafilatura_eval define them (the benchmark
itself runs by its own command; these checks keep its scoring honest)."""

import importlib.util
import sys

import pytest
from support import REPO

_spec = importlib.util.spec_from_file_location("extraction", REPO / "benchmarks" / "extraction.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules["extraction"] = bench  # dataclasses look their module up
_spec.loader.exec_module(bench)


def test_aeb_shingles() -> None:
    truth = "one two three four five six"
    assert bench.aeb_page(truth, truth) == (1.0, 0.0, 0.0, True)
    tp, fp, fn, exact = bench.aeb_page(truth, "one two three four five")  # 2 of 3 shingles
    assert not exact
    assert tp == pytest.approx(2 / 3) and fn == pytest.approx(1 / 3) and fp == 0
    assert bench.aeb_page(truth, "")[0] == 0.0
    scores = bench.aeb_scores([bench.aeb_page(truth, truth), bench.aeb_page(truth, "x y z w")])
    assert scores["precision"] == pytest.approx(0.5) and scores["accuracy"] == pytest.approx(0.5)


def test_snippets_and_split() -> None:
    page = bench.Page("p", b"", None, with_=["kept  text", "lost"], without=["menu"])
    assert bench.snippet_page(page, "some kept\ntext and the menu") == (1, 1, 1, 0)
    s = bench.snippet_scores([(1, 1, 1, 0)])
    assert s["precision"] == 0.5 and s["recall"] == 0.5
    splits = {bench.split_of(f"page-{i}") for i in range(30)}
    assert splits == {"tune", "held-out"} and bench.split_of("x") == bench.split_of("x")
