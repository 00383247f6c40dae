"""A learned line classifier for text dumps: is a line page chrome or article text?

The hand rules in ``chrome`` know the shapes they were written for; on unseen site
styles 20% of chrome lines leaked (cookie banners, author bios, tag lists, share rows,
footers). This model was learned from many generated chrome styles and layouts around
real article paragraphs (``benchmarks/chrome_dumps.py``, which also reports it on
styles, sites, layouts and articles it was not trained on). It is a logistic
regression over hashed features of the line and its context: words and word pairs,
the line's shape (length, punctuation, digits, capitals), the rules' verdicts and
shapes of two lines either side, and how much of its vocabulary the document's text
shares or the lines the rules call chrome echo (context features carry over to sites
whose wording it never saw). Prediction is a sparse dot product, so it needs no
scikit-learn at run time; the weights and the P(chrome) cuts that go with them are a
JSON file beside this module, written by ``benchmarks/chrome_dumps.py --train``.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsflow.clean.words import count_words, has_unspaced, unpunctuated_script

if TYPE_CHECKING:
    from newsflow.clean.repeats import LineCounts

WEIGHTS = Path(__file__).with_name("linemodel.json")
# Feature keys are whole crc32 values: folded into 2**18 buckets (before round 11), a
# feature never seen in training shared the weight of one that was: a score table's
# "0 0" word pair weighed +7.3 towards chrome for a chrome feature's sake, on no
# evidence (the training command maps the keys seen to columns).
DIM = 1 << 32

_WORD = re.compile(r"\w+", re.UNICODE)
_END = re.compile(r"[.!?…\"”’)。！？」』]$")
# A sentence's end: a full stop (or !, ?) before a space or the line's end.
_SENTENCE = re.compile(r"[.!?。！？][\"'”’)]*(?:\s|$)")


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


def _tokens(line: str) -> set[str]:
    """Content tokens of a line for overlap: words of five letters or more (fewer
    function words), and the character pairs of unspaced scripts (a Chinese clause is
    one \\w+ run)."""
    out: set[str] = set()
    for w in _WORD.findall(line.casefold()):
        if has_unspaced(w):
            out.update(w[k : k + 2] for k in range(len(w) - 1))
        elif len(w) >= 5 and not w.isdigit():
            out.add(w)
    return out


def _names(line: str) -> set[str]:
    """Capitalised words after the first (names of people, places, sites)."""
    return {w for w in _WORD.findall(line)[1:] if w[:1].isupper()}


def prose_line(line: str) -> bool:
    """A line that reads like a paragraph of text (long, ends like a sentence)."""
    return count_words(line) >= 15 and bool(_END.search(line) or unpunctuated_script(line))


def _count(n: int) -> str:
    return str(min(n, 3))


def _shared(tokens: set[str], doc: dict[str, int], own: bool) -> str:
    """How much of ``tokens`` other lines counted in ``doc`` use, in quarters ("-": no
    tokens); ``own``: the line is one of the lines counted itself."""
    if not tokens:
        return "-"
    shared = sum(doc.get(w, 0) - own > 0 for w in tokens)
    return str(min(4, 4 * shared // len(tokens)))


_DIGITS = re.compile(r"\d+")


def line_key(line: str) -> int:
    """The key under which a line is counted across a source's documents (crc32: the
    same in every process): case, digits (dates, counters, years) and spacing do not
    tell one page's chrome from another's."""
    return zlib.crc32(_DIGITS.sub("0", " ".join(line.casefold().split())).encode())


# Lower-case words a line needs for its template to be counted (fewer: too common).
_TEMPLATE_WORDS = 4


def template_key(line: str) -> int | None:
    """The key of a line's template: its lower-case words only, so that the names,
    places, topics and numbers a site fills into its bios, tag lists and teasers do
    not hide that the line recurs (None: too few such words to tell)."""
    words = [w for w in _WORD.findall(line) if w[:1].islower()]
    if len(words) < _TEMPLATE_WORDS:
        return None
    return zlib.crc32(("~" + " ".join(words)).encode())


_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
# Tokens an affix key is made of (``affix_keys``).
_AFFIX_TOKENS = 3


def _masked(tokens: list[str]) -> str:
    """Tokens with the words a site fills in (capitalised: names, topics, headlines;
    digits: dates, counts) masked, so that only its frame is left."""
    return " ".join(
        "0" if t[:1].isdigit() else "A" if t[:1].isupper() else t.casefold() for t in tokens
    )


def _ends(line: str) -> tuple[list[str], list[str]] | None:
    """A line's first and last _AFFIX_TOKENS tokens, the frame ``affix_keys`` and
    ``page_frame`` are made of (None: a line of fewer tokens)."""
    tokens = _TOKEN.findall(line)
    if len(tokens) < _AFFIX_TOKENS:
        return None
    return tokens[:_AFFIX_TOKENS], tokens[-_AFFIX_TOKENS:]


def affix_keys(line: str) -> tuple[int, int] | None:
    """Keys of a line's first and last _AFFIX_TOKENS tokens (the first word as it is,
    the others with names and numbers masked): a site's teasers, tag rows and captions
    change their headline, topic or name from page to page but keep their frame
    ("Voir aussi: ...", "... (Read next)", "#... #...", "Sujets: ..."), which an unseen
    site's wording does not hide. None: a line of fewer tokens than that."""
    ends = _ends(line)
    if ends is None:
        return None
    first, last = ends
    head = first[0].casefold() + " " + _masked(first[1:])
    tail = _masked(last)
    return zlib.crc32(("^" + head).encode()), zlib.crc32(("$" + tail).encode())


