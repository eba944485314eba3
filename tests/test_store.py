"""The store on every database it supports: each test runs on SQLite and on PostgreSQL."""

import time
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from storyline import store as store_module
from storyline.errors import StoreError
from storyline.listing import ListQuery
from storyline.model import Article, Event, RawDocument, Sentence, TimelineEntry
from storyline.store import SCHEMA_VERSION, Store, database_url


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "test.db")
    return request.getfixturevalue("postgres_url")


def _article(n: int, text: str | None = None, source: str = "Example Wire") -> Article:
    return Article(
        id=f"a{n}",
        text=text or f"Article number {n} reports something distinct about event {n}.",
        title=f"Title {n}",
        source=source,
        published=datetime(2020, 1, n, tzinfo=UTC),
    )


def test_new_database_is_migrated_to_the_current_version(db):
    with Store(db) as store:
        assert store.schema_version() == SCHEMA_VERSION
    with Store(db) as store:  # reopening applies nothing twice
        assert store.schema_version() == SCHEMA_VERSION
        tables = set(inspect(store.engine).get_table_names())
    assert {"documents", "articles", "events", "event_articles", "summary_sentences", "timeline_entries"} <= tables
    assert {"api_keys", "jobs"} <= tables


def test_database_from_a_newer_storyline_is_refused(db):
    with Store(db) as store, store.engine.begin() as conn:
        conn.execute(text("INSERT INTO schema_migrations VALUES (:v, 'later')"), {"v": SCHEMA_VERSION + 1})
    with pytest.raises(StoreError, match="newer"):
        Store(db)


def test_unopenable_database_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="cannot open"):
        Store(str(tmp_path / "no-such-dir" / "x.db"))


def test_unreachable_postgresql_is_a_store_error():
    with pytest.raises(StoreError, match="cannot open"):
        Store("postgresql://nobody:wrong@127.0.0.1:1/none?connect_timeout=2")


def test_postgresql_urls_use_psycopg_3():
    assert database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert database_url("x.db") == "sqlite:///x.db"


def test_add_document_is_idempotent_and_catches_copies(db):
    doc = RawDocument(origin="batch.jsonl", kind="jsonl", data=b"raw bytes")
    with Store(db) as store:
        assert store.add_document(doc, [_article(1), _article(2)]) == (2, 0)
        assert store.add_document(doc, [_article(1), _article(2)]) == (0, 2)
        # same text under another id, with different case and spacing: a duplicate
        copy = _article(9, text="ARTICLE number 1   reports something distinct about event 1!")
        assert store.add_document(doc, [copy]) == (0, 1)
        assert [a.id for a in store.articles()] == ["a1", "a2"]


def test_articles_come_back_in_time_order_with_metadata(db):
    doc = RawDocument(origin="x", kind="jsonl", data=b"x")
    with Store(db) as store:
        store.add_document(doc, [_article(3), _article(1), _article(2)])
        articles = store.articles()
        assert store.article("a2") == articles[1]
        assert store.article("missing") is None
    assert [a.id for a in articles] == ["a1", "a2", "a3"]
    assert articles[0].published == datetime(2020, 1, 1, tzinfo=UTC)
    assert articles[0].document_id == doc.id


def test_raw_document_is_kept_for_reprocessing(db):
    # every byte value, so a text column or an encoding step anywhere would show
    data = bytes(range(256)) + "<html><body><p>Ünïcode page</p></body></html>".encode() * 50
    doc = RawDocument(origin="page.html", kind="html", data=data)
    with Store(db) as store:
        store.add_document(doc, [_article(1)])
        assert store.raw_document(doc.id) == doc
        assert store.raw_document("missing") is None


def test_failed_write_leaves_the_store_as_it_was(db):
    doc = RawDocument(origin="x", kind="jsonl", data=b"x")
    with Store(db) as store:
        store.add_document(doc, [_article(1)])
        broken = _article(2)
        broken.title = None  # violates NOT NULL half-way through the transaction
        with pytest.raises(IntegrityError):
            store.add_document(RawDocument(origin="y", kind="jsonl", data=b"y"), [_article(3), broken])
        assert [a.id for a in store.articles()] == ["a1"]
        assert store.raw_document(RawDocument(origin="y", kind="jsonl", data=b"y").id) is None


