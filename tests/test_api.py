"""The HTTP API as a client sees it: a real ``storyline serve`` on 127.0.0.1, real httpx requests."""

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from serving import create_key, ingest, running_server, wait_for_job
from storyline.api import create_app
from storyline.config import ServeSettings, Settings
from storyline.store import Store

DATA = Path(__file__).parent / "data"

VOLCANO = [
    {
        "id": "volcano-1",
        "title": "Volcano erupts near Grindavik, Iceland",
        "text": "A volcano erupted near the fishing town of Grindavik in south-west Iceland on Monday night, "
        "sending lava fountains into the sky. Authorities had evacuated the town's 3,700 residents weeks ago "
        "after hundreds of small earthquakes opened cracks in its streets, and the nearby Blue Lagoon spa closed.",
        "source": "North Wire",
        "url": "https://north.example.org/volcano",
        "published": "2023-12-18T23:00:00Z",
    },
    {
        "id": "volcano-2",
        "title": "Lava flows toward Grindavik after eruption",
        "text": "Lava from the volcano that erupted near Grindavik flowed toward the evacuated town on Tuesday, "
        "Iceland's meteorological office said. The eruption near Grindavik was the fourth in two years.",
        "source": "Island Times",
        "url": "https://islandtimes.example.com/lava",
        "published": "2023-12-19T09:30:00Z",
    },
]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    db = str(tmp_path_factory.mktemp("api") / "api.db")
    ingest(db, DATA / "quake.jsonl", DATA / "final.jsonl")
    return db


@pytest.fixture(scope="module")
def key(db) -> str:
    return create_key(db)


@pytest.fixture(scope="module")
def client(db, key) -> Iterator[httpx.Client]:
    with running_server(db, "--allow-private") as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def pages() -> Iterator[str]:
    """A local web server with the test pages, standing in for the public web."""
    handler = functools.partial(QuietHandler, directory=str(DATA))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_health_and_openapi(client):
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["articles"] >= 5 and health["events"] >= 2
    assert 1 <= health["stories"] <= health["events"]
    schema = client.get("/openapi.json").json()
    assert {
        "/events",
        "/events/{event_id}",
        "/stories",
        "/stories/{story_id}",
        "/articles",
        "/articles/{article_id}",
        "/jobs/{job_id}",
    } <= set(schema["paths"])
    # one set of list filters serves both lists
    parameters = {
        path: [p["name"] for p in schema["paths"][path]["get"]["parameters"]] for path in ("/events", "/stories")
    }
    assert parameters["/events"] == parameters["/stories"] and "outlet" in parameters["/stories"]
    assert client.get("/docs").status_code == 200


def test_events_come_in_pages_newest_first(client):
    first = client.get("/events", params={"limit": 1}).json()
    assert first["total"] >= 2 and len(first["items"]) == 1 and first["prev"] is None
    second = client.get(first["next"]).json()
    assert second["offset"] == 1 and second["prev"] is not None
    assert first["items"][0]["last_published"] >= second["items"][0]["last_published"]
    coverage = client.get("/events", params={"sort": "coverage"}).json()["items"]
    assert [e["article_count"] for e in coverage] == sorted((e["article_count"] for e in coverage), reverse=True)


def test_events_search_and_filters(client):
    found = client.get("/events", params={"q": "norcia BASILICA"}).json()
    assert found["total"] == 1 and "Norcia" in found["items"][0]["headline"]
    assert client.get("/events", params={"q": "norcia final"}).json()["total"] == 0
    by_outlet = client.get("/events", params={"outlet": "Example Times"}).json()["items"]
    assert by_outlet and all("Example Times" in e["sources"] for e in by_outlet)
    in_2016_autumn = client.get("/events", params={"since": "2016-10-01", "until": "2016-10-31"}).json()["items"]
    assert [e["headline"] for e in in_2016_autumn] == [found["items"][0]["headline"]]


def test_bad_query_parameters_are_explained_as_json(client):
    answer = client.get("/events", params={"since": "yesterday"})
    assert answer.status_code == 422
    assert answer.json()["error"]["message"] == "since='yesterday': not a date (use YYYY-MM-DD)"
    answer = client.get("/events", params={"limit": 100000})
    assert answer.status_code == 422 and "limit" in answer.json()["error"]["message"]


