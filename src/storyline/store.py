"""Where articles and events live: SQLite by default, any SQLAlchemy URL behind the same methods.

The schema is versioned: ``MIGRATIONS`` lists every change in order and ``Store`` applies the
ones a database lacks when it opens it. Raw inputs are kept (compressed) beside the articles so
that everything can be re-extracted. Every write is one transaction: a crash leaves the store as
it was before the write or after it, never between.
"""

from __future__ import annotations

import base64
import itertools
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from .dedup import content_hash
from .errors import StoreError
from .facts import ArticleFacts
from .facts.records import article_facts_from_json, article_facts_to_json, facts_from_json, facts_to_json
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
    # 2: API keys (only their hashes) and the jobs of the HTTP API's background worker
    [
        """CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,            -- public part, shown in listings
            name TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,  -- sha256 of the whole key; the key itself is never stored
            created_at TEXT NOT NULL)""",
        """CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            status TEXT NOT NULL,           -- queued, running, done, failed
            request TEXT NOT NULL,          -- JSON: what to ingest, kept so a restart can resume it
            result TEXT,                    -- JSON tally when done
            error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        "CREATE INDEX jobs_status ON jobs (status, created_at)",
    ],
    # 3: facts of each event (entities, figures, disagreements as JSON) and timeline date resolution
    [
        """CREATE TABLE event_facts (
            event_id TEXT PRIMARY KEY REFERENCES events(id),
            facts TEXT NOT NULL)            -- JSON object with entities, figures, disagreements""",
        "ALTER TABLE timeline_entries ADD COLUMN resolution TEXT NOT NULL DEFAULT 'day'",
    ],
    # 4: followed feeds (`storyline watch`): validators for conditional GET, and entries already seen
    [
        """CREATE TABLE feeds (
            url TEXT PRIMARY KEY,
            etag TEXT NOT NULL,
            last_modified TEXT NOT NULL,
            checked_at TEXT NOT NULL)""",
        """CREATE TABLE feed_entries (
            feed_url TEXT NOT NULL REFERENCES feeds(url),
            link TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (feed_url, link))""",
    ],
    # 5: near-duplicate marks: the article of the same event that this one copies ('' if none)
    ["ALTER TABLE event_articles ADD COLUMN copy_of TEXT NOT NULL DEFAULT ''"],
    # 6: article vectors kept between runs (base64 float32: portable TEXT), and the index that
    # makes each insert's MAX(ingest_order) a lookup instead of a scan of the whole table
    [
        """CREATE TABLE article_vectors (
            article_id TEXT NOT NULL REFERENCES articles(id),
            model TEXT NOT NULL,            -- which encoder and settings made it
            vector TEXT NOT NULL,           -- base64 of little-endian float32
            PRIMARY KEY (article_id, model))""",
        "CREATE INDEX articles_ingest_order ON articles (ingest_order)",
    ],
    # 7: the fingerprint of what described each event, so that a rebuild can reuse the events
    # that did not change
    [
        "ALTER TABLE events ADD COLUMN made_with TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX events_made_with ON events (made_with)",
    ],
    # 8: what spaCy found in each article (names, figures, dates), kept so that describing an
    # event again only combines its articles' facts instead of reading them all again
    [
        """CREATE TABLE article_facts (
            article_id TEXT NOT NULL REFERENCES articles(id),
            made_with TEXT NOT NULL,        -- fingerprint of the analysis (versions, settings)
            facts TEXT NOT NULL,            -- JSON: mentions, acronyms, figures, dates
            PRIMARY KEY (article_id, made_with))""",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)
_VECTOR_ROWS = 5_000  # article vectors encoded and written per statement
_IDS_PER_QUERY = 500  # ids bound in one IN (...) list: SQLite allows 32,766 parameters at most
_EVENT_TABLES = ("event_facts", "timeline_entries", "summary_sentences", "event_articles", "events")


def database_url(db: str) -> str:
    """A SQLAlchemy URL from what the user gave: a URL as is, anything else a SQLite file path.

    ``postgresql://`` (and ``postgres://``) mean psycopg 3, the driver storyline installs;
    SQLAlchemy would otherwise reach for psycopg2.
    """
    if "://" not in db:
        return f"sqlite:///{db}"
    scheme, rest = db.split("://", 1)
    return f"postgresql+psycopg://{rest}" if scheme in {"postgresql", "postgres"} else db


# Migrations are written once for every database; the few type names that differ are
# translated per dialect when they run (PostgreSQL has no BLOB: its bytes type is BYTEA).
_DIALECT_TYPES = {"postgresql": {"BLOB": "BYTEA"}}


def _for_dialect(statement: str, dialect: str) -> str:
    for generic, native in _DIALECT_TYPES.get(dialect, {}).items():
        statement = re.sub(rf"\b{generic}\b", native, statement)
    return statement


# Text no database can store: NUL (PostgreSQL text cannot hold it) and lone surrogates (a JSON
# "\\ud800" escape, a file name that is not UTF-8: not encodable as UTF-8 at all).
_UNSTORABLE = re.compile("\x00|[\ud800-\udfff]")


def _storable_text(value: str) -> str:
    """``value`` without NUL and with U+FFFD for each lone surrogate; neither is news text."""
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)


def _storable(article: Article) -> Article:
    unstorable = {
        name: _storable_text(value)
        for name in ("id", "title", "text", "url", "source", "author", "language")
        if isinstance(value := getattr(article, name), str) and _UNSTORABLE.search(value)
    }
    return replace(article, **unstorable) if unstorable else article


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
            # One line, and never the password of a database URL.
            reason = " ".join(str(exc.orig or exc).split())
            shown = make_url(database_url(db)).render_as_string(hide_password=True) if "://" in db else db
            raise StoreError(f"{shown}: cannot open database ({exc.__class__.__name__}: {reason})") from None

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
                    conn.execute(text(_for_dialect(statement, self.engine.dialect.name)))
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
                    {
                        "id": doc.id,
                        "origin": _storable_text(doc.origin),
                        "kind": doc.kind,
                        "raw": zlib.compress(doc.data),
                        "t": now,
                    },
                )
            order = conn.execute(text("SELECT COALESCE(MAX(ingest_order), 0) FROM articles")).scalar_one()
            for article in map(_storable, articles):
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

    def article_vectors(self, model: str) -> dict[str, np.ndarray]:
        """Every stored vector made by ``model``, by article id."""
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT article_id, vector FROM article_vectors WHERE model = :m"), {"m": model})
            return {row.article_id: np.frombuffer(base64.b64decode(row.vector), dtype="<f4") for row in rows}

    def add_article_vectors(self, model: str, article_ids: Sequence[str], vectors: np.ndarray) -> None:
        """Keep ``model``'s vectors of stored articles (one row each), in one transaction."""
        # Encoded in slices: 100k encoded rows at once would hold ~250 MB of strings.
        pairs = zip(article_ids, vectors, strict=True)
        with self.engine.begin() as conn:
            while rows := [
                {"a": a, "m": model, "v": base64.b64encode(np.asarray(v, dtype="<f4").tobytes()).decode("ascii")}
                for a, v in itertools.islice(pairs, _VECTOR_ROWS)
            ]:
                conn.execute(text("DELETE FROM article_vectors WHERE model = :m AND article_id = :a"), rows)
                conn.execute(text("INSERT INTO article_vectors (article_id, model, vector) VALUES (:a, :m, :v)"), rows)

    def article_facts(self, made_with: str, article_ids: Sequence[str]) -> dict[str, ArticleFacts]:
        """The stored analyses (``facts.ArticleFacts``) of ``article_ids`` made under fingerprint
        ``made_with``, by article id; articles without one are left out."""
        found = {}
        with self.engine.connect() as conn:
            for start in range(0, len(article_ids), _IDS_PER_QUERY):
                ids = {f"a{n}": a for n, a in enumerate(article_ids[start : start + _IDS_PER_QUERY])}
                rows = conn.execute(
                    text(
                        "SELECT article_id, facts FROM article_facts WHERE made_with = :m"
                        f" AND article_id IN ({', '.join(':' + name for name in ids)})"
                    ),
                    {"m": made_with, **ids},
                )
                found |= {row.article_id: article_facts_from_json(row.article_id, row.facts) for row in rows}
        return found

    def add_article_facts(self, made_with: str, analyses: Sequence[ArticleFacts]) -> None:
        """Keep the analyses of stored articles made under fingerprint ``made_with`` (one row per
        article and fingerprint, replacing an older one), in one transaction."""
        rows = [{"a": f.article_id, "m": made_with, "f": article_facts_to_json(f)} for f in analyses]
        if not rows:
            return
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM article_facts WHERE made_with = :m AND article_id = :a"), rows)
            conn.execute(text("INSERT INTO article_facts (article_id, made_with, facts) VALUES (:a, :m, :f)"), rows)

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
            return _load_events(conn, "1 = 1", {}, order=_EVENT_ORDERS["coverage"])

    def events_made_with(self, made_with: str, articles: Mapping[str, Article]) -> list[Event]:
        """The stored events described under fingerprint ``made_with`` (``Event.made_with``), made
        from the caller's ``articles`` (by id) instead of reading the articles' text again; an
        event with an article missing from ``articles`` is left out."""
        with self.engine.connect() as conn:
            return _load_events(conn, "e.made_with = :m", {"m": made_with}, articles=articles)

    # -- reading for the API and web pages ------------------------------------------------

    def event(self, event_id: str) -> Event | None:
        with self.engine.connect() as conn:
            found = _load_events(conn, "e.id = :id", {"id": event_id})
        return found[0] if found else None

    def find_events(self, query: EventQuery) -> tuple[list[Event], int]:
        """One page of the events that match ``query``, and how many match in all."""
        where, params = _event_filters(query)
        order = _EVENT_ORDERS[query.order]
        with self.engine.connect() as conn:
            total = conn.execute(text(f"SELECT COUNT(*) FROM events e WHERE {where}"), params).scalar_one()
            ids = (
                conn.execute(
                    text(f"SELECT e.id FROM events e WHERE {where} ORDER BY {order} LIMIT :limit OFFSET :offset"),
                    {**params, "limit": query.limit, "offset": query.offset},
                )
                .scalars()
                .all()
            )
            if not ids:
                return [], total
            page = {f"id{n}": event_id for n, event_id in enumerate(ids)}
            in_page = f"e.id IN ({', '.join(':' + name for name in page)})"
            return _load_events(conn, in_page, page, order=order), total

    def article(self, article_id: str) -> Article | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                text(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id = :id"), {"id": article_id}
            ).first()
        return _article(row) if row else None

    def events_of_article(self, article_id: str) -> list[tuple[str, str]]:
        """(id, headline) of the events an article belongs to."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT e.id, e.headline FROM events e JOIN event_articles ea ON ea.event_id = e.id"
                    " WHERE ea.article_id = :a ORDER BY e.id"
                ),
                {"a": article_id},
            )
            return [(row.id, row.headline) for row in rows]

    def sources(self) -> list[tuple[str, int]]:
        """Every outlet with its number of stored articles, most prolific first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT source, COUNT(*) AS n FROM articles WHERE source <> '' GROUP BY source ORDER BY n DESC, source"
                )
            )
            return [(row.source, row.n) for row in rows]

    def counts(self) -> dict[str, int]:
        """How many articles, events and documents are stored (for health checks)."""
        with self.engine.connect() as conn:
            return {
                table: conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
                for table in ("articles", "events", "documents")
            }

    # -- followed feeds -------------------------------------------------------------------

    def feed_validators(self, url: str) -> tuple[str, str]:
        """The ETag and Last-Modified of the feed's last answer ('' when never fetched)."""
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT etag, last_modified FROM feeds WHERE url = :u"), {"u": url}).first()
        return (row.etag, row.last_modified) if row else ("", "")

    def unseen_links(self, url: str, links: Sequence[str]) -> list[str]:
        """Those of ``links`` (entries of feed ``url``) not recorded as seen, in order."""
        with self.engine.connect() as conn:
            seen = {
                row.link for row in conn.execute(text("SELECT link FROM feed_entries WHERE feed_url = :u"), {"u": url})
            }
        return [link for link in links if link not in seen]

    def record_feed(self, url: str, etag: str, last_modified: str, links: Iterable[str]) -> None:
        """Remember the feed's validators and mark ``links`` seen, in one transaction."""
        now = _iso(datetime.now(UTC))
        with self.engine.begin() as conn:
            if conn.execute(text("SELECT 1 FROM feeds WHERE url = :u"), {"u": url}).first():
                conn.execute(
                    text("UPDATE feeds SET etag = :e, last_modified = :m, checked_at = :t WHERE url = :u"),
                    {"u": url, "e": etag, "m": last_modified, "t": now},
                )
            else:
                conn.execute(
                    text("INSERT INTO feeds (url, etag, last_modified, checked_at) VALUES (:u, :e, :m, :t)"),
                    {"u": url, "e": etag, "m": last_modified, "t": now},
                )
            for link in dict.fromkeys(links):
                if not conn.execute(
                    text("SELECT 1 FROM feed_entries WHERE feed_url = :u AND link = :l"), {"u": url, "l": link}
                ).first():
                    conn.execute(
                        text("INSERT INTO feed_entries (feed_url, link, seen_at) VALUES (:u, :l, :t)"),
                        {"u": url, "l": link, "t": now},
                    )

    # -- API keys and jobs ----------------------------------------------------------------

    def add_api_key(self, key_id: str, name: str, key_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO api_keys (id, name, key_hash, created_at) VALUES (:id, :name, :h, :t)"),
                {"id": key_id, "name": name, "h": key_hash, "t": _iso(datetime.now(UTC))},
            )

    def api_key_name(self, key_hash: str) -> str | None:
        """The name of the key with this hash, or None if there is no such key."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT name FROM api_keys WHERE key_hash = :h"), {"h": key_hash}).scalar()

    def add_job(self, job_id: str, request: str) -> Job:
        now = _iso(datetime.now(UTC))
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO jobs (id, status, request, created_at, updated_at) VALUES (:id, 'queued', :r, :t, :t)"
                ),
                {"id": job_id, "r": request, "t": now},
            )
        return Job(id=job_id, status="queued", request=request, created_at=now, updated_at=now)

    def update_job(self, job_id: str, status: str, result: str | None = None, error: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text("UPDATE jobs SET status = :s, result = :r, error = :e, updated_at = :t WHERE id = :id"),
                {"id": job_id, "s": status, "r": result, "e": error, "t": _iso(datetime.now(UTC))},
            )

    def job(self, job_id: str) -> Job | None:
        with self.engine.connect() as conn:
            row = conn.execute(text(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = :id"), {"id": job_id}).first()
        return Job(**row._mapping) if row else None

    def unfinished_jobs(self) -> list[Job]:
        """Jobs queued or interrupted while running, oldest first: a restarted worker resumes them."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at, id")
            )
            return [Job(**row._mapping) for row in rows]


