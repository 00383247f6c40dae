"""The fault suite: the real fetcher against a real HTTP server on 127.0.0.1.

Backoff and timeouts are set small so the whole module stays within seconds; no
request leaves the machine (the SSRF guard refuses everything but the allow-listed
127.0.0.1, and the test feeds' own links are never fetched).
"""

import time
from collections.abc import Iterator

import pytest
from newsflow.config import load_settings
from newsflow.ingest.fetch import Fetcher, FetchError, check_address, parse_retry_after
from support.httpfaults import FaultServer

FAST = dict(
    fetch_allow_networks=["127.0.0.1/32"],
    http_timeout_seconds=1.0,
    http_deadline_seconds=4.0,
    http_retries=3,
    http_backoff_seconds=0.05,
    http_backoff_max_seconds=2.0,
    http_max_redirects=5,
    http_max_bytes=1_000_000,
    per_host_delay_seconds=0.0,
)


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer() as srv:
        yield srv


@pytest.fixture
def fetcher(tmp_path) -> Iterator[Fetcher]:
    with Fetcher(load_settings(environ={}, **FAST), state_dir=tmp_path) as f:
        yield f


def _code(fetcher: Fetcher, url: str) -> str:
    with pytest.raises(FetchError) as e:
        fetcher.fetch(url)
    assert "Traceback" not in e.value.message and e.value.message
    return e.value.code


def test_plain_page_user_agent_and_charset(server, fetcher) -> None:
    r = fetcher.fetch(server.base + "/ok/a")
    assert r.status == 200 and b"harbour authority" in r.body
    assert any(ua.startswith("newsflow/") for ua in server.user_agents)
    latin = fetcher.fetch(server.base + "/latin1")
    assert latin.charset == "iso-8859-1"


def test_500s_then_success_is_retried(server, fetcher) -> None:
    r = fetcher.fetch(server.base + "/flaky")
    assert r.status == 200 and server.hits["/flaky"] == 3


def test_persistent_5xx_gives_up_after_the_retries(server, fetcher) -> None:
    assert _code(fetcher, server.base + "/always500") == "http_error"
    assert server.hits["/always500"] == 4  # 1 + http_retries


def test_429_honours_retry_after(server, fetcher) -> None:
    t = time.monotonic()
    r = fetcher.fetch(server.base + "/ratelimited")
    assert r.status == 200 and time.monotonic() - t >= 0.9  # waited the server's 1 s
    assert _code(fetcher, server.base + "/ratelimited-long") == "rate_limited"
    assert server.hits["/ratelimited-long"] == 1  # an hour is not waited for


@pytest.mark.slow
def test_slow_response_times_out(server, fetcher) -> None:
    t = time.monotonic()
    assert _code(fetcher, server.base + "/slow") == "timeout"
    assert time.monotonic() - t < 12


def test_connection_reset(server, fetcher) -> None:
    assert _code(fetcher, server.base + "/reset") == "network_error"


def test_redirect_loop_and_chain_limit(server, fetcher) -> None:
    assert _code(fetcher, server.base + "/loop-a") == "redirect_loop"
    assert fetcher.fetch(server.base + "/chain/5").final_url.endswith("/chain/0")
    assert _code(fetcher, server.base + "/chain/6") == "too_many_redirects"


def test_endless_body_is_cut_at_the_cap(server, fetcher) -> None:
    assert _code(fetcher, server.base + "/endless") == "too_large"


@pytest.mark.slow
def test_dripping_body_hits_the_deadline(server, fetcher) -> None:
    t = time.monotonic()
    assert _code(fetcher, server.base + "/drip") == "timeout"
    assert time.monotonic() - t < 8


def test_wrong_content_type(server, fetcher) -> None:
    assert _code(fetcher, server.base + "/image") == "bad_content_type"


def test_robots_txt_is_obeyed(server, fetcher) -> None:
    assert _code(fetcher, server.base + "/private/page") == "robots_disallowed"
    assert server.hits["/private/page"] == 0


def test_not_found_is_not_retried(server, fetcher) -> None:
    before = server.hits["/nope"]
    assert _code(fetcher, server.base + "/nope") == "http_error"
    assert server.hits["/nope"] == before + 1


def test_conditional_get_keeps_and_sends_validators(server, tmp_path) -> None:
    url = server.route("/feed-etag.xml", b"<rss/>", "application/rss+xml", ETag='"v1"')
    s = load_settings(environ={}, **FAST)
    with Fetcher(s, state_dir=tmp_path) as f:
        assert f.fetch(url, accept=None, conditional=True).status == 200
        f.save_validators()
    with Fetcher(s, state_dir=tmp_path) as f:
        assert f.fetch(url, accept=None, conditional=True).status == 304
    assert (tmp_path / "http_validators.json").is_file()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "http://localhost:9/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/",
        "http://[fd00::1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
    ],
)
def test_ssrf_guard_refuses_non_public_addresses(url: str) -> None:
    with pytest.raises(FetchError) as e:
        check_address(url, [])
    assert e.value.code == "blocked_address"


def test_ssrf_guard_other_schemes_and_redirects(server, tmp_path) -> None:
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x/"):
        with pytest.raises(FetchError, match="not an http"):
            check_address(url, [])
    with Fetcher(load_settings(environ={}, **FAST), state_dir=tmp_path) as f:
        # allow-listed 127.0.0.1 redirects to the metadata address: the hop is refused
        assert _code(f, server.base + "/to-metadata") == "blocked_address"
    strict = {**FAST, "fetch_allow_networks": []}
    with Fetcher(load_settings(environ={}, **strict), state_dir=tmp_path) as f:
        before = sum(server.hits.values())
        assert _code(f, server.base + "/ok/x") == "blocked_address"
        assert sum(server.hits.values()) == before  # not even robots.txt was asked


def test_retry_after_forms() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None


@pytest.mark.slow
def test_per_host_concurrency_and_delay(server, tmp_path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    polite = {**FAST, "per_host_delay_seconds": 0.3, "per_host_concurrency": 1}
    with Fetcher(load_settings(environ={}, **polite), state_dir=tmp_path) as f:
        f.fetch(server.base + "/ok/warm-up")  # robots.txt is read once, first
        t = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(f.fetch, [f"{server.base}/ok/p{i}" for i in range(4)]))
        # four requests to one host, 0.3 s apart although four threads asked at once
        assert time.monotonic() - t >= 0.9
    assert server.hits["/robots.txt"] >= 1
