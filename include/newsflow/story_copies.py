"""Which near copies are other reports: MinHash's copies that the stories stage clusters
like originals instead of giving them their original's story.

A desk writes its routine reports from templates, and two short reports of two
incidents from one template (two vigils for two victims, two first reports of two
shootings by one outlet) share three quarters of their word 5-shingles: the dedup
stage's containment rule calls the shorter a copy of the longer. A copy, trimmed,
re-headlined or wrapped in a site's chrome, keeps its opening: every name and number of
its first sentences is in its original. So a near copy whose opening names someone or
somewhere, or gives a number, that the other text never writes may be another report
(``another_report``), and the story model, which weighs names, numbers and slots,
decides: the stories stage follows the original with such a copy the model links to it
(``story_index._followers``) and clusters the others like originals. On the generated
local news every near copy of another incident is flagged (29 of 29 over five seeds),
and the model parts every one from its "original"; on ECB+ 9 of its 37 near copies are
flagged, all of one event, and the model links all 9 to their original (clustered
with the day, their pairs had tipped the average linkage of two topics). Exact and URL
copies, and near copies that keep their opening, follow their original unasked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import pyarrow as pa

from newsflow.lake.partition import rows_of
from newsflow.stories import capitalised_words

LEAD_SENTENCES = 2  # the opening a copy keeps: a headline's sentence and the lead
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_NUMBER = re.compile(r"\b\d[\d,.]*\d\b|\b\d\b")
_WORDS = re.compile(r"\w+")


def opening_marks(text: str, sentences: int = LEAD_SENTENCES) -> set[str]:
    """The names (capitalised words, not opening a sentence) and numbers of the first
    ``sentences`` sentences of ``text``, case-folded."""
    parts = [p for p in _SENTENCE.split(text.strip()) if p.strip()][:sentences]
    lead = " ".join(parts)
    return capitalised_words(lead) | {n.rstrip(".,") for n in _NUMBER.findall(lead)}


def another_report(a: str, b: str) -> bool:
    """Whether two texts MinHash calls copies are two reports: the shorter one's opening
    names someone or somewhere, or gives a number, that the longer never writes."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    words = {w.casefold() for w in _WORDS.findall(long_)}
    words |= {n.rstrip(".,") for n in _NUMBER.findall(long_)}
    return any(m not in words for m in opening_marks(short))


def other_reports(
    near: dict[str, str],
    texts: Iterable[pa.RecordBatch],
    earlier: Callable[[set[str]], dict[str, str]],
) -> pa.Array:
    """The ids of the near copies ``near`` ({copy: original}) that may be other reports
    (``another_report``; the stories stage asks the story model).
    ``texts`` holds the day's rows (``article_id``, ``text``); ``earlier`` gives the texts
    of originals of earlier days, asked only for those the day does not hold. A copy
    whose original's text is at hand in neither follows its original."""
    if not near:
        return pa.array([], pa.string())
    want = set(near) | set(near.values())
    text: dict[str, str] = {}
    for b in rows_of(texts, pa.array(sorted(want), pa.string())):
        for a, t in zip(
            b.column("article_id").to_pylist(), b.column("text").to_pylist(), strict=True
        ):
            text[a] = t or ""
    text |= earlier(set(near.values()) - text.keys())
    out = [
        c
        for c, o in sorted(near.items())
        if c in text and o in text and another_report(text[c], text[o])
    ]
    return pa.array(out, pa.string())
