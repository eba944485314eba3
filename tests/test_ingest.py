"""Every way news arrives: files, WARC archives, page and feed URLs, followed feeds (``watch``)."""

from __future__ import annotations

import gzip
import io
import re
import sqlite3
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from conftest import run_cli
from newsserver import STORIES, running_news_server
from storyline.config import ExtractSettings
from storyline.errors import InputError
from storyline.extract import extract, extract_many
from storyline.ingest import kind_of, read_documents
from storyline.model import RawDocument

DATA = Path(__file__).parent / "data"
TALLY = re.compile(r"(\d+) new, (\d+) duplicate, (\d+) failed, (\d+) skipped")


@pytest.fixture
def news_server():
    with running_news_server() as server:
        yield server


def _tally(stdout: str) -> tuple[int, ...]:
    return tuple(int(n) for n in TALLY.search(stdout).groups())


def _articles(db: str) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT title, url, source, text FROM articles ORDER BY title").fetchall()


def write_warc(path: Path, pages: list[tuple[str, bytes, str]]) -> Path:
    """A gzip WARC with one response record per (url, body, content type), as Common Crawl writes."""
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for url, body, ctype in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
            )
    return path


def test_kinds_are_read_from_names_through_gz():
    assert kind_of(Path("a/b.warc.gz")) == "warc"
    assert kind_of(Path("page.HTML.gz")) == "html"
    assert kind_of(Path("lines.jsonl.gz")) == "jsonl"
    assert kind_of(Path("archive.tar.gz")) is None


def test_warc_response_records_become_pages_with_their_urls(tmp_path):
    page = (DATA / "page.html").read_bytes()
    warc = write_warc(
        tmp_path / "news.warc.gz",
        [
            ("https://times.example.net/california-wildfire", page, "text/html; charset=utf-8"),
            ("https://times.example.net/logo.png", b"\x89PNG...", "image/png"),
            ("https://times.example.net/empty", b"   ", "text/html"),
        ],
    )
    items = list(read_documents(warc))
    docs = [i for i in items if isinstance(i, RawDocument)]
    errors = [i for i in items if isinstance(i, InputError)]
    assert [d.url for d in docs] == ["https://times.example.net/california-wildfire"]
    assert docs[0].origin == f"{warc}#https://times.example.net/california-wildfire"
    assert [e.reason for e in errors] == ["empty page"]
    article = extract(docs[0]).articles[0]
    assert article.title == "Wildfire forces thousands to flee in California"


def test_a_truncated_warc_keeps_the_records_before_the_damage(tmp_path):
    page = (DATA / "page.html").read_bytes()
    whole = write_warc(tmp_path / "whole.warc.gz", [(f"https://ex.example/{n}", page, "text/html") for n in range(3)])
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.8)])
    items = list(read_documents(cut))
    docs = [i for i in items if isinstance(i, RawDocument)]
    assert 1 <= len(docs) < 3
    assert isinstance(items[-1], InputError) and items[-1].reason == "truncated record (archive cut off)"


def test_extract_many_keeps_order_and_passes_errors_through():
    pages = [RawDocument(origin=f"p{n}", kind="html", data=(DATA / "page.html").read_bytes()) for n in range(70)]
    items = [*pages[:35], InputError("bad", "reason"), *pages[35:]]
    out = list(extract_many(items, ExtractSettings(workers=2)))
    assert [i.origin if isinstance(i, RawDocument) else i.item for i, _ in out] == [
        i.origin if isinstance(i, RawDocument) else i.item for i in items
    ]
    assert out[35][1] is None
    assert all(e.articles[0].title.startswith("Wildfire") for i, e in out if e is not None)


def test_ingest_page_and_feed_urls_with_learned_cleaning(news_server, db):
    base = news_server.base
    result = run_cli("ingest", f"{base}/feed.rss", f"{base}/news/bridge.html", "--db", db, "--allow-private")
    assert result.returncode == 0, result.stderr
    assert _tally(result.stdout) == (3, 1, 0, 0)
    rows = _articles(db)
    assert [r[0] for r in rows] == sorted(t for t, _, _ in STORIES.values())
    for title, url, source, text in rows:
        assert source == "Daily Example"
        assert url.startswith(base + "/news/") and "utm_source" not in url and "#" not in url
        assert "Share this article" not in text  # on every page of the site: learned boilerplate
        # Identical on three different stories of one site, this paragraph is template text too.
        assert "Officials said the work would continue" not in text
        assert STORIES[url.removeprefix(base)][1] in text  # each story keeps its own lead
        assert title not in text.splitlines()[0]  # the <h1> is the title, not body text


