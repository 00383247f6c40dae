"""Entity rows of texts: NER with the model of each text's language, then the entity
keys, as rows of ``schema.ENTITIES``."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator

from newsflow.config import Settings
from newsflow.entities.normalise import Mention, normalise
from newsflow.entities.tagger import tag

log = logging.getLogger("newsflow")

# Articles read ahead and grouped by model: the rows still come out in input order.
CHUNK = 2_000


def mention_rows(
    settings: Settings, articles: Iterable[tuple[str, str, str | None]], counts: dict[str, int]
) -> Iterator[dict]:
    """Entity rows of ``(article_id, text, language)`` articles, streamed.

    Each article goes through the spaCy model of its language
    (``Settings.ner_model_for``); one in a language with no model gets no entities and
    counts in ``untagged_<language>``: the English model's guesses on a German text are
    not entities an analyst can count. ``counts`` also gains ``articles_tagged``,
    ``mentions`` and ``normalise_errors``. The tag stage and the repair of a later day's
    promoted copies share this, so both tag alike."""
    stream = iter(articles)
    while chunk := list(itertools.islice(stream, CHUNK)):
        by_model: dict[str, list[int]] = {}
        for i, (_, _, language) in enumerate(chunk):
            model = settings.ner_model_for(language)
            if model is None:
                key = f"untagged_{language}"
                counts[key] = counts.get(key, 0) + 1
            else:
                by_model.setdefault(model, []).append(i)
        spans: dict[int, list[tuple[int, int, str]]] = {}
        for model, rows in by_model.items():
            found = tag(
                (chunk[i][1] for i in rows),
                model=model,
                batch_size=settings.ner_batch_size,
                max_chars=settings.ner_max_chars,
            )
            spans.update(zip(rows, found, strict=True))
        for i in sorted(spans):
            aid, text, _ = chunk[i]
            counts["articles_tagged"] += 1
            yield from _rows(aid, text, spans[i], counts)


def _rows(aid: str, text: str, spans: list[tuple[int, int, str]], counts: dict[str, int]):
    try:
        mentions = normalise(text, spans)
    except Exception as e:  # one odd text must not end the run: keep the raw spans
        log.warning("normalise failed for %s: %s", aid, e, exc_info=True)
        counts["normalise_errors"] += 1
        mentions = [Mention(s, e_, text[s:e_], lb, text[s:e_]) for s, e_, lb in spans]
    for m in mentions:
        counts["mentions"] += 1
        yield {
            "article_id": aid,
            "start": m.start,
            "end": m.end,
            "text": m.text,
            "label": m.label,
            "entity_key": m.entity_key,
            "country": m.country,
        }
