"""Remote sources end to end: feeds, a news sitemap and pages served on 127.0.0.1,
ingested through the real stages; the day's raw WARC is replayed on a rerun."""

import json
from pathlib import Path

import pandas as pd
import pytest
from newsflow import stages
from newsflow.config import load_settings
from newsflow.ingest.remote import SourceError, parse_sources
from newsflow.lake.partition import read_partition
from support.httpfaults import FaultServer

DAY = "2024-05-14"
FAST = dict(
    fetch_allow_networks=["127.0.0.1/32"],
    http_timeout_seconds=1.0,
    http_retries=3,
    http_backoff_seconds=0.05,
    per_host_delay_seconds=0.0,
    min_words=5,
)


def _rss(base: str, links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Story {n}</title><link>{link}</link>"
        f"<pubDate>Mon, 13 May 2024 0{n}:00:00 GMT</pubDate><description>Summary {n}</description></item>"
        for n, link in enumerate(links)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Times</title>'
        f"<link>{base}/</link>{items}</channel></rss>"
    ).encode()


def _sitemap(urls: list[str]) -> bytes:
    entries = "".join(
        f"<url><loc>{u}</loc><news:news><news:publication><news:name>Port Daily</news:name>"
        f"</news:publication><news:publication_date>2024-05-13T08:00:00Z</news:publication_date>"
        f"<news:title>Quay {i}</news:title></news:news></url>"
        for i, u in enumerate(urls)
    )
    return (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{entries}</urlset>'
    ).encode()


@pytest.fixture(scope="module")
def server():
    with FaultServer() as srv:
        yield srv


def test_sources_file_format() -> None:
    got = parse_sources(
        ["# comment", "", "feed https://a/f.xml", "https://a/p", "SITEMAP http://b/s.xml"]
    )
    assert [(s.kind, s.url) for s in got] == [
        ("feed", "https://a/f.xml"), ("url", "https://a/p"), ("sitemap", "http://b/s.xml"),
    ]  # fmt: skip
    with pytest.raises(SourceError, match="line 1"):
        parse_sources(["rss ftp://x"])


@pytest.mark.slow
def test_feeds_sitemap_pages_and_replay(server: FaultServer, tmp_path: Path) -> None:
    b = server.base
    feed = server.route(
        "/feed.xml",
        _rss(b, [f"{b}/ok/1", f"{b}/ok/2", f"{b}/image", f"{b}/private/page", "http://10.0.0.1/x"]),
        "application/rss+xml",
        ETag='"f1"',
    )
    sitemap = server.route(
        "/news-sitemap.xml", _sitemap([f"{b}/ok/3", f"{b}/ok/1"]), "application/xml"
    )
    bomb = server.route(
        "/bomb.xml",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<rss><channel><item><title>&b;</title></item></channel></rss>",
        "application/rss+xml",
    )
    inbox = tmp_path / "inbox" / DAY
    inbox.mkdir(parents=True)
    (inbox / "sources.txt").write_text(
        f"# today's sources\nfeed {feed}\nsitemap {sitemap}\n{b}/flaky\nfeed {bomb}\n"
        f"url {b}/endless\n"
    )
    (inbox / "local feed.rss").write_bytes(_rss(b, [f"{b}/ok/4", f"{b}/loop-a"]))
    lake = tmp_path / "lake"
    s = load_settings(
        environ={}, inbox=str(tmp_path / "inbox"), lake=str(lake), http_max_bytes=200_000, **FAST
    )

    res = stages.run(s, DAY, ("ingest",))[0]
    c = res.counts
    # inputs: feed 5 items + sitemap 1 new URL (/ok/1 is listed twice) + /flaky + bomb feed
    # + /endless + 2 items of the inbox feed = 11
    assert c["inputs"] == 11 and c["inputs"] == c["documents"] + c["rejects"]
    ingested = read_partition(lake / "_work", "ingested", DAY).to_pandas().set_index("source_uri")
    rejects = read_partition(lake / "_work", "rejects_ingest", DAY).to_pandas()
    codes = dict(zip(rejects.source_uri, rejects.reason.str.split(":").str[0], strict=True))
    assert codes == {
        f"{b}/image": "bad_content_type",
        f"{b}/private/page": "robots_disallowed",
        "http://10.0.0.1/x": "blocked_address",
        bomb: "xml_entities",
        f"{b}/endless": "too_large",
        f"{b}/loop-a": "redirect_loop",
    }
    assert set(ingested.index) == {f"{b}/ok/{i}" for i in (1, 2, 3, 4)} | {f"{b}/flaky"}
    one = ingested.loc[f"{b}/ok/1"]
    assert one.title == "Story 0" and one.source == "Harbour Times"  # the feed's hints
    assert str(one.published_at) == "2024-05-13 00:00:00+00:00"
    assert ingested.loc[f"{b}/ok/3"].title == "Quay 0"  # from the news sitemap
    # a failed feed item keeps the item itself as its bytes
    img = rejects.set_index("source_uri").loc[f"{b}/image"]
    assert json.loads(img.bytes)["title"] == "Story 2"
    assert not rejects.reason.str.contains("Traceback").any()
    warc = lake / "_raw" / "fetch" / f"dt={DAY}" / "fetch.warc.gz"
    assert warc.is_file() and c["requests"] > 0

    # the rest of the pipeline, and the run manifest's check
    stages.run(s, DAY, ("clean", "dedup", "tag", "stories", "publish"))
    manifest = json.loads((lake / "_runs" / f"dt={DAY}" / "manifest.json").read_text())
    assert manifest["inputs"] == 11 and manifest["checks"]["inputs_accounted_for"]
    first = pd.read_parquet(lake / "articles").sort_values("source_uri").reset_index(drop=True)

    # rerun of the day: replayed from the WARC, not one request, same rows
    hits = sum(server.hits.values())
    again = stages.run(s, DAY)
    assert again[0].counts["requests"] == 0 and again[0].counts["replayed"] == 1
    assert sum(server.hits.values()) == hits
    second = pd.read_parquet(lake / "articles").sort_values("source_uri").reset_index(drop=True)
    pd.testing.assert_frame_equal(first, second)

    # next day, same feed: conditional GET gives 304, nothing new, no page refetched
    nxt = "2024-05-15"
    (tmp_path / "inbox" / nxt).mkdir()
    (tmp_path / "inbox" / nxt / "sources.txt").write_text(f"feed {feed}\n")
    r = stages.run(s, nxt, ("ingest",))[0]
    assert r.counts["inputs"] == 0 and r.counts["unchanged"] == 1