def test_events_round_trip(db):
    articles = [_article(1), _article(2)]
    with Store(db) as store:
        store.add_document(RawDocument(origin="x", kind="jsonl", data=b"x"), articles)
        event = Event(
            id="ev-1",
            articles=articles,
            headline="Headline",
            summary=[Sentence(text="Article number 2 reports.", article_id="a2", position=0)],
            timeline=[TimelineEntry(date=articles[0].published, text="Title 1", article_id="a1")],
        )
        store.replace_events([event])
        store.replace_events([event])  # replacing is whole: no leftovers, no conflicts
        [loaded] = store.events()
        assert store.event("ev-1") == loaded
        assert store.event("missing") is None
        assert store.events_of_article("a1") == [("ev-1", "Headline")]
    assert loaded.id == "ev-1" and loaded.headline == "Headline"
    assert [a.id for a in loaded.articles] == ["a1", "a2"]
    assert loaded.summary[0].text == "Article number 2 reports."
    assert loaded.summary[0].source == "Example Wire"  # citation filled from the article
    assert loaded.timeline[0].date == articles[0].published


@pytest.fixture
def three_events(db):
    """Three events: a big old one, a small new one, one of another outlet in between."""
    articles = [
        _article(1, "Flood waters rose across the valley on Monday.", source="River News"),
        _article(2, "The flood forced 2,000 people from their homes.", source="Wire"),
        _article(3, "Floodwater reached the town hall, officials said.", source="Wire"),
        _article(5, "The election count ended with a 50% turnout_rate.", source="Daily"),
        _article(9, "A new bridge opened to traffic on Friday.", source="Wire"),
    ]
    by_id = {a.id: a for a in articles}
    with Store(db) as store:
        store.add_document(RawDocument(origin="x", kind="jsonl", data=b"x"), articles)
        store.replace_events(
            [
                Event(id="flood", articles=[by_id["a1"], by_id["a2"], by_id["a3"]], headline="Valley flood"),
                Event(id="vote", articles=[by_id["a5"]], headline="Election result"),
                Event(id="bridge", articles=[by_id["a9"]], headline="Bridge opens"),
            ]
        )
        yield store


def _ids(store: Store, **query) -> list[str]:
    return [e.id for e in store.find_events(ListQuery(**query)).rows]


def test_events_are_listed_newest_or_most_covered_first(three_events):
    assert _ids(three_events) == ["bridge", "vote", "flood"]
    assert _ids(three_events, order="coverage")[0] == "flood"
    assert _ids(three_events, order="relevance") == ["bridge", "vote", "flood"]  # nothing to match: recent


def test_event_search_needs_every_word_in_one_document(three_events):
    assert _ids(three_events, text="FLOOD homes") == ["flood"]  # one article holds both
    assert _ids(three_events, text="valley forced") == []  # in two articles of the event: no
    assert _ids(three_events, text="flood bridge") == []
    assert _ids(three_events, text="50%") == ["vote"]  # punctuation separates words, it is no word
    assert _ids(three_events, text="%") == []  # a query without a word matches nothing
    assert _ids(three_events, text="turnout_rate") == ["vote"]  # "turnout" and "rate"
    assert _ids(three_events, text="flood*") == ["flood"]  # "floodwater" too
    assert _ids(three_events, text="floo") == []  # whole words unless a star says otherwise
    assert _ids(three_events, text="Valley flood", order="coverage") == ["flood"]


def test_events_filtered_by_dates_and_outlet(three_events):
    day = lambda d: datetime(2020, 1, d, tzinfo=UTC)  # noqa: E731
    assert _ids(three_events, since=day(4)) == ["bridge", "vote"]
    assert _ids(three_events, until=day(3)) == ["flood"]  # until is exclusive: articles before the 3rd
    assert _ids(three_events, since=day(3), until=day(6)) == ["vote", "flood"]
    assert _ids(three_events, source="Wire") == ["bridge", "flood"]
    assert _ids(three_events, source="Wire", order="coverage") == ["flood", "bridge"]
    assert _ids(three_events, source="Wire", since=day(4)) == ["bridge"]
    assert _ids(three_events, source="Wire", until=day(4)) == ["flood"]
    assert three_events.find_events(ListQuery(source="Wire", limit=1)).total == 2
    assert _ids(three_events, source="Nobody") == []


def test_events_come_in_pages_with_the_total(three_events):
    page = three_events.find_events(ListQuery(limit=2))
    assert page.total == 3 and [e.id for e in page.rows] == ["bridge", "vote"]
    page = three_events.find_events(ListQuery(limit=2, offset=2))
    assert page.total == 3 and [e.id for e in page.rows] == ["flood"]
    [flood] = page.rows  # the list row, written with the event
    assert (flood.headline, flood.article_count, flood.sources) == ("Valley flood", 3, ["River News", "Wire"])
    assert (flood.first_published.day, flood.last_published.day) == (1, 3)
    assert three_events.outlets() == [("Wire", 2), ("Daily", 1), ("River News", 1)]  # events covered
    assert three_events.outlets(limit=1) == [("Wire", 2)] and three_events.outlet_events("Daily") == 1
    assert three_events.counts() == {"articles": 5, "events": 3, "stories": 0, "documents": 1}


