"""Entity rows of texts: NER, then the entity keys, as rows of ``schema.ENTITIES``."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from newsflow.config import Settings
from newsflow.entities.normalise import Mention, normalise
from newsflow.entities.tagger import tag

log = logging.getLogger("newsflow")


def mention_rows(
    settings: Settings, pairs: Iterable[tuple[str, str]], counts: dict[str, int]
) -> Iterator[dict]:
    """Entity rows of ``(article_id, text)`` pairs, streamed; ``counts`` gains
    ``articles_tagged``, ``mentions`` and ``normalise_errors``. The tag stage and the
    repair of a later day's promoted copies share it, so both tag alike."""
    ids: list[str] = []
    text_by_id: dict[str, str] = {}

    def feed() -> Iterator[str]:
        for aid, text in pairs:
            ids.append(aid)
            text_by_id[aid] = text
            yield text

    spans_iter = tag(
        feed(),
        model=settings.spacy_model,
        batch_size=settings.ner_batch_size,
        max_chars=settings.ner_max_chars,
    )
    for n, spans in enumerate(spans_iter):
        aid = ids[n]
        text = text_by_id.pop(aid)
        counts["articles_tagged"] += 1
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
