"""The HTTP API under attack: keys, SQL injection, oversized and malformed bodies, path traversal,
and script in article text, against a real ``storyline serve`` on 127.0.0.1 (and Chromium).

test_api.py already checks that writes need a key (missing, wrong, altered), that a declared
oversized body is refused, and that article text is escaped in the HTML; here the same rules are
pushed harder.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write_jsonl
from serving import create_key, ingest, running_server, wait_for_job
from storyline.api import create_app
from storyline.config import SearchSettings, ServeSettings, Settings
from storyline.search import parse_query, words
from test_web import browser  # noqa: F401  (the Chromium fixture, shared with the page tests)

DATA = Path(__file__).parent / "data"
MARK = "window.__xss"
# Each payload, if it ever ran, would set window.__xss (or open a dialog).
PAYLOADS = [
    f"<script>{MARK}=1</script>",
    f'<img src=x onerror="{MARK}=2">',
    f'"><svg onload="{MARK}=3">',
    f'\'><iframe srcdoc="<script>parent.{MARK}=4</script>"></iframe>',
    f"</title><script>{MARK}=5</script>",
    f'<a href="javascript:{MARK}=6">link</a>',
    "<style>body{display:none}</style>",
    "{{ 7*7 }} {% raw %}",
]
HOSTILE = [
    {
        "id": "hostile-1",
        "title": f"Flood warning for Marlow {PAYLOADS[4]}",
        "source": f"Marlow Post {PAYLOADS[1]}",
        "author": PAYLOADS[2],
        "url": f"javascript:{MARK}=7",
        "published": "2024-02-05T09:00:00Z",
        "text": f"The river Thames burst its banks at Marlow on Monday {PAYLOADS[0]} and flooded forty homes, the council said. "
        f"Residents of Marlow were moved to the town hall {PAYLOADS[3]} while the water rose. "
        f"The Environment Agency issued a flood warning for Marlow {PAYLOADS[5]} on Monday evening. "
        f"Forecasters expect more rain in Marlow on Tuesday {PAYLOADS[6]} {PAYLOADS[7]}.",
    },
    {
        "id": "hostile-2",
        "title": f"Marlow flood: forty homes under water {PAYLOADS[0]}",
        "source": "Thames Valley News",
        "url": f"data:text/html,<script>{MARK}=8</script>",
        "published": "2024-02-05T12:00:00Z",
        "text": f"Forty homes in Marlow were flooded on Monday when the Thames burst its banks {PAYLOADS[1]}, the council said. "
        f"The Environment Agency issued a flood warning for Marlow {PAYLOADS[2]} and more rain is expected on Tuesday.",
    },
]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("security")
    db = str(folder / "security.db")
    ingest(db, DATA / "quake.jsonl", DATA / "final.jsonl", write_jsonl(folder / "hostile.jsonl", HOSTILE))
    return db


@pytest.fixture(scope="module")
def key(db) -> str:
    return create_key(db)


@pytest.fixture(scope="module")
def base(db, key) -> Iterator[str]:
    with running_server(db) as base:
        yield base


@pytest.fixture(scope="module")
def client(base) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=30) as client:
        yield client


def _snapshot(db: str) -> tuple:
    """Everything an injection could change: the schema and every table's row count."""
    with sqlite3.connect(db) as conn:
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        counts = {
            name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for _, name, _ in schema if _ == "table"
        }
    return schema, counts


# -- keys -----------------------------------------------------------------------------------


def test_writes_refuse_every_way_of_presenting_a_bad_key(client, key, db, tmp_path):
    other_store_key = create_key(str(tmp_path / "other.db"))
    prefix, key_id, secret = key.split("_", 2)
    attempts = [
        {"Authorization": f"Basic {key}"},
        {"Authorization": "Bearer"},
        {"Authorization": key},
        {"Authorization": f"Bearer {key_id}"},
        {"Authorization": f"Bearer {prefix}_{key_id}_{secret[:-1]}"},
        {"Authorization": f"Bearer {prefix}_{key_id}_"},
        {"Authorization": f"Bearer {other_store_key}"},
        {"X-API-Key": f"{key} {key}"},
        {"X-API-Key": "' OR '1'='1"},
        {"Cookie": f"key={key}"},
    ]
    before = _snapshot(db)
    article = {"text": "An article nobody may write without a key."}
    for headers in attempts:
        answer = client.post("/articles", json=article, headers=headers)
        assert answer.status_code == 401, headers
        assert answer.headers["www-authenticate"] == "Bearer"
    assert client.post("/articles", params={"key": key, "api_key": key}, json=article).status_code == 401
    assert _snapshot(db) == before  # not even a job was queued


def test_only_the_documented_methods_exist(client, key):
    auth = {"Authorization": f"Bearer {key}"}
    for method, path in [
        ("PUT", "/articles"),
        ("DELETE", "/articles/quake-1"),
        ("PATCH", "/events"),
        ("POST", "/events"),
        ("POST", "/stories"),
        ("DELETE", "/stories/st-1"),
    ]:
        assert client.request(method, path, headers=auth).status_code == 405, (method, path)


