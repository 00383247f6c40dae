"""Feed and sitemap parsing on the real-world and broken feeds of ../shared/eval/feeds
(skipped without it) and on self-written ones, and the XML-bomb guard. No page is
fetched here (items become documents of their feed text), so nothing leaves the machine."""

import json
import resource
import shutil
import time
from pathlib import Path

import pytest
from newsflow.ingest import iter_inbox
from newsflow.ingest.feeds import FeedError, parse_feed, parse_sitemap, xml_kind
from newsflow.records import RawDoc, Reject
from support import EVAL

FEEDS = EVAL / "feeds"


def _bomb(levels: int = 10) -> bytes:
    ents = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, levels)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{ents}]><rss version="2.0"><channel>'
        f"<title>t</title><item><title>&l{levels - 1};</title><link>http://a.example/</link>"
        "<description>x</description></item></channel></rss>"
    ).encode()


@pytest.mark.shared
def test_every_shared_feed_is_read_and_every_item_accounted_for(tmp_path: Path) -> None:
    manifest = json.loads((FEEDS / "manifest.json").read_text())
    for f in manifest:
        dest = tmp_path / f["file"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FEEDS / f["file"], dest)
    out: dict[str, list[RawDoc | Reject]] = {}
    for rec in iter_inbox(tmp_path):
        out.setdefault(rec.source_uri.split("#")[0], []).append(rec)
    tried = sum(max(f["entries"], 1) for f in manifest)
    assert sum(map(len, out.values())) == tried  # 35 files, 477 items + 4 empty/non-feeds
    for f in manifest:
        recs = out[f["file"]]
        if f["entries"] == 0:  # not a feed, or a feed without items: one reject, bytes kept
            (r,) = recs
            assert isinstance(r, Reject) and r.code in {"bad_feed", "empty_feed"}, f["file"]
            assert r.raw == (FEEDS / f["file"]).read_bytes()
        else:  # malformed feeds too: what feedparser recovers is kept
            assert len(recs) == f["entries"], f["file"]
    docs = [r for rs in out.values() for r in rs if isinstance(r, RawDoc)]
    rejects = [r for rs in out.values() for r in rs if isinstance(r, Reject)]
    assert len(docs) == 356 and len(docs) + len(rejects) == tried
    assert {r.code for r in rejects} == {"no_content", "bad_feed", "empty_feed"}
    # items with a link but no text of their own (Science's RDF feed lists titles only)
    # wait for their page; without fetching they are rejects that keep the item
    science = out["rss-parser/rss-1.rss"]
    assert {r.code for r in science} == {"no_content"}
    assert json.loads(science[0].raw)["url"].startswith("http")
    guardian = [d for d in out["rss-parser/guardian.rss"] if isinstance(d, RawDoc)]
    assert all(d.url.startswith("https://www.theguardian.com/") for d in guardian)
    assert all(d.published_at is not None and d.title for d in guardian)
    # declared ISO-8859-1 and windows-1251 feeds are decoded, not mojibake
    pt = " ".join(d.title or "" for d in out["rss-parser/encoding.rss"] if isinstance(d, RawDoc))
    assert "ã" in pt or "ç" in pt
    ru = " ".join(d.title or "" for d in out["node-feedparser/compressed.xml"])
    assert any("\u0400" <= ch <= "\u04ff" for ch in ru)  # gzip bytes named .xml, Cyrillic


def test_billion_laughs_is_refused_without_expanding(tmp_path: Path) -> None:
    (tmp_path / "bomb.rss").write_bytes(_bomb())
    (tmp_path / "bomb16.xml").write_bytes(_bomb().decode().encode("utf-16"))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    recs = list(iter_inbox(tmp_path))
    assert time.perf_counter() - t < 2
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB
    assert [(r.source_uri, r.code) for r in recs] == [
        ("bomb.rss", "xml_entities"), ("bomb16.xml", "xml_entities"),
    ]  # fmt: skip
    assert recs[0].raw == _bomb()
    with pytest.raises(FeedError, match="entities"):
        parse_sitemap(b'<!DOCTYPE u [<!ENTITY a "b">]><urlset><url><loc>&a;</loc></url></urlset>')


def _rss(n: int) -> bytes:
    """A small RSS 2.0 feed of n items (self-written)."""
    items = "".join(
        f"<item><title>Harbour story {i}</title><link>https://news.example/h/{i}</link>"
        f"<description>Dockworkers walked out, part {i}.</description></item>"
        for i in range(n)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Times</title>'
        f"<link>https://news.example/</link><description>d</description>{items}</channel></rss>"
    ).encode()


def test_feed_detected_by_content_and_sitemap_kinds() -> None:
    rss = _rss(4)
    assert xml_kind(rss) == "feed"
    assert xml_kind(b"<?xml version='1.0'?><urlset xmlns='x'/>") == "sitemap"
    assert xml_kind(b"<html><body>hi</body></html>") is None
    items, title = parse_feed(rss, "https://example.org/feed")
    assert title == "Harbour Times" and len(items) == 4
    index = (
        b"<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        b"<sitemap><loc>/s1.xml</loc></sitemap></sitemapindex>"
    )
    assert parse_sitemap(index, "https://example.org/") == ([], ["https://example.org/s1.xml"])
    with pytest.raises(FeedError, match="no URLs"):
        parse_sitemap(b"<urlset/>")