@dataclass(frozen=True)
class EventQuery:
    """Which events to list, and which page of them."""

    text: str = ""
    """Words that must all appear (case-insensitive) in the headline, summary or an article's title or text."""
    since: datetime | None = None
    """Only events with an article published at or after this time."""
    until: datetime | None = None
    """Only events with an article published before this time."""
    source: str = ""
    """Only events covered by this outlet."""
    order: str = "recent"
    """``recent``: latest article first; ``coverage``: most articles first."""
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class Job:
    """A unit of work for the API's background worker."""

    id: str
    status: str
    request: str
    created_at: str
    updated_at: str
    result: str | None = None
    error: str | None = None


_JOB_COLUMNS = "id, status, request, result, error, created_at, updated_at"
_EVENT_ORDERS = {
    "recent": "COALESCE(e.last_published, '') DESC, e.article_count DESC, e.id",
    "coverage": "e.article_count DESC, COALESCE(e.last_published, '') DESC, e.id",
}
_EVENT_ARTICLES = "SELECT 1 FROM event_articles ea JOIN articles a ON a.id = ea.article_id WHERE ea.event_id = e.id"


def _event_filters(query: EventQuery) -> tuple[str, dict[str, object]]:
    """A WHERE clause (portable SQL) and its parameters for ``query``."""
    clauses, params = ["1 = 1"], {}
    if query.since:
        clauses.append("e.last_published >= :since")
        params["since"] = _iso(query.since)
    if query.until:
        clauses.append("e.first_published < :until")
        params["until"] = _iso(query.until)
    if query.source:
        clauses.append(f"EXISTS ({_EVENT_ARTICLES} AND a.source = :source)")
        params["source"] = query.source
    for n, word in enumerate(query.text.lower().split()):
        # LIKE with every word, rather than SQLite FTS5 or PostgreSQL tsvector: the same SQL on
        # both databases, and exact enough for the few thousand events a local store holds.
        name = f"w{n}"
        params[name] = "%" + re.sub(r"([\\%_])", r"\\\1", word) + "%"
        like = f"LIKE :{name} ESCAPE '\\'"
        clauses.append(
            f"(LOWER(e.headline) {like}"
            f" OR EXISTS (SELECT 1 FROM summary_sentences s WHERE s.event_id = e.id AND LOWER(s.text) {like})"
            f" OR EXISTS ({_EVENT_ARTICLES} AND (LOWER(a.title) {like} OR LOWER(a.text) {like})))"
        )
    return " AND ".join(clauses), params


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
            "INSERT INTO events (id, headline, first_published, last_published, article_count, made_with)"
            " VALUES (:id, :headline, :first, :last, :count, :made_with)"
        ),
        {
            "id": ev.id,
            "headline": ev.headline,
            "first": _iso(ev.first_published),
            "last": _iso(ev.last_published),
            "count": len(ev.articles),
            "made_with": ev.made_with,
        },
    )
    conn.execute(
        text("INSERT INTO event_articles (event_id, article_id, copy_of) VALUES (:e, :a, :c)"),
        [{"e": ev.id, "a": a.id, "c": a.copy_of} for a in ev.articles],
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
            text(
                "INSERT INTO timeline_entries (event_id, rank, date, text, article_id, resolution)"
                " VALUES (:e, :r, :d, :t, :a, :res)"
            ),
            [
                {"e": ev.id, "r": r, "d": _iso(t.date), "t": t.text, "a": t.article_id, "res": t.resolution}
                for r, t in enumerate(ev.timeline)
            ],
        )
    if ev.entities or ev.figures or ev.disagreements:
        conn.execute(
            text("INSERT INTO event_facts (event_id, facts) VALUES (:e, :f)"), {"e": ev.id, "f": facts_to_json(ev)}
        )


