import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from storyline.errors import StoreError
from storyline.model import Article, Event, RawDocument, Sentence, TimelineEntry
from storyline.store import SCHEMA_VERSION, Store


def _article(n: int, text: str | None = None) -> Article:
    return Article(
        id=f"a{n}",
        text=text or f"Article number {n} reports something distinct about event {n}.",
        title=f"Title {n}",
        source="Example Wire",
        published=datetime(2020, 1, n, tzinfo=UTC),
    )


def test_new_database_is_migrated_to_the_current_version(db):
    with Store(db) as store:
        assert store.schema_version() == SCHEMA_VERSION
    with Store(db) as store:  # reopening applies nothing twice
        assert store.schema_version() == SCHEMA_VERSION
    tables = {row[0] for row in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"documents", "articles", "events", "event_articles", "summary_sentences", "timeline_entries"} <= tables


def test_database_from_a_newer_storyline_is_refused(db):
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO schema_migrations VALUES (?, 'later')", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Store(db)


def test_unopenable_database_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="cannot open"):
        Store(str(tmp_path / "no-such-dir" / "x.db"))


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
    assert [a.id for a in articles] == ["a1", "a2", "a3"]
    assert articles[0].published == datetime(2020, 1, 1, tzinfo=UTC)
    assert articles[0].document_id == doc.id


def test_raw_document_is_kept_for_reprocessing(db):
    data = "<html><body><p>Ünïcode page</p></body></html>".encode() * 50
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
    assert loaded.id == "ev-1" and loaded.headline == "Headline"
    assert [a.id for a in loaded.articles] == ["a1", "a2"]
    assert loaded.summary[0].text == "Article number 2 reports."
    assert loaded.summary[0].source == "Example Wire"  # citation filled from the article
    assert loaded.timeline[0].date == articles[0].published
