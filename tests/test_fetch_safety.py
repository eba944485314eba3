"""The private-address refusal across DNS answers, redirects, feed entries and the HTTP API.

test_fetch.py covers literal addresses and a redirect to the metadata address. Here names are
resolved: by the machine's real resolver (``localhost``, this host's own name from /etc/hosts,
the numeric spellings ``2130706433``, ``0x7f000001`` and ``127.1`` that inet_aton accepts), and by
a stub resolver standing in for public DNS (which cannot be reached here) that answers with
loopback, private, mixed, IPv4-mapped and rebinding answers.

Two real HTTP servers play the parts: a "public" one on 127.0.0.1 (let through with
``allowed_networks=("127.0.0.1/32",)``) and an "internal" one on 127.0.0.2 that nothing may reach.
Each refusal is checked twice: the error says "refused", and the internal server saw no request.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from conftest import run_cli
from serving import create_key, wait_for_job
from storyline.api import create_app
from storyline.config import FetchSettings, Settings
from storyline.errors import InputError
from storyline.fetch import Fetcher
from storyline.pipeline import ingest_paths
from storyline.store import Store

PAGE = (
    b"<html><head><title>Harbour reopens</title></head><body><article><h1>Harbour reopens</h1>"
    b"<p>The harbour reopened on Monday after three weeks of repairs to its sea wall, the port authority said,"
    b" and the first ferries left for the islands in the afternoon.</p></article></body></html>"
)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        parts = urlsplit(self.path)
        if parts.path == "/robots.txt":
            self._answer(404, b"", "text/plain")
        elif parts.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", parse_qs(parts.query)["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif parts.path == "/feed.rss":
            links = "".join(f"<item><title>t</title><link>{link}</link></item>" for link in self.server.feed_links)
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Port</title>{links}</channel></rss>'
            self._answer(200, body.encode(), "application/rss+xml")
        else:
            self._answer(200, PAGE, "text/html")

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str) -> None:
        super().__init__((host, 0), _Handler)
        self.paths: list[str] = []
        self.feed_links: list[str] = []

    @property
    def port(self) -> int:
        return self.server_address[1]


def _serve(host: str) -> Iterator[_Server]:
    server = _Server(host)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def public() -> Iterator[_Server]:
    """The stand-in for a public news site."""
    yield from _serve("127.0.0.1")


@pytest.fixture
def internal() -> Iterator[_Server]:
    """A service on the local network that a feed author must never make storyline reach."""
    yield from _serve("127.0.0.2")


# Only the "public" server's address is let through; everything else non-global is refused.
GUARDED = FetchSettings(allowed_networks=("127.0.0.1/32",), timeout=2, retries=0, per_host_interval=0)
REAL_GETADDRINFO = socket.getaddrinfo


class StubResolver:
    """Public DNS as a table: name -> answers, each lookup taking the next answer (the last repeats)."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in self.answers:
            return REAL_GETADDRINFO(host, port, family, type, proto, flags)
        self.lookups.append(name)
        queue = self.answers[name]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]


@pytest.fixture
def dns(monkeypatch) -> StubResolver:
    resolver = StubResolver(
        {
            "news.test": [["127.0.0.1"]],
            "internal.test": [["127.0.0.2"]],
            "metadata.test": [["169.254.169.254"]],
            "mixed.test": [["127.0.0.1", "127.0.0.2"]],
            "mapped.test": [["::ffff:127.0.0.2"]],
            "rebind.test": [["127.0.0.1"], ["127.0.0.2"]],  # public for the first lookup, internal after
        }
    )
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    return resolver


def _refused(fetcher: Fetcher, url: str) -> str:
    with pytest.raises(InputError) as caught:
        fetcher.fetch(url)
    assert "refused" in caught.value.reason, caught.value.reason
    return caught.value.reason


def test_names_the_real_resolver_maps_to_loopback_are_refused(public):
    port = public.port
    names = ["localhost", socket.gethostname(), "2130706433", "0x7f000001", "127.1", "0.0.0.0"]
    literals = ["[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:127.0.0.1]", "[::]"]
    with Fetcher(replace(GUARDED, allowed_networks=())) as fetcher:
        for host in names + literals:
            _refused(fetcher, f"http://{host}:{port}/page.html")
        # httpx will not even parse the octal spelling inet_aton would read as 127.0.0.1.
        with pytest.raises(InputError, match="malformed address"):
            fetcher.fetch(f"http://0177.0.0.1:{port}/page.html")
    assert public.paths == []


