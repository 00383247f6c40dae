"""Entity keys and countries: one name per entity within an article.

spaCy's small model tags a surname alone inconsistently ("Kishida" GPE, "Thuong"
ORG) and never links "Kishida" to "Fumio Kishida". Within one article a short name
almost always refers to the full name used earlier, so mentions whose words are a
part of a full PERSON name become that PERSON; countries, nationalities and
well-known cities resolve to ISO 3166 codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsflow.entities.places import city_code, country_code, country_name, demonym_code

NAMED_LABELS = frozenset(
    {
        "PERSON",
        "NORP",
        "FAC",
        "ORG",
        "GPE",
        "LOC",
        "PRODUCT",
        "EVENT",
        "WORK_OF_ART",
        "LAW",
        "LANGUAGE",
    }
)
_TITLES = re.compile(
    r"^((prime minister|president|vice president|chancellor|minister|secretary|senator|"
    r"governor|mayor|king|queen|emperor|empress|prince|princess|pope|general|gen\.|dr\.?|"
    r"mr\.?|mrs\.?|ms\.?|sir|lord|lady|judge|justice|ceo|chairman|chairwoman)\s+)+",
    re.IGNORECASE,
)
_LEAD = re.compile(r"^(the|a|an)\s+", re.IGNORECASE)
_TRAIL = re.compile(r"(['’]s|['’])$")


@dataclass(slots=True)
class Mention:
    start: int
    end: int
    text: str
    label: str
    entity_key: str = ""
    country: str | None = None


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets without a leading article/title or a trailing possessive."""
    span = text[start:end]
    for pattern in (_LEAD, _TITLES):
        m = pattern.match(span)
        if m and m.end() < len(span):
            start += m.end()
            span = text[start:end]
    m = _TRAIL.search(span)
    if m and m.start() > 0:
        end -= len(m.group(0))
    while end > start and not text[end - 1].isalnum() and text[end - 1] not in ".)":
        end -= 1
    return start, end


def _near(a: str, b: str) -> bool:
    """Equal, or one edit or swap apart ("Thoung" ~ "Thuong") for words of 5+ letters."""
    if a == b:
        return True
    if min(len(a), len(b)) < 5 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _acronym(name: str) -> str:
    words = [w for w in re.split(r"[\s-]+", name) if w and w[0].isupper()]
    return "".join(w[0] for w in words)


def normalise(text: str, spans: list[tuple[int, int, str]]) -> list[Mention]:
    """Mentions with exact offsets into ``text``, keys and country codes."""
    mentions: list[Mention] = []
    for start, end, label in spans:
        if label not in NAMED_LABELS:
            continue
        s, e = trim(text, start, end)
        if e <= s:
            continue
        mentions.append(Mention(s, e, text[s:e], label))

    full_names = sorted(
        {m.text for m in mentions if m.label == "PERSON" and len(m.text.split()) >= 2},
        key=lambda n: (-len(n.split()), n),
    )
    orgs = {m.text for m in mentions if m.label == "ORG" and len(m.text.split()) >= 3}
    for m in mentions:
        code = None
        if m.label in {"GPE", "LOC"}:
            code = country_code(m.text)
            if code:
                m.entity_key, m.country = country_name(code), code
                continue
            code = city_code(m.text)
        elif m.label == "NORP":
            code = demonym_code(m.text)
        if m.label != "PERSON" or len(m.text.split()) == 1:
            person = _person_for(m.text, full_names) if not code else None
            if person:
                m.label, m.entity_key = "PERSON", person
                continue
        if m.label == "PERSON":
            m.entity_key = _person_for(m.text, full_names) or m.text
        elif m.label == "ORG" and m.text.isupper() and len(m.text) >= 2:
            long_form = next((o for o in sorted(orgs) if _acronym(o) == m.text), None)
            m.entity_key = long_form or m.text
        else:
            m.entity_key = m.text
        m.country = code
    mentions.extend(_missed_surnames(text, mentions, full_names))
    mentions.sort(key=lambda m: (m.start, m.end))
    return mentions


_CAPWORD = re.compile(r"\b[A-Z][a-z]{3,}\b")


def _missed_surnames(text: str, mentions: list[Mention], full_names: list[str]) -> list[Mention]:
    """Surnames the model did not tag at all ("Thoung", a typo of "Thuong"), found by
    matching capitalised words against the article's full PERSON names."""
    surnames = {
        full.split()[-1]: full for full in reversed(full_names) if len(full.split()[-1]) >= 5
    }
    if not surnames:
        return []
    covered = [(m.start, m.end) for m in mentions]
    found = []
    for w in _CAPWORD.finditer(text):
        if any(s <= w.start() < e for s, e in covered):
            continue
        full = next((f for sn, f in surnames.items() if _near(w.group(0), sn)), None)
        if full:
            found.append(Mention(w.start(), w.end(), w.group(0), "PERSON", full))
    return found


def _person_for(name: str, full_names: list[str]) -> str | None:
    """The full name that ``name`` is a part of (by words, allowing one typo)."""
    words = name.split()
    if not words or len(words) > 3:
        return None
    for full in full_names:
        parts = full.split()
        if name == full:
            return full
        if len(words) < len(parts) and all(any(_near(w, p) for p in parts) for w in words):
            return full
    return None
