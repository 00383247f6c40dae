"""Labels the article proves about a person's surname, a country and an acronym.

Rules of ``newsflow.entities.normalise`` that run after the lone-word rules, each on
evidence in the article's own words, never on a count of the model's guesses:

* a name between "the" and an organisation's noun ("the Wen Hui Bao newspaper said",
  tagged PERSON) is an organisation;
* a name followed by an age in commas ("Darrel Voeks, 38, was sentenced") is a person;
* a full name the model tagged as an organisation or a place ("Eisuke Sakakibara"
  ORG) is a person when its last word, alone, is a PERSON that speaks, takes a title
  or "who" elsewhere in the article ("Sakakibara said");
* a surname the model left untagged is its full name's person when it speaks or takes
  "who" ("... President Oswaldo Saldanha said." then "Saldanha said operations fell");
* a country's name the model tagged PERSON ("Hamid Algabid of Niger") is the country,
  unless the article names a person with that word or speaks of it as one;
* an acronym the article spells out in brackets after an organisation's name ("the
  Brazilian Plastic Surgery Society (SBCP)") is that organisation's, in all its mentions,
  tagged or not ("members of the SBCP");
* a full name the model tagged as an organisation or a place whose first word is a
  common given name and whose last word is neither that nor a common English word
  ("Corrado Passera", "Amara Essy" ORG; not "Wells Fargo Bank") is a person, unless "the" opens it or a company's suffix follows it;
* a lone ORG word that ends a title ("Secretary of State", "Member of Parliament") is
  no name;
* an untagged name right before "news agency" ("the official TASR news agency") is that
  agency, in its other untagged mentions too ("he told TASR");
* the first word of a company's name with its legal form ("Bre-X Minerals Ltd") is
  that company where the article repeats it untagged ("Bre-X would seek"), unless it
  is a common English word, a given name or a place;
* a lone word the model tagged PERSON right before a facility's noun ("from Korydallos
  maximum security prison") is that facility, unless it speaks, takes a title or "who";
* a name the model tagged PERSON whose shares the article speaks of ("Munich Re's
  shares") is a company, unless its first word is a given name ("Warren Buffett's
  shares");
* a country's name the model left untagged ("Paolo Fulci of Italy") is the country,
  unless it is part of a longer capitalised name or of a person's name in the article;
* a name right before a player's role ("Porto captain Jorge Costa") or right after
  "club"/"team" ("Turkish club Galatasaray") is a team, an ORG (not a country, nor a
  place the model tagged GPE);
* cities listed after "in" beside a place ("airports in Arad , Oradea and Sibiu") are
  places; a name right before a region's noun ("KwaZulu-Natal province") is a GPE.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from newsflow.entities.given_names import common_word, given_name
from newsflow.entities.normalise import _THE_BEFORE, Mention, _full_name, person_context
from newsflow.entities.places import (
    country_code,
    country_name,
    demonym_code,
    known_place,
    large_place,
)

# labels the small model gives a full name it does not know as a person's
_NAME_LOOKALIKES = frozenset({"ORG", "GPE", "LOC", "NORP", "FAC"})
# an acronym in brackets right after a name: " (SBCP)", " ( PKK )"
_BRACKETED_ACRONYM = re.compile(r"\s*\(\s*([A-Z][A-Z0-9&]{1,9})\s*\)")


def apply(text: str, mentions: list[Mention]) -> list[Mention]:
    """Correct ``mentions`` in place; return the mentions to add (untagged surnames
    and bracketed acronyms), offsets exact."""
    _ages(text, mentions)
    _teams(text, mentions)
    _teams_by_result(text, mentions)
    _place_lists(text, mentions)
    _regions_by_noun(text, mentions)
    _organisations_by_noun(text, mentions)
    _people_by_given_name(text, mentions)
    _people_by_surname(text, mentions)
    _companies_by_shares(text, mentions)
    _facilities_by_noun(text, mentions)
    _facilities_by_head(mentions)
    _countries_tagged_as_people(text, mentions)
    _drop_title_parts(text, mentions)
    added = _bracketed_acronyms(text, mentions)
    added += _untagged_agencies(text, mentions + added)
    added += _untagged_org_repeats(text, mentions + added)
    added += _untagged_surnames(text, mentions + added)
    added += _untagged_countries(text, mentions + added)
    return added


# an age in commas right after a name: "Darrel Voeks, 38, was sentenced"
_AGE_AFTER = re.compile(r"\s?,\s+\d{1,3}\s?,\s")


def _ages(text: str, mentions: list[Mention]) -> None:
    """A full-name-shaped ORG/GPE/... or a lone capitalised word (no place the gazetteer
    knows, no acronym) with an age in commas right after it is a person, in all the
    article's mentions of the name."""
    aged = set()
    for m in mentions:
        if (
            m.label in _NAME_LOOKALIKES
            and not m.country
            and _AGE_AFTER.match(text, m.end)
            and (
                _full_name(m.text)
                or (" " not in m.text and not m.text.isupper() and not known_place(m.text))
            )
        ):
            aged.add(m.text)
    for m in mentions:
        if m.text in aged and m.label in _NAME_LOOKALIKES and not m.country:
            m.label, m.entity_key, m.proof = "PERSON", m.text, "PERSON"