def test_api_keys_are_found_by_hash_only(db):
    with Store(db) as store:
        store.add_api_key("k1", "ingest bot", "f" * 64)
        assert store.api_key_name("f" * 64) == "ingest bot"
        assert store.api_key_name("e" * 64) is None
        with pytest.raises(IntegrityError):  # one hash, one key
            store.add_api_key("k2", "again", "f" * 64)


def test_jobs_record_their_progress_and_unfinished_ones_are_found(db):
    with Store(db) as store:
        first = store.add_job("j1", '{"urls": []}')
        store.add_job("j2", "{}")
        assert first.status == "queued"
        store.update_job("j1", "running")
        store.update_job("j2", "done", result='{"new": 1}')
        assert [j.id for j in store.unfinished_jobs()] == ["j1"]
        done = store.job("j2")
        assert (done.status, done.result, done.error) == ("done", '{"new": 1}', None)
        assert store.job("missing") is None


def test_store_errors_never_show_the_database_password():
    with pytest.raises(StoreError) as error:
        Store("postgresql://nobody:s3cret@127.0.0.1:1/none?connect_timeout=2")
    assert "s3cret" not in str(error.value) and "\n" not in str(error.value)


def test_article_vectors_round_trip_in_several_slices(db, monkeypatch):
    monkeypatch.setattr("storyline.store._VECTOR_ROWS", 2)
    articles = [_article(n) for n in range(1, 6)]
    vectors = np.arange(5 * 3, dtype=np.float32).reshape(5, 3) / 7
    with Store(db) as store:
        store.add_document(RawDocument(origin="five.txt", kind="text", data=b"five"), articles)
        store.add_article_vectors("m", [a.id for a in articles], vectors)
        store.add_article_vectors("m", ["a5"], vectors[:1])  # a second write replaces, never doubles
        kept = store.article_vectors("m", [a.id for a in articles])
        with pytest.raises(ValueError):  # ids and vectors of different lengths: nothing half-written
            store.add_article_vectors("other", ["a1", "a2", "a3"], vectors[:2])
        assert store.article_vectors("other", ["a1", "a2", "a3"]) == {}
    assert sorted(kept) == ["a1", "a2", "a3", "a4", "a5"]
    for n, article_id in enumerate(["a1", "a2", "a3", "a4"]):
        assert np.array_equal(kept[article_id], vectors[n])
    assert np.array_equal(kept["a5"], vectors[0])


def test_events_made_with_one_fingerprint_come_back_on_the_callers_articles(db):
    articles = [_article(n) for n in range(1, 4)]
    first = Event(
        id="e1",
        articles=articles[:2],
        headline="One",
        summary=[Sentence.cited("Article number 1 reports.", articles[0], 0)],
        made_with="v1",
    )
    second = Event(id="e2", articles=articles[2:], headline="Two", made_with="v2")
    with Store(db) as store:
        store.add_document(RawDocument(origin="three.txt", kind="text", data=b"three"), articles)
        store.replace_events([first, second])
        mine = {a.id: replace(a, title=f"mine {a.id}") for a in articles}
        [event] = store.events_made_with("v1", mine)
        assert store.events_made_with("v1", {"a1": mine["a1"]}) == []  # an article missing: left out
        assert store.events_made_with("v3", mine) == []
        assert [e.made_with for e in store.events()] == ["v1", "v2"]
    assert event.id == "e1" and event.headline == "One" and event.made_with == "v1"
    assert [a.title for a in event.articles] == ["mine a1", "mine a2"]
    assert event.summary[0].article_id == "a1" and event.summary[0].source == "Example Wire"


