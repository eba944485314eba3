"""The fetcher against a real HTTP server on 127.0.0.1 (see newsserver.py)."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace

import pytest

from newsserver import running_news_server
from storyline.config import FetchSettings
from storyline.errors import InputError
from storyline.fetch import FEED_TYPES, HTML_TYPES, Fetcher, is_public_address


@pytest.fixture
def news_server():
    with running_news_server() as server:
        yield server


LOCAL = FetchSettings(allow_private=True, timeout=0.5, retries=1, backoff=0.05, per_host_interval=0.0)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.10", False),
        ("172.16.5.4", False),
        ("169.254.169.254", False),  # AWS/GCP/Azure metadata
        ("100.100.100.200", False),  # Alibaba metadata (carrier-grade NAT range)
        ("fd00:ec2::254", False),  # AWS IPv6 metadata
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("fe80::1%eth0", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
    ],
)
def test_only_globally_routable_addresses_are_public(address, public):
    assert is_public_address(address) is public


def test_loopback_and_metadata_addresses_are_refused_by_default(news_server):
    with Fetcher(FetchSettings(timeout=1, retries=0)) as fetcher:
        for url in (
            f"{news_server.base}/news/bridge.html",
            f"http://localhost:{news_server.server_address[1]}/news/bridge.html",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
        ):
            with pytest.raises(InputError, match="refused"):
                fetcher.fetch(url)
    assert news_server.requests == []  # refused before any connection


def test_other_schemes_are_refused():
    with Fetcher(LOCAL) as fetcher, pytest.raises(InputError, match="not an http"):
        fetcher.fetch("file:///etc/passwd")


def test_a_redirect_to_a_metadata_address_is_refused_even_when_the_first_hop_is_allowed(news_server):
    # Only 127.0.0.1 is let through, so the second hop must be stopped by the per-connection check.
    settings = FetchSettings(allowed_networks=("127.0.0.1/32",), timeout=1, retries=0, per_host_interval=0)
    with Fetcher(settings) as fetcher:
        assert fetcher.fetch(f"{news_server.base}/news/bridge.html").status == 200
        with pytest.raises(InputError, match=r"refused.*169\.254\.169\.254"):
            fetcher.fetch(f"{news_server.base}/to-metadata")
    assert news_server.hits("/to-metadata") == 1


def test_page_is_fetched_with_our_user_agent_after_robots(news_server):
    with Fetcher(LOCAL) as fetcher:
        fetched = fetcher.fetch(f"{news_server.base}/hop")
    assert fetched.status == 200 and fetched.kind == "html"
    assert fetched.final_url == f"{news_server.base}/news/bridge.html"
    assert b"Bridge closed" in fetched.content
    paths = [p for p, _, _ in news_server.requests]
    assert paths[0] == "/robots.txt" and "/news/bridge.html" in paths
    assert all(h["User-Agent"] == LOCAL.user_agent for _, h, _ in news_server.requests)


def test_robots_txt_disallow_is_obeyed(news_server):
    with Fetcher(LOCAL) as fetcher, pytest.raises(InputError, match=r"robots\.txt"):
        fetcher.fetch(f"{news_server.base}/private/page.html")
    assert news_server.hits("/private/page.html") == 0
    with Fetcher(replace(LOCAL, respect_robots=False)) as fetcher:
        assert fetcher.fetch(f"{news_server.base}/private/page.html").status == 200


def test_unavailable_robots_txt_means_stay_away(news_server):
    news_server.robots_status = 503
    with Fetcher(LOCAL) as fetcher, pytest.raises(InputError, match=r"robots\.txt unavailable"):
        fetcher.fetch(f"{news_server.base}/news/bridge.html")
    assert news_server.hits("/news/bridge.html") == 0


def test_missing_robots_txt_means_no_rules(news_server):
    news_server.robots_status = 404
    with Fetcher(LOCAL) as fetcher:
        assert fetcher.fetch(f"{news_server.base}/news/bridge.html").status == 200


def test_a_redirected_robots_txt_is_followed_and_obeyed(news_server):
    news_server.robots_moved = True
    with Fetcher(LOCAL) as fetcher, pytest.raises(InputError, match=r"disallowed by robots\.txt"):
        fetcher.fetch(f"{news_server.base}/news/bridge.html")
    assert news_server.hits("/moved/robots.txt") == 1 and news_server.hits("/news/bridge.html") == 0


def test_slow_server_times_out_after_retries(news_server):
    started = time.monotonic()
    with Fetcher(LOCAL) as fetcher, pytest.raises(InputError, match="timed out"):
        fetcher.fetch(f"{news_server.base}/slow")
    assert news_server.hits("/slow") == 2  # first try and one retry
    assert time.monotonic() - started < 3


def test_busy_server_is_retried(news_server):
    with Fetcher(LOCAL) as fetcher:
        assert fetcher.fetch(f"{news_server.base}/flaky").status == 200
    assert news_server.hits("/flaky") == 2


def test_limits_on_size_type_and_redirects(news_server):
    with Fetcher(replace(LOCAL, max_bytes=1_000_000)) as fetcher:
        with pytest.raises(InputError, match="too large"):
            fetcher.fetch(f"{news_server.base}/huge")
        with pytest.raises(InputError, match="content type image/png"):
            fetcher.fetch(f"{news_server.base}/image.png")
        with pytest.raises(InputError, match="redirects"):
            fetcher.fetch(f"{news_server.base}/loop")
        with pytest.raises(InputError, match="HTTP 404"):
            fetcher.fetch(f"{news_server.base}/nowhere")
        with pytest.raises(InputError, match=r"connection failed|timed out"):
            fetcher.fetch(f"{news_server.base}/broken")
    assert news_server.hits("/loop") == LOCAL.max_redirects + 1


def test_conditional_get_returns_not_modified(news_server):
    with Fetcher(LOCAL) as fetcher:
        first = fetcher.fetch(f"{news_server.base}/feed.rss", accept=FEED_TYPES)
        assert first.kind == "feed" and first.etag == '"v1"'
        again = fetcher.fetch(f"{news_server.base}/feed.rss", accept=FEED_TYPES, etag=first.etag)
    assert again.not_modified and again.content == b""


def test_requests_to_one_host_are_spaced(news_server):
    urls = [f"{news_server.base}{p}" for p in ("/news/bridge.html", "/news/school.html", "/news/market.html")]
    with Fetcher(replace(LOCAL, per_host_interval=0.3)) as fetcher:
        results = list(fetcher.fetch_many(urls, accept=HTML_TYPES))
    assert [u for u, _ in results] == urls and all(r.status == 200 for _, r in results)
    starts = sorted(t for p, _, t in news_server.requests if p.startswith("/news/"))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.25