# a team's role noun right after its name: "Porto captain Jorge Costa" ("the Málaga
# side" is left out: a side of a place or a city's people too)
_TEAM_ROLE_AFTER = re.compile(
    r"\s+(?:captain|coach|manager|striker|midfielder|defender|goalkeeper|playmaker|winger|"
    r"quarterback)\b"
)
# ... or a team's noun right before it: "Turkish club Galatasaray", "Bottom team Reggiana"
_TEAM_NOUN_BEFORE = re.compile(r"\b(?:club|team)\s+$")
_TEAM_LOOKALIKES = frozenset({"PERSON", "GPE", "LOC", "FAC"})


def _teams(text: str, mentions: list[Mention]) -> None:
    """Sports teams the model read as people or places, in all their mentions of the
    article (proven for the day's other articles only when no place has the name:
    "Costa Azul coach" is the club everywhere, "Porto captain" not the city elsewhere):
    a name right before a player's role ("Porto captain Jorge Costa", tagged PERSON)
    or right after "club"/"team" ("Turkish club Galatasaray"). Never a country
    ("Australia coach": a national side is the country, as CoNLL and OntoNotes read
    it), nor a place the model and the gazetteer agree on ("Lyon coach" GPE keeps its
    country for the day's stories), nor a word with a person's context or in a
    person's longer name. Tried and dropped: any place's name tagged PERSON in an
    article with two sports words ("Bologna can expect a tough home match"): right on
    CoNLL, but it split the sample day's handball story ("The Málaga side")."""
    person_words = {
        w for m in mentions if m.label == "PERSON" and " " in m.text for w in m.text.split()
    }

    def candidate(m: Mention) -> bool:
        return (
            m.label in _TEAM_LOOKALIKES
            and m.text[:1].isupper()
            and not m.proof
            and not country_code(m.text)
            and not demonym_code(m.text)
            # a place the model and the gazetteer agree on keeps its country for the
            # day's stories ("Lyon coach Camille Laurent": the club, but "Lyon" GPE
            # ties the final's reports together by France)
            and not (m.label == "GPE" and known_place(m.text))
            and not (m.label == "PERSON" and " " in m.text)
            and m.text not in person_words
            and not person_context(text, m)
        )

    teams, proven = set(), set()
    for m in mentions:
        if not candidate(m):
            continue
        before = text[max(0, m.start - 12) : m.start]
        if _TEAM_ROLE_AFTER.match(text, m.end) or _TEAM_NOUN_BEFORE.search(before):
            teams.add(m.text)
            if not known_place(m.text):
                proven.add(m.text)  # "Costa Azul coach": the day's other articles too
    for m in mentions:
        if m.text in teams and candidate(m):
            m.label, m.entity_key, m.country = "ORG", m.text, None
            m.proof = "ORG" if m.text in proven else ""


