"""Where articles and events live: SQLite by default, any SQLAlchemy URL behind the same methods.

The schema is versioned (``storyline.schema``): ``Store`` applies the migrations a database
lacks when it opens it. Raw inputs are kept (compressed) beside the articles so
that everything can be re-extracted. Every write is one transaction: a crash leaves the store as
it was before the write or after it, never between.
"""

from __future__ import annotations

import base64
import itertools
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import create_engine, event, inspect, make_url, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from ..config import SearchSettings
from ..dedup import content_hash
from ..errors import StoreError
from ..facts import ArticleFacts
from ..facts.records import article_facts_from_json, article_facts_to_json
from ..listing import to_iso as _iso
from ..model import Article, Event, RawDocument, Story
from ..rows import (
    ARTICLE_COLUMNS,
    article_from_row,
    count_change,
    delete_events,
    delete_stories,
    digest,
    insert_event,
    insert_story,
    search_vector,
    story_digest,
)
from ..schema import MIGRATIONS, SCHEMA_VERSION, for_dialect
from .feeds import FeedStore
from .grouping import GroupingCommit, GroupingStore, write_grouping
from .jobs import Job as Job
from .jobs import JobStore
from .lookup import IDS_PER_LOOKUP, lookup_rows
from .reads import ListKind as ListKind
from .reads import ReadStore
from .signatures import SignatureStore
from .updates import UpdateStore

_VECTOR_ROWS = 5_000  # article vectors encoded and written per statement
# Events written per transaction: at most 100, or as many as hold 2,000 articles (an event of
# more is a transaction of its own). Few: the job process that writes them runs at a low CPU
# priority and holds SQLite's write lock meanwhile; 500 events (about a second of CPU) stretched
# past the 10 s other writers wait for it (busy_timeout) on a busy 2-core machine.
_EVENT_SLICE = 100
_SLICE_ARTICLES = 2_000


def database_url(db: str) -> str:
    """A SQLAlchemy URL from what the user gave: a URL as is, anything else a SQLite file path.

    ``postgresql://`` (and ``postgres://``) mean psycopg 3, the driver storyline installs;
    SQLAlchemy would otherwise reach for psycopg2.
    """
    if "://" not in db:
        return f"sqlite:///{db}"
    scheme, rest = db.split("://", 1)
    return f"postgresql+psycopg://{rest}" if scheme in {"postgresql", "postgres"} else db


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


