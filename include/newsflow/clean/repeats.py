"""Lines that recur across the documents of one source: cross-document chrome evidence.

A site's menus, consent banners, author bios, mastheads and footers recur on its pages;
its articles' paragraphs do not. Wording alone cannot tell a bio or a consent sentence
of a site never trained on from a closing paragraph, but its recurrence can. The clean
stage's planner counts, per source, in how many of the day's text dumps each line, its
template and its frame occur, and in how many of their short lines each word a site
fills into its chrome occurs (crc32 keys in one numpy array: up to 4 keys of 8 bytes
per line of a dump and one per distinct word of its short lines, no text kept) and
saves the counts beside the work files, so every shard sees the same counts and any
shard count gives the same articles; each document then gets the counts of its own
lines (``LineEvidence``) and the line model sees them as features. A document cleaned
alone gets none and is judged as before.
"""

from __future__ import annotations

import io
import json
import posixpath
import unicodedata
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from newsflow.clean.linemodel import affix_keys, line_key, prose_line, template_key, word_keys
from newsflow.clean.urls import domain
from newsflow.clean.words import count_words


@dataclass(frozen=True)
class LineCounts:
    """What a source's other documents say about each line of one document, as the
    line model and its decisions take it (``LineEvidence.counted``); a document
    cleaned alone has none (None where one is asked for)."""

    repeats: list[int]  # in how many of the ``others`` each line occurs
    others: int  # other documents of the source that were counted
    templates: list[int] | None = None  # the same for the lines' templates
    affixes: list[int] | None = None  # for their first or last words, the more frequent
    site_words: list[tuple[int, int] | None] | None = None  # ``LineEvidence.site_words``


@dataclass(frozen=True)
class LineEvidence:
    """In how many other documents of the same source each line of one document occurs."""

    # line_key, template or affix key -> other documents holding it (0s left out)
    counts: dict[int, int]
    documents: int  # other documents of the source that were counted

    def counted(self, lines: list[str]) -> LineCounts:
        """Every count the line model takes, for the lines of one document."""
        return LineCounts(
            self.repeats(lines),
            self.documents,
            self.templates(lines),
            self.affixes(lines),
            self.site_words(lines),
        )

    def repeats(self, lines: list[str]) -> list[int]:
        return [self.counts.get(line_key(line), 0) for line in lines]

    def templates(self, lines: list[str]) -> list[int]:
        """The same for the lines' templates (``linemodel.template_key``)."""
        keys = [template_key(line) for line in lines]
        return [0 if k is None else self.counts.get(k, 0) for k in keys]

    def affixes(self, lines: list[str]) -> list[int]:
        """The same for the lines' first or last words (``linemodel.affix_keys``), the
        more frequent of the two."""
        keys = [affix_keys(line) for line in lines]
        return [0 if k is None else max(self.counts.get(x, 0) for x in k) for k in keys]

    def site_words(self, lines: list[str]) -> list[tuple[int, int] | None]:
        """Per short line, the quarters of its words (``linemodel.word_keys``) that
        the short lines of at least one, and of at least two, other documents hold."""
        out: list[tuple[int, int] | None] = []
        for line in lines:
            keys = word_keys(line)
            if keys is None:
                out.append(None)
                continue
            counts = [self.counts.get(k, 0) for k in keys]
            one = 4 * sum(c >= 1 for c in counts) // len(counts)
            two = 4 * sum(c >= 2 for c in counts) // len(counts)
            out.append((one, two))
        return out


def source_key(kind: str, url: str | None, source: str | None, uri: str = "") -> str | None:
    """Which documents count as one site's for line repetition: text dumps (an HTML
    page's chrome is left to the extractor) of the same source, or else of the same
    domain, or else from the same folder of the inbox (``uri``: the document's
    ``source_uri``, a path under the day's folder: one site's dumps dropped together);
    None when none of these is known."""
    if kind == "html":
        return None
    if source:
        return source
    if url and domain(url):
        return domain(url)
    folder = posixpath.dirname(uri) if "://" not in uri else ""
    return f"folder:{folder}" if folder else None


def _lines(text: str) -> list[str]:
    """``chrome.split_lines(metadata.normalise_text(text, keep_breaks=True))`` without ftfy's mojibake
    repair, which is most of its cost (1.3 of 1.7 ms a dump): the lines differ only
    where ftfy changes one, and such a line just goes uncounted."""
    from newsflow.clean.chrome import split_lines

    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return split_lines("\n".join(" ".join(x.split()) for x in text.split("\n")))


def dump_keys(text: str) -> set[int]:
    """The keys of a text dump's lines, split as ``chrome.strip_chrome`` splits them,
    of their templates, of their first and last words and of the words of its short
    lines (``linemodel.word_keys``)."""
    lines = _lines(text)
    templates = {template_key(line) for line in lines}
    affixes = {k for line in lines for k in affix_keys(line) or ()}
    words = {k for line in lines for k in word_keys(line) or ()}
    keys = {line_key(line) for line in lines} | {k for k in templates if k is not None}
    return keys | affixes | words