# a match's result around a name: "a 6-0 win over Volendam", "a nine-point lead over
# Feyenoord", "clear of champions Ajax Amsterdam", "losing 4-2 on aggregate to Tenerife",
# "winning 3-1 at Sunderland"; or "PSV Eindhoven romped to a 6-0 win"
_RESULT_BEFORE = re.compile(
    r"\b(?:(?:win|victory|lead|defeat|loss|draw)\s+(?:over|against|with|to|by|at)"
    r"|(?:clear|ahead)\s+of|at\s+home\s+to|away\s+(?:to|at)"
    r"|(?:won|winning|lost|losing|drew|drawing|beaten|beat|beating)\s+\d{1,2}-\d{1,2}"
    r"\s+(?:on\s+aggregate\s+)?(?:at|to|by|against|with))"
    r"\s+(?:(?:the\s+)?(?:champions|leaders|holders|hosts|visitors|rivals)\s+)?$"
)
_RESULT_AFTER = re.compile(
    r"\s+(?:[a-z]+\s+){0,2}?to\s+an?\s+\d{1,2}-\d{1,2}\s+(?:win|victory|defeat|draw|loss)\b"
)
# a score in the article: "6-0", "3-1" (not a date's "1996-12-07", nor "4-for-5")
_SCORE_IN_TEXT = re.compile(r"(?<![\d/-])\d{1,2}-\d{1,2}(?![\d/-]|-?[a-z])")


def _teams_by_result(text: str, mentions: list[Mention]) -> None:
    """Clubs in a match's result, in an article that gives a score: the name a result
    is won or lost against ("a 6-0 win over Volendam", "clear of champions Ajax
    Amsterdam", tagged PERSON; "winning 3-1 at Sunderland", GPE) or that goes on to a
    scored result ("PSV Eindhoven romped to a 6-0 win") is a team, an ORG, in all its
    mentions of the article tagged as a person or a place ("Feyenoord , who have two
    games in hand": a club takes "who" in British English, so "who" proves nothing
    here). Unlike ``_teams`` a city the model tagged GPE is taken: a result is played
    by clubs, not cities. Never a country or a nationality (a national side is the
    country, as CoNLL and OntoNotes read it), a name opening with a given name
    ("a win over Pete Sampras"), a longer PERSON name without a town at its end ("a
    loss to Evander Holyfield"), a word of a person's longer name, or a name with a
    title or a speech verb. Not proven for the day: "Liverpool" stays the city in
    the day's other articles."""
    from newsflow.entities.normalise import _SPEAKS_AFTER, _SPEAKS_BEFORE, _TITLE_BEFORE

    if not _SCORE_IN_TEXT.search(text):
        return
    person_words = {
        w for m in mentions if m.label == "PERSON" and " " in m.text for w in m.text.split()
    }

    def candidate(m: Mention) -> bool:
        before = text[max(0, m.start - 20) : m.start]
        return (
            m.label in _TEAM_LOOKALIKES
            and m.text[:1].isupper()
            and m.proof != "PERSON"
            and not country_code(m.text)
            and not demonym_code(m.text)
            and not given_name(m.text.split()[0])
            # a two-word "person" is a club only with its town in it ("Ajax
            # Amsterdam", "PSV Eindhoven"; not "a loss to Evander Holyfield")
            and not (m.label == "PERSON" and " " in m.text and not known_place(m.text.split()[-1]))
            and m.text not in person_words
            and not _TITLE_BEFORE.search(before)
            and not _SPEAKS_BEFORE.search(before)
            and not _SPEAKS_AFTER.match(text[m.end : m.end + 16])
        )

    teams = {
        m.text
        for m in mentions
        if candidate(m)
        and (
            _RESULT_BEFORE.search(text[max(0, m.start - 48) : m.start])
            or _RESULT_AFTER.match(text, m.end)
        )
    }
    for m in mentions:
        if m.text in teams and candidate(m):
            m.label, m.entity_key, m.country, m.proof = "ORG", m.text, None, ""


# a list's joints: "Arad , Oradea and Sibiu", "Arad, Oradea, and Sibiu"
_LIST_JOINT = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+")
_LIST_LOCATIVE_BEFORE = re.compile(r"\b(?:in|from|near|to|between)\s+$")


