"""Word counts that hold for scripts written without spaces between words.

Chinese, Japanese, Thai, Lao, Khmer and Myanmar text has no spaces between words,
so ``len(text.split())`` counted a 2,479-character Chinese article as 27 "words" and
the clean stage rejected it as too short. Runs of those scripts are counted by their
characters instead, divided by the script's mean word length, so ``min_words`` and
the chrome rules' word thresholds mean about the same amount of text in every
language. (A dictionary segmenter such as jieba would count exactly, but it is one
language each, loads a dictionary of tens of MB and is slower than the extractor;
for a length threshold the mean word length is close enough.)
"""

from __future__ import annotations

import math
import re

# Mean characters per word of each unspaced script, from segmented corpora: Chinese
# about 1.5 (CTB/PKU), Japanese about 1.7 (BCCWJ short units), Thai about 4.5 (BEST),
# Lao, Khmer and Myanmar taken as Thai's.
_SCRIPTS: tuple[tuple[str, float], ...] = (
    # Han (CJK unified ideographs, extension A, compatibility) with kana and CJK marks
    ("\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f", 1.6),
    ("\u0e00-\u0e7f\u0e80-\u0eff\u1780-\u17ff\u1000-\u109f", 4.5),
)
_RUNS = [(re.compile(f"[{chars}]+"), per_word) for chars, per_word in _SCRIPTS]
_ANY_UNSPACED = re.compile("[" + "".join(chars for chars, _ in _SCRIPTS) + "]")
_WORDLIKE = re.compile(r"\w")
# Thai, Lao, Khmer and Myanmar prose often ends a sentence with a space, not a mark
_UNPUNCTUATED = re.compile(f"[{_SCRIPTS[1][0]}]")


def unpunctuated_script(line: str) -> bool:
    """Mostly in a script whose sentences need not end with punctuation (Thai & co.),
    so "ends like a sentence" cannot tell its prose from a headline."""
    return len(_UNPUNCTUATED.findall(line)) > len(line) / 2


def has_unspaced(text: str) -> bool:
    """Any character of a script written without spaces between words."""
    return bool(_ANY_UNSPACED.search(text))


def count_words(text: str) -> int:
    """Words in ``text``: space-separated tokens, and for unspaced scripts their
    characters over the script's mean word length (at least one word per run)."""
    if not _ANY_UNSPACED.search(text):
        return len(text.split())  # the common case, at the old cost
    words = 0.0
    for token in text.split():
        if not _ANY_UNSPACED.search(token):
            words += 1
            continue
        rest = token
        for pattern, per_word in _RUNS:
            for run in pattern.findall(rest):
                words += max(1.0, len(run) / per_word)
            rest = pattern.sub(" ", rest)
        # "2024年5月" and "iPhone発売": the spaced pieces around the runs are words too
        words += sum(1 for piece in rest.split() if _WORDLIKE.search(piece))
    return math.ceil(words)
