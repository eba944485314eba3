"""Stories over HTTP: ``GET /stories`` and ``GET /stories/{id}`` and the event's link to its story,
against a real ``storyline serve`` over a store of really ingested articles (SQLite and PostgreSQL)."""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import EXAMPLES, write_jsonl
from serving import create_key, ingest, running_server, wait_for_job
from test_api import VOLCANO
from test_stories import _rebuilding

DATA = Path(__file__).parent / "data"
HTML = {"Accept": "text/html"}


def _rebuilding_record() -> dict:
    """The Norcia story's second event, months after the quake, as a line of JSONL."""
    article = _rebuilding()
    return {
        "id": article.id,
        "title": article.title,
        "text": article.text,
        "source": article.source,
        "published": article.published.isoformat(),
    }


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("stories")
    db = str(folder / "stories.db")
    later = write_jsonl(folder / "rebuild.jsonl", [_rebuilding_record()])
    ingest(db, *sorted(EXAMPLES.glob("*.txt")), DATA / "quake.jsonl", DATA / "final.jsonl", later)
    return db


@pytest.fixture(scope="module")
def client(db) -> Iterator[httpx.Client]:
    with running_server(db) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


def _baghouz_story_is_one_event_with_a_cited_digest(client: httpx.Client) -> dict:
    """The bundled pair, found by a word only its articles hold, is one story of one event: the
    story answers with that event and a digest citing its articles, and the event links back."""
    found = client.get("/stories", params={"q": "Baghouz"}).json()
    assert found["total"] == 1 and found["complete"]
    [brief] = found["items"]
    assert brief["event_count"] == 1 and brief["article_count"] == 2 and len(brief["sources"]) == 2
    assert brief["digest"] and brief["url"] == f"/stories/{brief['id']}"
    story = client.get(brief["url"]).json()
    assert story["id"] == brief["id"] and story["name"] == brief["name"]
    [event_ref] = story["events"]
    event = client.get(event_ref["url"]).json()
    assert event["story"] == {"id": story["id"], "name": story["name"], "events": 1, "url": brief["url"]}
    assert event_ref["headline"] == event["headline"] and event_ref["article_count"] == len(event["articles"]) == 2
    article_ids = {a["id"] for a in event["articles"]}
    assert story["digest"] and all(
        lead["event_id"] == event["id"] and lead["article_id"] in article_ids for lead in story["digest"]
    )
    assert [lead["text"] for lead in story["digest"]] == brief["digest"]
    assert not any("Latest News" in lead["text"] for lead in story["digest"])
    return story


def test_the_bundled_pair_is_one_story_of_one_event(client):
    _baghouz_story_is_one_event_with_a_cited_digest(client)


def test_every_story_is_listed_once_across_its_pages(client):
    health = client.get("/health").json()
    assert health["stories"] == 3 and health["events"] == 4  # the Norcia story holds two events
    everything = client.get("/stories").json()
    assert everything["total"] == 3 and everything["next"] is None
    seen, url, offsets = [], "/stories?limit=1", []
    while url:
        answer = client.get(url).json()
        assert answer["total"] == 3 and len(answer["items"]) == 1
        offsets.append(answer["offset"])
        seen += [item["id"] for item in answer["items"]]
        url = answer["next"]
    assert offsets == [0, 1, 2] and seen == [item["id"] for item in everything["items"]]
    last = client.get("/stories", params={"limit": 1, "offset": 2}).json()
    assert last["prev"] == "/stories?limit=1&offset=1"
    beyond = client.get("/stories", params={"offset": 10}).json()
    assert beyond["items"] == [] and beyond["total"] == 3
    dated = [i["last_published"] for i in everything["items"] if i["last_published"]]
    assert dated == sorted(dated, reverse=True)  # newest first without a search


def test_stories_filter_by_words_outlet_and_dates(client):
    norcia = client.get("/stories", params={"q": "norcia basilica"}).json()
    assert norcia["total"] == 1 and norcia["items"][0]["event_count"] == 2
    assert client.get("/stories", params={"q": "norcia final"}).json()["total"] == 0
    daily = client.get("/stories", params={"outlet": "Example Daily"}).json()
    assert daily["total"] == 2 and all("Example Daily" in s["sources"] for s in daily["items"])
    assert client.get("/stories", params={"outlet": "Nobody's Gazette"}).json()["total"] == 0
    # a story spans its events: the spring of 2017 holds only the rebuilding, of the Norcia story
    spring = client.get("/stories", params={"since": "2017-03-01", "until": "2017-04-30"}).json()
    assert [s["id"] for s in spring["items"]] == [norcia["items"][0]["id"]]
    summer = client.get("/stories", params={"since": "2016-07-01", "until": "2016-07-31"}).json()
    assert summer["total"] == 1 and "Portugal" in summer["items"][0]["name"]
    coverage = client.get("/stories", params={"sort": "coverage"}).json()["items"]
    assert coverage[0]["id"] == norcia["items"][0]["id"] and coverage[0]["article_count"] == 4


