"""Main-text extraction quality of the ``clean`` stage against other extractors.

    .venv/bin/python benchmarks/extraction.py            # full run, writes the table
    .venv/bin/python benchmarks/extraction.py --only newsflow,trafilatura   # quicker

Two public benchmarks, scored side by side in one run:

* ``../shared/eval/aeb`` (Zyte/ScrapingHub Article Extraction Benchmark): every text
  becomes a multiset of 4-token shingles (tokens are ``\\w+``); per page TP/FP/FN are
  counted and normalised to sum to 1; precision and recall are averaged over pages and
  F1 = 2PR/(P+R) of those means; accuracy is the share of pages whose token sequence
  equals the truth. ± is the bootstrap standard deviation of F1 (1,000 resamples).
* ``../shared/eval/trafilatura_eval`` (trafilatura's own benchmark): per page, "with"
  snippets found in the whitespace-normalised output are TPs (missing: FNs), "without"
  snippets found are FPs; counts are summed over pages.

``newsflow`` is the real code path: the page's bytes decoded as ingestion does, a
``RawDoc``, then ``clean_document`` (a rejected page counts as empty output).

The pages are split once, by a hash of their id, into ``tune`` (2/3) and ``held-out``
(1/3); changes to the clean stage were judged on ``tune`` only, and both are reported.
Speed is pages per CPU-second of this process (``time.process_time``), which is what
"pages/s per core" means and is far less noisy than wall time on a shared machine.
Metadata (title, date) accuracy is scored on trafilatura_eval pages whose gold
metadata has them.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import json
import os
import platform
import random
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO.parent / "shared" / "eval"
RESULTS = REPO / "benchmarks" / "results"
DAY = date.today()  # the "ingest day": no page of the sets is from the future

# ---------------------------------------------------------------- data sets


@dataclass
class Page:
    id: str
    raw: bytes
    url: str | None
    truth: str = ""  # AEB article body
    with_: list[str] = field(default_factory=list)  # trafilatura_eval snippets
    without: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)


def split_of(page_id: str) -> str:
    """A fixed split: a third of the pages, chosen by hash, are never looked at when tuning."""
    h = int(hashlib.sha256(page_id.encode()).hexdigest()[:8], 16)
    return "held-out" if h % 3 == 0 else "tune"


def load_aeb(root: Path = EVAL / "aeb") -> list[Page]:
    truth = json.loads((root / "ground-truth.json").read_text("utf-8"))
    pages = []
    for pid in sorted(truth):
        raw = gzip.decompress((root / "html" / f"{pid}.html.gz").read_bytes())
        pages.append(Page(pid, raw, truth[pid].get("url"), truth=truth[pid]["articleBody"]))
    return pages


def load_trafilatura_eval(root: Path = EVAL / "trafilatura_eval") -> list[Page]:
    truth = json.loads((root / "ground-truth.json").read_text("utf-8"))
    pages = []
    for name in sorted(truth):
        t = truth[name]
        raw = gzip.decompress((root / "html" / f"{name}.gz").read_bytes())
        pages.append(
            Page(
                name,
                raw,
                t.get("url"),
                with_=t["with"],
                without=t["without"],
                meta=t.get("metadata") or {},
            )
        )
    return pages


# ---------------------------------------------------------------- metrics

_TOKEN = re.compile(r"\w+")


def _shingles(text: str, n: int = 4) -> Counter:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))


def aeb_page(truth: str, pred: str) -> tuple[float, float, float, bool]:
    """Normalised (tp, fp, fn) over 4-token shingles, and whether the tokens match exactly."""
    t, p = _shingles(truth), _shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    s = tp + fp + fn
    exact = _TOKEN.findall(truth or "") == _TOKEN.findall(pred or "")
    return (tp / s, fp / s, fn / s, exact) if s else (0.0, 0.0, 0.0, exact)


def aeb_scores(rows: list[tuple[float, float, float, bool]]) -> dict[str, float]:
    def prf(rs):
        precs = [tp / (tp + fp) if tp + fp else 0.0 for tp, fp, _, _ in rs]
        recs = [tp / (tp + fn) if tp + fn else 0.0 for tp, _, fn, _ in rs]
        p, r = sum(precs) / len(rs), sum(recs) / len(rs)
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    p, r, f1 = prf(rows)
    rng = random.Random(0)
    boot = [prf([rng.choice(rows) for _ in rows])[2] for _ in range(1000)]
    mean = sum(boot) / len(boot)
    std = (sum((b - mean) ** 2 for b in boot) / (len(boot) - 1)) ** 0.5
    acc = sum(1 for *_, e in rows if e) / len(rows)
    return {"precision": p, "recall": r, "f1": f1, "f1_std": std, "accuracy": acc}


def _ws(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def snippet_page(page: Page, pred: str) -> tuple[int, int, int, int]:
    """(tp, fn, fp, tn) of one trafilatura_eval page."""
    out = _ws(pred)
    tp = sum(1 for s in page.with_ if _ws(s) in out)
    fp = sum(1 for s in page.without if _ws(s) in out)
    return tp, len(page.with_) - tp, fp, len(page.without) - fp


def snippet_scores(rows: list[tuple[int, int, int, int]]) -> dict[str, float]:
    tp, fn, fp, tn = (sum(r[i] for r in rows) for i in range(4))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "accuracy": (tp + tn) / (tp + tn + fp + fn),
    }


# ---------------------------------------------------------------- extractors
# Each takes the page's bytes and URL and returns plain text ("" when it finds nothing).
# Each also gets a chance to return metadata: (text, title, date as YYYY-MM-DD).

Result = tuple[str, str | None, str | None]


def _decode(raw: bytes) -> str:
    from newsflow.ingest.decode import decode_bytes

    return decode_bytes(raw, html=True)


def run_newsflow(raw: bytes, url: str | None) -> Result:
    from newsflow.clean import clean_document
    from newsflow.records import RawDoc

    html = _decode(raw)
    out = clean_document(RawDoc("page.html", "html", html, raw, url=url), day=DAY, min_words=0)
    if not isinstance(out, dict):
        return "", None, None
    pub = out["published_at"]
    return out["text"], out["title"], pub.date().isoformat() if pub else None


def run_trafilatura(raw: bytes, url: str | None, **options) -> Result:
    import trafilatura

    doc = trafilatura.bare_extraction(raw, url=url, with_metadata=True, **options)
    if doc is None:
        return "", None, None
    return doc.text or "", doc.title, doc.date


def run_readability(raw: bytes, url: str | None) -> Result:
    import lxml.html
    from readability import Document

    doc = Document(raw, url=url)
    summary = doc.summary(html_partial=True)
    if not summary.strip():
        return "", doc.short_title(), None
    tree = lxml.html.fromstring(summary)
    return _block_text(tree), doc.short_title(), None


def _block_text(tree) -> str:
    """Text of an lxml tree with one line per block element."""
    for el in tree.iter(
        "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "blockquote", "pre"
    ):
        el.tail = "\n" + (el.tail or "")
    return "\n".join(line.strip() for line in tree.text_content().split("\n") if line.strip())


_JUSTEXT_STOPLIST = None


def run_justext(raw: bytes, url: str | None) -> Result:
    import justext

    global _JUSTEXT_STOPLIST
    if _JUSTEXT_STOPLIST is None:  # every language's stop words, as trafilatura's fallback does
        _JUSTEXT_STOPLIST = frozenset().union(
            *(justext.get_stoplist(lang) for lang in justext.get_stoplists())
        )
    paras = justext.justext(raw, _JUSTEXT_STOPLIST)
    return "\n".join(p.text for p in paras if not p.is_boilerplate), None, None


def run_resiliparse(raw: bytes, url: str | None) -> Result:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    html = bytes_to_str(raw, detect_encoding(raw))
    text = extract_plain_text(
        html, main_content=True, alt_texts=False, links=False, list_bullets=True
    )
    return text, None, None


EXTRACTORS: dict[str, tuple[str, Callable[[bytes, str | None], Result]]] = {
    "newsflow": ("newsflow clean stage (`clean_document`)", run_newsflow),
    "trafilatura": ("trafilatura defaults", run_trafilatura),
    "trafilatura-precision": (
        "trafilatura `favor_precision=True`",
        lambda raw, url: run_trafilatura(raw, url, favor_precision=True),
    ),
    "readability-lxml": ("readability-lxml", run_readability),
    "justext": ("jusText (all stoplists)", run_justext),
    "resiliparse": ("Resiliparse `main_content=True`", run_resiliparse),
}
VERSIONS = {
    "newsflow": "newsflow",
    "trafilatura": "trafilatura",
    "trafilatura-precision": "trafilatura",
    "readability-lxml": "readability-lxml",
    "justext": "justext",
    "resiliparse": "resiliparse",
}


def extract_all(name: str, pages: list[Page]) -> tuple[list[Result], float]:
    """Outputs for every page and the CPU seconds they took (one process, one core).

    One page is extracted first, untimed: the first call imports the extractor and loads
    its stop lists and models, a cost a long-running clean stage pays once, not per page.
    """
    fn = EXTRACTORS[name][1]
    outs: list[Result] = []
    cpu = 0.0
    if pages:
        with contextlib.suppress(Exception):
            fn(pages[0].raw, pages[0].url)
    for page in pages:
        start = time.process_time()
        try:
            res = fn(page.raw, page.url)
        except Exception as e:  # an extractor crashing on a page scores as empty output
            print(f"  {name} failed on {page.id}: {type(e).__name__}: {e}", file=sys.stderr)
            res = ("", None, None)
        cpu += time.process_time() - start
        outs.append(res)
    return outs, cpu


# ---------------------------------------------------------------- metadata


def _norm_title(t: str | None) -> str:
    return " ".join(_TOKEN.findall((t or "").casefold()))


def metadata_scores(pages: list[Page], outs: list[Result]) -> dict[str, float]:
    """Title: token-exact match with the gold title; date: same calendar day.

    A page counts only when its gold metadata has the field. For dates, a missing
    prediction is wrong too (coverage) but "precision" counts only pages with one.
    """
    t_ok = t_n = d_ok = d_n = d_pred = 0
    for page, (_, title, day) in zip(pages, outs, strict=True):
        gold_t, gold_d = page.meta.get("title"), page.meta.get("date")
        if gold_t:
            t_n += 1
            t_ok += _norm_title(title) == _norm_title(gold_t)
        if gold_d:
            d_n += 1
            if day:
                d_pred += 1
                d_ok += day[:10] == gold_d[:10]
    return {
        "title_acc": t_ok / t_n if t_n else 0.0,
        "title_n": t_n,
        "date_acc": d_ok / d_n if d_n else 0.0,
        "date_precision": d_ok / d_pred if d_pred else 0.0,
        "date_n": d_n,
    }


# ---------------------------------------------------------------- report


def _fmt(x: float) -> str:
    return f"{x:.3f}"


def run(names: list[str], datasets: list[str]) -> dict:
    warnings.filterwarnings("ignore")
    import logging

    logging.disable(logging.CRITICAL)  # trafilatura and readability are chatty on bad pages
    data = {}
    if "aeb" in datasets:
        data["aeb"] = load_aeb()
    if "trafilatura_eval" in datasets:
        data["trafilatura_eval"] = load_trafilatura_eval()
    results: dict = {"extractors": {}, "pages": {k: len(v) for k, v in data.items()}}
    for name in names:
        entry: dict = {"label": EXTRACTORS[name][0]}
        cpu_total = n_total = 0
        for ds, pages in data.items():
            t0 = time.perf_counter()
            outs, cpu = extract_all(name, pages)
            cpu_total += cpu
            n_total += len(pages)
            splits = {"all": range(len(pages))}
            for s in ("tune", "held-out"):
                splits[s] = [i for i, p in enumerate(pages) if split_of(p.id) == s]
            if ds == "aeb":
                rows = [aeb_page(p.truth, o[0]) for p, o in zip(pages, outs, strict=True)]
                entry[ds] = {s: aeb_scores([rows[i] for i in idx]) for s, idx in splits.items()}
            else:
                rows = [snippet_page(p, o[0]) for p, o in zip(pages, outs, strict=True)]
                entry[ds] = {s: snippet_scores([rows[i] for i in idx]) for s, idx in splits.items()}
                entry["metadata"] = {
                    s: metadata_scores([pages[i] for i in idx], [outs[i] for i in idx])
                    for s, idx in splits.items()
                }
            entry[ds]["pages_per_cpu_s"] = len(pages) / cpu if cpu else 0.0
            print(
                f"{name:22s} {ds:17s} F1 {entry[ds]['all']['f1']:.3f} "
                f"(tune {entry[ds]['tune']['f1']:.3f}, held-out {entry[ds]['held-out']['f1']:.3f})  "
                f"{len(pages) / cpu:6.1f} pages/CPU-s  wall {time.perf_counter() - t0:5.1f}s",
                flush=True,
            )
        entry["pages_per_cpu_s"] = n_total / cpu_total if cpu_total else 0.0
        results["extractors"][name] = entry
    return results


def markdown(results: dict) -> str:
    ex = results["extractors"]
    vers = {}
    for name in ex:
        try:
            vers[name] = version(VERSIONS[name])
        except Exception:
            vers[name] = "?"
    lines = [
        "# Extraction quality",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores (shared; speed is pages per "
        "CPU-second of one process, so it does not depend on the other load). "
        f"Pages: {', '.join(f'{k} {v}' for k, v in results['pages'].items())}. "
        "Command: `.venv/bin/python benchmarks/extraction.py`.",
        "",
    ]
    if any("aeb" in e for e in ex.values()):
        lines += [
            "## AEB (ScrapingHub Article Extraction Benchmark, 181 pages)",
            "",
            "Shingle precision/recall/F1 as the benchmark defines them; ± is the bootstrap std of F1.",
            "",
            "| extractor | version | F1 | ± | precision | recall | accuracy | F1 tune | F1 held-out | pages/CPU-s |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, e in ex.items():
            if "aeb" not in e:
                continue
            a = e["aeb"]["all"]
            lines.append(
                f"| {e['label']} | {vers[name]} | **{_fmt(a['f1'])}** | {_fmt(a['f1_std'])} | "
                f"{_fmt(a['precision'])} | {_fmt(a['recall'])} | {_fmt(a['accuracy'])} | "
                f"{_fmt(e['aeb']['tune']['f1'])} | {_fmt(e['aeb']['held-out']['f1'])} | "
                f"{e['aeb']['pages_per_cpu_s']:.1f} |"
            )
        lines.append("")
    if any("trafilatura_eval" in e for e in ex.values()):
        lines += [
            "## trafilatura_eval (990 pages, with/without snippets)",
            "",
            "| extractor | version | F1 | precision | recall | accuracy | F1 tune | F1 held-out | pages/CPU-s |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name, e in ex.items():
            if "trafilatura_eval" not in e:
                continue
            a = e["trafilatura_eval"]["all"]
            lines.append(
                f"| {e['label']} | {vers[name]} | **{_fmt(a['f1'])}** | {_fmt(a['precision'])} | "
                f"{_fmt(a['recall'])} | {_fmt(a['accuracy'])} | "
                f"{_fmt(e['trafilatura_eval']['tune']['f1'])} | "
                f"{_fmt(e['trafilatura_eval']['held-out']['f1'])} | "
                f"{e['trafilatura_eval']['pages_per_cpu_s']:.1f} |"
            )
        lines += [
            "",
            "## Metadata on trafilatura_eval (pages whose gold metadata has the field)",
            "",
            "Title: same tokens as the gold title, case-insensitive. Date: same day as the gold "
            'date; "precision" counts only pages where the extractor gave a date. Extractors '
            "without metadata are left out.",
            "",
            "| extractor | title acc (all) | title acc (held-out) | date acc (all) | date precision (all) | date acc (held-out) |",
            "|---|---|---|---|---|---|",
        ]
        for e in ex.values():
            m = e.get("metadata")
            if not m or (m["all"]["title_acc"] == 0 and m["all"]["date_acc"] == 0):
                continue
            a, h = m["all"], m["held-out"]
            lines.append(
                f"| {e['label']} | {_fmt(a['title_acc'])} (n={a['title_n']}) | {_fmt(h['title_acc'])} | "
                f"{_fmt(a['date_acc'])} (n={a['date_n']}) | {_fmt(a['date_precision'])} | {_fmt(h['date_acc'])} |"
            )
        lines.append("")
    lines += [
        "## Speed over both sets",
        "",
        "| extractor | pages/CPU-s (both sets) |",
        "|---|---|",
    ]
    lines += [f"| {e['label']} | {e['pages_per_cpu_s']:.1f} |" for e in ex.values()]
    lines.append("")
    if "newsflow" in ex and "trafilatura" in ex:
        ratio = ex["trafilatura"]["pages_per_cpu_s"] / ex["newsflow"]["pages_per_cpu_s"]
        lines += [
            f"The clean stage costs {ratio:.2f}× trafilatura alone per page (CPU time; it runs "
            "trafilatura, readability-lxml on pages where trafilatura found little or left "
            "long paragraphs out, the paragraphs only readability or trafilatura's port of "
            "it found, the page-level choice when trafilatura's text is not the article, "
            "text normalisation, chrome rules and language detection).",
            "",
        ]
    return "\n".join(lines)


README = REPO / "docs" / "quality.md"  # the page with the extraction table
README_START = "<!-- extraction-table:start -->"
README_END = "<!-- extraction-table:end -->"


def summary(results: dict) -> str:
    """The short table the README shows: F1 (precision/recall) per set, and speed."""
    lines = [
        "| extractor | AEB F1 (P / R) | trafilatura_eval F1 (P / R) | pages/CPU-s |",
        "|---|---|---|---|",
    ]
    for name, e in results["extractors"].items():
        cells = []
        for ds in ("aeb", "trafilatura_eval"):
            a = e.get(ds, {}).get("all")
            cells.append(
                f"{_fmt(a['f1'])} ({_fmt(a['precision'])} / {_fmt(a['recall'])})" if a else "–"
            )
        label = f"**{e['label']}**" if name == "newsflow" else e["label"]
        lines.append(f"| {label} | {cells[0]} | {cells[1]} | {e['pages_per_cpu_s']:.1f} |")
    return "\n".join(lines)


def update_readme(results: dict, readme: Path = README) -> bool:
    """Replace the table between the README's markers; False when they are missing."""
    text = readme.read_text("utf-8")
    if README_START not in text or README_END not in text:
        return False
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    run_line = f"Last run: {datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores."
    body = f"{README_START}\n{run_line}\n\n{summary(results)}\n{README_END}"
    readme.write_text(head + body + tail, "utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma-separated extractors (default: all)")
    ap.add_argument("--datasets", default="aeb,trafilatura_eval")
    ap.add_argument("--out", default=str(RESULTS / "extraction.md"), help="Markdown table")
    ap.add_argument(
        "--no-readme", action="store_true", help="do not update the README's table (partial runs)"
    )
    args = ap.parse_args(argv)
    names = args.only.split(",") if args.only else list(EXTRACTORS)
    unknown = set(names) - set(EXTRACTORS)
    if unknown:
        ap.error(f"unknown extractors: {', '.join(sorted(unknown))}")
    results = run(names, args.datasets.split(","))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(markdown(results), "utf-8")
    out.with_suffix(".json").write_text(json.dumps(results, indent=1), "utf-8")
    print(f"wrote {out}")
    full = set(names) == set(EXTRACTORS) and len(results["pages"]) == 2
    if full and not args.no_readme and update_readme(results):
        print(f"updated the table in {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
