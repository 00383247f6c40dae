"""A seeded corpus of realistic news pages for the pipeline benchmark.

Article bodies are paragraphs of real news prose (the ECB+ corpus in
``../shared/eval/story_clusters``, CC BY 3.0, read at run time, never copied into
the repo), recombined so that every original page is a different text; page chrome
(navigation, sidebars, related-headline lists, footers, inline scripts and styles)
comes from a dozen site templates written here, so pages weigh what real ones do.
A share of the pages are syndicated copies of earlier ones, the way republishing
makes them: same body under another site's chrome and headline, a trimmed ending,
or an inserted ad line, and sometimes the same URL with tracking parameters.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

ECB = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "eval"
    / "story_clusters"
    / "ecbplus_stories.jsonl"
)
SITES = [
    "dailyherald", "morningpost", "citywire", "globalobserver", "newsline", "theledger",
    "metrotimes", "coastalgazette", "capitalreport", "northernstar", "valleyvoice", "urbanecho",
]  # fmt: skip
SECTIONS = ["World", "Politics", "Business", "Tech", "Science", "Sport", "Culture", "Opinion"]


@dataclass(frozen=True)
class Page:
    name: str
    html: str
    meta: dict
    kind: str  # original, exact, trimmed, ad, same_url
    original: str | None


def _paragraphs(limit: int | None = None) -> tuple[list[str], list[str]]:
    """Paragraphs of 2-3 sentences, and headlines, from the ECB+ texts."""
    paras: list[str] = []
    titles: list[str] = []
    with open(ECB, encoding="utf-8") as f:
        for n, line in enumerate(f):
            if limit and n >= limit:
                break
            row = json.loads(line)
            titles.append(row["title"].strip())
            sents = [s.strip() for s in row["text"].split("\n")[1:] if len(s.split()) >= 5]
            for i in range(0, len(sents), 3):
                chunk = " ".join(sents[i : i + 3])
                if len(chunk.split()) >= 20:
                    paras.append(chunk)
    return paras, titles


def _chrome(rng: random.Random, site: str, titles: list[str]) -> tuple[str, str]:
    """Header and footer of one site's page: navigation, sidebar, scripts."""
    nav = "".join(
        f'<li><a href="/{s.lower()}/{i}">{s} {i}</a></li>'
        for i in range(rng.randint(3, 8))
        for s in SECTIONS
    )
    related = "".join(
        f'<li><a href="/story/{rng.randrange(10**6)}">{escape(rng.choice(titles))}</a></li>'
        for _ in range(rng.randint(6, 14))
    )
    script = "var cfg = " + json.dumps(
        {f"k{i}": rng.random() for i in range(rng.randint(800, 2400))}
    )
    style = "".join(
        f".c{i}{{margin:{i % 7}px;color:#{i:06x}}}" for i in range(rng.randint(300, 900))
    )
    head = (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><style>{style}</style>"
        f"<script>{script}</script>"
    )
    top = (
        f"<body><header><div class='logo'>{site.title()}</div><nav><ul>{nav}</ul></nav>"
        "<div class='cookie'>We use cookies to improve your experience. Accept all</div></header>"
    )
    bottom = (
        f"<aside><h3>Most read</h3><ol>{related}</ol></aside>"
        f"<footer><ul>{nav}</ul><p>© 2024 {site.title()} Media. All rights reserved.</p></footer>"
        "</body></html>"
    )
    return head, top + "|" + bottom


def _page(rng, site, title, paras, published, titles) -> tuple[str, dict]:
    head, chrome = _chrome(rng, site, titles)
    top, bottom = chrome.split("|", 1)
    body = "".join(f"<p>{escape(p)}</p>" for p in paras)
    html = (
        f"{head}<title>{escape(title)} | {site.title()}</title>"
        f'<meta property="article:published_time" content="{published.isoformat()}"></head>'
        f"{top}<main><article><h1>{escape(title)}</h1>"
        f"<p class='byline'>By Staff Reporter</p>{body}</article></main>{bottom}"
    )
    return html, {"published_at": published.isoformat(), "source": f"{site}.example"}


def generate(
    n: int, *, seed: int = 7, copy_share: float = 0.2, day: str = "2024-05-14"
) -> Iterator[Page]:
    """``n`` pages, about ``copy_share`` of them copies of earlier pages, one at a time
    (a 100k-page corpus is ~7 GB of HTML: it is never held in memory at once)."""
    rng = random.Random(seed)
    paras, titles = _paragraphs()
    base = datetime.fromisoformat(day).replace(tzinfo=UTC)
    originals: list[tuple[str, str, list[str], str]] = []  # name, url, body, title
    for i in range(n):
        site = rng.choice(SITES)
        published = base - timedelta(minutes=rng.randrange(3 * 24 * 60))
        if originals and rng.random() < copy_share:
            orig_name, orig_url, body, title = rng.choice(originals)
            kind = rng.choice(["exact", "exact", "trimmed", "ad", "same_url"])
            if kind == "trimmed":
                body = body[: max(2, len(body) - rng.randint(1, 2))]
            elif kind == "ad":
                body = [*body[:2], "Advertisement", *body[2:]]
            url = orig_url + "?utm_source=feed" if kind == "same_url" else None
            title = title if kind == "same_url" else rng.choice(titles)
            html, meta = _page(rng, site, title, body, published, titles)
            meta["url"] = url or f"https://{site}.example/{rng.choice(SECTIONS).lower()}/{i:07d}"
            yield Page(f"p{i:07d}", html, meta, kind, orig_name)
            continue
        body = rng.sample(paras, rng.randint(5, 10))
        title = rng.choice(titles)
        html, meta = _page(rng, site, title, body, published, titles)
        meta["url"] = f"https://{site}.example/{rng.choice(SECTIONS).lower()}/{i:07d}"
        originals.append((f"p{i:07d}", meta["url"], body, title))
        yield Page(f"p{i:07d}", html, meta, "original", None)


def write_inbox(pages: Iterable[Page], inbox: Path, day: str = "2024-05-14") -> Path:
    """Write pages (+ sidecars) as ``inbox/<day>/``, and ``truth.jsonl``; returns the day
    folder."""
    d = inbox / day
    d.mkdir(parents=True, exist_ok=True)
    with open(inbox / "truth.jsonl", "w", encoding="utf-8") as truth:
        for p in pages:
            (d / f"{p.name}.html").write_text(p.html, encoding="utf-8")
            (d / f"{p.name}.json").write_text(json.dumps(p.meta), encoding="utf-8")
            truth.write(json.dumps({"name": p.name, "kind": p.kind, "original": p.original}))
            truth.write("\n")
    return d


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("n", type=int)
    ap.add_argument("inbox", type=Path)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    d = write_inbox(generate(args.n, seed=args.seed), args.inbox)
    size = sum(f.stat().st_size for f in d.glob("*.html"))
    print(f"{args.n} pages, {size / args.n / 1024:.0f} KiB average, in {d}")


if __name__ == "__main__":
    main()