class Store(ReadStore, GroupingStore, SignatureStore, UpdateStore, FeedStore, JobStore):
    """Articles, raw documents, the grouping state, events, stories and their updates in one
    database; each kind of thing read and written by its own part (a mixin in this package)."""

    def __init__(self, db: str, search: SearchSettings = SearchSettings()) -> None:
        self.db = db
        self.search = search
        try:
            self.engine: Engine = create_engine(database_url(db))
            if self.engine.dialect.name == "sqlite":
                event.listen(self.engine, "connect", _sqlite_pragmas)
                event.listen(self.engine, "begin", _sqlite_begin)
            # Writes go through this: on SQLite they take the write lock when they begin.
            self._writes = self.engine.execution_options(storyline_write=True)
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
        """Apply the migrations this database lacks, each in its own transaction; return the version.

        A store that is up to date is only read (opening it never waits for a writer). Several
        processes may open a new store at once (``serve --workers``): each migration checks
        the version again once it holds the write lock, so none is applied twice.
        """
        version = self._stored_version()
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.db}: schema version {version} is newer than this storyline ({SCHEMA_VERSION})")
        if version == SCHEMA_VERSION:
            return version
        with self._writes.begin() as conn:
            conn.execute(
                text(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
                )
            )
        dialect = self.engine.dialect.name
        for number in range(version + 1, SCHEMA_VERSION + 1):
            with self._writes.begin() as conn:
                if dialect == "postgresql":
                    conn.execute(text("LOCK TABLE schema_migrations IN EXCLUSIVE MODE"))
                if conn.execute(text("SELECT 1 FROM schema_migrations WHERE version = :v"), {"v": number}).first():
                    continue
                for step in MIGRATIONS[number - 1]:
                    if callable(step):
                        step(conn)
                    elif statement := step if isinstance(step, str) else step.get(dialect):
                        conn.execute(text(for_dialect(statement, dialect)))
                conn.execute(
                    text("INSERT INTO schema_migrations (version, applied_at) VALUES (:v, :t)"),
                    {"v": number, "t": _iso(datetime.now(UTC))},
                )
        return SCHEMA_VERSION

    def _stored_version(self) -> int:
        """The schema version of the database, 0 for a new one."""
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("schema_migrations"):
                return 0
            return conn.execute(text("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")).scalar_one()

    # -- articles -------------------------------------------------------------------------

    def add_document(self, doc: RawDocument, articles: Sequence[Article]) -> tuple[int, int]:
        """Store a raw document and its articles in one transaction; return (new, duplicate) counts.

        An article whose id or normalised text is already stored is a duplicate and is not
        written again, so re-running an ingest changes nothing.
        """
        now = _iso(datetime.now(UTC))
        new = 0
        with self._writes.begin() as conn:
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
            if conn.dialect.name == "postgresql":
                # Article numbers must be taken and committed in order: the grouping reads the
                # articles up to the largest number committed, and one committed later under a
                # smaller number would never be grouped. SQLite's write lock (BEGIN IMMEDIATE)
                # orders writers already; PostgreSQL's writers wait for each other here.
                conn.execute(text("SELECT pg_advisory_xact_lock(7406254)"))
            order = conn.execute(text("SELECT COALESCE(MAX(ingest_order), 0) FROM articles")).scalar_one()
            # SQLite's FTS5 index is kept in step by a trigger; PostgreSQL's vector is written here.
            words = search_vector(conn)
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
                        " published, author, language) VALUES (:id, :doc, :h, :order, :title, :text,"
                        " :url, :source, :published, :author, :language)"
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
                if words.enabled:
                    conn.execute(
                        text(
                            "INSERT INTO article_words (id, ingest_order, search)"
                            " VALUES (:id, :order, CAST(:search AS tsvector))"
                        ),
                        {"id": article.id, "order": order, **words.of(article.title, article.text)},
                    )
            if new:
                count_change(conn)
        return new, len(articles) - new

    def articles(self) -> list[Article]:
        """Every stored article in time order (undated ones first, then by arrival)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(f"SELECT {ARTICLE_COLUMNS} FROM articles ORDER BY COALESCE(published, ''), ingest_order")
            )
            return [article_from_row(row) for row in rows]

    def article_vectors(self, model: str, article_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors made by ``model`` of ``article_ids``, by article id."""
        sql = "SELECT article_id, vector FROM article_vectors WHERE model = :m AND article_id IN :ids"
        with self.engine.connect() as conn:
            rows = lookup_rows(conn, sql, article_ids, {"m": model})
        return {row.article_id: np.frombuffer(base64.b64decode(row.vector), dtype="<f4") for row in rows}

    def add_article_vectors(self, model: str, article_ids: Sequence[str], vectors: np.ndarray) -> None:
        """Keep ``model``'s vectors of stored articles (one row each), in one transaction."""
        # Encoded in slices: 100k encoded rows at once would hold ~250 MB of strings.
        pairs = zip(article_ids, vectors, strict=True)
        with self._writes.begin() as conn:
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
            for start in range(0, len(article_ids), IDS_PER_LOOKUP):
                ids = {f"a{n}": a for n, a in enumerate(article_ids[start : start + IDS_PER_LOOKUP])}
                rows = conn.execute(
                    text(
                        "SELECT article_id, facts FROM article_facts WHERE made_with = :m"
                        f" AND article_id IN ({', '.join(':' + name for name in ids)})"
                    ),
                    {"m": made_with, **ids},
                )
                found |= {row.article_id: article_facts_from_json(row.article_id, row.facts) for row in rows}
        return found

    def analysed_articles(self, made_with: str) -> set[str]:
        """The ids of the articles with an analysis made under fingerprint ``made_with``."""
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT article_id FROM article_facts WHERE made_with = :m"), {"m": made_with})
            return {row.article_id for row in rows}

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
        """Make the stored events ``events``: write those that changed, delete those gone.

        An event stored with the same id and the same digest (of its articles, summary,
        timeline, facts and fingerprint) is left as it is, so a rebuild after a small ingest
        writes little. The writes go a slice at a time (100 events, or fewer holding 2,000 articles)
        per transaction, so that readers
        see the new events land slice by slice and other writers (a POSTed job) never wait
        long. Each slice leaves the store consistent: every event whole, no article in two
        events (a slice deletes the stored events that share an article with the events it
        writes); a crash between slices leaves events of this rebuild beside events of the last
        one, and some articles in none until the next rebuild, which completes the swap.
        """
        self._write_sliced(_EVENT_ROWS, list(events), (), whole=True)

    def replace_stories(self, stories: Iterable[Story]) -> None:
        """Make the stored stories ``stories``, as ``replace_events`` does the events: the changed
        ones written a slice at a time, each slice first deleting the stored stories that hold
        one of its events, then those gone deleted."""
        self._write_sliced(_STORY_ROWS, list(stories), (), whole=True)

    def commit_change(self, change: GroupingCommit) -> None:
        """Write what an ingest changed: its events and stories (deleting those merged away),
        then its grouping state, updates and signatures (``store.grouping.write_grouping``).

        A change that fits one slice (``replace_events``: the ingests that ``watch`` and the API
        make) is one transaction, so a reader sees all of it or none. A larger one (a bulk load)
        writes its events and stories a slice at a time and the state last: a crash between
        leaves the state as the last ingest left it, and the next run writes the same again.
        """
        if change.whole:
            self.replace_events(change.events)
            self.replace_stories(change.stories)
        elif _fits_one_slice(change.events, change.stories):
            with self._writes.begin() as conn:
                self._write_part(conn, _EVENT_ROWS, change.events, change.gone_events)
                self._write_part(conn, _STORY_ROWS, change.stories, change.gone_stories)
                write_grouping(conn, change)
            return
        else:
            self._write_sliced(_EVENT_ROWS, change.events, change.gone_events, whole=False)
            self._write_sliced(_STORY_ROWS, change.stories, change.gone_stories, whole=False)
        with self._writes.begin() as conn:
            write_grouping(conn, change)

    def _write_part(self, conn: Connection, table: _Rows, items: Sequence, gone: Iterable[str]) -> None:
        """Write ``items`` whose digest changed and delete ``gone``, in the caller's transaction."""
        changed, digests, gone = _changed(conn, table, items, gone, whole=False)
        if changed:
            _insert_rows(conn, table, changed, digests)
        if gone:
            table.delete(conn, set(gone))
        if changed or gone:
            count_change(conn)

    def _write_sliced(self, table: _Rows, items: Sequence, gone: Iterable[str], whole: bool) -> None:
        """Insert those of ``items`` whose digest changed, slice by slice, after deleting the
        stored rows they replace or overlap; then delete ``gone`` (and, when ``whole``, every
        stored row not among ``items``)."""
        with self.engine.connect() as conn:
            changed, digests, gone = _changed(conn, table, items, gone, whole)
        for part in table.slices(changed):
            with self._writes.begin() as conn:
                _insert_rows(conn, table, part, digests)
                count_change(conn)
        for start in range(0, len(gone), _EVENT_SLICE):
            with self._writes.begin() as conn:
                table.delete(conn, set(gone[start : start + _EVENT_SLICE]))
                count_change(conn)