def test_event_detail_has_citations_outlets_and_timeline(client):
    event_id = client.get("/events", params={"q": "norcia"}).json()["items"][0]["id"]
    event = client.get(f"/events/{event_id}").json()
    article_ids = {a["id"] for a in event["articles"]}
    assert event["summary"] and all(s["article_id"] in article_ids and s["source"] for s in event["summary"])
    assert {o["name"] for o in event["outlets"]} == {"Example Wire", "Example Daily", "Example Times"}
    assert all(a["copy_of"] is None for o in event["outlets"] for a in o["articles"])  # three own reports
    assert [t["date"] for t in event["timeline"]] == sorted(t["date"] for t in event["timeline"])
    missing = client.get("/events/no-such-event")
    assert missing.status_code == 404 and missing.json() == {
        "error": {"status": 404, "message": "no event 'no-such-event'"}
    }


def test_article_detail_names_its_events(client):
    article = client.get("/articles/quake-2").json()
    assert article["source"] == "Example Daily" and "basilica" in article["text"]
    assert len(article["events"]) == 1 and article["events"][0]["url"].startswith("/events/")
    assert client.get("/articles/nope").status_code == 404


def test_article_ids_with_slashes_and_spaces_are_reachable_from_the_event_page(client, key):
    awkward = {
        "id": "reuters/2023/09/11 derna?v=2",
        "title": "Dams burst above Derna, Libya",
        "text": "Two dams above the Libyan city of Derna burst after Storm Daniel, sweeping whole districts "
        "into the sea, the eastern administration said on Monday. Rescuers in Derna were still searching.",
        "source": "Desert Wire",
        "published": "2023-09-11T18:00:00Z",
    }
    done = wait_for_job(client, client.post("/articles", json=awkward, headers=_auth(key)).json()["url"])
    assert done["status"] == "done" and done["result"]["new"] == 1
    article = client.get("/articles/reuters/2023/09/11%20derna%3Fv=2").json()
    assert article["id"] == awkward["id"]
    page = client.get(article["events"][0]["url"], headers={"Accept": "text/html"}).text
    link = "/articles/reuters/2023/09/11%20derna%3Fv%3D2"
    assert f'href="{link}' in page  # the event page links to it, and the link leads there
    assert client.get(link).json()["id"] == awkward["id"]


def test_writes_need_a_valid_key(client, key):
    for headers in ({}, {"Authorization": "Bearer sl_0000_wrong"}, {"X-API-Key": key + "x"}):
        answer = client.post("/articles", json=VOLCANO[0], headers=headers)
        assert answer.status_code == 401, headers
        assert "storyline keys create" in answer.json()["error"]["message"]
        assert answer.headers["www-authenticate"] == "Bearer"


def test_posted_articles_become_an_event_without_a_restart(client, key):
    assert client.get("/events", params={"q": "grindavik"}).json()["total"] == 0
    answer = client.post("/articles", json=VOLCANO, headers=_auth(key))
    assert answer.status_code == 202
    job = answer.json()
    assert job["status"] in ("queued", "running") and answer.headers["location"] == job["url"]
    done = wait_for_job(client, job["url"])
    assert done["status"] == "done" and done["result"]["new"] == 2 and done["result"]["failed"] == []
    [event] = client.get("/events", params={"q": "grindavik"}).json()["items"]
    assert event["article_count"] == 2 and set(event["sources"]) == {"North Wire", "Island Times"}
    # the same request again stores nothing new
    again = wait_for_job(client, client.post("/articles", json=VOLCANO, headers={"X-API-Key": key}).json()["url"])
    assert again["result"]["new"] == 0 and again["result"]["duplicate"] == 2


def test_a_wire_copy_is_marked_on_the_event(client, key):
    copy = {
        **VOLCANO[0],
        "id": "volcano-copy",
        "source": "Regional Herald",
        "title": "Iceland volcano erupts",
        "text": VOLCANO[0]["text"] + " More to follow.",  # republished with a tagline: a copy, not the same text
        "published": "2023-12-19T06:00:00Z",
    }
    assert (
        wait_for_job(client, client.post("/articles", json=copy, headers=_auth(key)).json()["url"])["status"] == "done"
    )
    event = client.get(client.get("/articles/volcano-copy").json()["events"][0]["url"]).json()
    copies = {a["id"]: a["copy_of"] for o in event["outlets"] for a in o["articles"]}
    assert copies == {"volcano-1": None, "volcano-2": None, "volcano-copy": "volcano-1"}


