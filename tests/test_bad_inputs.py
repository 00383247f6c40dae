"""The bad-input suite: a day of hostile and broken files run through the real CLI in
a subprocess. The run exits 0, every good document is an article, every bad one a
reject with a code and a readable message, nothing is lost, and the subprocess's
peak memory (its own rusage) stays under 2 GiB. Issue 15's inputs are part of the day:
lone surrogates, a JSON line nested 100,000 deep, a sitemap index, an empty JSONL file,
links and a FIFO in the inbox, a 2 GiB (sparse) sidecar."""

import gzip
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from newsflow.ingest.fetch import Response
from newsflow.ingest.warc import RawArchive
from newsflow.lake.partition import read_partition
from support.peak_rss import run_peak

pytestmark = pytest.mark.slow  # the bad-input day through the real CLI, peak RSS measured (~20 s)

DAY = "2024-05-14"
TOPICS = [
    ("Genève", "The city council of Genève approved a new tram line on Monday after a long debate"),
    ("harbour", "Dock workers in the northern harbour ended their strike after a pay agreement"),
    ("vaccine", "Health officials said the new vaccine campaign would reach rural clinics by June"),
    (
        "bridge",
        "Engineers closed the old river bridge for repairs after finding cracks in a pillar",
    ),
    ("orchestra", "The national orchestra announced a free summer concert series in public parks"),
    ("wildfire", "Firefighters contained a wildfire in the hills after three days of strong winds"),
    ("library", "The regional library reopened after renovation with a larger children's section"),
    ("election", "Voters in the province chose a new governor in a runoff decided by few votes"),
    ("rainfall", "Farmers welcomed heavy rainfall that ended a drought lasting most of the winter"),
    ("museum", "A stolen painting was returned to the museum by an anonymous collector this week"),
    ("airport", "The airport opened a second runway that will allow night flights from next year"),
    ("ferry", "A new electric ferry began service across the bay, cutting the crossing time"),
    ("school", "Teachers and parents protested against plans to merge two village schools"),
    ("market", "The covered market celebrated its centenary with a festival of local produce"),
]


def prose(i: int) -> str:
    key, lead = TOPICS[i]
    return (
        f"{lead}. Officials said the decision about the {key} followed months of talks with "
        f"residents, businesses and unions. A spokesperson added that further details about "
        f"the {key} would be published next week, and that public meetings were planned "
        f"in every district before the final vote in the autumn session."
    )


PLACES = ["Lyon", "Oslo", "Porto", "Graz", "Turku", "Brno", "Cork", "Ghent", "Split", "Bergen"]


def story(i: int) -> str:
    """Text of issue 15's documents, unlike ``prose`` so no copy of it is made."""
    place = PLACES[i]
    return (
        f"In {place}, volunteers planted {i + 3} hundred trees along the canal on Saturday. "
        f"The mayor of {place} thanked the crews and promised benches, lamps and a cycle "
        f"path for the {place} waterfront before winter, paid from the {2010 + i} budget."
    )


def html(i: int, charset: str = "utf-8") -> str:
    return (
        f"<html><head><meta charset='{charset}'><title>News {i}</title></head><body><article>"
        f"<h1>News {i}</h1><p>{prose(i)}</p></article></body></html>"
    )