def _place_lists(text: str, mentions: list[Mention]) -> None:
    """A list of names right after a preposition of place with a place the gazetteer
    gave a country in it ("the domestic airports in Arad , Oradea and Sibiu", Arad a
    GPE) makes its other lone members that are cities of ``CITY_AFTER_LOCATIVE``
    people places too (Oradea tagged ORG, Sibiu PERSON), unless they have a person's
    context or are part of a person's longer name."""
    from newsflow.entities.normalise import CITY_AFTER_LOCATIVE

    person_words = {
        w for m in mentions if m.label == "PERSON" and " " in m.text for w in m.text.split()
    }
    ordered = sorted(mentions, key=lambda m: m.start)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and _LIST_JOINT.fullmatch(
            text, ordered[j].end, ordered[j + 1].start
        ):
            j += 1
        run = ordered[i : j + 1]
        i = j + 1
        if len(run) < 2 or not _LIST_LOCATIVE_BEFORE.search(
            text[max(0, run[0].start - 10) : run[0].start]
        ):
            continue
        if not any(m.label == "GPE" and m.country for m in run):
            continue
        for m in run:
            if (
                m.label in {"ORG", "PERSON"}
                and " " not in m.text
                and m.text not in person_words
                and not person_context(text, m)
            ):
                code = large_place(m.text, CITY_AFTER_LOCATIVE)
                if code:
                    m.label, m.entity_key, m.country = "GPE", m.text, code


# a region's noun right after a name: "KwaZulu-Natal province", "Sonora state"
_REGION_NOUN_AFTER = re.compile(
    r"\s+(?:province|state|county|prefecture|oblast|governorate)\b(?!['’]s\s+(?:attorney|police))"
)


def _regions_by_noun(text: str, mentions: list[Mention]) -> None:
    """A name the model tagged ORG (or a lone word tagged PERSON) right before a
    region's noun in lower case ("on KwaZulu-Natal province's south coast", tagged
    ORG) is a place, a GPE, in all the article's mentions of the name; not a name
    with a person's context, nor a nationality ("the Jewish state" is NORP)."""
    regions = set()
    for m in mentions:
        if (
            (m.label == "ORG" or (m.label == "PERSON" and " " not in m.text))
            and _REGION_NOUN_AFTER.match(text, m.end)
            and not person_context(text, m)
            and not _THE_BEFORE.search(text[max(0, m.start - 5) : m.start])
        ):
            regions.add(m.text)
    for m in mentions:
        if m.text in regions and m.label in {"ORG", "PERSON"} and not person_context(text, m):
            m.label, m.entity_key = "GPE", m.text


# an organisation's noun right after a name that "the" opens: "the Wen Hui Bao newspaper"
_ORG_NOUN_AFTER = re.compile(
    r"\s+(?:newspaper|daily|weekly|magazine|news agency|agency|broadcaster|party)\b(?!['’])"
)


def _organisations_by_noun(text: str, mentions: list[Mention]) -> None:
    """A PERSON/place mention between "the" and an organisation's noun ("the Wen Hui Bao
    newspaper", "the Xinhua news agency") is an organisation, in all the article's
    mentions of the name; not a country ("the Iraq party" is rare, "the Kenya daily" a
    country's), nor a nationality ("the Conservative party": NORP)."""
    named = set()
    for m in mentions:
        if (
            m.label in {"PERSON", "GPE", "LOC", "FAC"}
            and not m.country
            and _THE_BEFORE.search(text[max(0, m.start - 5) : m.start])
            and _ORG_NOUN_AFTER.match(text, m.end)
        ):
            named.add(m.text)
    for m in mentions:
        if m.text in named and m.label in {"PERSON", "GPE", "LOC", "FAC"} and not m.country:
            m.label, m.entity_key, m.proof = "ORG", m.text, "ORG"


# first words of places' and organisations' names that the name data also counts as
# given names ("San Jose", "Le Figaro", "Royal Dutch", "Star Tribune")
_NOT_GIVEN = frozenset(
    ["San", "Santa", "Saint", "St", "Sao", "Le", "La", "Las", "Los", "El", "Al", "De", "Van"]
    + ["Royal", "Star", "Sun", "Sky", "Herald", "General", "Grand", "Lake", "Mount"]
    + ["Rue", "Via", "Calle", "Villa", "Casa", "Porto", "Place"]  # "Rue de Castiglione"
)
# a company's suffix right after a name: "Charles Schwab Corp", "Morgan & Co"
_COMPANY_AFTER = re.compile(
    r"\s*(?:&|\b(?:Inc|Corp|Corporation|Co|Cos|Ltd|LLC|plc|PLC|AG|SA|NV|GmbH|Group|Holdings)\b)"
)


