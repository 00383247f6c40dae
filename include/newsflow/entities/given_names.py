"""Given names and common words: evidence that a full name the model calls an
organisation is a person's.

spaCy's small model tags full names of people it has not met as organisations or places
("Corrado Passera", "Cristina Cifuentes", "Amara Essy" ORG). A first word that people
commonly bear as a given name, with a last word that is no common English word, is
evidence of a person's name ("Newton Street", "Wells Fargo Bank", "Gordon Advisors"
end in common words). The given names are those of nomquamgender's reference data (MIT
licence; given names counted in 36 national and international name sources, Van
Buskirk et al., 2023), read once from the installed package's data file without
importing the package (its module imports pandas and parses the whole file, which takes
seconds). The common words are the lemmatizer index of the pinned English model
(WordNet's nouns, verbs, adjectives and adverbs), read from the model package's files.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path

import srsly
from spacy.strings import get_string_id

from newsflow.config import Settings

# a given name in at least this many of the data's sources, borne this many times in
# all: "Corrado" (22 sources, 2,603), not "Munich" (1, 1) nor "Ahmedou" (3, 48)
MIN_SOURCES = 10
MIN_COUNT = 1000
# one entry of the data: "name": [sources, count, ...] (counts of four digits or more)
_ENTRY = re.compile(r'"([^\W\d_]+)": \[(\d+), (\d{4,}),')


def _package_dir(name: str) -> Path:
    """The folder of the installed package ``name``, without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{name} (a dependency) is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def given_names() -> frozenset[str]:
    """The common given names, lower case."""
    data = _package_dir("nomquamgender") / "name_data.json"
    return frozenset(
        m.group(1)
        for m in _ENTRY.finditer(data.read_text(encoding="utf-8"))
        if int(m.group(2)) >= MIN_SOURCES and int(m.group(3)) >= MIN_COUNT
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