def test_sources_and_allow_list_from_the_environment() -> None:
    env = {
        "NEWSFLOW_SOURCES": "feed https://a.example/x.xml, https://b.example/y",
        "NEWSFLOW_FETCH_ALLOW_NETWORKS": '["127.0.0.1/32"]',
    }
    s = load_settings(environ=env)
    assert s.sources == ["feed https://a.example/x.xml", "https://b.example/y"]
    assert s.fetch_allow_networks == ["127.0.0.1/32"]
    assert [x.kind for x in parse_sources(s.sources)] == ["feed", "url"]


@pytest.mark.slow
def test_sources_param_of_a_dag_run(server: FaultServer, tmp_path: Path, airflow_db, monkeypatch):
    """The trigger form's "Remote sources" list reaches ingest; a rerun replays the WARC,
    and "Fetch again" fetches anew."""
    from airflow.dag_processing.dagbag import DagBag
    from support import REPO

    b = server.base
    feed = server.route("/dag-feed.xml", _rss(b, [f"{b}/ok/5", f"{b}/ok/6"]), "application/rss+xml")
    for k, v in {**FAST, "fetch_allow_networks": '["127.0.0.1/32"]'}.items():
        monkeypatch.setenv(f"NEWSFLOW_{k.upper()}", str(v))
    dag = DagBag(dag_folder=str(REPO / "dags")).dags["news_daily"]
    lake = tmp_path / "lake"
    conf = {"day": DAY, "inbox": str(tmp_path / "inbox"), "lake": str(lake)}
    conf["sources"] = [f"feed {feed}", f"url {b}/ok/7"]
    assert dag.test(run_conf=conf).state == "success"
    got = sorted(pd.read_parquet(lake / "articles").source_uri)
    assert got == [f"{b}/ok/{i}" for i in (5, 6, 7)]
    hits = sum(server.hits.values())
    assert dag.test(run_conf=conf).state == "success"  # replayed: no request
    assert sum(server.hits.values()) == hits
    assert dag.test(run_conf={**conf, "refetch": True}).state == "success"
    assert sum(server.hits.values()) > hits
    assert sorted(pd.read_parquet(lake / "articles").source_uri) == got