def _people_by_given_name(text: str, mentions: list[Mention]) -> None:
    """A two- or three-word name the model tagged ORG/GPE/... whose first word is a
    common given name and whose last word is neither a given name nor a common English
    word ("Cristina Cifuentes"; not "Morgan Stanley", "Newton Street"), neither word a country, a nationality or a city of
    100,000 ("Jordan", "Paris", "Warren"), is a person, in all the article's mentions of the name and of its
    surname alone; not after "the" ("the Julia Morgan school") nor before a company's
    suffix ("Charles Schwab Corp")."""
    people: dict[str, str] = {}  # surname -> full name
    for m in mentions:
        words = m.text.split()
        if (
            m.label in _NAME_LOOKALIKES
            and not m.country
            and not m.proof
            and 2 <= len(words) <= 3
            and _full_name(m.text)
            and not any(c in m.text for c in ".'’")  # "Warner Bros.", "Aria Health's X"
            and words[0] not in _NOT_GIVEN
            and given_name(words[0])
            and not given_name(words[-1])
            and not common_word(words[-1])
            and not _big_place(words[0])
            and not _big_place(words[-1])
            and not _THE_BEFORE.search(text[max(0, m.start - 5) : m.start])
            and not _COMPANY_AFTER.match(text, m.end)
        ):
            people[words[-1]] = "" if people.get(words[-1], m.text) != m.text else m.text
    named = {full for full in people.values() if full}
    for m in mentions:
        full = m.text if m.text in named else people.get(m.text)
        if full and m.label in _NAME_LOOKALIKES and not m.country:
            m.label, m.entity_key = "PERSON", full


def _big_place(word: str) -> bool:
    """Whether ``word`` is a country, a nationality or a city of 100,000 people (a
    village named "Amara" or "Cifuentes" is no evidence against a person)."""
    return bool(country_code(word) or demonym_code(word) or large_place(word, 100_000))


# a facility's noun right after a name, perhaps with its grade: "maximum security prison"
_FACILITY_AFTER = re.compile(
    r"(?:\s+(?:maximum|high|medium|top|federal|state|military|security|-security))*"
    r"\s+(?:prison|jail|penitentiary|airport|stadium|refugee camp)\b"
)


def _facilities_by_noun(text: str, mentions: list[Mention]) -> None:
    """A lone word tagged PERSON right before a facility's noun ("Korydallos maximum
    security prison", "Talodi airport") is that facility, in all its PERSON mentions of
    the article that have no person's context (a title, a speech verb, "who")."""
    named = {
        m.text
        for m in mentions
        if m.label == "PERSON"
        and " " not in m.text
        and _FACILITY_AFTER.match(text, m.end)
        and not person_context(text, m)
    }
    for m in mentions:
        if m.text in named and m.label == "PERSON" and not person_context(text, m):
            m.label, m.entity_key, m.proof = "FAC", m.text, "FAC"


# a facility's head noun ending a name: "Changi Prison", "Kai Tak Airport"
_FACILITY_HEAD = re.compile(r"\s(?:Prison|Jail|Penitentiary|Airport|Stadium|Hospital)$")


def _facilities_by_head(mentions: list[Mention]) -> None:
    """A name the model tagged PERSON that ends with a facility's head noun ("Changi
    Prison", "Kai Tak Airport") is that facility: no person's name ends so."""
    for m in mentions:
        if m.label == "PERSON" and _FACILITY_HEAD.search(m.text):
            m.label, m.entity_key, m.proof = "FAC", m.text, "FAC"


# the company's shares or results after a name: "Munich Re's registered shares"
_SHARES_AFTER = re.compile(
    r"\s?['’]s?\s+(?:[a-z-]+\s+)?(?:shares|stock|shareholders|share price|earnings)\b"
)


def _companies_by_shares(text: str, mentions: list[Mention]) -> None:
    """A name of two words or more tagged PERSON whose shares, stock or shareholders
    the article speaks of ("Munich Re 's shares") is a company, in all its PERSON
    mentions; not when its first word is a given name ("Warren Buffett's shares")."""
    companies = {
        m.text
        for m in mentions
        if m.label == "PERSON"
        and " " in m.text
        and not given_name(m.text.split()[0])
        and _SHARES_AFTER.match(text, m.end)
    }
    for m in mentions:
        if m.text in companies and m.label == "PERSON":
            m.label, m.entity_key, m.proof = "ORG", m.text, "ORG"


