"""A merged event or story keeps its address: its page, JSON and feed answer with a permanent
redirect to the survivor (as a feed reader needs to move a subscription), through a chain of
merges, from a real ``storyline serve`` over a store that two real ingests built."""

import shutil
from collections.abc import Iterator

import feedparser
import httpx
import pytest

from serving import running_server
from storyline.store import Store
from storyline.store.grouping import GroupingCommit


def _merge(db: str, kind: str, old: str, new: str) -> None:
    """Merge ``old`` into ``new`` as an ingest's commit does: ``old`` goes, its updates move."""
    with Store(db) as store:
        gone = {"gone_events": [old]} if kind == "event" else {"gone_stories": [old]}
        store.commit_change(
            GroupingCommit(
                events=[], stories=[], head=store.grouping_head(), blocks={}, renamed={kind: {old: new}}, **gone
            )
        )


@pytest.fixture(scope="module")
def merged(updated_db, tmp_path_factory) -> Iterator[tuple[httpx.Client, dict]]:
    db = str(tmp_path_factory.mktemp("merged") / "merged.db")
    shutil.copy(updated_db, db)
    with Store(db) as store:
        events = sorted(e.id for e in store.events())
        stories = sorted({u.target_id for u in store.updates(kind="story", limit=0)})
        before = {e: len(store.updates("event", [e], limit=0)) for e in events}
    assert len(events) == 3 and len(stories) == 3
    first, second, third = events
    _merge(db, "event", first, second)
    _merge(db, "event", second, third)  # first now leads to third as well
    _merge(db, "story", stories[0], stories[1])
    ids = {"events": events, "stories": stories, "updates_before": before}
    with running_server(db) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client, ids


def test_a_merged_event_page_and_json_redirect_to_the_survivor(merged):
    client, ids = merged
    first, second, third = ids["events"]
    for old in (first, second):
        answer = client.get(f"/events/{old}", params={"format": "json"})
        assert answer.status_code == 301, answer.text
        assert answer.headers["location"] == f"/events/{third}?format=json"
    followed = client.get(f"/events/{first}", params={"format": "json"}, follow_redirects=True)
    assert followed.status_code == 200 and followed.json()["id"] == third
    # the updates of the merged events now belong to the survivor (the page shows the latest)
    shown = followed.json()["updates"]
    assert {u["target_id"] for u in shown} == {third} and len(shown) > ids["updates_before"][third]
    html = client.get(f"/events/{first}", headers={"accept": "text/html"}, follow_redirects=True)
    assert html.status_code == 200 and f"/events/{third}.atom" in html.text


def test_a_merged_feed_redirects_and_reads_as_the_survivors_feed(merged):
    client, ids = merged
    first, _, third = ids["events"]
    answer = client.get(f"/events/{first}.atom")
    assert answer.status_code == 301 and answer.headers["location"] == f"/events/{third}.atom"
    parsed = feedparser.parse(client.get(f"/events/{first}.atom", follow_redirects=True).content)
    assert not parsed.bozo and len(parsed.entries) == sum(ids["updates_before"].values())


def test_a_merged_story_redirects_and_an_unknown_id_is_still_404(merged):
    client, ids = merged
    old, survivor, _ = ids["stories"]
    assert client.get(f"/stories/{old}").headers["location"] == f"/stories/{survivor}"
    assert client.get(f"/stories/{old}.atom").headers["location"] == f"/stories/{survivor}.atom"
    assert client.get(f"/stories/{survivor}", params={"format": "json"}).status_code == 200
    for url in ("/events/ev-none", "/events/ev-none.atom", "/stories/st-none"):
        answer = client.get(url, params={"format": "json"})
        assert answer.status_code == 404 and "none" in answer.json()["error"]["message"]
