"""Issue 15, the fetch side: an attacker's responses and an operator's refetch against the
real fetcher and the real ingest stage, with HTTP servers on 127.0.0.1.

- refetch must not send saved validators, and an all-"304" run never empties a published
  day (item 1);
- the SSRF guard judges the IPv4 address every IPv6 form embeds (item 9);
- compressed bodies are capped once decoded, and only the codings asked for are taken
  (item 11, peak RSS of the CLI measured in a subprocess);
- one ``max_source_urls`` budget for the day, whatever the route (item 15);
- a killed fetch's temp WARC is cleaned by the next ingest of the day (item 16).
"""

from __future__ import annotations

import gzip
import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pandas as pd
import pytest
from newsflow import stages
from newsflow.config import load_settings
from newsflow.ingest.fetch import Fetcher, FetchError, check_address
from newsflow.lake.partition import read_partition
from support.httpfaults import FaultServer, Handler, page
from support.peak_rss import run_peak

DAY = "2024-05-14"
FAST = dict(
    fetch_allow_networks=["127.0.0.1/32"],
    http_timeout_seconds=2.0,
    http_deadline_seconds=20.0,
    http_retries=0,
    http_backoff_seconds=0.05,
    per_host_delay_seconds=0.0,
    min_words=5,
)


class _Handler(Handler):
    """The fault server's paths, and bodies sent with no Content-Length (to the end of
    the connection), so only the reader's own cap can stop them."""

    def do_GET(self) -> None:
        if self.path == "/stream/empty-gzip-members":  # 40 MB that decode to nothing
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Encoding", "gzip")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(gzip.compress(b"") * 20_000)
            except OSError:
                pass
            return
        super().do_GET()


@pytest.fixture(scope="module")
def server():
    with FaultServer() as srv:
        srv.RequestHandlerClass = _Handler
        yield srv


def _code(fetcher: Fetcher, url: str, **kw: object) -> str:
    with pytest.raises(FetchError) as e:
        fetcher.fetch(url, **kw)
    assert e.value.message and "Traceback" not in e.value.message
    return e.value.code


# --- item 9: the SSRF guard and IPv6 forms that embed an IPv4 address -------------------

EMBEDDED = [
    "64:ff9b::a9fe:a9fe",  # NAT64 of the metadata address 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b:1::a9fe:a9fe",  # local-use NAT64 prefix (RFC 8215)
    "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:c0a8:101::",  # 6to4 of 192.168.1.1
    "::a9fe:a9fe",  # IPv4-compatible ::169.254.169.254
    "::7f00:1",  # IPv4-compatible ::127.0.0.1
    "::ac10:1",  # IPv4-compatible ::172.16.0.1
    "::ffff:a9fe:a9fe",  # IPv4-mapped 169.254.169.254
    "::ffff:7f00:1",  # IPv4-mapped 127.0.0.1
    "::ffff:a00:1",  # IPv4-mapped 10.0.0.1
    "::ffff:0:a9fe:a9fe",  # IPv4-translated (SIIT) 169.254.169.254
    "::ffff:c000:1",  # IPv4-mapped 192.0.0.1
    "64:ff9b::c000:aa",  # NAT64 of 192.0.0.170
]
V4_SPECIAL = ["192.0.0.1", "192.0.0.8", "192.0.0.170", "192.0.0.200", "192.0.0.255"]


@pytest.mark.parametrize("host", [f"[{a}]" for a in EMBEDDED] + V4_SPECIAL)
def test_ssrf_guard_refuses_embedded_and_special_addresses(host: str) -> None:
    with pytest.raises(FetchError) as e:
        check_address(f"http://{host}/latest/meta-data/", [])
    assert e.value.code == "blocked_address"


@pytest.mark.parametrize("host", ["[64:ff9b::808:808]", "[2002:808:808::1]", "8.8.8.8"])
def test_ssrf_guard_lets_public_embedded_addresses_pass(host: str) -> None:
    """NAT64 and 6to4 of a public address reach a public host: not refused."""
    check_address(f"http://{host}/", [])


