"""Updates over HTTP: event and story pages and their JSON, ``/updates``, and the Atom feeds
(parsed with feedparser), from a real ``storyline serve`` over a store with updates."""

from collections.abc import Iterator
from datetime import datetime
from email.utils import format_datetime
from html import unescape

import feedparser
import httpx
import pytest

from serving import running_server


@pytest.fixture(scope="module")
def client(updated_db) -> Iterator[httpx.Client]:
    with running_server(updated_db) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def changed(client) -> dict:
    """The update that moved a figure (the Baghouz event's: the aggregator's "Around 90 people"
    died, where the wire said 62), as ``/updates`` gives it."""
    items = client.get("/updates", params={"kind": "event", "limit": 100}).json()["items"]
    (found,) = [u for u in items if u["changes"]]
    return found


def _feed(client: httpx.Client, url: str) -> feedparser.FeedParserDict:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(answer.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10" and parsed.feed.title.startswith("storyline: ")
    return parsed


def test_event_json_carries_its_updates_newest_first(client, changed, ingest_times):
    event = client.get(changed["url"]).json()
    updates = event["updates"]
    assert [datetime.fromisoformat(u["at"]) for u in updates] == list(reversed(ingest_times))
    assert [u["opened"] for u in updates] == [False, True]
    assert updates[0]["seq"] == changed["seq"]
    ids = {a["id"] for a in event["articles"]}
    assert len(ids) == 2 and set(updates[0]["articles"]) | set(updates[1]["articles"]) == ids
    assert not set(updates[0]["articles"]) & set(updates[1]["articles"])
    for update in updates:
        assert update["summary"]
        for sentence in update["summary"]:
            assert set(sentence) == {"text", "article_id", "source", "url"}
            assert sentence["article_id"] in update["articles"]  # what arrived, not what was known
    (change,) = updates[0]["changes"]
    assert change["quantity"] == "people died"
    assert (change["before"]["value"], change["after"]["value"]) == (62, 90)
    assert change["before"]["article_id"] in updates[1]["articles"]  # the wire, known before
    assert change["after"]["article_id"] in updates[0]["articles"]  # the aggregator, just arrived
    assert updates[0]["changes"] == changed["changes"] and updates[0]["summary"] == changed["summary"]


def test_event_page_shows_what_is_new_with_both_values_of_the_change_cited(client, changed, ingest_times):
    page = client.get(changed["url"], headers={"Accept": "text/html"}).text
    assert f"New since {ingest_times[0]:%-d %b %Y}" in page
    before, after = changed["changes"][0]["before"], changed["changes"][0]["after"]
    assert (
        f'people died: rose from 62 people <a class="cite" href="/articles/{before["article_id"]}">{before["source"]}</a>'
        f' to Around 90 people <a class="cite" href="/articles/{after["article_id"]}">{after["source"]}</a>'
    ) in page
    for sentence in changed["summary"]:
        assert sentence["text"] in unescape(page)
    assert page.count('<li class="update">') == 2


def test_story_json_and_page_carry_the_story_updates(client, changed, ingest_times):
    story_id = client.get(changed["url"]).json()["story_id"]
    items = client.get("/updates", params={"kind": "story", "limit": 100}).json()["items"]
    mine = [u for u in items if u["target_id"] == story_id]
    assert [u["opened"] for u in mine] == [False, True]
    story = client.get(mine[0]["url"]).json()
    assert [u["seq"] for u in story["updates"]] == [u["seq"] for u in mine]
    assert {u["kind"] for u in story["updates"]} == {"story"}
    # the story's update carries its event's figure change, and cites what arrived
    assert story["updates"][0]["changes"] == changed["changes"]
    assert {s["article_id"] for s in story["updates"][0]["summary"]} <= set(changed["articles"])
    page = client.get(mine[0]["url"], headers={"Accept": "text/html"}).text
    assert f"New since {ingest_times[0]:%-d %b %Y}" in page
    assert "people died: rose from 62 people" in page


def test_updates_are_filtered_as_the_lists_are(client, ingest_times):
    opened_at, updated_at = ingest_times
    norcia = client.get("/updates", params={"q": "Norcia", "kind": "event"}).json()["items"]
    listed = {e["id"] for e in client.get("/events", params={"q": "Norcia"}).json()["items"]}
    assert norcia and {u["target_id"] for u in norcia} == listed
    between = opened_at + (updated_at - opened_at) / 2
    later = client.get("/updates", params={"since": between.isoformat(), "limit": 100}).json()["items"]
    assert len(later) == 6 and {datetime.fromisoformat(u["at"]) for u in later} == {updated_at}
    bad = client.get("/updates", params={"since": "soon"})
    assert bad.status_code == 422 and "not a day or a time" in bad.json()["error"]["message"]
    page = client.get("/updates", params={"q": "Norcia"}, headers={"Accept": "text/html"}).text
    assert page.count('<li class="update">') == len(client.get("/updates", params={"q": "Norcia"}).json()["items"])


def test_every_feed_is_valid_atom_with_an_entry_per_update(client, changed):
    story = client.get("/updates", params={"kind": "story"}).json()["items"][0]
    every = client.get("/updates", params={"limit": 100}).json()["items"]
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
    assert [e.id for e in _feed(client, "/updates.atom").entries] == [f"urn:storyline:update:{u['seq']}" for u in every]
    entries = _feed(client, f"{changed['url']}.atom").entries
    assert [e.id for e in entries] == [
        f"urn:storyline:update:{u['seq']}" for u in client.get(changed["url"]).json()["updates"]
    ]
    content = entries[0].content[0].value
    before, after = changed["changes"][0]["before"], changed["changes"][0]["after"]
    cite = '<a href="{base}/articles/{id}">{source}</a>'
    assert (
        f"people died: rose from 62 people {cite.format(base=client.base_url, id=before['article_id'], source=before['source'])}"
        f" to Around 90 people {cite.format(base=client.base_url, id=after['article_id'], source=after['source'])}"
    ) in content
    assert entries[0].title == f"{changed['headline']}: 1 new article" and entries[1].title.startswith("New event: ")
    for sentence in changed["summary"]:
        assert sentence["text"] in unescape(content)
        assert (sentence["url"] or f"{client.base_url}/articles/{sentence['article_id']}#s") in content
    assert f'href="{client.base_url}{changed["url"]}"' in content


def test_a_feed_of_a_search_without_updates_is_still_valid(client):
    parsed = _feed(client, "/events.atom?q=zzzunmatched")
    assert parsed.entries == [] and parsed.feed.id.endswith("/events.atom?q=zzzunmatched")
    assert parsed.feed.updated_parsed is not None


def test_feeds_answer_a_conditional_get_with_304(client, ingest_times):
    opened_at, updated_at = ingest_times
    first = client.get("/events.atom?q=Norcia")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert modified == format_datetime(updated_at, usegmt=True)  # the second ingest updated the quake
    again = client.get("/events.atom?q=Norcia", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get("/events.atom?q=Norcia", headers={"If-Modified-Since": modified}).status_code == 304
    stale = format_datetime(opened_at, usegmt=True)
    assert client.get("/events.atom?q=Norcia", headers={"If-Modified-Since": stale}).status_code == 200
    assert client.get("/events.atom?q=Norcia", headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get("/events.atom?q=basilica+Norcia").headers["etag"] != etag  # another query, another feed
    assert client.get("/events/ev-none.atom").status_code == 404