def _people_by_surname(text: str, mentions: list[Mention]) -> None:
    """A full-name-shaped ORG/GPE/... whose last word is a lone PERSON mention with a
    person's context in the article (a title, a speech verb, "who") is that person; the
    lone mentions take the full name as key. A name whose first word opens another
    organisation's name, that opens with a place ("New Orleans Saints", beside "the
    Saints, who") or with "The" (a title: "The Notorious Bettie Page"), or that the
    gazetteer gave a country, is left alone."""
    proven = {
        m.text
        for m in mentions
        if m.label == "PERSON"
        and " " not in m.text
        and person_context(text, m)
        and not _THE_BEFORE.search(text[max(0, m.start - 5) : m.start])
    }
    found: dict[str, str] = {}
    org_names: dict[str, set[str]] = {}  # first word -> the ORG names it opens
    for m in mentions:
        if m.label == "ORG" and " " in m.text:
            org_names.setdefault(m.text.split()[0], set()).add(m.text)
    for m in mentions:
        words = m.text.split()
        if (
            m.label in _NAME_LOOKALIKES
            and not m.country
            and len(words) >= 2
            and words[-1] in proven
            and _full_name(m.text)
            and words[0] not in {"The", "A", "An"}
            and not known_place(" ".join(words[:-1]))
            and not org_names.get(words[0], set()) - {m.text}
        ):
            m.label, m.entity_key, m.proof = "PERSON", m.text, "PERSON"
            found.setdefault(words[-1], m.text)
    # every full name a person now, the lone surnames keyed to themselves join the one
    # full name they end (the model's PERSON majority chose the keys before)
    for m in mentions:
        words = m.text.split()
        if (
            m.label == "PERSON"
            and len(words) >= 2
            and _full_name(m.text)
            and found.setdefault(words[-1], m.entity_key) != m.entity_key
        ):
            found[words[-1]] = ""  # two people share the surname: no link
    for m in mentions:
        if m.label == "PERSON" and found.get(m.text) and m.entity_key == m.text:
            m.entity_key = found[m.text]


def _countries_tagged_as_people(text: str, mentions: list[Mention]) -> None:
    """A lone PERSON word that is a country's name is that country, unless a longer
    PERSON name in the article has the word ("Bill Jordan", then "Jordan said") or the
    mention speaks, takes a title or "who"."""
    person_words = {
        w for m in mentions if m.label == "PERSON" and " " in m.text for w in m.text.split()
    }
    for m in mentions:
        if m.label != "PERSON" or " " in m.text or m.text in person_words:
            continue
        code = country_code(m.text)
        if code and not person_context(text, m):
            m.label, m.entity_key, m.country, m.proof = "GPE", country_name(code), code, ""


def _bracketed_acronyms(text: str, mentions: list[Mention]) -> list[Mention]:
    """Acronyms spelt out in brackets after an ORG name: their mentions become ORG
    (not a country's code: "(US)"); their untagged mentions, the bracketed one and the
    later ones ("AN leader Gianfranco Fini"), are added, but not in a run of capitals
    (a headline's "AN")."""
    defined: dict[str, str] = {}
    for m in mentions:
        if m.label != "ORG" or " " not in m.text:
            continue
        b = _BRACKETED_ACRONYM.match(text, m.end)
        if b and not country_code(b.group(1)) and b.group(1) != m.text:
            defined.setdefault(b.group(1), b.group(1))
    if not defined:
        return []
    spots = [
        (w.start(), w.end(), w.group(0))
        for w in re.finditer(
            r"(?<![\w&-])(?:" + "|".join(map(re.escape, defined)) + r")(?![\w&-])", text
        )
        if not _in_capitals(text, w.start(), w.end())
    ]
    for m in mentions:
        if m.text in defined and m.label != "ORG" and not m.country:
            m.label, m.entity_key = "ORG", defined[m.text]
    covered = [(m.start, m.end) for m in mentions]
    return [
        Mention(s, e, name, "ORG", name)
        for s, e, name in spots
        if not any(cs < e and s < ce for cs, ce in covered)
    ]


