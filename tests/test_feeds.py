"""Updates over HTTP: event and story pages and their JSON, ``/updates``, and the Atom feeds
(parsed with feedparser), from a real ``storyline serve`` over a store with updates."""

from collections.abc import Iterator
from datetime import datetime
from email.utils import format_datetime

import feedparser
import httpx
import pytest

from conftest import OPENED_AT, UPDATED_AT
from serving import running_server


@pytest.fixture(scope="module")
def client(updated_db) -> Iterator[httpx.Client]:
    with running_server(updated_db) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def changed(client) -> dict:
    """The update that moved a figure, as ``/updates`` gives it."""
    items = client.get("/updates", params={"kind": "event", "limit": 100}).json()["items"]
    return next(u for u in items if u["changes"])


def _feed(client: httpx.Client, url: str) -> feedparser.FeedParserDict:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(answer.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10" and parsed.feed.title.startswith("storyline: ")
    return parsed


def test_event_json_carries_its_updates_newest_first(client, changed):
    event = client.get(changed["url"]).json()
    updates = event["updates"]
    assert [datetime.fromisoformat(u["at"]) for u in updates] == [UPDATED_AT, OPENED_AT]
    assert [u["opened"] for u in updates] == [False, True]
    ids = {a["id"] for a in event["articles"]}
    assert set(updates[0]["articles"]) | set(updates[1]["articles"]) == ids
    for sentence in updates[0]["summary"]:
        assert set(sentence) == {"text", "article_id", "source", "url"}
        assert sentence["article_id"] in updates[0]["articles"]
    (change,) = updates[0]["changes"]
    assert change["quantity"] == "people injured"
    assert (change["before"]["value"], change["after"]["value"]) == (12, 20)
    assert change["before"]["article_id"] in ids and change["after"]["article_id"] in ids


def test_event_page_shows_what_is_new_since_the_oldest_update_shown(client, changed):
    page = client.get(changed["url"], headers={"Accept": "text/html"}).text
    assert "New since 1 May 2024" in page
    after = changed["changes"][0]["after"]
    assert 'people injured: rose from 12 people <a class="cite" href="/articles/' in page
    assert f'to about 20 people <a class="cite" href="/articles/{after["article_id"]}">{after["source"]}</a>' in page
    for sentence in changed["summary"]:
        assert sentence["text"] in page


def test_story_json_and_page_carry_the_story_updates(client):
    story_update = client.get("/updates", params={"kind": "story"}).json()["items"][0]
    story = client.get(story_update["url"]).json()
    assert story["updates"] and {u["kind"] for u in story["updates"]} == {"story"}
    assert story["updates"][0]["seq"] > story["updates"][-1]["seq"]
    page = client.get(story_update["url"], headers={"Accept": "text/html"}).text
    assert f"New since {OPENED_AT:%-d %b %Y}" in page


def test_updates_are_filtered_as_the_lists_are(client):
    norcia = client.get("/updates", params={"q": "Norcia", "kind": "event"}).json()["items"]
    listed = {e["id"] for e in client.get("/events", params={"q": "Norcia"}).json()["items"]}
    assert norcia and {u["target_id"] for u in norcia} == listed
    later = client.get("/updates", params={"since": "2024-05-01T10:00:00Z"}).json()["items"]
    assert later and {datetime.fromisoformat(u["at"]) for u in later} == {UPDATED_AT}
    bad = client.get("/updates", params={"since": "soon"})
    assert bad.status_code == 422 and "not a day or a time" in bad.json()["error"]["message"]
    page = client.get("/updates", params={"q": "Norcia"}, headers={"Accept": "text/html"}).text
    assert page.count('<li class="update">') == len(client.get("/updates", params={"q": "Norcia"}).json()["items"])


def test_every_feed_is_valid_atom_with_an_entry_per_update(client, changed):
    story = client.get("/updates", params={"kind": "story"}).json()["items"][0]
    for url in (
        "/events.atom",
        "/events.atom?q=Norcia",
        "/stories.atom",
        "/updates.atom",
        f"{changed['url']}.atom",
        f"{story['url']}.atom",
    ):
        parsed = _feed(client, url)
        assert parsed.entries, url
        for entry in parsed.entries:
            assert entry.link.startswith(str(client.base_url)) and entry.id.startswith("urn:storyline:update:")
    entries = _feed(client, f"{changed['url']}.atom").entries
    assert [e.id for e in entries] == [
        f"urn:storyline:update:{u['seq']}" for u in client.get(changed["url"]).json()["updates"]
    ]
    content = entries[0].content[0].value
    assert "people injured: rose from 12 people" in content and "to about 20 people" in content
    for sentence in changed["summary"]:
        assert sentence["text"] in content and (sentence["url"] or sentence["article_id"]) in content
    assert f'href="{client.base_url}{changed["url"]}"' in content


def test_a_feed_of_a_search_without_updates_is_still_valid(client):
    parsed = _feed(client, "/events.atom?q=zzzunmatched")
    assert parsed.entries == [] and parsed.feed.id.endswith("/events.atom?q=zzzunmatched")
    assert parsed.feed.updated_parsed is not None


def test_feeds_answer_a_conditional_get_with_304(client):
    first = client.get("/events.atom?q=Norcia")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert modified == format_datetime(UPDATED_AT, usegmt=True)
    again = client.get("/events.atom?q=Norcia", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get("/events.atom?q=Norcia", headers={"If-Modified-Since": modified}).status_code == 304
    stale = format_datetime(OPENED_AT, usegmt=True)
    assert client.get("/events.atom?q=Norcia", headers={"If-Modified-Since": stale}).status_code == 200
    assert client.get("/events.atom?q=Norcia", headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get("/events.atom?q=basilica+Norcia").headers["etag"] != etag  # another query, another feed
    assert client.get("/events/ev-none.atom").status_code == 404
