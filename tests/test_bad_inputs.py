"""The bad-input suite: a day of hostile and broken files run through the real CLI in
a subprocess. The run exits 0, every good document is an article, every bad one a
reject with a code and a readable message, nothing is lost, and the subprocess's
peak memory (its own rusage) stays under 2 GiB."""

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from newsflow.ingest.fetch import Response
from newsflow.ingest.warc import RawArchive
from newsflow.lake.partition import read_partition

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
    return good, bad


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
    with open(root / "out.txt", "wb") as out, open(root / "err.txt", "wb") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # the child's own peak RSS, from the kernel
    return {
        "rc": os.waitstatus_to_exitcode(status),
        "peak_kib": usage.ru_maxrss,
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
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, proc.stderr.read().decode()[-2000:]
    rejects = read_partition(root / "lake" / "_work", "rejects_ingest", DAY)
    assert rejects.num_rows == files
    assert rejects.column("size").to_pylist() == [3 << 20] * files
    for uri in rejects.column("raw_uri").to_pylist():
        assert (root / "lake" / uri).stat().st_size == 3 << 20
    return usage.ru_maxrss


def test_rejects_bytes_stream_to_disk(tmp_path: Path) -> None:
    """150 oversized inputs (450 MiB of kept reject bytes): ingest streams them to the
    lake a chunk at a time, so its memory grows by far less than their total (holding
    them all took 1.7 GiB)."""
    one = _ingest_peak_kib(tmp_path / "one", 1)
    many = _ingest_peak_kib(tmp_path / "many", 150)
    assert many - one < 150 * 1024, f"{one / 1024:.0f} MiB for 1 input, {many / 1024:.0f} for 150"