def _membership(store: Store) -> dict[str, set[str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT event_id, article_id FROM event_articles")).all()
    members: dict[str, set[str]] = {}
    for event_id, article_id in rows:
        members.setdefault(event_id, set()).add(article_id)
    return members


def test_a_rebuild_writes_only_what_changed_slice_by_slice(db, monkeypatch):
    monkeypatch.setattr("storyline.store._EVENT_SLICE", 2)
    monkeypatch.setattr("storyline.store.IDS_PER_LOOKUP", 1)  # the events of a slice's articles, one by one
    articles = [_article(n) for n in range(1, 8)]
    singles = [Event(id=f"e{a.id}", articles=[a], headline=f"Event {a.id}") for a in articles]
    with Store(db) as store:
        store.add_document(RawDocument(origin="x", kind="jsonl", data=b"x"), articles)
        counted = store.change_count()
        store.replace_events(singles)
        assert store.change_count() == counted + 4  # seven events in four slices
        store.replace_events(singles)
        assert store.change_count() == counted + 4  # nothing changed, nothing written
        # a1..a3 join one event; the others stay as they were, and are not rewritten
        merged = Event(id="ea1", articles=articles[:3], headline="Merged")
        store.replace_events([merged, *singles[3:]])
        assert store.change_count() == counted + 6  # one slice for the merge, one for the two gone
        assert _membership(store) == {"ea1": {"a1", "a2", "a3"}, **{f"ea{n}": {f"a{n}"} for n in range(4, 8)}}
        assert [row.headline for row in store.find_events(ListQuery(text="merged")).rows] == ["Merged"]
        monkeypatch.setattr("storyline.store._SLICE_ARTICLES", 2)  # slices end at 2 articles, whole events
        big = Event(id="ea1", articles=articles[:4], headline="Big")
        store.replace_events([big, Event(id="ea5", articles=articles[4:6], headline="Pair"), singles[6]])
        assert store.change_count() == counted + 9  # each changed event a slice of its own, one for those gone
        assert _membership(store) == {"ea1": {"a1", "a2", "a3", "a4"}, "ea5": {"a5", "a6"}, "ea7": {"a7"}}


def test_a_rebuild_that_fails_between_slices_leaves_a_consistent_store(db, monkeypatch):
    monkeypatch.setattr("storyline.store._EVENT_SLICE", 1)
    articles = [_article(n) for n in range(1, 5)]
    before = [Event(id=f"e{a.id}", articles=[a], headline=f"Event {a.id}") for a in articles]
    after = [
        Event(id="ea1", articles=articles[:2], headline="Pair"),
        Event(id="ea3", articles=articles[2:], headline="Pair"),
    ]
    with Store(db) as store:
        store.add_document(RawDocument(origin="x", kind="jsonl", data=b"x"), articles)
        store.replace_events(before)
        written = []
        original = store_module.insert_event

        def fail_on_second(conn, ev, seq, digest):
            if written:
                raise RuntimeError("crash")
            written.append(ev.id)
            original(conn, ev, seq, digest)

        rows = store_module._EVENT_ROWS
        monkeypatch.setattr("storyline.store._EVENT_ROWS", replace(rows, insert=fail_on_second))
        with pytest.raises(RuntimeError):
            store.replace_events(after)
        members = _membership(store)  # the first slice landed, the second did not
        assert members == {"ea1": {"a1", "a2"}, "ea3": {"a3"}, "ea4": {"a4"}}
        assert store.counts()["events"] == 3  # every event whole, no article in two
        monkeypatch.setattr("storyline.store._EVENT_ROWS", rows)
        store.replace_events(after)  # the next rebuild completes the swap
        assert _membership(store) == {"ea1": {"a1", "a2"}, "ea3": {"a3", "a4"}}


def test_events_are_read_chunk_by_chunk_in_the_asked_order(three_events):
    assert [e.id for e in three_events.iter_events(ListQuery(limit=0), chunk=2)] == ["bridge", "vote", "flood"]
    assert [e.id for e in three_events.iter_events(ListQuery(order="coverage", limit=2), chunk=1)] == [
        "flood",
        "bridge",
    ]
    [flood] = three_events.iter_events(ListQuery(text="floodwater"))
    assert len(flood.articles) == 3 and flood.articles[2].text.startswith("Floodwater")
    assert three_events.event("flood", texts=False).articles[0].text == ""  # titles only, for a page


def test_one_lease_holder_at_a_time(db, monkeypatch):
    with Store(db) as store:
        assert store.take_lease("jobs", "a", 60)
        assert not store.take_lease("jobs", "b", 60)
        assert store.take_lease("jobs", "a", 60)  # renewed by its holder
        store.release_lease("jobs", "b")  # not b's to give up
        assert not store.take_lease("jobs", "b", 60)
        store.release_lease("jobs", "a")
        assert store.take_lease("jobs", "b", 0.2)
        now = time.time()
        monkeypatch.setattr("storyline.store.jobs.time.time", lambda: now + 1)  # b stopped renewing
        assert store.take_lease("jobs", "a", 60)