# -- SQL injection --------------------------------------------------------------------------

INJECTIONS = [
    "' OR '1'='1",
    "' OR 1=1 --",
    "%",
    "_",
    "\\",
    "%' OR '%'='",
    "'; DROP TABLE events; --",
    '" OR ""="',
    "') UNION SELECT id, key_hash FROM api_keys --",
    "norcia' AND 1=0 UNION SELECT name, sql FROM sqlite_master --",
    "1; UPDATE articles SET text='x'",
]


@pytest.fixture(scope="module")
def haystacks(client) -> dict[str, list[set[str]]]:
    """Every event's documents as sets of words (its headline and summary; each article's title
    and text): the oracle for what a search must return."""
    found = {}
    for brief in client.get("/events", params={"limit": ServeSettings.max_page_size}).json()["items"]:
        event = client.get(brief["url"]).json()
        documents = [set(words(" ".join([event["headline"], *(s["text"] for s in event["summary"])])))]
        for article in event["articles"]:
            full = client.get(f"/articles/{article['id']}").json()
            documents.append(set(words(f"{full['title']} {full['text']}")))
        found[event["id"]] = documents
    return found


def _search(client: httpx.Client, **params: str) -> set[str]:
    answer = client.get("/events", params={**params, "limit": ServeSettings.max_page_size})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == len(body["items"])
    return {e["id"] for e in body["items"]}


def _expected(haystacks: dict[str, list[set[str]]], q: str) -> set[str]:
    """The events with one document holding every word of ``q`` (a word* as a prefix); every
    event when ``q`` is blank (no search), none when it has no word (only punctuation)."""
    if not q.strip():
        return set(haystacks)
    terms = parse_query(q, SearchSettings.min_prefix_chars)

    def holds(document: set[str]) -> bool:
        return all(any(w.startswith(t.word) for w in document) if t.prefix else t.word in document for t in terms)

    return {event for event, documents in haystacks.items() if terms and any(map(holds, documents))}


def test_search_parameters_are_data_not_sql(client, db, haystacks):
    before = _snapshot(db)
    assert len(haystacks) >= 3
    for payload in INJECTIONS:
        assert _search(client, q=payload) == _expected(haystacks, payload), payload
        assert _search(client, outlet=payload) == set(), payload
        for name in ("since", "until", "sort", "limit", "offset"):
            answer = client.get("/events", params={name: payload})
            assert answer.status_code == 422, (name, payload)
    for wildcard in ("%", "_", "*", "^"):  # no wildcard (LIKE, FTS5) matches everything
        assert _search(client, q=wildcard) < set(haystacks)
    assert _search(client, q="NORCIA basilica") == _expected(haystacks, "norcia basilica") != set()
    assert _snapshot(db) == before