def test_dns_answers_are_checked_not_the_name(public, internal, dns):
    with Fetcher(GUARDED) as fetcher:
        assert fetcher.fetch(f"http://news.test:{public.port}/page.html").status == 200  # allowed answer
        for name in ("internal.test", "metadata.test", "mapped.test"):
            assert "non-public address" in _refused(fetcher, f"http://{name}:{internal.port}/secret")
        # One private answer among public ones is enough to refuse: the client may pick any.
        _refused(fetcher, f"http://mixed.test:{internal.port}/secret")
    assert internal.paths == []
    assert {"internal.test", "metadata.test", "mapped.test", "mixed.test"} <= set(dns.lookups)
    # Control: the internal server is reachable when its network is allowed, so the refusals
    # above were the guard's doing, not a dead address.
    with Fetcher(replace(GUARDED, allowed_networks=("127.0.0.1/32", "127.0.0.2/32"))) as fetcher:
        assert fetcher.fetch(f"http://internal.test:{internal.port}/secret").status == 200
    assert internal.paths == ["/robots.txt", "/secret"]


def test_a_name_that_rebinds_to_an_internal_address_is_refused_on_the_next_connection(public, internal, dns):
    # The server closes each connection (HTTP/1.0), so the page request resolves the name again:
    # robots.txt came from the public answer, the page must not come from the internal one.
    rebind = f"http://rebind.test:{public.port}/page.html"
    with Fetcher(GUARDED) as fetcher:
        _refused(fetcher, rebind)
    assert dns.lookups.count("rebind.test") == 2
    assert public.paths == ["/robots.txt"] and internal.paths == []


@pytest.mark.parametrize(
    "target",
    [
        "http://internal.test:{internal}/secret",
        "http://127.0.0.2:{internal}/secret",
        "http://[::ffff:127.0.0.2]:{internal}/secret",
        "http://2130706434:{internal}/secret",  # 127.0.0.2 as one decimal number
        "http://metadata.test/latest/meta-data/",
        "http://rebind.test:{internal}/secret",
        "http://news.test:{public}/redirect?to=http://internal.test:{internal}/secret",  # two hops
    ],
)
def test_every_redirect_hop_is_checked(public, internal, dns, target):
    dns.answers["rebind.test"] = [["127.0.0.2"]]
    location = target.format(internal=internal.port, public=public.port)
    with Fetcher(GUARDED) as fetcher:
        _refused(fetcher, f"http://news.test:{public.port}/redirect?to={location}")
    assert internal.paths == []
    assert public.paths.count("/robots.txt") == 1 and any(p.startswith("/redirect") for p in public.paths)


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("file:///etc/passwd", r"not an http\(s\) address"),
        ("gopher://127.0.0.2:70/_SSRF", r"not an http\(s\) address"),
        ("http://[127.0.0.2", "malformed"),
        ("http://internal.test:99999/", "malformed"),
    ],
)
def test_redirects_to_other_schemes_and_malformed_addresses_are_refused(public, internal, dns, location, reason):
    with Fetcher(GUARDED) as fetcher, pytest.raises(InputError, match=reason):
        fetcher.fetch(f"http://news.test:{public.port}/redirect?to={location}")
    assert internal.paths == []


def test_feed_entries_pointing_inside_are_refused_and_the_rest_ingested(tmp_path, public, internal, dns):
    public.feed_links = [
        f"http://internal.test:{internal.port}/admin",
        f"http://news.test:{public.port}/harbour.html",
        f"http://news.test:{public.port}/redirect?to=http://169.254.169.254/latest/meta-data/",
    ]
    failures = []
    settings = replace(Settings(db=str(tmp_path / "feed.db")), fetch=GUARDED)
    with Store(settings.db) as store:
        report = ingest_paths([f"http://news.test:{public.port}/feed.rss"], store, settings, failures.append)
        assert report.new == 1 and [a.title for a in store.articles()] == ["Harbour reopens"]
    assert len(failures) == 2 and all("refused" in f.reason for f in failures)
    assert internal.paths == []


def test_the_cli_refuses_names_that_resolve_to_loopback_and_malformed_urls(tmp_path, public):
    db = str(tmp_path / "cli.db")
    result = run_cli("ingest", f"http://localhost:{public.port}/page.html", "http://[::1", "--db", db)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert "refused" in lines[0] and "malformed address" in lines[1]
    assert public.paths == []


def test_urls_posted_to_the_api_obey_the_same_rule(tmp_path, public):
    settings = Settings(db=str(tmp_path / "api.db"))  # as `storyline serve` runs without --allow-private
    key = create_key(settings.db)
    with TestClient(create_app(settings)) as client:
        answer = client.post(
            "/articles",
            json={
                "urls": [
                    f"http://127.0.0.1:{public.port}/page.html",
                    f"http://localhost:{public.port}/x",
                    "http://[::1",
                ]
            },
            headers={"Authorization": f"Bearer {key}"},
        )
        assert answer.status_code == 202
        job = wait_for_job(client, answer.json()["url"])
    assert job["status"] == "failed" and job["result"]["new"] == 0
    assert len(job["result"]["failed"]) == 3 and "refused" in job["error"]
    assert public.paths == []
