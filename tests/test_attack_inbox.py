"""Issue 15, items 2, 3, 6 and 12: hostile inbox inputs.

Lone surrogates (JSON escapes, feed character references, undecodable file names) are
one article or one reject each, never a failed day; every file and every line is one
row; links and special files in the inbox are refused unread; sidecars are capped.
The CLI runs in a subprocess where the issue speaks of exit codes, leaks or peak RSS.
"""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from newsflow.clean import clean_document
from newsflow.ingest import iter_inbox
from newsflow.ingest.feeds import parse_feed, parse_sitemap
from newsflow.lake import schema
from newsflow.lake.partition import read_partition
from newsflow.records import RawDoc, Reject
from support.peak_rss import run_peak

DAY = "2024-05-14"
SURROGATE = re.compile("[\ud800-\udfff]")
WORDS = [
    "council",
    "tram",
    "harbour",
    "vaccine",
    "bridge",
    "orchestra",
    "wildfire",
    "library",
    "election",
    "rainfall",
    "museum",
    "airport",
    "ferry",
    "school",
    "market",
    "river",
    "valley",
    "mountain",
    "island",
    "station",
]


def prose(i: int) -> str:
    """A distinct paragraph of about 40 words for document ``i``."""
    key = WORDS[i % len(WORDS)]
    return (
        f"Report {i}: the {key} plan was approved on Monday after a long debate. Officials "
        f"said the decision about the {key} followed months of talks with residents, "
        f"businesses and unions, and that public meetings were planned in every district "
        f"before the final vote in the autumn session of {2000 + i}."
    )


def page(i: int, extra: str = "") -> str:
    return (
        f"<html><head><title>News {i}{extra}</title></head><body><article>"
        f"<h1>News {i}</h1><p>{prose(i)}{extra}</p></article></body></html>"
    )


def cli(root: Path, command: str, **env: str) -> tuple[int, int, str]:
    """Run ``newsflow <command>`` on ``root/inbox`` and ``root/lake``; (exit code, peak
    RSS in KiB of the child, stderr)."""
    cmd = [sys.executable, "-m", "newsflow.cli", command, "--day", DAY]
    cmd += ["--inbox", str(root / "inbox"), "--lake", str(root / "lake")]
    full_env = {**os.environ, "NEWSFLOW_FETCH_PAGES": "false", **env}
    with open(root / "err.txt", "wb") as err:
        rc, peak_kib = run_peak(cmd, env=full_env, stderr=err)
    return rc, peak_kib, (root / "err.txt").read_text()


def work(root: Path, table: str) -> pd.DataFrame:
    return read_partition(root / "lake" / "_work", table, DAY).to_pandas()


# --- item 2: lone surrogates -------------------------------------------------------


def test_records_make_every_text_field_storable() -> None:
    """Construction and later assignment both go through the one sanitiser; names keep a
    visible, distinct escape, text gets U+FFFD; the rows are valid for Parquet."""
    doc = RawDoc("a\udcff.txt", "text", "body \ud800", b"", url="https://e.x/\udfff")
    doc.title, doc.source, doc.authors = "t \ud800", "s \udbff", ["A \ud800", "B"]
    assert doc.source_uri == "a\\udcff.txt"
    assert (doc.content, doc.title, doc.authors) == ("body \ufffd", "t \ufffd", ["A \ufffd", "B"])
    assert not SURROGATE.search(doc.url + doc.source)
    rej = Reject("x\ud800", "ingest", "bad_json", "msg \udc80", b"\xff")
    assert (rej.source_uri, rej.message, rej.raw) == ("x\\ud800", "msg \ufffd", b"\xff")
    pa.Table.from_pylist([rej.row()], schema=schema.REJECTS)


def test_clean_cannot_emit_a_surrogate() -> None:
    """Character references to surrogates in a page become U+FFFD in the article."""
    html = page(1, " &#xD800; &#55296; &#xDFFF;").replace("<title>", "<title>&#xD800; ")
    row = clean_document(
        RawDoc("p.html", "html", html, b"", title="\ud800 T"), day=date(2024, 5, 14)
    )
    assert isinstance(row, dict)
    texts = [v for v in row.values() if isinstance(v, str)] + list(row["authors"])
    assert not [t for t in texts if SURROGATE.search(t)]
    assert "\ufffd" in row["text"]


