"""A learned line classifier for text dumps: is a line page chrome or article text?

The hand rules in ``chrome`` know the shapes they were written for; on unseen site
styles 20% of chrome lines leaked (cookie banners, author bios, tag lists, share rows,
footers). This model was learned from many generated chrome styles around real article
paragraphs (``benchmarks/chrome_dumps.py``, which also reports it on styles and
articles it was not trained on). It is a logistic regression over hashed features of
the line and its neighbours: words and word pairs, and the line's shape (length,
punctuation, digits, capitals, position in the dump). Prediction is a sparse dot
product, so it needs no scikit-learn at run time; the weights are a JSON file beside
this module, written by ``benchmarks/chrome_dumps.py --train``.
"""

from __future__ import annotations

import functools
import json
import math
import re
import zlib
from pathlib import Path

from newsflow.clean.words import count_words

WEIGHTS = Path(__file__).with_name("linemodel.json")
DIM = 1 << 18

_WORD = re.compile(r"\w+", re.UNICODE)
_END = re.compile(r"[.!?…\"”’)。！？」』]$")


def _bucket(n: int) -> str:
    return str(min(n, 3)) if n < 4 else str(min(8, int(math.log2(n)) + 2))


def _shape(line: str, prefix: str) -> list[str]:
    words = count_words(line)
    feats = [f"{prefix}w{_bucket(words)}"]
    if _END.search(line):
        feats.append(f"{prefix}end")
    if line[:1].isupper():
        feats.append(f"{prefix}cap")
    letters = [c for c in line if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > 0.6 * len(letters):
        feats.append(f"{prefix}shout")
    digits = sum(c.isdigit() for c in line)
    if digits:
        feats.append(f"{prefix}digits{min(3, 10 * digits // max(1, len(line)))}")
    for ch in "|>»›/•·#@©:–-":
        if ch in line:
            feats.append(f"{prefix}has{ch}")
    return feats


def features(lines: list[str], i: int, verdicts: list[str | None]) -> list[str]:
    """The named features of line ``i`` of a dump (hashed by ``vector``); ``verdicts``
    are the hand rules' reasons to call each line chrome (None: article text)."""
    line = lines[i]
    low = [w.casefold() for w in _WORD.findall(line)]
    feats = [f"u:{w}" for w in low[:40]]
    feats += [f"b:{a}_{b}" for a, b in zip(low[:25], low[1:26], strict=False)]
    if low:
        feats += [f"first:{low[0]}", f"last:{low[-1]}"]
    feats += _shape(line, "")
    feats.append(f"rule:{verdicts[i]}")
    for off, tag in ((-1, "p"), (1, "n")):
        j = i + off
        if 0 <= j < len(lines):
            feats += [*_shape(lines[j], tag), f"{tag}rule:{verdicts[j]}"]
        else:
            feats.append(f"{tag}none")
    pos = i / max(1, len(lines) - 1)
    feats.append(f"pos{min(4, int(pos * 5))}")
    feats.append("bias")
    return feats


def vector(feats: list[str]) -> dict[int, float]:
    """Hashed feature indices (crc32, stable across runs and machines) with counts."""
    out: dict[int, float] = {}
    for f in feats:
        k = zlib.crc32(f.encode()) % DIM
        out[k] = out.get(k, 0.0) + 1.0
    return out


@functools.lru_cache(maxsize=1)
def _weights() -> tuple[dict[int, float], float]:
    data = json.loads(WEIGHTS.read_text("utf-8"))
    return {int(k): v for k, v in data["weights"].items()}, float(data["intercept"])


def chrome_probabilities(lines: list[str], verdicts: list[str | None]) -> list[float]:
    """P(chrome) for every line of a dump, from the shipped weights."""
    weights, intercept = _weights()
    out = []
    for i in range(len(lines)):
        feats = vector(features(lines, i, verdicts))
        z = intercept + sum(weights.get(k, 0.0) * v for k, v in feats.items())
        out.append(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))))
    return out
