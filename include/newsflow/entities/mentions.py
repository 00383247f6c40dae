"""Entity rows of texts: NER with the model of each text's language, then the entity
keys and the day's label agreement, as rows of ``schema.ENTITIES``."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator

from newsflow.config import Settings
from newsflow.entities.agreement import DayLabels, agree_batch
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
    ``mentions``, ``normalise_errors`` and ``labels_agreed``. The tag stage and the
    repair of a later day's promoted copies share this, so both tag alike.

    A key's label proven in one article holds in the others (``agreement``): each
    read-ahead chunk learns its own proofs before its rows go out, and the proofs of
    earlier chunks carry over, so memory stays one chunk plus the proven keys."""
    day = DayLabels()
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
        done = sorted(spans)
        found_mentions = [_mentions(chunk[i][0], chunk[i][1], spans[i], counts) for i in done]
        agreed = day.relabelled
        agree_batch(day, [chunk[i][1] for i in done], found_mentions)
        counts["labels_agreed"] = counts.get("labels_agreed", 0) + day.relabelled - agreed
        for i, mentions in zip(done, found_mentions, strict=True):
            counts["articles_tagged"] += 1
            yield from _rows(chunk[i][0], mentions, counts)


def _mentions(
    aid: str, text: str, spans: list[tuple[int, int, str]], counts: dict[str, int]
) -> list[Mention]:
    try:
        return normalise(text, spans)
    except Exception as e:  # one odd text must not end the run: keep the raw spans
        log.warning("normalise failed for %s: %s", aid, e, exc_info=True)
        counts["normalise_errors"] += 1
        return [Mention(s, e_, text[s:e_], lb, text[s:e_]) for s, e_, lb in spans]


def _rows(aid: str, mentions: list[Mention], counts: dict[str, int]) -> Iterator[dict]:
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
