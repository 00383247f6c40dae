"""Named-entity recognition with spaCy, batched, loading only the NER pipe."""

from __future__ import annotations

import importlib
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

# Pipes the NER component does not need: the small English model's NER carries its
# own token-to-vector layer, so dropping these leaves its output unchanged and ~3x faster.
_UNNEEDED = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]


@lru_cache(maxsize=2)
def load_model(name: str):
    """The installed spaCy model package ``name`` with only its NER pipe.

    The model is a pinned package dependency, imported like any module: nothing is
    downloaded at run time.
    """
    if Path(name).is_dir():  # a model folder, e.g. to compare another model in a benchmark
        import spacy

        return spacy.load(name, exclude=_UNNEEDED)
    module = importlib.import_module(name)
    return module.load(exclude=_UNNEEDED)


def model_version(name: str) -> str:
    nlp = load_model(name)
    return f"{nlp.meta.get('name')}-{nlp.meta.get('version')}"


def processes(requested: int, articles: int, *, min_articles: int) -> int:
    """Worker processes for ``articles`` texts: ``requested`` when given (> 0); else one
    per core when the day is big enough to repay each worker's start-up (it forks and
    warms up a model: about a second), else 1. Always 1 inside a daemonic process
    (a Celery prefork child), which may not start children."""
    if multiprocessing.current_process().daemon:
        return 1
    if requested > 0:
        return requested
    return max(1, os.cpu_count() or 1) if articles >= min_articles else 1


def tag(
    texts: Iterable[str],
    *,
    model: str,
    batch_size: int = 64,
    n_process: int = 1,
    max_chars: int = 100_000,
) -> Iterator[list[tuple[int, int, str]]]:
    """For each text, its entity spans as (start, end, label), in input order."""
    nlp = load_model(model)
    stream = (t[:max_chars] for t in texts)
    for doc in nlp.pipe(stream, batch_size=batch_size, n_process=n_process):
        yield [(e.start_char, e.end_char, e.label_) for e in doc.ents]