@dataclass
class SourceLines:
    """Per source, in how many of the documents added each line occurs.

    ``add`` every document first, then ask for ``evidence``: keys are packed with the
    source's number into one uint64 array and counted once, by sorting. One read back by
    ``load`` only answers.
    """

    _sources: dict[str, int] = field(default_factory=dict)
    _docs: Counter[int] = field(default_factory=Counter)
    _packed: array = field(default_factory=lambda: array("Q"))
    _keys: np.ndarray | None = None
    _counts: np.ndarray | None = None

    def add(self, source: str, text: str) -> None:
        sid = self._sources.setdefault(source, len(self._sources))
        self._docs[sid] += 1
        self._packed.extend((sid << 32) | k for k in dump_keys(text))
        self._keys = None

    def _counted(self) -> tuple[np.ndarray, np.ndarray]:
        if self._keys is None or self._counts is None:
            self._keys, self._counts = np.unique(
                np.frombuffer(self._packed, dtype=np.uint64), return_counts=True
            )
        return self._keys, self._counts

    def save(self, path: Path) -> None:
        """Write the counts (``load`` reads them back) to ``path``, a local or object
        store path."""
        keys, counts = self._counted()
        names = sorted(self._sources, key=self._sources.__getitem__)
        buf = io.BytesIO()
        np.savez(
            buf,
            keys=keys,
            counts=counts.astype(np.uint32),
            docs=np.array([self._docs[self._sources[n]] for n in names], dtype=np.uint32),
            sources=np.frombuffer(json.dumps(names).encode(), dtype=np.uint8),
        )
        with path.open("wb") as f:
            f.write(buf.getvalue())

    @classmethod
    def load(cls, path: Path) -> SourceLines:
        with path.open("rb") as f:
            data = np.load(io.BytesIO(f.read()))
        names = json.loads(data["sources"].tobytes().decode())
        out = cls(_sources={n: i for i, n in enumerate(names)})
        out._docs.update({i: int(n) for i, n in enumerate(data["docs"])})
        out._keys, out._counts = data["keys"], data["counts"].astype(np.int64)
        return out

    def evidence(self, source: str, text: str) -> LineEvidence | None:
        """The counts for ``text`` (one of the documents added), without itself; None
        when its source had no other document."""
        sid = self._sources.get(source)
        if sid is None or self._docs[sid] < 2:
            return None
        counted, counts_of = self._counted()
        keys = sorted(dump_keys(text))
        packed = np.array([(sid << 32) | k for k in keys], dtype=np.uint64)
        at = np.searchsorted(counted, packed).clip(0, max(0, len(counted) - 1))
        found = counted[at] == packed if len(counted) else np.zeros(len(keys), dtype=bool)
        counts = np.where(found, counts_of[at] if len(counted) else 1, 1) - 1  # not itself
        return LineEvidence(
            {k: int(c) for k, c in zip(keys, counts, strict=True) if c > 0},
            self._docs[sid] - 1,
        )


# A line on at least this many of the source's other pages (a paragraph of prose: the
# second figure, a follow-up story may reuse a background paragraph once or twice),
# and on half of them, is the site's boilerplate whatever its wording ...
RECUR_MIN = 2
RECUR_MIN_PROSE = 3
# ... unless more than this share of the page's prose paragraphs recur too: the page is
# an updated version of another (a live blog's hourly versions), its text recurs as well.
NEAR_COPY = 1 / 2
# A line whose template (its lower-case words, ``linemodel.template_key``) is on at
# least this many of the source's other pages, filled there with other names, places or
# topics than its own (the template recurs on more pages than the line), is the site's
# too: an author bio the site prints for each of its authors, a "X is a reporter at Y
# covering Z" line. Two: one other page could be an article quoting the same sentence.
TEMPLATE_MIN = 2
# A short line of at most this many words, each of which the site prints in the short
# lines of at least two of its other pages (``LineEvidence.site_words`` (4, 4)), is
# the site's: its name, sections and labels in another combination ("Ouest Matin
# 2019", "TRIBUNE EXPRESS - Sport"); an article's subheading names its own subject.
SITE_WORDS_MAX = 6


def _mostly_recurring(counts: list[int], prose: list[bool]) -> bool:
    """Whether over NEAR_COPY of a page's prose lines recur (``counts``: on how many
    other pages each line, or its template, is)."""
    recur = [c > 0 for c, p in zip(counts, prose, strict=True) if p]
    return bool(recur) and sum(recur) > NEAR_COPY * len(recur)


def boilerplate(lines: list[str], counts: LineCounts) -> list[bool]:
    """Which lines recur on so many of the source's other pages that they are its
    boilerplate (menus, banners, bios, footers): the line model leaves them out.
    ``counts.templates``: a line whose template recurs filled
    with other words (TEMPLATE_MIN) is boilerplate too, unless over NEAR_COPY of the
    page's prose recurs by template: a site writing its articles from templates
    (results, earnings, weather) fills the same sentences on every page.
    ``counts.site_words``: a short line made only of words the short lines of two or
    more other pages hold is boilerplate too (SITE_WORDS_MAX)."""
    repeats, others, templates = counts.repeats, counts.others, counts.templates
    site_words = counts.site_words
    prose = [prose_line(line) for line in lines]
    if _mostly_recurring(repeats, prose):
        return [False] * len(lines)
    out = [
        r >= (RECUR_MIN_PROSE if p else RECUR_MIN) and 2 * r >= others
        for r, p in zip(repeats, prose, strict=True)
    ]
    if site_words is not None:
        out = [
            b or (w == (4, 4) and count_words(line) <= SITE_WORDS_MAX)
            for b, w, line in zip(out, site_words, lines, strict=True)
        ]
    if templates is None:
        return out
    if _mostly_recurring(templates, prose):
        return out
    return [
        b or (t >= TEMPLATE_MIN and t > r) for b, t, r in zip(out, templates, repeats, strict=True)
    ]