def test_a_story_of_two_events_lists_them_in_time_order_on_its_page(client):
    [brief] = client.get("/stories", params={"q": "norcia"}).json()["items"]
    story = client.get(brief["url"]).json()
    assert [e["first_published"][:10] for e in story["events"]] == ["2016-10-30", "2017-03-28"]
    assert story["article_count"] == 4 and story["first_published"].startswith("2016-10-30")
    assert len(story["digest"]) == 2 and {lead["event_id"] for lead in story["digest"]} == {
        e["id"] for e in story["events"]
    }
    page = client.get(brief["url"], headers=HTML)
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    axis = page.text[page.text.index('class="axis"') :]
    positions = [axis.index(f'href="/events/{e["id"]}"') for e in story["events"]]
    assert positions == sorted(positions)  # the axis runs down in time order
    assert "5 months later" in axis  # the gap between the quake and the rebuilding
    for lead in story["digest"]:  # each lead cites its article and names its event
        assert f'href="/articles/{lead["article_id"]}#s' in page.text
    assert re.search(r"Example Wire</a> <span class=\"muted\">\(2 events\)", page.text)
    # each event of the event list names its story and links to it
    events = client.get("/events", params={"q": "norcia"}).json()["items"]
    assert len(events) == 2 and all(
        e["story"] == {"id": story["id"], "name": story["name"], "events": 2, "url": brief["url"]} for e in events
    )
    listed = client.get("/events", params={"q": "norcia"}, headers=HTML).text
    assert listed.count(f'Part of story: <a href="{brief["url"]}">') == 2
    assert listed.count("· 2 events</p>") == 2
    # the JSON twin of the page is the same story
    assert client.get(brief["url"], params={"format": "json"}, headers=HTML).json()["id"] == story["id"]


def test_the_list_page_shows_each_story_with_its_counts(client):
    page = client.get("/stories", headers=HTML).text
    assert page.count('class="card story-card"') == 3
    assert "2 events ·" in page and "<title>Stories · storyline</title>" in page
    assert 'action="/stories"' in page and 'aria-current="page">Stories</a>' in page
    searched = client.get("/stories", params={"q": "zzzunmatched", "format": "html"}).text
    assert "No stories match." in searched


def test_an_unknown_story_or_a_bad_filter_is_explained(client):
    missing = client.get("/stories/st-nope")
    assert missing.status_code == 404 and missing.json() == {"error": {"status": 404, "message": "no story 'st-nope'"}}
    page = client.get("/stories/st-nope", headers=HTML)
    assert page.status_code == 404 and "no story &#39;st-nope&#39;" in page.text
    bad = client.get("/stories", params={"until": "soon"})
    assert bad.status_code == 422 and bad.json()["error"]["message"] == "until='soon': not a date (use YYYY-MM-DD)"
    assert client.get("/stories", params={"sort": "alphabetical"}).status_code == 422


def test_a_new_story_is_listed_at_once_after_an_ingest(client, db):
    """The read cache keeps list answers: a write must make them stale."""
    before = client.get("/stories").json()["total"]
    key = create_key(db)
    job = client.post("/articles", json=VOLCANO, headers={"Authorization": f"Bearer {key}"}).json()
    assert wait_for_job(client, job["url"])["status"] == "done"
    after = client.get("/stories").json()
    assert after["total"] == before + 1
    [volcano] = client.get("/stories", params={"q": "grindavik"}).json()["items"]
    assert volcano["article_count"] == 2 and set(volcano["sources"]) == {"North Wire", "Island Times"}


def test_stories_from_postgresql(postgres_url):
    ingest(postgres_url, *sorted(EXAMPLES.glob("*.txt")), DATA / "final.jsonl")
    with running_server(postgres_url) as base, httpx.Client(base_url=base, timeout=30) as pg:
        story = _baghouz_story_is_one_event_with_a_cited_digest(pg)
        listed = pg.get("/stories", params={"limit": 1}).json()
        assert listed["total"] == 2 and listed["next"] == "/stories?limit=1&offset=1"
        by_outlet = pg.get("/stories", params={"outlet": "Example Sport"}).json()
        assert by_outlet["total"] == 1 and by_outlet["items"][0]["id"] != story["id"]
        assert pg.get("/stories", params={"since": "2016-07-10", "until": "2016-07-10"}).json()["total"] == 1
        assert pg.get("/stories/st-nope").status_code == 404