def _feed(items: list[str]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>https://ex.org/{n}</link>"
        f"<description>{prose(n)} {t}</description></item>"
        for n, t in enumerate(items, start=1)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>{body}</channel></rss>'.encode()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_feed_and_sitemap_with_surrogate_references_keep_every_item(encoding: str) -> None:
    raw = _feed(["bad &#xD800; &#55296;", "good", "also &#x110000; &#0;"])
    if encoding != "utf-8":
        raw = raw.decode().replace('version="1.0"', 'version="1.0" encoding="utf-16"')
        raw = raw.encode(encoding)
    items, _ = parse_feed(raw)
    assert [i.url for i in items] == ["https://ex.org/1", "https://ex.org/2", "https://ex.org/3"]
    assert items[0].title == "bad \ufffd \ufffd"
    assert json.loads(items[0].raw())["title"] == "bad \ufffd \ufffd"
    smap = (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://ex.org/a&#xD800;</loc></url><url><loc>https://ex.org/b</loc></url>"
        b"</urlset>"
    )
    urls, _ = parse_sitemap(smap)
    assert [u.url for u in urls] == ["https://ex.org/a\ufffd", "https://ex.org/b"]


@pytest.mark.slow
def test_surrogates_anywhere_are_one_row_each_not_a_failed_day(tmp_path: Path) -> None:
    """The full CLI run: it used to exit 1 on every retry ("surrogates not allowed")."""
    d = tmp_path / "inbox" / DAY
    d.mkdir(parents=True)
    lines = [
        {
            "text": prose(0).replace("debate", "de\ud800bate"),
            "title": "T \udfff",
            "url": "https://ex.org/j\ud800",
        },
        {"text": prose(1), "authors": ["A \ud800"], "source": "S \udc80"},
        {"text": "\ud800"},  # nothing but a surrogate: too short after cleaning
    ]
    (d / "s.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    (d / "side.html").write_text(page(2))
    (d / "side.json").write_text(json.dumps({"title": "Side \ud800", "url": "https://e.x/\ud800"}))
    (d / "refs.html").write_text(page(3, " &#xD800; &#55296;"))
    (d / "feed.rss").write_bytes(_feed(["x &#xD800; y", "good item", "z"]))
    for b in (b"name-\xff.txt", b"name-\xfe.txt"):  # not UTF-8; must stay two documents
        with open(os.path.join(os.fsencode(d), b), "wb") as f:
            f.write(prose(10 + b[-5]).encode())
    rc, _, err = cli(tmp_path, "run")
    assert rc == 0, err[-3000:]
    arts = pd.read_parquet(tmp_path / "lake" / "articles")
    rej = pd.read_parquet(tmp_path / "lake" / "rejects")
    manifest = json.loads((tmp_path / "lake" / "_runs" / f"dt={DAY}" / "manifest.json").read_text())
    assert set(arts.source_uri) == {
        "s.jsonl#L1", "s.jsonl#L2", "side.html", "refs.html", "https://ex.org/1",
        "https://ex.org/2", "https://ex.org/3", "name-\\xff.txt", "name-\\xfe.txt",
    }, rej.to_dict("records")  # fmt: skip
    assert list(rej.source_uri) == ["s.jsonl#L3"]
    assert manifest["inputs"] == len(arts) + len(rej) == 10
    by = arts.set_index("source_uri")
    assert by.loc["side.html"].title == "Side \ufffd"
    assert "de\ufffdbate" in by.loc["s.jsonl#L1"].text
    assert by.loc["s.jsonl#L1"].url == "https://ex.org/j\ufffd"
    assert "x \ufffd y" in by.loc["https://ex.org/1"].title


# --- item 3: every file and every line is a row ------------------------------------


def test_deep_jsonl_lines_empty_files_and_sitemap_indexes_are_rows(tmp_path: Path) -> None:
    deep_obj = '{"a":' * 100_000 + "1" + "}" * 100_000
    deep_list = "[" * 100_000 + "]" * 100_000
    lines = [json.dumps({"text": prose(0)}), deep_obj, json.dumps({"text": prose(1)})]
    (tmp_path / "deep.jsonl").write_text("\n".join([*lines, deep_list, json.dumps({"text": "x"})]))
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "blank.jsonl").write_bytes(b"\n  \n")
    (tmp_path / "empty.warc").write_bytes(b"")
    (tmp_path / "index.xml").write_bytes(
        b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>https://ex.org/s1.xml</loc></sitemap>"
        b"<sitemap><loc>https://ex.org/s2.xml</loc></sitemap></sitemapindex>"
    )
    items = {i.source_uri: i for i in iter_inbox(tmp_path)}
    codes = {u: (i.code if isinstance(i, Reject) else "doc") for u, i in items.items()}
    assert codes == {
        "deep.jsonl#L1": "doc", "deep.jsonl#L2": "bad_json", "deep.jsonl#L3": "doc",
        "deep.jsonl#L4": "bad_json", "deep.jsonl#L5": "doc", "empty.jsonl": "empty",
        "blank.jsonl": "empty", "empty.warc": "empty", "index.xml": "sitemap_index",
    }  # fmt: skip
    assert "deep" in items["deep.jsonl#L2"].message
    assert "2 sitemaps" in items["index.xml"].message
    assert "sources.txt" in items["index.xml"].message


# --- item 6: links and special files -----------------------------------------------


@pytest.mark.slow
def test_links_and_special_files_are_refused_unread(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOPSECRET-outside " + prose(5))
    (outside / "meta.json").write_text(json.dumps({"title": "TOPSECRET-title"}))
    os.mkfifo(outside / "pipe")
    d = tmp_path / "inbox" / DAY
    d.mkdir(parents=True)
    (d / "good.txt").write_text(prose(1))
    (d / "page.html").write_text(page(2))
    links = {
        "environ.txt": "/proc/self/environ",
        "shadow.txt": "/etc/shadow",
        "outside.txt": str(outside / "secret.txt"),
        "inside.txt": str(d / "good.txt"),
        "relative.txt": "../../outside/secret.txt",
        "dirlink": str(outside),
        "pipe.txt": str(outside / "pipe"),
        "page.json": str(outside / "meta.json"),  # a linked sidecar
    }
    for name, target in links.items():
        (d / name).symlink_to(target)
    os.mkfifo(d / "fifo.txt")
    rc, _, err = cli(tmp_path, "ingest", NEWSFLOW_TEST_SECRET="TOPSECRET-environ")
    assert rc == 0, err[-3000:]
    docs, rej = work(tmp_path, "ingested"), work(tmp_path, "rejects_ingest")
    assert set(docs.source_uri) == {"good.txt", "page.html"}
    codes = dict(zip(rej.source_uri, rej.reason.str.split(":").str[0], strict=True))
    assert codes == {**dict.fromkeys(links, "symlink"), "fifo.txt": "special_file"}
    assert (rej.bytes.str.len() == 0).all()
    cells = [v for frame in (docs, rej) for col in frame for v in frame[col]]
    leaked = [v for v in cells if b"TOPSECRET" in (v if isinstance(v, bytes) else str(v).encode())]
    assert not leaked


def test_symlinked_day_folder_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.txt").write_text(prose(1))
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / DAY).symlink_to(elsewhere)
    rc, _, err = cli(tmp_path, "ingest")
    assert rc == 1
    assert "symbolic link" in err and "Traceback" not in err
    assert not (tmp_path / "lake" / "_work" / "ingested").exists()


def test_linked_sources_list_is_refused_without_echoing_it(tmp_path: Path) -> None:
    (tmp_path / "shadow").write_text("root:$6$TOPSECRET-hash:19000:0:99999:7:::\n")
    d = tmp_path / "inbox" / DAY
    d.mkdir(parents=True)
    (d / "sources.txt").symlink_to(tmp_path / "shadow")
    rc, _, err = cli(tmp_path, "ingest")
    assert rc == 1 and "symbolic link" in err
    assert "TOPSECRET" not in err


# --- item 12: sidecars are capped ---------------------------------------------------


@pytest.mark.slow
def test_oversized_sidecar_is_not_read_and_the_page_is_kept(tmp_path: Path) -> None:
    """A sparse 2 GiB sidecar costs no memory; the page is ingested without it and the
    sidecar is a reject saying why; a broken sidecar likewise."""
    d = tmp_path / "inbox" / DAY
    d.mkdir(parents=True)
    for i, name in enumerate(("huge", "broken", "fine")):
        (d / f"{name}.html").write_text(page(i))
    with open(d / "huge.json", "wb") as f:
        f.write(b'{"title": "Huge"')
        f.truncate(2 << 30)
    (d / "broken.json").write_text('{"title": "Broken"')
    (d / "fine.json").write_text(json.dumps({"title": "Fine"}))
    rc, peak_kib, err = cli(tmp_path, "ingest")
    print(f"peak RSS of `newsflow ingest` with a 2 GiB sidecar: {peak_kib / 1024:.0f} MiB")
    assert rc == 0, err[-3000:]
    assert peak_kib < 512 * 1024
    docs = work(tmp_path, "ingested").set_index("source_uri")
    assert sorted(docs.index) == ["broken.html", "fine.html", "huge.html"]
    assert docs.title.fillna("-").to_dict() == {
        "broken.html": "-",
        "fine.html": "Fine",
        "huge.html": "-",
    }
    rej = work(tmp_path, "rejects_ingest").set_index("source_uri")
    assert rej.reason.str.split(":").str[0].to_dict() == {
        "huge.json": "sidecar_too_large",
        "broken.json": "bad_sidecar",
    }
    assert "ingested without" in rej.loc["huge.json"].reason
    assert rej.loc["huge.json"].bytes == b""
    assert rej.loc["broken.json"].bytes == b'{"title": "Broken"'