def page_frame(line: str) -> tuple[str | None, str | None] | None:
    """A line's frame on its page: its first and last _AFFIX_TOKENS tokens with names
    and numbers masked, the first word too ("2a etapa: 8 de abril" -> "0 etapa :"),
    each None when nothing but masks is left (a title-case headline's "A A A" frames
    nothing). None: a line of fewer tokens. Unlike ``affix_keys`` (counted across a
    site's pages, where "Voir aussi" and "Sujets" are the frame), rows of one list
    differ in their first word ("1a", "2a") as often as in any other."""
    ends = _ends(line)
    if ends is None:
        return None
    head, tail = _masked(ends[0]), _masked(ends[1])
    return (
        head if set(head.split()) - {"A", "0"} else None,
        tail if set(tail.split()) - {"A", "0"} else None,
    )


def _word_key(word: str) -> int:
    return zlib.crc32(("\x01" + word.casefold()).encode())


def word_keys(line: str) -> set[int] | None:
    """Keys of the words of a short line (not ``prose_line``) that a site fills into
    its chrome: content words of five letters or more and capitalised words (names of
    its authors, sections, topics, labels), counted per source as line keys are (in
    how many of its pages' short lines each occurs). A one-page author's bio names an
    author the site's other pages credit, a tag row names topics other pages' tag rows
    name in other combinations; an article's short lines (subheadings, list items)
    name its own subject. None: a prose line or no such word."""
    if prose_line(line):
        return None
    words = _tokens(line) | {w for w in _WORD.findall(line) if w[:1].isupper()}
    return {_word_key(w) for w in words} or None


def _site_words_features(
    share: tuple[int, int] | None, size: str, verdict: str | None, copy: bool
) -> list[str]:
    """What the site's other pages say about a short line's words (``word_keys``):
    the quarters of them that the short lines of at least one and of at least two of
    those pages hold (``share``; None: a prose line or none of those words). On a
    ``copy`` of another page (an updated version) every line brings its words along,
    so the share says nothing there."""
    if share is None:
        return ["sw-"]
    if copy:
        return ["sw:copy"]
    one, two = share
    return [f"sw1:{one}&{size}", f"sw2:{two}&{size}", f"sw2:{two}&rule:{verdict}"]