def _untagged_org_repeats(text: str, mentions: list[Mention]) -> list[Mention]:
    """Untagged whole-word repeats of a company's short name, the first word of an ORG
    name with its legal form in the article ("Bre-X Minerals Ltd", then "Bre-X said"
    tagged and "Bre-X would seek" not), as that company; not a word the article tags
    otherwise, a common English word ("Action Performance Cos Inc"), a given name or a
    place the gazetteer knows, nor a repeat among capitals (a headline)."""
    other = {m.text for m in mentions if m.label != "ORG"}
    keys: dict[str, str] = {}
    for m in mentions:
        first = m.text.split()[0]
        if (
            m.label == "ORG"
            and _LEGAL_FORM_END.search(m.text)
            and len(first) >= 3
            and first[0].isupper()
            and first not in other
            and not common_word(first)
            and not given_name(first)
            and not known_place(first)
        ):
            keys.setdefault(first, first)
    for m in mentions:  # the short name's own mentions give the key ("Bre-X")
        if m.label == "ORG" and m.text in keys:
            keys[m.text] = m.entity_key or m.text
    if not keys:
        return []
    covered = [(m.start, m.end) for m in mentions]
    pattern = r"(?<![\w&-])(?:" + "|".join(map(re.escape, keys)) + r")(?![\w&-])"
    return [
        Mention(w.start(), w.end(), w.group(0), "ORG", keys[w.group(0)])
        for w in re.finditer(pattern, text)
        if not any(cs < w.end() and w.start() < ce for cs, ce in covered)
        and not _in_capitals(text, w.start(), w.end())
    ]


# a company's legal form ending its name: "Bre-X Minerals Ltd", "Honda Motor Co. Ltd."
_LEGAL_FORM_END = re.compile(r"\s(?:Inc|Corp|Co|Cos|Ltd|LLC|plc|PLC|AG|SA|NV|BV|GmbH|SpA)\.?$")


# a title's head and "of" before a lone word: "Secretary of State", "Member of Parliament"
_TITLE_OF_BEFORE = re.compile(r"\b(?:Secretary|Minister|Member)\s+of\s+$")


def _drop_title_parts(text: str, mentions: list[Mention]) -> None:
    """Lone ORG words that end a title ("to be Secretary of State", "Member of Parliament
    Tony Marlow") dropped: no organisation is named there."""
    mentions[:] = [
        m
        for m in mentions
        if not (
            m.label == "ORG"
            and " " not in m.text
            and _TITLE_OF_BEFORE.search(text[max(0, m.start - 16) : m.start])
        )
    ]


# a name right before "news agency": "the official TASR news agency"
_AGENCY = re.compile(r"(?<![\w-])([A-Z]{2,}[\w-]*)\s+news agency\b")


def _untagged_agencies(text: str, mentions: list[Mention]) -> list[Mention]:
    """An untagged word in capitals right before "news agency" ("the official TASR news
    agency"; not "The news agency"), no country's code, is that agency, in all its untagged mentions of the article ("he told
    TASR"), but not among capitals (a headline)."""
    covered = [(m.start, m.end) for m in mentions]

    def free(s: int, e: int) -> bool:
        return not any(cs < e and s < ce for cs, ce in covered)

    names = {
        a.group(1)
        for a in _AGENCY.finditer(text)
        if free(a.start(1), a.end(1)) and not country_code(a.group(1))
    }
    if not names:
        return []
    pattern = r"(?<![\w&-])(?:" + "|".join(map(re.escape, names)) + r")(?![\w&-])"
    return [
        Mention(w.start(), w.end(), w.group(0), "ORG", w.group(0))
        for w in re.finditer(pattern, text)
        if free(w.start(), w.end()) and not _in_capitals(text, w.start(), w.end())
    ]


_WORD_BEFORE = re.compile(r"(\S+)\s+$")
_WORD_AFTER = re.compile(r"\s+(\S+)")


def _in_capitals(text: str, start: int, end: int) -> bool:
    """Whether the word at ``start:end`` has a word in capitals beside it (a headline
    or a caps line: "PLEDGES AN INQUIRY")."""
    before = _WORD_BEFORE.search(text, max(0, start - 30), start)
    after = _WORD_AFTER.match(text, end)
    return any(
        w is not None
        and len(w.group(1).strip("(),.\"'")) > 1
        and w.group(1).strip("(),.\"'").isupper()
        for w in (before, after)
    )


