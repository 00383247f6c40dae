"""A seeded synthetic syndication corpus: originals, republished copies, hard negatives.

Copies are made the way republishing makes them, each with a random mix of:
a new headline line, page chrome and ad lines inserted between paragraphs, a trimmed
ending (only the first 45-95 % of the paragraphs), a few edited words (typos, house
style, a changed number), typography (curly quotes, case, line breaks), a different
byline and a "This story was first published by ..." note.

Hard negatives (different texts that must stay in different clusters):
* boilerplate siblings: different articles of one publisher that share a long block
  (about 90 words of footer, disclaimers and a newsletter blurb),
* same-topic events: a second event written from the first one's template with other
  names, places, numbers and a third of the other words changed.

Text is made of a Zipf-distributed vocabulary of pseudo-words, so shingle statistics
look like prose (frequent short phrases, rare long ones) without any fetched data.
``gold`` is the original's id for an original and its copies, so pairwise precision
and recall of a dedup clustering can be computed against it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

CHROME = [
    "Advertisement",
    "Share this article",
    "Read more: the week in pictures",
    "Subscribe to our newsletter for the latest updates",
    "Sponsored content",
    "Continue reading below",
    "Follow us on social media",
]


@dataclass
class Doc:
    doc_id: str
    gold: str
    kind: str  # original, copy, boilerplate, same_topic
    text: str
    published_at: datetime
    url: str


class Generator:
    def __init__(self, seed: int = 7, vocab: int = 20_000) -> None:
        self.rng = random.Random(seed)
        self.np = np.random.default_rng(seed)
        syll = ["ka", "to", "ri", "mo", "an", "el", "su", "ne", "di", "pa", "lo", "ve", "us", "im"]
        words: set[str] = set()
        while len(words) < vocab:
            words.add("".join(self.rng.choice(syll) for _ in range(self.rng.randint(1, 4))))
        self.vocab = sorted(words)
        ranks = np.arange(1, vocab + 1)
        self.cdf = np.cumsum(1 / ranks**1.07)
        self.cdf /= self.cdf[-1]
        self.boiler = [self._paragraph(90) for _ in range(20)]  # one per publisher

    def _words(self, n: int) -> list[str]:
        idx = np.minimum(np.searchsorted(self.cdf, self.np.random(n)), len(self.vocab) - 1)
        return [self.vocab[i] for i in idx]

    def _paragraph(self, n: int) -> str:
        out, words = [], self._words(n)
        while words:
            k = self.rng.randint(8, 22)
            sent, words = words[:k], words[k:]
            out.append(" ".join(sent).capitalize() + ".")
        return " ".join(out)

    def original(self) -> list[str]:
        n = int(self.np.lognormal(np.log(380), 0.45))
        n = max(80, min(n, 2_500))
        paras, left = [], n
        while left > 0:
            k = min(left, self.rng.randint(25, 70))
            paras.append(self._paragraph(k))
            left -= k
        return paras

    def copy(self, paras: list[str]) -> str:
        r = self.rng
        out = list(paras)
        if r.random() < 0.5:  # trimmed ending
            keep = max(2, int(len(out) * r.uniform(0.45, 0.95)))
            out = out[:keep]
        if r.random() < 0.6:  # edits: typos, house style, changed numbers
            words = "\n".join(out).split(" ")
            for _ in range(max(1, int(len(words) * r.uniform(0.002, 0.02)))):
                i = r.randrange(len(words))
                words[i] = r.choice([words[i][:-1] or words[i], self.vocab[r.randrange(2000)]])
            out = " ".join(words).split("\n")
        for _ in range(r.randint(0, 3)):  # ads and chrome lines between paragraphs
            out.insert(r.randint(0, len(out)), r.choice(CHROME))
        if r.random() < 0.7:  # a new headline
            out.insert(0, self._paragraph(r.randint(6, 12)).rstrip("."))
        if r.random() < 0.4:
            out.append(f"This story was first published by {r.choice(self.vocab).title()} News.")
        text = "\n".join(out)
        if r.random() < 0.3:
            text = text.replace(". ", ".\n")
        if r.random() < 0.2:
            text = text.upper()
        return text

    def same_topic(self, paras: list[str]) -> str:
        """Another event told from the same template: a third of the words changed."""
        words = "\n".join(paras).split(" ")
        for i in range(len(words)):
            if self.rng.random() < 0.33:
                words[i] = self.vocab[self.rng.randrange(len(self.vocab))]
        return " ".join(words)

    def corpus(self, n: int, copy_share: float = 0.4, negative_share: float = 0.15) -> list[Doc]:
        """``n`` documents; about ``copy_share`` of them copies of an original."""
        docs: list[Doc] = []
        t0 = datetime(2024, 5, 14, tzinfo=UTC)
        k = 0
        while len(docs) < n:
            k += 1
            oid = f"o{k:07d}"
            paras = self.original()
            when = t0 + timedelta(minutes=self.rng.randint(0, 1_400))
            kind = "original"
            roll = self.rng.random()
            if roll < negative_share / 2:
                paras = [*paras, self.boiler[k % len(self.boiler)]]  # shares a long block
                kind = "boilerplate"
            docs.append(
                Doc(oid, oid, kind, "\n".join(paras), when, f"https://wire{k % 50}.example/{oid}")
            )
            if negative_share / 2 <= roll < negative_share and len(docs) < n:
                sid = f"s{k:07d}"
                docs.append(
                    Doc(
                        sid,
                        sid,
                        "same_topic",
                        self.same_topic(paras),
                        when,
                        f"https://x.example/{sid}",
                    )
                )
            n_copies = int(self.np.geometric(1 - copy_share)) - 1
            for c in range(n_copies):
                if len(docs) >= n:
                    break
                later = when + timedelta(minutes=self.rng.randint(1, 600))
                docs.append(
                    Doc(
                        f"{oid}-c{c}",
                        oid,
                        "copy",
                        self.copy(paras),
                        later,
                        f"https://farm{c}.example/{oid}",
                    )
                )
        order = list(range(len(docs)))
        self.rng.shuffle(order)
        return [docs[i] for i in order[:n]]