def test_ssrf_guard_applies_to_every_redirect_hop(server: FaultServer, tmp_path: Path) -> None:
    """The allow-listed 127.0.0.1 redirects to each embedded form: every hop is refused
    before a connection is made. (``::ffff:127.0.0.1`` is the allow-listed host itself;
    NAT64 or 6to4 of it goes through a translator elsewhere, so is refused.)"""
    with Fetcher(load_settings(environ={}, **FAST), state_dir=tmp_path) as f:
        for n, addr in enumerate(a for a in EMBEDDED if a != "::ffff:7f00:1"):
            url = server.route(
                f"/hop-{n}", b"", status=302, Location=f"http://[{addr}]/latest/meta-data/"
            )
            assert _code(f, url) == "blocked_address", addr


# --- item 11: compressed bodies are capped once decoded; only asked-for codings --------

GIB = 1 << 30


def gzip_bomb(size: int) -> bytes:
    """A valid gzip body of ``size`` zero bytes (2 GiB: 2 MB), built in a second: a block
    compressed after a full flush does not refer back, so it can be repeated."""
    block = bytes(1 << 24)
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    seg = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    end = c.flush()[:-8]  # final block; the trailer is rewritten for the whole body
    crc = 0
    for _ in range(size // len(block)):
        crc = zlib.crc32(block, crc)
    return head + seg * (size // len(block) - 1) + end + struct.pack("<II", crc, size % (1 << 32))


def brotli_bomb(size: int) -> bytes:
    """``size`` zero bytes as brotli (2 GiB: 3 KB), compressed a chunk at a time."""
    import brotli

    c, block = brotli.Compressor(quality=5), bytes(1 << 22)
    return b"".join([c.process(block) for _ in range(size // len(block))] + [c.finish()])


@pytest.fixture(scope="module")
def bombs(server: FaultServer) -> dict[str, str]:
    html = "text/html; charset=utf-8"
    body = page("encoded")
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    return {
        "gzip_bomb": server.route("/bomb-gzip", gzip_bomb(2 * GIB), html, Content_Encoding="gzip"),
        "br_bomb": server.route("/bomb-br", brotli_bomb(2 * GIB), html, Content_Encoding="br"),
        "gzip": server.route("/enc-gzip", gzip.compress(body), html, Content_Encoding="gzip"),
        "gzip2": server.route(
            "/enc-gzip-members",
            gzip.compress(body[:50]) + gzip.compress(body[50:]),
            html,
            Content_Encoding="x-gzip",
        ),
        "deflate": server.route(
            "/enc-deflate", zlib.compress(body), html, Content_Encoding="deflate"
        ),
        "raw_deflate": server.route(
            "/enc-raw-deflate",
            raw_deflate.compress(body) + raw_deflate.flush(),
            html,
            Content_Encoding="deflate",
        ),
        "empty_members": f"{server.base}/stream/empty-gzip-members",
        "identity": server.route("/enc-identity", body, html, Content_Encoding="identity"),
        "stacked": server.route(
            "/enc-stacked",
            gzip.compress(gzip.compress(body)),
            html,
            Content_Encoding="gzip, gzip",
        ),
        "zstd": server.route("/enc-zstd", b"(\xb5/\xfd" + body, html, Content_Encoding="zstd"),
        "bad_gzip": server.route(
            "/enc-bad-gzip", b"\x1f\x8b" + b"junk" * 50, html, Content_Encoding="gzip"
        ),
    }


def test_codings_asked_for_are_decoded_others_refused(bombs: dict, tmp_path: Path) -> None:
    """(The cap is over the bomb's 2 MB, so its Content-Length does not stop it first.)"""
    s = load_settings(environ={}, **{**FAST, "http_max_bytes": 4 << 20})
    with Fetcher(s, state_dir=tmp_path) as f:
        for name in ("gzip", "gzip2", "deflate", "raw_deflate", "identity"):
            assert f.fetch(bombs[name]).body == page("encoded"), name
        with pytest.raises(FetchError, match="more than 4194304 bytes once gzip-decoded"):
            f.fetch(bombs["gzip_bomb"])
        with pytest.raises(FetchError, match="more than 4194304 bytes; cut off"):
            f.fetch(bombs["empty_members"])  # decodes to nothing: the wire is capped too
        for name in ("br_bomb", "stacked", "zstd", "bad_gzip"):
            assert _code(f, bombs[name]) == "bad_encoding", name
        with pytest.raises(FetchError, match="'br'.*only 'gzip, deflate' was asked for"):
            f.fetch(bombs["br_bomb"])


def _ingest_child(root: Path, urls: list[str]) -> tuple[int, int, str]:
    """`newsflow ingest` of a day listing ``urls``, in a subprocess: its exit code, its
    own peak RSS (KiB, from the kernel) and its stderr."""
    inbox = root / "inbox" / DAY
    inbox.mkdir(parents=True)
    (inbox / "sources.txt").write_text("".join(f"url {u}\n" for u in urls))
    env = {**os.environ}
    env.update({f"NEWSFLOW_{k.upper()}": str(v) for k, v in FAST.items()})
    env["NEWSFLOW_FETCH_ALLOW_NETWORKS"] = '["127.0.0.1/32"]'
    cmd = [sys.executable, "-m", "newsflow.cli", "ingest", "--day", DAY]
    cmd += ["--inbox", str(root / "inbox"), "--lake", str(root / "lake")]
    with open(root / "err.txt", "wb") as err:
        rc, peak_kib = run_peak(cmd, env=env, stderr=err)
    return rc, peak_kib, (root / "err.txt").read_text()


@pytest.mark.slow
def test_decompression_bombs_cost_no_memory(server: FaultServer, bombs: dict, tmp_path) -> None:
    """A 2 MB gzip body expanding to 2 GiB and a 3 KB br body expanding to 2 GiB (br not
    asked for) become rejects, and the ingest's peak RSS stays within 64 MiB of the same
    ingest of one plain page (the br one alone peaked at 4.3 GB before)."""
    plain = f"{server.base}/ok/plain"
    rc, base_kib, err = _ingest_child(tmp_path / "base", [plain])
    assert rc == 0, err[-2000:]
    rc, peak_kib, err = _ingest_child(
        tmp_path / "bombs", [bombs["gzip_bomb"], bombs["br_bomb"], plain]
    )
    assert rc == 0, err[-2000:]
    print(f"peak RSS: {base_kib / 1024:.0f} MiB plain, {peak_kib / 1024:.0f} MiB with the bombs")
    assert peak_kib - base_kib < 64 * 1024
    rejects = read_partition(tmp_path / "bombs" / "lake" / "_work", "rejects_ingest", DAY)
    codes = {r["source_uri"]: r["reason"] for r in rejects.to_pylist()}
    assert codes[bombs["gzip_bomb"]].startswith("too_large: ")
    assert "gzip-decoded" in codes[bombs["gzip_bomb"]]
    assert codes[bombs["br_bomb"]].startswith("bad_encoding: ")


# --- item 1: a refetch fetches; an all-304 run never empties a published day -----------


def _rss(base: str, paths: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Story {p}</title><link>{base}{p}</link>"
        f"<description>Summary of {p}</description></item>"
        for p in paths
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Quay Post</title>'
        f"<link>{base}/</link>{items}</channel></rss>"
    ).encode()


def _feed_day(server: FaultServer, tmp_path: Path, name: str, **kw: object):
    """A day whose only source is a feed with an ETag (its two pages on the server),
    run through every stage: 2 articles published."""
    feed = server.route(
        f"/{name}.xml",
        _rss(server.base, [f"/ok/{name}-1", f"/ok/{name}-2"]),
        "application/rss+xml",
        ETag=f'"{name}-v1"',
    )
    inbox = tmp_path / "inbox" / DAY
    inbox.mkdir(parents=True)
    (inbox / "sources.txt").write_text(f"feed {feed}\n")
    opts = dict(inbox=str(tmp_path / "inbox"), lake=str(tmp_path / "lake"), **FAST, **kw)
    s = load_settings(environ={}, **opts)
    stages.run(s, DAY)
    assert len(pd.read_parquet(tmp_path / "lake" / "articles")) == 2
    return feed, opts


def _warc(tmp_path: Path) -> Path:
    return tmp_path / "lake" / "_raw" / "fetch" / f"dt={DAY}" / "fetch.warc.gz"


@pytest.mark.slow
def test_refetch_ignores_saved_validators(server: FaultServer, tmp_path: Path) -> None:
    """NEWSFLOW_REFETCH=true fetched with the saved ETag, got 304 and published an empty
    day over the good one; now it fetches the feed and its pages anew."""
    feed, opts = _feed_day(server, tmp_path, "refetch")
    hits = server.hits["/refetch.xml"]
    again = load_settings(environ={"NEWSFLOW_REFETCH": "true"}, **opts)
    assert again.refetch
    res = stages.run(again, DAY)
    assert server.hits["/refetch.xml"] == hits + 1
    assert res[0].counts["inputs"] == 2 and "unchanged" not in res[0].counts
    assert len(pd.read_parquet(tmp_path / "lake" / "articles")) == 2
    # the new raw WARC holds the pages: a plain rerun replays them, no request
    replay = stages.run(load_settings(environ={}, **opts), DAY)
    assert replay[0].counts["replayed"] == 1 and replay[0].counts["requests"] == 0
    assert len(pd.read_parquet(tmp_path / "lake" / "articles")) == 2


@pytest.mark.slow
def test_all_not_modified_never_empties_a_published_day(
    server: FaultServer, tmp_path: Path
) -> None:
    """The day's raw WARC is gone, so a rerun asks the feed again with its saved ETag:
    304. Ingest fails naming the day and the fix; the published day and the work files
    are untouched; refetch=true then restores the day and its raw WARC."""
    feed, opts = _feed_day(server, tmp_path, "lost")
    lake = tmp_path / "lake"
    before = pd.read_parquet(lake / "articles")
    _warc(tmp_path).unlink()
    s = load_settings(environ={}, **opts)
    with pytest.raises(RuntimeError, match=f"{DAY}.*304 Not Modified.*refetch=true"):
        stages.run(s, DAY)
    pd.testing.assert_frame_equal(pd.read_parquet(lake / "articles"), before)
    assert not _warc(tmp_path).exists()  # no WARC of 304s was swapped in
    assert not list((lake / "_raw" / "fetch").glob("_tmp/*"))
    stages.run(load_settings(environ={}, **{**opts, "refetch": True}), DAY)
    assert len(pd.read_parquet(lake / "articles")) == 2 and _warc(tmp_path).is_file()


@pytest.mark.slow
def test_refetch_answered_304_keeps_the_day_and_its_raw_warc(
    server: FaultServer, tmp_path: Path
) -> None:
    """A server that answers 304 even to a plain GET: the refetch fails, and the previous
    raw WARC (the only copy of the pages) is kept, byte for byte."""
    feed, opts = _feed_day(server, tmp_path, "stuck")
    lake = tmp_path / "lake"
    before, warc = pd.read_parquet(lake / "articles"), _warc(tmp_path).read_bytes()
    server.route("/stuck.xml", b"", "application/rss+xml", status=304)
    with pytest.raises(RuntimeError, match="not replacing"):
        stages.run(load_settings(environ={}, **{**opts, "refetch": True}), DAY)
    assert _warc(tmp_path).read_bytes() == warc
    pd.testing.assert_frame_equal(pd.read_parquet(lake / "articles"), before)
    # and the untouched WARC still replays the day
    stages.run(load_settings(environ={}, **opts), DAY)
    pd.testing.assert_frame_equal(pd.read_parquet(lake / "articles"), before)


@pytest.mark.slow
def test_new_day_with_nothing_new_is_still_fine(server: FaultServer, tmp_path: Path) -> None:
    """The guard protects published days only: the next day's 304 is "nothing new"."""
    feed, opts = _feed_day(server, tmp_path, "nextday")
    nxt = "2024-05-15"
    (tmp_path / "inbox" / nxt).mkdir()
    (tmp_path / "inbox" / nxt / "sources.txt").write_text(f"feed {feed}\n")
    r = stages.run(load_settings(environ={}, **opts), nxt, ("ingest",))[0]
    assert r.counts["inputs"] == 0 and r.counts["unchanged"] == 1


# --- item 16: a killed fetch's temp WARC is cleaned by the next ingest of the day ------


def test_killed_fetch_leaves_no_temp_warc(server: FaultServer, tmp_path: Path) -> None:
    """SIGKILL while a page is still dripping in: the temp WARC stays behind. The next
    ingest of that day removes it (under the day's lock); another day's temp file, which
    may belong to a live run, is left alone."""
    inbox, lake = tmp_path / "inbox", tmp_path / "lake"
    (inbox / DAY).mkdir(parents=True)
    (inbox / DAY / "sources.txt").write_text(f"url {server.base}/drip\nurl {server.base}/ok/k1\n")
    env = {**os.environ, "NEWSFLOW_FETCH_ALLOW_NETWORKS": '["127.0.0.1/32"]'}
    env.update({"NEWSFLOW_PER_HOST_DELAY_SECONDS": "0", "NEWSFLOW_HTTP_DEADLINE_SECONDS": "60"})
    # both pages in flight at once: with one request per host the drip (listed first)
    # takes the host, and the temp WARC (opened at the first record) only appears when
    # the drip ends -- the race that once let the ingest finish before the kill in CI
    env["NEWSFLOW_PER_HOST_CONCURRENCY"] = "2"
    cmd = [sys.executable, "-m", "newsflow.cli", "ingest", "--day", DAY]
    cmd += ["--inbox", str(inbox), "--lake", str(lake)]
    tmp_dir = lake / "_raw" / "fetch" / "_tmp"
    log = tmp_path / "ingest.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not list(tmp_dir.glob(f"dt={DAY}.*.warc.gz")) and time.monotonic() < deadline:
            assert proc.poll() is None, f"the ingest ended before it was killed:\n{log.read_text()}"
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    stale = list(tmp_dir.glob(f"dt={DAY}.*.warc.gz"))
    assert len(stale) == 1 and not (lake / "_raw" / "fetch" / f"dt={DAY}").exists()
    other = tmp_dir / "dt=2024-05-13.0123abcd.warc.gz"  # another day's run, in flight
    other.write_bytes(b"in flight")

    (inbox / DAY / "sources.txt").write_text(f"url {server.base}/ok/k1\n")
    s = load_settings(environ={}, inbox=str(inbox), lake=str(lake), **FAST)
    assert stages.run(s, DAY, ("ingest",))[0].counts["documents"] == 1
    assert not stale[0].exists() and other.read_bytes() == b"in flight"
    assert list(tmp_dir.iterdir()) == [other]
    assert _warc(tmp_path).is_file()


# --- item 15: one max_source_urls budget for the day, whatever the route ---------------


def _ingest_day(tmp_path: Path, **kw: object):
    s = load_settings(
        environ={}, inbox=str(tmp_path / "inbox"), lake=str(tmp_path / "lake"), **FAST, **kw
    )
    res = stages.run(s, DAY, ("ingest",))[0]
    rejects = read_partition(tmp_path / "lake" / "_work", "rejects_ingest", DAY).to_pylist()
    return res.counts, {r["source_uri"]: r["reason"] for r in rejects}


def test_inbox_feed_file_draws_from_the_budget(tmp_path: Path) -> None:
    """An inbox feed of 3,000 items (a 19 MiB one gave 400,000 inputs) with a budget of
    50: 50 documents and one reject saying how many items were left out."""
    inbox = tmp_path / "inbox" / DAY
    inbox.mkdir(parents=True)
    (inbox / "huge.rss").write_bytes(_rss("http://127.0.0.1:9", [f"/a/{i}" for i in range(3000)]))
    c, rejects = _ingest_day(tmp_path, max_source_urls=50, fetch_pages=False)
    assert c["inputs"] == 51 and c["documents"] == 50 and c["over_budget"] == 2950
    assert list(rejects) == ["huge.rss#over_budget"]
    assert rejects["huge.rss#over_budget"].startswith("too_many_urls: 2950 items of huge.rss")


def test_inbox_feed_and_remote_feed_share_one_budget(server: FaultServer, tmp_path) -> None:
    """30 items in an inbox feed, 30 in a remote feed, a budget of 40: the inbox feed's 30
    pages, the remote feed itself and 9 of its pages are fetched; 21 are one reject."""
    inbox = tmp_path / "inbox" / DAY
    inbox.mkdir(parents=True)
    (inbox / "local.rss").write_bytes(_rss(server.base, [f"/ok/in-{i}" for i in range(30)]))
    feed = server.route(
        "/budget-feed.xml",
        _rss(server.base, [f"/ok/rf-{i}" for i in range(30)]),
        "application/rss+xml",
    )
    (inbox / "sources.txt").write_text(f"feed {feed}\n")
    c, rejects = _ingest_day(tmp_path, max_source_urls=40)
    assert c["pages_fetched"] == 39 and c["over_budget"] == 21
    assert c["inputs"] == 40 == c["documents"] + c["rejects"]
    assert rejects == {
        f"{feed}#over_budget": rejects[f"{feed}#over_budget"],
    } and rejects[f"{feed}#over_budget"].startswith(f"too_many_urls: 21 items of {feed}")
    assert sum(server.hits[f"/ok/rf-{i}"] for i in range(30)) == 9


def _index(base: str, paths: list[str]) -> bytes:
    entries = "".join(f"<sitemap><loc>{base}{p}</loc></sitemap>" for p in paths)
    return (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{entries}</sitemapindex>"
    ).encode()


def test_nested_sitemap_indexes_draw_from_the_budget(server: FaultServer, tmp_path) -> None:
    """Sitemap indexes 6 wide, nested past the depth limit: 43 sitemap requests and 216
    rejects before, with a budget of 20. Now every nested sitemap draws from the budget
    (20 requests in all), and each list cut or too deep is one reject."""
    k, base = 6, server.base
    for a in range(k):
        for b in range(k):
            leaves = [f"/nest/{a}/{b}/{c}.xml" for c in range(k)]  # depth 3: never fetched
            server.route(f"/nest/{a}/{b}.xml", _index(base, leaves), "application/xml")
        server.route(
            f"/nest/{a}.xml", _index(base, [f"/nest/{a}/{b}.xml" for b in range(k)]), "text/xml"
        )
    root = server.route("/nest.xml", _index(base, [f"/nest/{a}.xml" for a in range(k)]), "text/xml")
    inbox = tmp_path / "inbox" / DAY
    inbox.mkdir(parents=True)
    (inbox / "sources.txt").write_text(f"sitemap {root}\n")
    c, rejects = _ingest_day(tmp_path, max_source_urls=20)
    sitemap_hits = sum(n for path, n in server.hits.items() if path.startswith("/nest"))
    assert sitemap_hits == c["sitemaps"] == 20  # root, 3 indexes, 16 of their sitemaps
    assert c["over_budget"] == 3 + 2  # 3 indexes of the root, 2 sitemaps of the third
    deep = [u for u, r in rejects.items() if r.startswith("sitemap_too_deep: 6 nested")]
    assert len(deep) == 16 and len(rejects) == 18 == c["inputs"]
    assert rejects[f"{root}#nested"].startswith("too_many_urls: 3 nested sitemaps")
