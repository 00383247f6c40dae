"""Names the day's tagged articles found, looked up in an untagged article's text.

An article in a language with no NER model gets no entities (the English model's
guesses on a German text are not entities), but a German report of the Ottawa summit
still writes "Ottawa", "Justin Trudeau", "Helix Data" as the English reports of the
same day do. For story linking, such an article gets the story keys of the names it
shares, word for word, with the day's tagged articles: a lookup of its capitalised
word runs, no model's guess. These are never written to the entities table.
"""

from __future__ import annotations

import re

# a run of capitalised words (any script with case), joined by spaces or hyphens
_WORD = re.compile(r"[^\W\d_][\w'’.-]*", re.UNICODE)
MAX_WORDS = 4
MIN_CHARS = 3


class KnownNames:
    """Surface names (entity keys as written) -> their story keys."""

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}

    def add(self, name: str, key: str) -> None:
        if len(name) >= MIN_CHARS and len(name.split()) <= MAX_WORDS and name[:1].isupper():
            self._keys.setdefault(name, key)

    def keys_in(self, text: str) -> frozenset[str]:
        """Story keys of the known names written in ``text`` (longest match first)."""
        if not self._keys:
            return frozenset()
        words = [w.rstrip(".'’") for w in _WORD.findall(text)]
        found: set[str] = set()
        i = 0
        while i < len(words):
            step = 1
            for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
                run = words[i : i + n]
                if not all(w[:1].isupper() for w in run):
                    continue
                key = self._keys.get(" ".join(run))
                if key is not None:
                    found.add(key)
                    step = n
                    break
            i += step
        return frozenset(found)