@dataclass(frozen=True)
class _Rows:
    """How events (or stories) are written: their table and the statements of ``rows``."""

    name: str
    digest_of: Callable
    slices: Callable
    holding: Callable
    delete: Callable
    insert: Callable


def _changed(
    conn: Connection, table: _Rows, items: Sequence, gone: Iterable[str], whole: bool
) -> tuple[list, dict[str, str], list[str]]:
    """Those of ``items`` whose digest differs from the stored one, every item's digest, and the
    ids to delete: ``gone`` not among ``items`` (or, when ``whole``, every stored id not among them)."""
    digests = {item.id: table.digest_of(item) for item in items}
    if whole:
        stored = dict(conn.execute(text(f"SELECT id, digest FROM {table.name}")).all())
    else:
        stored = dict(lookup_rows(conn, f"SELECT id, digest FROM {table.name} WHERE id IN :ids", list(digests)))
    changed = [item for item in items if stored.get(item.id) != digests[item.id]]
    return changed, digests, sorted((set(stored) - set(digests)) if whole else set(gone) - set(digests))


def _insert_rows(conn: Connection, table: _Rows, part: Sequence, digests: Mapping[str, str]) -> None:
    """Write ``part`` after deleting the stored rows it replaces or overlaps."""
    table.delete(conn, {item.id for item in part} | table.holding(conn, part))
    seq = conn.execute(text(f"SELECT COALESCE(MAX(seq), 0) FROM {table.name}")).scalar_one()
    for n, item in enumerate(part, start=seq + 1):
        table.insert(conn, item, n, digests[item.id])