def _untagged_surnames(text: str, mentions: list[Mention]) -> list[Mention]:
    """Untagged words equal to the surname of a full PERSON name of the article that
    speak or take "who" there ("Saldanha said"), or anywhere when the surname is no
    common English word, given name or known place ("adding Voeks should pay"), as that
    person. Not a word the article
    also writes in lower case ("Police said" beside a name ending in "Police"), nor the
    last word of a name without a full name's shape ("W. H. O. Doctor")."""
    surnames: dict[str, str] = {}
    for m in mentions:
        words = m.text.split()
        if m.label == "PERSON" and len(words) >= 2 and len(words[-1]) >= 4 and _full_name(m.text):
            surnames.setdefault(words[-1], m.entity_key or m.text)
    if not surnames:
        return []
    lower = set(_LOWER_WORD.findall(text))
    surnames = {k: v for k, v in surnames.items() if k.lower() not in lower}
    # a surname that is no common English word nor given name ("Voeks", not "Page" nor
    # "Note") needs no context: nothing else in the article is written so
    rare = {k: not common_word(k) and not given_name(k) and not known_place(k) for k in surnames}
    covered = sorted((m.start, m.end) for m in mentions)
    starts = [c[0] for c in covered]
    found: list[Mention] = []
    for surname, full in surnames.items():
        at = text.find(surname)
        while at >= 0:
            end = at + len(surname)
            i = bisect_right(starts, at)
            free = (i == 0 or covered[i - 1][1] <= at) and (i == len(starts) or starts[i] >= end)
            if free and _word_at(text, at, end):
                probe = Mention(at, end, surname, "PERSON", full)
                if rare[surname] or person_context(text, probe):
                    found.append(probe)
            at = text.find(surname, end)
    return found


def _word_at(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a whole word."""
    return not (start > 0 and text[start - 1].isalnum()) and not (
        end < len(text) and text[end].isalnum()
    )


_LOWER_WORD = re.compile(r"\b[a-z]+\b")
# a run of capitalised words (a name candidate the model may have left untagged)
_CAPITAL_RUN = re.compile(r"(?<![\w-])[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*(?![\w])")


def _untagged_countries(text: str, mentions: list[Mention]) -> list[Mention]:
    """Untagged country names, as GPE with their code: a whole run of capitalised words
    that the gazetteer knows as a country ("of Italy", not "Latin America" nor "Niger
    Delta"), less a sentence's first word the article also writes in lower case ("But
    China saw"); not a word of a person's name in the article ("Bill Jordan"), nor one
    that speaks or takes a title ("Jordan said")."""
    person_words = {w for m in mentions if m.label == "PERSON" for w in m.text.split()}
    covered = [(m.start, m.end) for m in mentions]
    found: list[Mention] = []
    lower: set[str] | None = None  # the article's lower-case words, when first needed
    for run in _CAPITAL_RUN.finditer(text):
        start, name = run.start(), run.group(0)
        code = country_code(name)
        first, _, rest = name.partition(" ")
        if not code and rest and country_code(rest):
            lower = lower if lower is not None else set(_LOWER_WORD.findall(text))
            if first.lower() in lower:
                start, name, code = run.end() - len(rest), rest, country_code(rest)
        end = start + len(name)
        if (
            not code
            or any(s < end and start < e for s, e in covered)
            or any(w in person_words for w in name.split())
        ):
            continue
        m = Mention(start, end, name, "GPE", country_name(code), code)
        if not person_context(text, m) and not _ends_a_name(text, start, mentions):
            found.append(m)
    return found


_OF_BEFORE = re.compile(r"(\S+)\s+of\s+$")


def _ends_a_name(text: str, start: int, mentions: list[Mention]) -> bool:
    """Whether the word at ``start`` ends an organisation's "... of X" name ("Writers
    Guild of America"): "of" after a capitalised word that is no PERSON mention ("Paolo
    Fulci of Italy" is a person and a country)."""
    before = _OF_BEFORE.search(text, max(0, start - 40), start)
    if not before or not before.group(1)[:1].isupper():
        return False
    at = before.end(1)
    return not any(m.label == "PERSON" and m.start < at <= m.end for m in mentions)