def test_posted_urls_are_fetched_and_failures_reported(client, key, pages):
    job = client.post("/articles", json={"urls": [f"{pages}/page.html"]}, headers=_auth(key)).json()
    done = wait_for_job(client, job["url"])
    assert done["status"] == "done" and done["result"]["new"] == 1
    assert client.get("/events", params={"q": "wildfire california"}).json()["total"] == 1
    failed = wait_for_job(
        client, client.post("/articles", json={"urls": [f"{pages}/gone.html"]}, headers=_auth(key)).json()["url"]
    )
    assert failed["status"] == "failed" and "404" in failed["error"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"articles": []}, "nothing to ingest"),
        ({"urls": ["file:///etc/passwd"]}, "only http and https"),
        ({"text": "x", "colour": "red"}, "invalid request"),
        ({"title": "no text"}, "invalid request"),
    ],
)
def test_bad_submissions_are_refused_with_a_reason(client, key, body, expected):
    answer = client.post("/articles", json=body, headers=_auth(key))
    assert answer.status_code == 422 and expected in answer.json()["error"]["message"]


def test_malformed_json_and_oversized_bodies_are_refused(client, key):
    answer = client.post("/articles", content=b"{not json", headers={**_auth(key), "Content-Type": "application/json"})
    assert answer.status_code == 422 and "JSON" in answer.json()["error"]["message"]
    huge = b'{"text": "' + b"a" * ServeSettings.max_body_bytes + b'"}'
    answer = client.post("/articles", content=huge, headers={**_auth(key), "Content-Type": "application/json"})
    assert answer.status_code == 413 and "request body over" in answer.json()["error"]["message"]


def test_pages_are_escaped_and_carry_security_headers(client, key):
    hostile = {
        "id": "hostile",
        "title": "<script>alert('title')</script>",
        "text": "Ordinary words then <img src=x onerror=alert(1)> and <script>alert('body')</script> end here.",
        "source": "<b>Bold Outlet</b>",
    }
    assert (
        wait_for_job(client, client.post("/articles", json=hostile, headers=_auth(key)).json()["url"])["status"]
        == "done"
    )
    html = client.get("/articles/hostile", headers={"Accept": "text/html"})
    assert html.headers["content-type"].startswith("text/html")
    assert "<script>alert" not in html.text and "<img src=x" not in html.text and "<b>Bold" not in html.text
    assert "&lt;script&gt;alert(&#39;body&#39;)&lt;/script&gt;" in html.text
    csp = html.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert html.headers["x-content-type-options"] == "nosniff"
    # the same URL gives JSON to a program
    assert client.get("/articles/hostile").json()["title"] == hostile["title"]
    assert client.get("/articles/hostile", params={"format": "json"}, headers={"Accept": "text/html"}).json()


def test_cors_is_off_unless_configured(client, tmp_path):
    preflight = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"}
    assert "access-control-allow-origin" not in client.get("/events", headers=preflight).headers
    settings = Settings(db=str(tmp_path / "cors.db"), serve=ServeSettings(cors_origins=("https://elsewhere.example",)))
    with TestClient(create_app(settings)) as local:
        answer = local.options("/events", headers=preflight)
        assert answer.headers["access-control-allow-origin"] == "https://elsewhere.example"


def test_private_mode_needs_a_key_for_reads_too(tmp_path):
    settings = Settings(db=str(tmp_path / "private.db"), serve=ServeSettings(private=True))
    with TestClient(create_app(settings)) as local:
        assert local.get("/events").status_code == 401
        key = create_key(settings.db)
        assert local.get("/events", headers=_auth(key)).status_code == 200


def test_jobs_left_unfinished_by_a_stopped_server_are_resumed(tmp_path):
    settings = Settings(db=str(tmp_path / "resume.db"))
    with Store(settings.db) as store:
        store.add_job("left-over", json.dumps({"articles": VOLCANO}))  # queued when the server stopped
    with TestClient(create_app(settings)) as local:
        done = wait_for_job(local, "/jobs/left-over")
        assert done["status"] == "done" and done["result"]["new"] == 2
        assert local.get("/events", params={"q": "grindavik"}).json()["total"] == 1


def test_serving_from_postgresql(postgres_url):
    ingest(postgres_url, DATA / "quake.jsonl")
    key = create_key(postgres_url)
    with running_server(postgres_url) as base, httpx.Client(base_url=base, timeout=30) as pg:
        assert pg.get("/events", params={"q": "norcia"}).json()["total"] == 1
        done = wait_for_job(pg, pg.post("/articles", json=VOLCANO, headers=_auth(key)).json()["url"])
        assert done["status"] == "done" and done["result"]["new"] == 2
        [event] = pg.get("/events", params={"q": "grindavik"}).json()["items"]
        assert pg.get(event["url"], headers={"Accept": "text/html"}).text.count('class="cite"') >= 1