def make_day(d: Path) -> tuple[set[str], set[str]]:
    """Write the day; return (good source_uris, bad source_uris)."""
    good, bad = set(), set()

    def put(name: str, data: bytes, ok: bool) -> None:
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        (good if ok else bad).add(name)

    put("good.html", html(0).encode(), True)
    put("latin-1.html", html(0, "iso-8859-1").replace("News 0", "News L1").encode("latin-1"), True)
    put("cp1252.txt", (prose(1) + " \u201cquoted\u201d \u2013 done.").encode("cp1252"), True)
    put("utf16 bom.txt", prose(2).encode("utf-16"), True)
    put("broken-utf8.txt", prose(3).encode() + b" caf\xc3 \xff\xfe end of text.", True)
    mixed = prose(4).encode("utf-8") + " Zürich café".encode("latin-1") + b" final words."
    put("mixed encodings.txt", mixed, True)
    put("Überblick Wahl 2024.txt", prose(5).encode(), True)
    put("dup one.txt", prose(6).encode(), True)
    put("dup two.txt", prose(6).encode(), True)  # a duplicate file: an article, marked duplicate

    # 100,000 nested divs: past lxml's depth limit, so no main text is found (a reject,
    # not a crash); text nested 150 deep is still found (the limit is about 255)
    def nest(depth: int) -> bytes:
        inner = "<div>" * depth + f"<p>{prose(7)}</p>" + "</div>" * depth
        return f"<html><body>{inner}</body></html>".encode()

    put("nested.html", nest(100_000), False)
    put("nested-ok.html", nest(150), True)
    put("gz ok.txt.gz", gzip.compress(prose(8).encode()), True)
    # bad ones
    put("empty.html", b"", False)
    put("empty.txt", b"   \n", False)
    put("binary.html", os.urandom(4096), False)
    blob = gzip.compress(prose(9).encode() * 50)
    put("truncated.txt.gz", blob[: len(blob) // 2], False)
    put(
        "big.html",
        b"<html><body>" + b"<p>filler text here</p>" * (50 * 1024 * 1024 // 23) + b"</body></html>",
        False,
    )
    put("gzip bomb.html.gz", gzip.compress(b" " * (60 * 1024 * 1024)), False)
    put(
        "bomb.rss",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            b'<!ENTITY a%d "%s">' % (i, (b"&a;" if i == 0 else b"&a%d;" % (i - 1)) * 10)
            for i in range(9)
        )
        + b"]><rss><channel><item><title>&a8;</title><description>&a8;</description></item></channel></rss>",
        False,
    )
    put("report.pdf", b"%PDF-1.4 binary", False)
    # JSONL: good lines between broken ones (each line is an input)
    lines = [
        json.dumps({"text": prose(10), "url": "https://ex.org/a"}),
        "{not json",
        json.dumps({"html": html(11), "url": "https://ex.org/b"}),
        '["a list"]',
        "\xff\xfe garbage",
        json.dumps({"title": "no body"}),
        json.dumps({"text": prose(12)}),
    ]
    (d / "feed.jsonl").write_bytes(
        "\n".join(lines)
        .encode("utf-8", errors="surrogateescape")
        .replace(b"\xc3\xbf\xc3\xbe", b"\xff\xfe")
    )
    good |= {"feed.jsonl#L1", "feed.jsonl#L3", "feed.jsonl#L7"}
    bad |= {"feed.jsonl#L2", "feed.jsonl#L4", "feed.jsonl#L5", "feed.jsonl#L6"}
    # WARC: an image and two HTML responses; then a copy cut inside the last record
    arch = RawArchive(d / "_w" / "dt=x" / "c.warc.gz")
    arch.record(
        "https://ex.org/img",
        Response(
            "https://ex.org/img",
            "https://ex.org/img",
            200,
            {"content-type": "image/png"},
            b"\x89PNG",
        ),
    )
    for i in (13, 0):
        arch.record(
            f"https://ex.org/w{i}",
            Response(
                f"https://ex.org/w{i}",
                f"https://ex.org/w{i}",
                200,
                {"content-type": "text/html; charset=utf-8"},
                html(i).replace(f"News {i}", f"Warc {i}").encode(),
            ),
        )
    warc = arch.commit().read_bytes()
    shutil.rmtree(d / "_w")
    put("crawl.warc.gz", warc, True)
    good.discard("crawl.warc.gz")
    good |= {"crawl.warc.gz#1", "crawl.warc.gz#2"}
    put("cut crawl.warc.gz", warc[: len(warc) - 200], True)  # inside the last HTML record
    good.discard("cut crawl.warc.gz")
    good.add("cut crawl.warc.gz#1")
    bad.add("cut crawl.warc.gz#2")  # the damaged record itself, with the bytes it has
    issue_15_inputs(d, put, good, bad)
    return good, bad


def issue_15_inputs(d: Path, put, good: set[str], bad: set[str]) -> None:
    """Surrogates, deep JSON, a sitemap index, an empty JSONL file, links, a FIFO, a
    2 GiB sidecar and pages that made clean quadratic (issue 15, items 2, 3, 6, 12, 14)."""
    # lone surrogates: a JSON escape, a sidecar title, feed character references, and
    # two file names that are not UTF-8 (stored as visible, distinct escapes)
    put(
        "surrogate.jsonl",
        json.dumps({"text": story(0).replace("volunteers", "volun\ud800teers")}).encode(),
        True,
    )
    good.discard("surrogate.jsonl")
    good.add("surrogate.jsonl#L1")
    put(
        "side title.html",
        f"<html><body><article><p>{story(1)}</p></article></body></html>".encode(),
        True,
    )
    (d / "side title.json").write_text(json.dumps({"title": "Side \ud800"}))
    put(
        "refs.rss",
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>F &#xD800;</title>'
        + b"".join(
            b"<item><title>Item %d &#xD800;</title><link>https://ex.org/f%d</link>"
            b"<description>%s &#55296;</description></item>" % (i, i, story(i).encode())
            for i in (2, 3)
        )
        + b"</channel></rss>",
        True,
    )
    good.discard("refs.rss")
    good |= {"https://ex.org/f2", "https://ex.org/f3"}  # feed text, pages not fetched
    for i, name in ((4, b"name-\xff.txt"), (5, b"name-\xfe.txt")):
        with open(os.path.join(os.fsencode(d), name), "wb") as f:
            f.write(story(i).encode())
        good.add(name.decode("utf-8", "backslashreplace"))
    # every line and every file is a row: a line nested 100,000 deep between good ones,
    # an empty JSONL file, a sitemap index (not crawled from the inbox)
    deep = '{"a":' * 100_000 + "1" + "}" * 100_000
    put(
        "deep.jsonl",
        "\n".join([json.dumps({"text": story(6)}), deep, json.dumps({"text": story(7)})]).encode(),
        True,
    )
    good.discard("deep.jsonl")
    good |= {"deep.jsonl#L1", "deep.jsonl#L3"}
    bad.add("deep.jsonl#L2")
    put("empty.jsonl", b"", False)
    put(
        "index.xml",
        b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>https://ex.org/s1.xml</loc></sitemap></sitemapindex>",
        False,
    )
    # links (out of the inbox, into it, to the worker's environment) and a FIFO: refused
    outside = d.parent.parent / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOPSECRET-file " + story(8))
    for name, target in {
        "environ.txt": "/proc/self/environ",
        "shadow.txt": "/etc/shadow",
        "outside.txt": str(outside / "secret.txt"),
        "inside.txt": str(d / "good.html"),
        "linked dir": str(outside),
    }.items():
        (d / name).symlink_to(target)
        bad.add(name)
    os.mkfifo(d / "fifo.txt")
    bad.add("fifo.txt")
    # a 2 GiB sidecar (sparse: cheap to make): not read, its page is still an article
    page = f"<html><body><article><p>{story(9)}</p></article></body></html>"
    put("huge sidecar.html", page.encode(), True)
    with open(d / "huge sidecar.json", "wb") as f:
        f.truncate(2 << 30)
    bad.add("huge sidecar.json")
    # pages that made clean quadratic (item 14): one element with 25,000 attributes
    # (1 MiB, 89 s before) and 8 MiB of <p> (26 s): refused before extraction
    attrs = " ".join(f"data-a{i}='{i:020d}'" for i in range(25_000))
    put(
        "attributes.html",
        f"<html><body><div {attrs}>{story(9)}</div></body></html>".encode(),
        False,
    )
    paragraphs = "<p>word</p>" * (8 * 1024 * 1024 // 11)
    put("paragraphs.html", f"<html><body>{paragraphs}</body></html>".encode(), False)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("bad")
    good, bad = make_day(root / "inbox" / DAY)
    lake = root / "lake"
    cmd = [
        sys.executable,
        "-m",
        "newsflow.cli",
        "run",
        "--inbox",
        str(root / "inbox"),
        "--lake",
        str(lake),
        "--day",
        DAY,
    ]
    # feed items are documents of the feed's text (no network); a secret in the
    # environment must not reach the lake through a link to /proc/self/environ
    env = {**os.environ, "NEWSFLOW_FETCH_PAGES": "false", "NEWSFLOW_TEST_SECRET": "TOPSECRET-env"}
    with open(root / "out.txt", "wb") as out, open(root / "err.txt", "wb") as err:
        rc, peak_kib = run_peak(cmd, stdout=out, stderr=err, env=env)
    return {
        "rc": rc,
        "peak_kib": peak_kib,
        "err": (root / "err.txt").read_text(),
        "lake": lake,
        "good": good,
        "bad": bad,
    }


def test_run_exits_0_and_accounts_for_every_input(run: dict) -> None:
    assert run["rc"] == 0, run["err"][-3000:]
    lake = run["lake"]
    manifest = json.loads((lake / "_runs" / f"dt={DAY}" / "manifest.json").read_text())
    arts = pd.read_parquet(lake / "articles")
    rej = pd.read_parquet(lake / "rejects")
    assert manifest["inputs"] == len(run["good"]) + len(run["bad"])
    assert manifest["checks"]["inputs_accounted_for"]
    assert set(arts.source_uri) == run["good"], (
        set(arts.source_uri) ^ run["good"],
        rej[["source_uri", "reason"]].to_dict("records"),
    )
    assert set(rej.source_uri) == run["bad"]
    assert not rej.reason.str.contains("Traceback|Error\\(", regex=True).any()
    assert rej.reason.str.match(r"^[a-z_]+: \S").all()
    codes = dict(zip(rej.source_uri, rej.reason.str.split(":").str[0], strict=True))
    assert codes["big.html"] == codes["gzip bomb.html.gz"] == "too_large"
    assert codes["bomb.rss"] == "xml_entities"
    assert codes["truncated.txt.gz"] == "bad_gzip"
    assert codes["cut crawl.warc.gz#2"] == "bad_warc"
    assert codes["nested.html"] == "no_text"
    by_uri = rej.set_index("source_uri")
    big, bomb = by_uri.loc["big.html"], by_uri.loc["gzip bomb.html.gz"]
    for name, r in (("big.html", big), ("gzip bomb.html.gz", bomb)):  # kept whole, as is
        data = (lake.parent / "inbox" / DAY / name).read_bytes()
        assert r["size"] == len(data) and r["sha256"] == hashlib.sha256(data).hexdigest()
        assert (r.bytes if pd.isna(r.raw_uri) else (lake / r.raw_uri).read_bytes()) == data
    assert big.bytes is None and big["size"] > 50 * 1024 * 1024  # out of the row
    assert by_uri.loc["feed.jsonl#L2"].bytes == b"{not json"
    # issue 15
    assert codes["deep.jsonl#L2"] == "bad_json"
    assert codes["empty.jsonl"] == "empty"
    assert codes["index.xml"] == "sitemap_index"
    assert codes["huge sidecar.json"] == "sidecar_too_large"
    assert codes["fifo.txt"] == "special_file"
    assert codes["attributes.html"] == codes["paragraphs.html"] == "too_complex"
    links = ["environ.txt", "shadow.txt", "outside.txt", "inside.txt", "linked dir"]
    assert {codes[u] for u in links} == {"symlink"}
    assert all(by_uri.loc[u].bytes == b"" for u in [*links, "fifo.txt", "huge sidecar.json"])
    cells = [v for frame in (arts, rej) for col in frame for v in frame[col]]
    assert not [
        v for v in cells if b"TOPSECRET" in (v if isinstance(v, bytes) else str(v).encode())
    ]
    by_art = arts.set_index("source_uri")
    assert by_art.loc["side title.html"].title == "Side \ufffd"
    assert "Item 3 \ufffd" in by_art.loc["https://ex.org/f3"].title
    assert "volun\ufffdteers" in by_art.loc["surrogate.jsonl#L1"].text
    mine = ["surrogate.jsonl#L1", "side title.html", "https://ex.org/f2", "https://ex.org/f3"]
    mine += ["name-\\xff.txt", "name-\\xfe.txt", "deep.jsonl#L1", "deep.jsonl#L3"]
    assert not by_art.loc[[*mine, "huge sidecar.html"]].is_duplicate.any()


def test_encodings_are_decoded(run: dict) -> None:
    arts = pd.read_parquet(run["lake"] / "articles").set_index("source_uri")
    assert "Genève" in arts.loc["latin-1.html"].text
    assert "\u201cquoted\u201d" in arts.loc["cp1252.txt"].text
    assert "vaccine" in arts.loc["utf16 bom.txt"].text
    assert arts.loc["dup two.txt"].is_duplicate != arts.loc["dup one.txt"].is_duplicate


def test_peak_memory_under_2_gib(run: dict) -> None:
    print(f"peak RSS of the CLI run: {run['peak_kib'] / 1024:.0f} MiB")
    assert 0 < run["peak_kib"] < 2 * 1024 * 1024


def _ingest_peak_kib(root: Path, files: int) -> int:
    """Peak RSS of `newsflow ingest` over ``files`` oversized random inputs (3 MiB each,
    over the 2 MiB limit, each kept whole in LAKE/_raw/rejects)."""
    inbox = root / "inbox" / DAY
    inbox.mkdir(parents=True)
    chunk = os.urandom(3 << 20)
    for i in range(files):
        (inbox / f"big-{i:03d}.html").write_bytes(chunk[i:] + chunk[:i])
    cmd = [sys.executable, "-m", "newsflow.cli", "ingest", "--day", DAY]
    cmd += ["--inbox", str(root / "inbox"), "--lake", str(root / "lake")]
    env = {**os.environ, "NEWSFLOW_MAX_INPUT_BYTES": str(2 << 20)}
    with open(root / "err.txt", "wb") as err:
        rc, peak_kib = run_peak(cmd, env=env, stderr=err)
    assert rc == 0, (root / "err.txt").read_text()[-2000:]
    rejects = read_partition(root / "lake" / "_work", "rejects_ingest", DAY)
    assert rejects.num_rows == files
    assert rejects.column("size").to_pylist() == [3 << 20] * files
    for uri in rejects.column("raw_uri").to_pylist():
        assert (root / "lake" / uri).stat().st_size == 3 << 20
    return peak_kib


def test_rejects_bytes_stream_to_disk(tmp_path: Path) -> None:
    """150 oversized inputs (450 MiB of kept reject bytes): ingest streams them to the
    lake a chunk at a time, so its memory grows by far less than their total (holding
    them all took 1.7 GiB)."""
    one = _ingest_peak_kib(tmp_path / "one", 1)
    many = _ingest_peak_kib(tmp_path / "many", 150)
    assert many - one < 150 * 1024, f"{one / 1024:.0f} MiB for 1 input, {many / 1024:.0f} for 150"