def test_private_addresses_are_refused_without_the_flag(news_server, db):
    result = run_cli("ingest", f"{news_server.base}/news/bridge.html", "--db", db)
    assert result.returncode == 1
    assert "refused" in result.stderr and "--allow-private" in result.stderr
    assert "Traceback" not in result.stderr
    assert news_server.requests == []


def test_watch_polls_conditionally_and_fetches_new_entries_only(news_server, db):
    base = news_server.base
    news_server.feed_paths = ["/news/bridge.html"]
    follow = Path(db).with_name("feeds.txt")
    follow.write_text(f"# my feeds\n{base}/feed.rss\n")
    first = run_cli("watch", "--follow", str(follow), "--once", "--db", db, "--allow-private")
    assert first.returncode == 0, first.stderr
    assert _tally(first.stdout) == (1, 0, 0, 0)
    second = run_cli("watch", "--follow", str(follow), "--once", "--db", db, "--allow-private")
    assert _tally(second.stdout) == (0, 0, 0, 0)
    feed_requests = [h for p, h, _ in news_server.requests if p == "/feed.rss"]
    assert feed_requests[-1].get("If-None-Match") == '"v1"'
    # The feed changes: a new ETag and two more entries; only those two pages are fetched.
    news_server.feed_etag = '"v2"'
    news_server.feed_paths = list(STORIES)
    third = run_cli("watch", f"{base}/feed.rss", "--once", "--db", db, "--allow-private")
    assert _tally(third.stdout) == (2, 0, 0, 0)
    assert news_server.hits("/news/bridge.html") == 1
    assert len(_articles(db)) == 3


def test_gzipped_inputs_are_read(tmp_path, db):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "page.html.gz").write_bytes(gzip.compress((DATA / "page.html").read_bytes()))
    (inputs / "quake.jsonl.gz").write_bytes(gzip.compress((DATA / "quake.jsonl").read_bytes()))
    result = run_cli("ingest", str(inputs), "--db", db)
    assert result.returncode == 0, result.stderr
    assert _tally(result.stdout) == (4, 0, 0, 0)


def test_a_warc_gzipped_as_one_stream_is_one_line_of_error(tmp_path):
    """warcio refuses a WARC compressed as a whole (not record by record) with a ten-line message."""
    plain = tmp_path / "plain.warc"
    with plain.open("wb") as stream:
        writer = WARCWriter(stream, gzip=False)
        for n in range(3):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            body = io.BytesIO(f"<html><body><p>Story {n}</p></body></html>".encode())
            writer.write_record(
                writer.create_warc_record(f"https://x.example/{n}", "response", payload=body, http_headers=headers)
            )
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(plain.read_bytes()))
    errors = [item for item in read_documents(whole) if isinstance(item, InputError)]
    assert errors, "a whole-stream gzip WARC must be reported"
    assert all("\n" not in str(error) for error in errors)
    assert str(whole) in str(errors[0])


def test_a_rerun_reuses_the_events_whose_articles_and_settings_did_not_change(examples, tmp_path, db):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for path in examples:
        (first / path.name).write_bytes(path.read_bytes())
    (second / "bridge.txt").write_text(
        "Leeds closes Mill Street bridge\n\n"
        "Engineers closed the old Mill Street bridge in Leeds on Tuesday after inspectors found cracks in"
        " two of its steel beams. The city council said the repairs would take at least six weeks and that"
        " buses would be diverted through the ring road until the bridge reopens to traffic.\n"
    )
    assert run_cli("ingest", str(first), "--db", db).returncode == 0

    def baghouz_headline() -> str:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT headline FROM events WHERE article_count = 2").fetchone()[0]

    with sqlite3.connect(db) as conn:  # a mark that only a reuse keeps
        conn.execute("UPDATE events SET headline = 'Stored earlier' WHERE article_count = 2")
    result = run_cli("ingest", str(second), "--db", db)
    assert result.returncode == 0, result.stderr
    assert _tally(result.stdout) == (1, 0, 0, 0)
    assert baghouz_headline() == "Stored earlier"  # same articles, same settings: not described again
    result = run_cli("ingest", str(second), "--db", db, "--no-facts")
    assert result.returncode == 0, result.stderr
    assert baghouz_headline() not in ("Stored earlier", "")  # other settings: described again