def _fits_one_slice(events: Sequence[Event], stories: Sequence[Story]) -> bool:
    articles = sum(len(e.articles) for e in events)
    return len(events) <= _EVENT_SLICE and articles <= _SLICE_ARTICLES and len(stories) <= _EVENT_SLICE


def _slices(events: Sequence[Event]) -> Iterator[list[Event]]:
    """``events`` in runs of at most ``_EVENT_SLICE`` events and, where one event does not take
    more alone, ``_SLICE_ARTICLES`` articles: the transactions of a rebuild."""
    part: list[Event] = []
    articles = 0
    for ev in events:
        if part and (len(part) == _EVENT_SLICE or articles + len(ev.articles) > _SLICE_ARTICLES):
            yield part
            part, articles = [], 0
        part.append(ev)
        articles += len(ev.articles)
    if part:
        yield part


def _story_slices(stories: Sequence[Story]) -> Iterator[list[Story]]:
    """``stories`` in runs of at most ``_EVENT_SLICE``: the transactions of a rebuild."""
    for start in range(0, len(stories), _EVENT_SLICE):
        yield list(stories[start : start + _EVENT_SLICE])


def _events_holding(conn: Connection, events: Sequence[Event]) -> set[str]:
    """The stored events that hold an article of ``events``."""
    return _lookup(
        conn,
        "SELECT DISTINCT event_id FROM event_articles WHERE article_id IN :ids",
        [a.id for ev in events for a in ev.articles],
    )


def _stories_holding(conn: Connection, stories: Sequence[Story]) -> set[str]:
    """The stored stories that hold an event of ``stories``."""
    return _lookup(
        conn,
        "SELECT DISTINCT story_id FROM story_events WHERE event_id IN :ids",
        [e.id for st in stories for e in st.events],
    )


def _lookup(conn: Connection, sql: str, ids: Sequence[str]) -> set[str]:
    """What ``sql`` (with an ``IN :ids`` list) selects for ``ids``, a bounded list at a time."""
    return {row[0] for row in lookup_rows(conn, sql, ids)}


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Transactions are begun by _sqlite_begin, not by the driver (which begins none for reads,
    # and begins writes lazily, at their first INSERT, after their first reads).
    dbapi_connection.isolation_level = None
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


def _sqlite_begin(conn: Connection) -> None:
    # A write takes the write lock as it begins (BEGIN IMMEDIATE), so that what it reads first
    # (MAX(ingest_order), the stored events) cannot change under it, and a second writer waits
    # (busy_timeout) instead of failing when it upgrades. A read begins a plain transaction: it
    # sees one snapshot of the store through all its statements, and never blocks a writer.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("storyline_write") else "BEGIN")


_EVENT_ROWS = _Rows("events", digest, _slices, _events_holding, delete_events, insert_event)
_STORY_ROWS = _Rows("stories", story_digest, _story_slices, _stories_holding, delete_stories, insert_story)
