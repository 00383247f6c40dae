"""Given names and common words: evidence that a full name the model calls an
organisation is a person's.

spaCy's small model tags full names of people it has not met as organisations or places
("Corrado Passera", "Cristina Cifuentes", "Amara Essy" ORG). A first word that people
commonly bear as a given name, with a last word that is no common English word, is
evidence of a person's name ("Newton Street", "Wells Fargo Bank", "Gordon Advisors"
end in common words). The given names are the first-name lists of Faker's person
providers (MIT licence, no dependencies on Linux), gathered by its contributors for 85
locales from name statistics and name dictionaries (the US's most common names by
decade, Germany's most frequent given names, Wikipedia's Italian given names, Icelandic,
Swahili, Yoruba, Arabic and Indian lists, ...): about 20,600 names, 15,300 in Latin
script. Faker's locale-less English list (6,800 names) is left out: it is long on rare
names that are also words ("Red", "North", "Glenwood": "Red Sox" would be a person).
The lists are read once from the installed package's provider files without importing
it (importing Faker's providers discovers all its locales: half a second against a
twentieth). The common words are the lemmatizer index of the pinned English model (WordNet's nouns,
verbs, adjectives and adverbs), read from the model package's files.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path

import srsly
from spacy.strings import get_string_id

from newsflow.config import Settings

# a class-level first-name list of a person provider: `first_names_male = (` or
# `first_names_female = OrderedDict(`, up to the bracket closing it at the same indent
_FIRST_NAMES = re.compile(r"^    first_names\w* = [^\n]*[(\[{]\n(.*?)^    [)\]}]", re.M | re.S)
# a quoted one-word name ("Corrado", 'Amara'); names of two words or in digits are left out
_NAME = re.compile(r"""["']([^\W\d_]+)["']""")


# Faker's locale-less English list: rare names of US birth records ("Early", "Star", "Red",
# "North", "Glenwood"); en_US, en_GB, en_IE, en_IN, ... stay
_LEFT_OUT = frozenset({"en"})


def _package_dir(name: str) -> Path:
    """The folder of the installed package ``name``, without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{name} (a dependency) is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def given_names() -> frozenset[str]:
    """The given names of all Faker's locales, lower case."""
    providers = _package_dir("faker") / "providers" / "person"
    return frozenset(
        m.group(1).lower()
        for path in sorted(providers.glob("*/__init__.py"))
        if path.parent.name not in _LEFT_OUT
        for block in _FIRST_NAMES.finditer(path.read_text(encoding="utf-8"))
        for m in _NAME.finditer(block.group(1))
    )


def given_name(word: str) -> bool:
    """Whether ``word`` is a common given name ("Cristina", "John"; not "Cifuentes")."""
    return word.lower() in given_names()


@cache
def common_words() -> frozenset[str]:
    """The English words of the default spaCy model's lemmatizer index, lower case
    ("street", "bank"; also the few surnames WordNet lists: "pitt")."""
    model = Settings.model_fields["spacy_model"].default
    (path,) = _package_dir(model).glob("*/lemmatizer/lookups/lookups.bin")
    index = srsly.msgpack_loads(path.read_bytes())["lemma_index"]
    return frozenset(
        w for pos in ("noun", "verb", "adj", "adv") for w in index.get(get_string_id(pos), [])
    )


def common_word(word: str) -> bool:
    """Whether ``word`` is a common English word ("Street", "Advisors"; not "Essy")."""
    w = word.lower()
    return w in common_words() or (w.endswith("s") and w[:-1] in common_words())