def _load_events(
    conn: Connection,
    where: str,
    params: dict[str, object],
    order: str = "e.id",
    articles: Mapping[str, Article] | None = None,
) -> list[Event]:
    """The events ``where`` selects (a condition on ``events e``), in ``order``: one query per
    table whatever their number. Their articles are read from the store, or taken from
    ``articles`` (by id) when given; an event with an article missing there is left out."""
    heads = conn.execute(
        text(f"SELECT e.id, e.headline, e.made_with FROM events e WHERE {where} ORDER BY {order}"), params
    ).all()
    if not heads:
        return []
    columns = (
        "ea.article_id AS id" if articles is not None else ", ".join(f"a.{c}" for c in _ARTICLE_COLUMNS.split(", "))
    )
    members = _by_event(
        conn.execute(
            text(
                f"SELECT ea.event_id, ea.copy_of, {columns} FROM event_articles ea"
                " JOIN articles a ON a.id = ea.article_id JOIN events e ON e.id = ea.event_id"
                f" WHERE {where} ORDER BY ea.event_id, COALESCE(a.published, ''), a.ingest_order"
            ),
            params,
        )
    )
    sentences = _by_event(
        conn.execute(
            text(
                "SELECT s.event_id, s.text, s.article_id, s.position FROM summary_sentences s"
                f" JOIN events e ON e.id = s.event_id WHERE {where} ORDER BY s.event_id, s.rank"
            ),
            params,
        )
    )
    timelines = _by_event(
        conn.execute(
            text(
                "SELECT t.event_id, t.date, t.text, t.article_id, t.resolution FROM timeline_entries t"
                f" JOIN events e ON e.id = t.event_id WHERE {where} ORDER BY t.event_id, t.rank"
            ),
            params,
        )
    )
    facts = {
        row.event_id: row.facts
        for row in conn.execute(
            text(f"SELECT f.event_id, f.facts FROM event_facts f JOIN events e ON e.id = f.event_id WHERE {where}"),
            params,
        )
    }
    events = []
    for head in heads:
        member_rows = members.get(head.id, [])
        if articles is not None and any(row.id not in articles for row in member_rows):
            continue
        event_articles = [
            replace(articles[row.id] if articles is not None else _article(row), copy_of=row.copy_of)
            for row in member_rows
        ]
        events.append(_event(head, event_articles, sentences.get(head.id, []), timelines.get(head.id, []), facts))
    return events


def _by_event(rows: Iterable) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for row in rows:
        grouped.setdefault(row.event_id, []).append(row)
    return grouped


def _event(head, articles: list[Article], sentence_rows: list, timeline_rows: list, facts: dict[str, str]) -> Event:
    by_id = {a.id: a for a in articles}
    entities, figures, disagreements = facts_from_json(facts[head.id]) if head.id in facts else ([], [], [])
    return Event(
        id=head.id,
        articles=articles,
        headline=head.headline,
        summary=[Sentence.cited(row.text, by_id[row.article_id], row.position) for row in sentence_rows],
        timeline=[
            TimelineEntry(date=_from_iso(row.date), text=row.text, article_id=row.article_id, resolution=row.resolution)
            for row in timeline_rows
        ],
        entities=entities,
        figures=figures,
        disagreements=disagreements,
        made_with=head.made_with,
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers (the API, `storyline events`) work while an ingest writes;
    # SQLite leaves foreign keys off unless asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a transaction stays atomic
    # and survives a crash of storyline, and an ingest stores a document in ~1 ms instead of
    # ~11 ms (one fsync each); only a power cut can lose the last commits, never consistency.
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.close()
