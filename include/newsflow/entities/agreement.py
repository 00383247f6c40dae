"""Day-level label agreement: a key's label proven in one article holds in the day's others.

One article may prove what a name is ("Gomery, who led the inquiry", "said on
Twitter.", "Seacom, a company based in ...", "a bank branch in Woodburn": the
``Mention.proof`` that ``normalise`` sets from the article's own context); another
article of the same day names it without such context, and the model guesses its
label from the name alone. The proven label is adopted there. Only evidence counts:
a majority of the model's guesses across articles is none ("Bettie Page" tagged ORG
twice is still a person), so a key whose proofs disagree is left alone, and so is an
article that proves its own label for the key.

Memory is bounded by the day's proven keys (a dict of key -> label), not its articles:
evidence found in earlier articles applies to later ones as they stream by, and
``agree_batch`` lets a caller apply a batch's evidence to the whole batch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from newsflow.entities.normalise import Mention, normalise, person_context

# what a proven label may replace: the labels the model confuses with it (not a NORP
# for a person: "the Genovese crime family" beside "Mr. Genovese"). A person's
# proof never takes a name from an organisation that opens a longer organisation's
# name in the article ("Ford" beside "Ford Motor Co."), and only a place's proof takes
# a name the gazetteer gave a country.
_REPLACES = {
    "PERSON": frozenset({"ORG", "GPE", "LOC", "FAC"}),
    "ORG": frozenset({"PERSON", "NORP", "PRODUCT", "GPE", "LOC"}),
    "GPE": frozenset({"PERSON", "ORG", "NORP", "FAC"}),
    "FAC": frozenset({"ORG", "PERSON", "GPE"}),
    "PRODUCT": frozenset({"PERSON", "ORG"}),
}
# a key proven twice with different labels: ambiguous for the day
_CONFLICT = ""
# a surname: one capitalised word, no abbreviation ("Sr.")
_SURNAME = re.compile(r"[A-Z][\w'’-]+")
_CAPITAL_AFTER = re.compile(r"\s+[A-Z]")


class DayLabels:
    """The labels the day's articles proved, by entity key (``""``: proofs disagree)."""

    def __init__(self) -> None:
        self.proven: dict[str, str] = {}
        self.country: dict[str, str | None] = {}
        # surname -> the full name of the one person the day proves with it
        # (``_CONFLICT``: two proven people share it)
        self.surnames: dict[str, str] = {}
        self.relabelled = 0

    def learn(self, mentions: Iterable[Mention]) -> None:
        """Record the proofs of one article's mentions."""
        for m in mentions:
            if not m.proof:
                continue
            if m.proof == "PERSON" and " " in m.entity_key:
                surname = m.entity_key.split()[-1]
                if _SURNAME.fullmatch(surname) and (
                    self.surnames.setdefault(surname, m.entity_key) != m.entity_key
                ):
                    self.surnames[surname] = _CONFLICT
                if " " not in m.text:  # "Cheeks" proven, keyed "Mo Cheeks": both hold
                    self._prove(m.text, m.proof, m.country)
            self._prove(m.entity_key, m.proof, m.country)

    def _prove(self, key: str, label: str, country: str | None) -> None:
        seen = self.proven.get(key)
        if seen is None:
            self.proven[key] = label
            self.country[key] = country
        elif seen != label:
            self.proven[key] = _CONFLICT

    def apply(self, text: str, mentions: list[Mention]) -> None:
        """Relabel one article's unproven mentions of the day's proven keys, unless the
        article proves its own label for the key, the mention is one the proof must
        not touch (see ``_REPLACES``), or its own words speak of a person and the proof
        is not a person's ("Austin said" stays with the model)."""
        org_openers = {m.text.split()[0] for m in mentions if m.label == "ORG" and " " in m.text}
        self._link_surnames(text, mentions, org_openers)
        own = {m.entity_key for m in mentions if m.proof}
        for m in mentions:
            label = self.proven.get(m.entity_key)
            if not label or label == m.label or m.entity_key in own:
                continue
            if m.label not in _REPLACES.get(label, frozenset()):
                continue
            if (m.country and label != "GPE") or (label == "PERSON" and m.text in org_openers):
                continue
            if label != "PERSON" and person_context(text, m):
                continue
            m.label = label
            m.country = self.country[m.entity_key] if label == "GPE" else None
            self.relabelled += 1

    def _link_surnames(self, text: str, mentions: list[Mention], org_openers: set[str]) -> None:
        """A lone word keyed to itself ("Kishida") that is the surname of the one
        person the day proves with it ("Fumio Kishida", proven in another article)
        takes that person's key, unless the article proves something of its own for
        the word, names another person with that surname, gave it a country, or
        opens an organisation's name with it ("Ford")."""
        own_people = {
            m.entity_key.split()[-1]: m.entity_key
            for m in mentions
            if m.label == "PERSON" and " " in m.entity_key
        }
        for m in mentions:
            full = self.surnames.get(m.text)
            if (
                full
                and " " not in m.text
                # a word standing alone, not one of a longer capitalised phrase the model
                # cut ("Surgeon" of "Surgeon General David Satcher")
                and not _CAPITAL_AFTER.match(text, m.end)
                and m.entity_key == m.text
                and not m.proof
                and not m.country
                and m.text not in org_openers
                and own_people.get(m.text, full) == full
                and m.label in _REPLACES["PERSON"] | {"PERSON"}
            ):
                m.entity_key = full


def agree_batch(day: DayLabels, texts: list[str], articles: list[list[Mention]]) -> None:
    """Learn a batch of articles' proofs, then apply the day's to each of them."""
    for mentions in articles:
        day.learn(mentions)
    for text, mentions in zip(texts, articles, strict=True):
        day.apply(text, mentions)


def normalise_day(texts: list[str], spans: list[list[tuple[int, int, str]]]) -> list[list[Mention]]:
    """``normalise`` each of one day's texts, then agree their labels: the tag stage's
    output for a day read in one chunk (the benchmarks' path)."""
    articles = [normalise(t, s) for t, s in zip(texts, spans, strict=True)]
    agree_batch(DayLabels(), texts, articles)
    return articles