def _repeat_features(
    i: int, repeats: list[int], others: int, dup: str, prose: bool, size: str, verdict: str | None
) -> list[str]:
    """What the repetition of line ``i`` across the source's other documents says:
    in how many (and what share of them), beside its neighbours' and the page's."""
    r = min(repeats[i], 3)
    share = "-" if not others else str(min(4, 4 * repeats[i] // others))
    near = [min(repeats[j], 1) for j in (i - 1, i + 1) if 0 <= j < len(repeats)]
    return [
        f"rep{r}",
        f"rep{r}&{prose}",
        f"rep{r}&{size}",
        f"rep{r}&rule:{verdict}",
        f"rep{r}&{dup}",
        f"repshare{share}&{prose}",
        f"repnear{sum(near)}&{min(r, 1)}",
    ]


def runs(values: list[Any]) -> Iterator[tuple[Any, int, int]]:
    """The maximal runs of equal values in ``values``: (value, start, end), end
    exclusive (a block of lines the rules gave one verdict, a stretch of dropped lines)."""
    start = 0
    for value, group in itertools.groupby(values):
        end = start + sum(1 for _ in group)
        yield value, start, end
        start = end


def _before_body_features(verdicts: list[str | None]) -> list[list[str]]:
    """For the lines the rules put "before the body": what the whole page says about
    them. A list or score-table article has no prose before its items, so the rules
    see its items as the page's header; unlike a header, such a block is long, takes
    much of the page and runs unbroken up to the first paragraph the rules kept."""
    n = len(verdicts)
    first = next((i for i, v in enumerate(verdicts) if v is None), n)
    share = str(min(4, 4 * sum(v == "before_body" for v in verdicts) // max(1, n)))
    out: list[list[str]] = [[] for _ in verdicts]
    for verdict, i, j in runs(verdicts):
        if verdict != "before_body":
            continue
        run = _bucket(j - i)
        touches = "touch" if j == first else "apart"  # runs straight into the body
        for k in range(i, j):
            dist = _bucket(first - k) if first < n else "nobody"
            out[k] = [
                f"bb:run{run}",
                f"bb:run{run}&{touches}",
                f"bb:dist{dist}",
                f"bb:share{share}",
            ]
    return out


def _sentences(line: str, size: str) -> str:
    """How many sentences a line holds (0-3+), by its length in words: whatever a
    site's wording, a link row, tag row or teaser holds none, a notice or bio one or
    two, an article's paragraph of that length several; the "end" shape says only how
    the line ends. Not for lines before the first paragraph (a table's rows hold none,
    like a header's: ``_before_body_features`` tells them apart)."""
    return f"sent{min(3, len(_SENTENCE.findall(line)))}&{size}"


def document_features(
    lines: list[str], verdicts: list[str | None], counts: LineCounts | None = None
) -> list[list[str]]:
    """The named features of every line of a dump (hashed by ``vector``).

    Per line: its words and word pairs, its shape, how many sentences it holds
    (``_sentences``), the hand rules' verdict (None:
    article text), its place in the dump. Around it: the shapes and verdicts of two
    lines either side, whether it sits in a run of short lines, how much of its
    vocabulary and names the document's text shares (a subheading names the article's
    subject; a site's menu, banner or ad line does not) and how much the lines the
    rules call chrome echo (a site's name, sections and authors recur in its chrome).
    Those context features carry over to sites and wordings never trained on.
    ``counts`` (``repeats.LineCounts``; None: the document alone): ``repeats``, in how
    many of the ``others`` other documents of its source each line occurs; a site's
    menus, banners, bios and footers recur on its pages, its articles' paragraphs do
    not (unless the page is an updated version of another, which the share of its
    prose lines that recur tells); ``templates``: the same for the lines' templates
    (``template_key``); ``affixes``: for their first or last words (``affix_keys``,
    the more frequent); ``site_words``: per short line, the shares of its words that
    the short lines of the site's other pages hold (``word_keys``).
    (Counts
    of prose paragraphs before and after a line were tried: the generated tails end in
    prose chrome, so the last short paragraph of a real article looked like a bio.)
    """
    repeats = counts.repeats if counts else None
    others = counts.others if counts else 0
    templates = counts.templates if counts else None
    affixes = counts.affixes if counts else None
    site_words = counts.site_words if counts else None
    shapes = [_shape(line, "") for line in lines]
    prose = [prose_line(line) for line in lines]
    toks = [_tokens(line) for line in lines]
    names = [_names(line) for line in lines]
    doc: dict[str, int] = {}  # in how many prose or rule-kept lines each token occurs
    ruled: dict[str, int] = {}  # in how many lines the rules call chrome
    text = [p or v is None for p, v in zip(prose, verdicts, strict=True)]
    n_text = "t" + _count(sum(text) // 3)  # how much text the overlap is measured on
    for t, nm, is_text, verdict in zip(toks, names, text, verdicts, strict=True):
        for w in t | {f"N{x}" for x in nm}:
            if is_text:
                doc[w] = doc.get(w, 0) + 1
            if verdict is not None:
                ruled[w] = ruled.get(w, 0) + 1
    dup = "dup-"
    if repeats is not None:
        prose_rep = [r > 0 for r, p in zip(repeats, prose, strict=True) if p]
        dup = f"dup{min(2, 3 * sum(prose_rep) // max(1, len(prose_rep)))}"
    before_body = _before_body_features(verdicts)
    # a copy of another page of the site (an updated version): over half the lines
    # the rules keep recur (a table or list article has few prose lines to tell it)
    kept_rep = [r > 0 for r, v in zip(repeats or [], verdicts, strict=False) if v is None]
    copy = len(kept_rep) >= 3 and 2 * sum(kept_rep) > len(kept_rep)
    out = []
    for i, line in enumerate(lines):
        low = [w.casefold() for w in _WORD.findall(line)]
        feats = [f"u:{w}" for w in low[:40]]
        feats += [f"b:{a}_{b}" for a, b in zip(low[:25], low[1:26], strict=False)]
        if low:
            feats += [f"first:{low[0]}", f"last:{low[-1]}"]
        size = shapes[i][0]
        feats += shapes[i]
        feats.append(f"rule:{verdicts[i]}")
        feats.append(f"rule:{verdicts[i]}&{size}")
        for off, tag in ((-2, "pp"), (-1, "p"), (1, "n"), (2, "nn")):
            j = i + off
            if 0 <= j < len(lines):
                near = shapes[j] if abs(off) == 1 else shapes[j][:2]
                feats += [f"{tag}{f}" for f in near]
                feats.append(f"{tag}rule:{verdicts[j]}")
                feats.append(f"{tag}prose:{prose[j]}")
            else:
                feats.append(f"{tag}none")
        short = [0 <= j < len(lines) and not prose[j] for j in (i - 1, i + 1)]
        feats.append(f"run{sum(short)}&{prose[i]}")
        feats.append(f"overlap{_shared(toks[i], doc, text[i])}&{size}&{n_text}")
        feats.append(f"overlap{_shared(toks[i], doc, text[i])}&{prose[i]}")
        nm = {f"N{x}" for x in names[i]}
        feats.append(f"names{_shared(nm, doc, text[i])}&{prose[i]}")
        # chrome lines of one site echo each other (its name, sections, authors)
        own = verdicts[i] is not None
        feats.append(f"echo{_shared(toks[i] | nm, ruled, own)}&{prose[i]}&{size}")
        pos = i / max(1, len(lines) - 1)
        feats.append(f"pos{min(4, int(pos * 5))}")
        if repeats is None:
            feats.append("rep:none")
        else:
            feats += _repeat_features(i, repeats, others, dup, prose[i], size, verdicts[i])
        if verdicts[i] == "before_body":
            feats += before_body[i]
        if templates is not None:
            tpl = min(templates[i], 3)
            feats += [f"tpl{tpl}&{prose[i]}", f"tpl{tpl}&{size}", f"tpl{tpl}&rule:{verdicts[i]}"]
        if affixes is not None:
            aff = min(affixes[i], 3)
            feats += [f"aff{aff}&{prose[i]}", f"aff{aff}&{size}", f"aff{aff}&rule:{verdicts[i]}"]
        if site_words is not None and verdicts[i] != "before_body":
            # not before the body: a score table's row naming a team that shares the
            # site's name lost it (the rules' header lines recur as lines anyway)
            feats += _site_words_features(site_words[i], size, verdicts[i], copy)
        if verdicts[i] != "before_body":
            feats.append(_sentences(line, size))
        feats.append("bias")
        out.append(feats)
    return out


def vector(feats: list[str]) -> dict[int, float]:
    """Hashed feature indices (crc32, stable across runs and machines) with counts."""
    out: dict[int, float] = {}
    for f in feats:
        k = zlib.crc32(f.encode()) % DIM
        out[k] = out.get(k, 0.0) + 1.0
    return out


@functools.lru_cache(maxsize=1)
def _model() -> dict[str, Any]:
    return dict(json.loads(WEIGHTS.read_text("utf-8")))


@functools.lru_cache(maxsize=1)
def _weights() -> tuple[dict[int, float], float]:
    data = _model()
    return {int(k): v for k, v in data["weights"].items()}, float(data["intercept"])


def reload() -> None:
    """Read the weights file again (after the training command rewrote it)."""
    _model.cache_clear()
    _weights.cache_clear()


def model_cuts() -> dict[str, float]:
    """The P(chrome) cuts that go with the weights (``chrome.model_keeps``): chosen by
    the training command on generated styles held apart from the ones it fitted on."""
    return {k: float(v) for k, v in _model()["cuts"].items()}


def chrome_probabilities(
    lines: list[str], verdicts: list[str | None], counts: LineCounts | None = None
) -> list[float]:
    """P(chrome) for every line of a dump, from the shipped weights (``counts``: see
    ``document_features``)."""
    weights, intercept = _weights()
    out = []
    for named in document_features(lines, verdicts, counts):
        feats = vector(named)
        z = intercept + sum(weights.get(k, 0.0) * v for k, v in feats.items())
        out.append(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))))
    return out
