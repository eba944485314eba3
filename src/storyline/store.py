"""Where articles and events live: SQLite by default, any SQLAlchemy URL behind the same methods.

The schema is versioned: ``MIGRATIONS`` lists every change in order and ``Store`` applies the
ones a database lacks when it opens it. Raw inputs are kept (compressed) beside the articles so
that everything can be re-extracted. Every write is one transaction: a crash leaves the store as
it was before the write or after it, never between.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from .dedup import content_hash
from .errors import StoreError
from .model import Article, Event, RawDocument, Sentence, TimelineEntry

MIGRATIONS: list[list[str]] = [
    # 1: documents, articles, events with their summaries and timelines
    [
        """CREATE TABLE documents (
            id TEXT PRIMARY KEY,            -- sha256 of the raw bytes
            origin TEXT NOT NULL,           -- path or URL as given
            kind TEXT NOT NULL,
            raw BLOB NOT NULL,              -- zlib-compressed bytes
            ingested_at TEXT NOT NULL)""",
        """CREATE TABLE articles (
            id TEXT PRIMARY KEY,
            document_id TEXT NOT NULL REFERENCES documents(id),
            content_hash TEXT NOT NULL UNIQUE,
            ingest_order INTEGER NOT NULL,
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            url TEXT NOT NULL,
            source TEXT NOT NULL,
            published TEXT,                 -- ISO 8601, UTC
            author TEXT NOT NULL,
            language TEXT NOT NULL)""",
        "CREATE INDEX articles_published ON articles (published, ingest_order)",
        """CREATE TABLE events (
            id TEXT PRIMARY KEY,
            headline TEXT NOT NULL,
            first_published TEXT,
            last_published TEXT,
            article_count INTEGER NOT NULL)""",
        """CREATE TABLE event_articles (
            event_id TEXT NOT NULL REFERENCES events(id),
            article_id TEXT NOT NULL REFERENCES articles(id),
            PRIMARY KEY (event_id, article_id))""",
        """CREATE TABLE summary_sentences (
            event_id TEXT NOT NULL REFERENCES events(id),
            rank INTEGER NOT NULL,
            text TEXT NOT NULL,
            article_id TEXT NOT NULL REFERENCES articles(id),
            position INTEGER NOT NULL,
            PRIMARY KEY (event_id, rank))""",
        """CREATE TABLE timeline_entries (
            event_id TEXT NOT NULL REFERENCES events(id),
            rank INTEGER NOT NULL,
            date TEXT NOT NULL,
            text TEXT NOT NULL,
            article_id TEXT NOT NULL REFERENCES articles(id),
            PRIMARY KEY (event_id, rank))""",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)
_EVENT_TABLES = ("timeline_entries", "summary_sentences", "event_articles", "events")


def database_url(db: str) -> str:
    """A SQLAlchemy URL from what the user gave: a URL as is, anything else a SQLite file path."""
    return db if "://" in db else f"sqlite:///{db}"


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class Store:
    """Articles, raw documents and events in one database."""

    def __init__(self, db: str) -> None:
        self.db = db
        try:
            self.engine: Engine = create_engine(database_url(db))
            if self.engine.dialect.name == "sqlite":
                event.listen(self.engine, "connect", _sqlite_pragmas)
            self.migrate()
        except SQLAlchemyError as exc:
            raise StoreError(f"{db}: cannot open database ({exc.__class__.__name__}: {exc.orig or exc})") from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------------------

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")).scalar_one()

    def migrate(self) -> int:
        """Apply the migrations this database lacks, each in its own transaction; return the version."""
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
                )
            )
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.db}: schema version {version} is newer than this storyline ({SCHEMA_VERSION})")
        for number in range(version + 1, SCHEMA_VERSION + 1):
            with self.engine.begin() as conn:
                for statement in MIGRATIONS[number - 1]:
                    conn.execute(text(statement))
                conn.execute(
                    text("INSERT INTO schema_migrations (version, applied_at) VALUES (:v, :t)"),
                    {"v": number, "t": _iso(datetime.now(UTC))},
                )
        return SCHEMA_VERSION

    # -- articles -------------------------------------------------------------------------

    def add_document(self, doc: RawDocument, articles: Sequence[Article]) -> tuple[int, int]:
        """Store a raw document and its articles in one transaction; return (new, duplicate) counts.

        An article whose id or normalised text is already stored is a duplicate and is not
        written again, so re-running an ingest changes nothing.
        """
        now = _iso(datetime.now(UTC))
        new = 0
        with self.engine.begin() as conn:
            if not conn.execute(text("SELECT 1 FROM documents WHERE id = :id"), {"id": doc.id}).first():
                conn.execute(
                    text(
                        "INSERT INTO documents (id, origin, kind, raw, ingested_at) VALUES (:id, :origin, :kind, :raw, :t)"
                    ),
                    {"id": doc.id, "origin": doc.origin, "kind": doc.kind, "raw": zlib.compress(doc.data), "t": now},
                )
            order = conn.execute(text("SELECT COALESCE(MAX(ingest_order), 0) FROM articles")).scalar_one()
            for article in articles:
                digest = content_hash(article.text)
                if conn.execute(
                    text("SELECT 1 FROM articles WHERE id = :id OR content_hash = :h"), {"id": article.id, "h": digest}
                ).first():
                    continue
                order += 1
                new += 1
                conn.execute(
                    text(
                        "INSERT INTO articles (id, document_id, content_hash, ingest_order, title, text, url, source,"
                        " published, author, language) VALUES (:id, :doc, :h, :order, :title, :text, :url, :source,"
                        " :published, :author, :language)"
                    ),
                    {
                        "id": article.id,
                        "doc": doc.id,
                        "h": digest,
                        "order": order,
                        "title": article.title,
                        "text": article.text,
                        "url": article.url,
                        "source": article.source,
                        "published": _iso(article.published),
                        "author": article.author,
                        "language": article.language,
                    },
                )
        return new, len(articles) - new

    def articles(self) -> list[Article]:
        """Every stored article in time order (undated ones first, then by arrival)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(f"SELECT {_ARTICLE_COLUMNS} FROM articles ORDER BY COALESCE(published, ''), ingest_order")
            )
            return [_article(row) for row in rows]

    def raw_document(self, document_id: str) -> RawDocument | None:
        """The bytes an article was extracted from, for reprocessing."""
        with self.engine.connect() as conn:
            row = conn.execute(
                text("SELECT origin, kind, raw FROM documents WHERE id = :id"), {"id": document_id}
            ).first()
        return RawDocument(origin=row.origin, kind=row.kind, data=zlib.decompress(row.raw)) if row else None

    # -- events ---------------------------------------------------------------------------

    def replace_events(self, events: Iterable[Event]) -> None:
        """Swap the stored events for ``events`` in one transaction."""
        with self.engine.begin() as conn:
            for table in _EVENT_TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
            for ev in events:
                _insert_event(conn, ev)

    def events(self) -> list[Event]:
        """Every stored event, most covered first, then most recent."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, headline FROM events ORDER BY article_count DESC, COALESCE(last_published, '') DESC, id"
                )
            ).all()
            return [_load_event(conn, row.id, row.headline) for row in rows]


_ARTICLE_COLUMNS = "id, text, title, url, source, published, author, language, document_id"


def _article(row) -> Article:
    return Article(
        id=row.id,
        text=row.text,
        title=row.title,
        url=row.url,
        source=row.source,
        published=_from_iso(row.published),
        author=row.author,
        language=row.language,
        document_id=row.document_id,
    )


def _insert_event(conn: Connection, ev: Event) -> None:
    conn.execute(
        text(
            "INSERT INTO events (id, headline, first_published, last_published, article_count)"
            " VALUES (:id, :headline, :first, :last, :count)"
        ),
        {
            "id": ev.id,
            "headline": ev.headline,
            "first": _iso(ev.first_published),
            "last": _iso(ev.last_published),
            "count": len(ev.articles),
        },
    )
    conn.execute(
        text("INSERT INTO event_articles (event_id, article_id) VALUES (:e, :a)"),
        [{"e": ev.id, "a": a.id} for a in ev.articles],
    )
    if ev.summary:
        conn.execute(
            text(
                "INSERT INTO summary_sentences (event_id, rank, text, article_id, position) VALUES (:e, :r, :t, :a, :p)"
            ),
            [{"e": ev.id, "r": r, "t": s.text, "a": s.article_id, "p": s.position} for r, s in enumerate(ev.summary)],
        )
    if ev.timeline:
        conn.execute(
            text("INSERT INTO timeline_entries (event_id, rank, date, text, article_id) VALUES (:e, :r, :d, :t, :a)"),
            [
                {"e": ev.id, "r": r, "d": _iso(t.date), "t": t.text, "a": t.article_id}
                for r, t in enumerate(ev.timeline)
            ],
        )


def _load_event(conn: Connection, event_id: str, headline: str) -> Event:
    columns = ", ".join(f"a.{c}" for c in _ARTICLE_COLUMNS.split(", "))
    articles = [
        _article(row)
        for row in conn.execute(
            text(
                f"SELECT {columns} FROM articles a JOIN event_articles ea ON ea.article_id = a.id"
                " WHERE ea.event_id = :e ORDER BY COALESCE(a.published, ''), a.ingest_order"
            ),
            {"e": event_id},
        )
    ]
    by_id = {a.id: a for a in articles}
    summary = [
        Sentence(
            text=row.text,
            article_id=row.article_id,
            position=row.position,
            source=by_id[row.article_id].source,
            url=by_id[row.article_id].url,
            published=by_id[row.article_id].published,
        )
        for row in conn.execute(
            text("SELECT text, article_id, position FROM summary_sentences WHERE event_id = :e ORDER BY rank"),
            {"e": event_id},
        )
    ]
    timeline = [
        TimelineEntry(date=_from_iso(row.date), text=row.text, article_id=row.article_id)
        for row in conn.execute(
            text("SELECT date, text, article_id FROM timeline_entries WHERE event_id = :e ORDER BY rank"),
            {"e": event_id},
        )
    ]
    return Event(id=event_id, articles=articles, headline=headline, summary=summary, timeline=timeline)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers (the API, `storyline events`) work while an ingest writes;
    # SQLite leaves foreign keys off unless asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.close()