vocabulary = st.sampled_from(
    ["norcia", "marlow", "flood", "flo*", "'", "%", "_", "\\", "--", ";", "or", "1=1", "*/", "/*", '"', "é", "ß"]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    st.lists(
        vocabulary
        | st.text(st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"), max_size=8),
        max_size=4,
    )
)
def test_any_search_returns_exactly_the_events_holding_every_word(client, haystacks, parts):
    q = " ".join(parts)[:200]
    assert _search(client, q=q) == _expected(haystacks, q)


def _nul_is_refused_and_never_stored(client, key: str) -> None:
    for path in ("/events?q=%00", "/events?outlet=a%00b", "/events/%00", "/articles/a%00b", "/jobs/%00"):
        answer = client.get(path)
        assert answer.status_code == 400 and "NUL" in answer.json()["error"]["message"], path
    article = {
        "id": "nul-1",
        "title": "Dam\u0000 opens",
        "text": "The new dam\u0000 opened on Friday.",
        "source": "N\u0000",
    }
    job = wait_for_job(client, client.post("/articles", json=article, headers=_auth(key)).json()["url"])
    assert job["status"] == "done" and job["result"]["new"] == 1, job
    stored = client.get("/articles/nul-1").json()
    assert (stored["title"], stored["text"], stored["source"]) == ("Dam opens", "The new dam opened on Friday.", "N")


def test_nul_characters_are_refused_in_urls_and_dropped_from_articles(client, key):
    _nul_is_refused_and_never_stored(client, key)


def test_nul_characters_on_postgresql(postgres_url):
    """PostgreSQL text cannot hold NUL at all: without these rules, a 500 and a failed job."""
    key = create_key(postgres_url)
    with TestClient(create_app(Settings(db=postgres_url))) as pg:
        _nul_is_refused_and_never_stored(pg, key)
        assert pg.get("/events", params={"q": "dam"}).json()["total"] == 1


# -- bodies ---------------------------------------------------------------------------------


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def test_an_oversized_body_without_a_declared_length_is_refused(client, key):
    def chunks() -> Iterator[bytes]:  # sent chunked: the limit must hold while reading
        yield b'{"text": "'
        for _ in range(ServeSettings.max_body_bytes // 65536 + 2):
            yield b"a" * 65536
        yield b'"}'

    answer = client.post("/articles", content=chunks(), headers=_auth(key))
    assert answer.status_code == 413 and "request body over" in answer.json()["error"]["message"]
    assert client.get("/health").status_code == 200


def test_malformed_bodies_get_a_4xx_not_a_crash(client, key):
    cases = [
        (b"[" * 100_000 + b"]" * 100_000, 400),  # nested deeper than any parser's stack
        (b'{"text": "lone \\ud800 surrogate"}', 422),  # JSON allows it, text storage cannot
        (b'{"text": "a", "text": {"$gt": ""}}', 422),
        (b"\xff\xfe{\x00}\x00", 422),
        (json.dumps([{"text": "x"}] * (ServeSettings.max_items + 1)).encode(), 413),
    ]
    for body, status in cases:
        answer = client.post("/articles", content=body, headers=_auth(key))
        assert answer.status_code == status, (body[:40], answer.text)
        assert answer.json()["error"]["status"] == status
    assert client.get("/events", headers={"X-Filler": "x" * 100_000}).status_code < 500
    assert client.get("/health").status_code == 200  # the server is still answering


@pytest.mark.parametrize(
    "path",
    [
        "/static/../pyproject.toml",
        "/static/..%2f..%2f..%2fpyproject.toml",
        "/static/%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
        "/static/..%5c..%5c..%5cpyproject.toml",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/....//....//etc/passwd",
        "/articles/..%2f..%2fpyproject.toml",
    ],
)
def test_paths_cannot_escape_the_static_folder(base, path):
    # Sent as written: httpx would resolve the dots itself.
    with httpx.Client(base_url=base, timeout=10) as raw:
        answer = raw.send(raw.build_request("GET", httpx.URL(base + path)))
    assert answer.status_code == 404
    assert "[project]" not in answer.text and "root:" not in answer.text


# -- script in article text, in a real browser ----------------------------------------------


def _visit(browser, base: str, path: str) -> dict:  # noqa: F811
    """Open ``path``; what ran, what was blocked, and what the page offers as links and scripts."""
    context = browser.new_context(base_url=base)
    page = context.new_page()
    dialogs, console = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    response = page.goto(path)
    page.wait_for_load_state("load")
    found = {
        "status": response.status,
        "ran": page.evaluate(f"typeof {MARK} === 'undefined' ? null : {MARK}"),
        "dialogs": dialogs,
        # A CSP violation would show here: markup got through escaping and only the policy stopped it.
        "console": [m for m in console if "Failed to load resource" not in m],
        "scripts": page.eval_on_selector_all("script", "els => els.map(e => e.getAttribute('src'))"),
        "handlers": page.eval_on_selector_all(
            "[onerror], [onload], [onclick], iframe, svg[onload]", "els => els.length"
        ),
        "bad_links": page.eval_on_selector_all(
            "a", "els => els.map(e => e.getAttribute('href') || '').filter(h => !/^(https?:|\\/|#)/i.test(h.trim()))"
        ),
        "text": page.inner_text("body"),
    }
    context.close()
    return found


def test_script_in_article_text_never_runs_in_the_pages(browser, base, client):  # noqa: F811
    event_url = client.get("/articles/hostile-1").json()["events"][0]["url"]
    story_url = client.get(event_url).json()["story"]["url"]
    pages = [
        "/",
        event_url,
        "/stories",
        story_url,
        f"/stories?q={PAYLOADS[0]}",
        f"/stories/{PAYLOADS[1]}",
        "/articles/hostile-1",
        "/articles/hostile-2",
        f"/?q={PAYLOADS[0]}",
        f"/?q=marlow&outlet={PAYLOADS[1]}",
        f"/events/{PAYLOADS[1]}",
        f"/articles/{PAYLOADS[0]}?format=html",
    ]
    for path in pages:
        seen = _visit(browser, base, path)
        assert seen["ran"] is None and seen["dialogs"] == [], (path, seen)
        assert seen["console"] == [], (path, seen["console"])
        assert all(src and src.startswith("/static/") for src in seen["scripts"]), (path, seen["scripts"])
        assert seen["handlers"] == 0, path
        assert seen["bad_links"] == [], (path, seen["bad_links"])
    # The payloads are shown as the text they are, not dropped.
    article = _visit(browser, base, "/articles/hostile-1")["text"]
    assert PAYLOADS[0] in article and PAYLOADS[4] in article and "{{ 7*7 }}" in article and "49" not in article
    search = _visit(browser, base, f"/?q={PAYLOADS[0]}")["text"]
    assert re.search(r"Events matching .<script>window\.__xss=1</script>", search)
