"""The store's schema, versioned: ``MIGRATIONS`` lists every change in order, the first making
the tables of a new store, and ``Store.migrate`` applies those a database lacks when it opens it.
A migration is never edited once released: a change of schema is a new one at the end.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from sqlalchemy.engine import Connection

from .rows import fill_list_rows, fill_search_vectors
from .search import PREFIX_INDEXES, fts5_dropped, fts5_schema, fts5_vocabulary

# A migration is a list of steps: SQL for every database, SQL by dialect ({"sqlite": ...}; a
# dialect not named skips the step), or a function of the open connection for what SQL alone
# cannot do portably.
Step = str | Mapping[str, str] | Callable[[Connection], None]
# SQLite's search indexes: (index, table, rowid column, columns indexed)
SEARCH_INDEXES = [
    ("articles_search", "articles", "ingest_order", ("title", "text")),
    ("events_search", "events", "seq", ("headline", "summary_text")),
    ("stories_search", "stories", "seq", ("headline", "summary_text")),
]

MIGRATIONS: list[list[Step]] = [
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
    # 8: serving a big store and a busy ingest (#22). Events carry the rows their lists show
    # (summary text, outlets), a digest of what was written (a rebuild rewrites only the events
    # that changed) and a number (seq) that the search index knows them by; event_outlets makes
    # the outlet filter a lookup; indexes serve both list orders and the events of an article.
    # Full-text search: SQLite FTS5 indexes of articles and events (external content, kept in
    # step by triggers; an article is known by its ingest_order, which becomes unique), or
    # PostgreSQL tsvector columns with GIN indexes, filled by the store (search.py says why not
    # by PostgreSQL's own parser). The change counter keys the servers' caches; a lease keeps
    # one job runner among several server processes.
    [
        "ALTER TABLE events ADD COLUMN summary_text TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE events ADD COLUMN sources TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE events ADD COLUMN digest TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE events ADD COLUMN seq INTEGER NOT NULL DEFAULT 0",
        """CREATE TABLE event_outlets (
            source TEXT NOT NULL,
            event_id TEXT NOT NULL REFERENCES events(id),
            first_published TEXT,           -- the event's dates and count, copied: one outlet's
            last_published TEXT,            -- events are listed by walking its own index
            article_count INTEGER NOT NULL,
            PRIMARY KEY (source, event_id))""",
        fill_list_rows,
        {
            "sqlite": "CREATE UNIQUE INDEX events_seq ON events (seq)",
            "postgresql": "CREATE INDEX events_seq ON events (seq)",
        },
        # (article_id, event_id): a search's lookup from a matching article to its event reads
        # the index alone
        "CREATE INDEX event_articles_article ON event_articles (article_id, event_id)",
        {
            "sqlite": "CREATE INDEX events_recent ON events (last_published DESC, article_count DESC, id)",
            "postgresql": "CREATE INDEX events_recent ON events (last_published DESC NULLS LAST, article_count DESC, id)",
        },
        {
            "sqlite": "CREATE INDEX events_coverage ON events (article_count DESC, last_published DESC, id)",
            "postgresql": "CREATE INDEX events_coverage ON events (article_count DESC, last_published DESC NULLS LAST, id)",
        },
        {
            "sqlite": "CREATE INDEX event_outlets_recent ON event_outlets"
            " (source, last_published DESC, article_count DESC, event_id)",
            "postgresql": "CREATE INDEX event_outlets_recent ON event_outlets"
            " (source, last_published DESC NULLS LAST, article_count DESC, event_id)",
        },
        {
            "sqlite": "CREATE INDEX event_outlets_coverage ON event_outlets"
            " (source, article_count DESC, last_published DESC, event_id)",
            "postgresql": "CREATE INDEX event_outlets_coverage ON event_outlets"
            " (source, article_count DESC, last_published DESC NULLS LAST, event_id)",
        },
        "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
        "INSERT INTO counters (name, value) VALUES ('changes', 0)",
        "CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL)",
        # Two ingests at once could once read the same MAX(ingest_order); writes now take
        # SQLite's write lock first (_sqlite_begin), and old duplicates are numbered anew.
        {
            "sqlite": "UPDATE articles SET ingest_order = (SELECT MAX(ingest_order) FROM articles) + rowid"
            " WHERE rowid IN (SELECT a.rowid FROM articles a JOIN articles b"
            " ON b.ingest_order = a.ingest_order AND b.rowid < a.rowid)"
        },
        {"sqlite": "DROP INDEX articles_ingest_order"},
        {"sqlite": "CREATE UNIQUE INDEX articles_ingest_order ON articles (ingest_order)"},
        *({"sqlite": sql} for sql in fts5_schema("articles_search", "articles", "ingest_order", ("title", "text"))),
        *({"sqlite": sql} for sql in fts5_schema("events_search", "events", "seq", ("headline", "summary_text"))),
        {"postgresql": "ALTER TABLE articles ADD COLUMN search tsvector"},
        {"postgresql": "ALTER TABLE events ADD COLUMN search tsvector"},
        fill_search_vectors,
        {"postgresql": "CREATE INDEX articles_search ON articles USING GIN (search)"},
        {"postgresql": "CREATE INDEX events_search ON events USING GIN (search)"},
    ],
    # 9: what spaCy found in each article (names, figures, dates), kept so that describing an
    # event again only combines its articles' facts instead of reading them all again
    [
        """CREATE TABLE article_facts (
            article_id TEXT NOT NULL REFERENCES articles(id),
            made_with TEXT NOT NULL,        -- fingerprint of the analysis (versions, settings)
            facts TEXT NOT NULL,            -- JSON: mentions, acronyms, figures, dates
            PRIMARY KEY (article_id, made_with))""",
    ],
    # 10: stories (#20): events that continue one another, each with a name (in ``headline``, the
    # column lists read), a digest (the leads of its most covered events) and outlets, listed and
    # searched like events. story_events holds no foreign key to events: a rebuild rewrites the
    # events slice by slice, then the stories, and a reader joins the two. A store made before
    # gets its stories at its next ingest, which rebuilds them with the events.
    [
        """CREATE TABLE stories (
            id TEXT PRIMARY KEY,
            headline TEXT NOT NULL,         -- the story's name
            first_published TEXT,
            last_published TEXT,
            article_count INTEGER NOT NULL,
            event_count INTEGER NOT NULL,
            summary_text TEXT NOT NULL,     -- the digest, a sentence a line
            sources TEXT NOT NULL,          -- JSON list of outlets, most events first
            digest TEXT NOT NULL,           -- of what was written: a rebuild rewrites changed stories only
            seq INTEGER NOT NULL)""",
        """CREATE TABLE story_events (
            event_id TEXT PRIMARY KEY,
            story_id TEXT NOT NULL REFERENCES stories(id),
            rank INTEGER NOT NULL)          -- time order within the story""",
        "CREATE INDEX story_events_story ON story_events (story_id, rank)",
        """CREATE TABLE story_digest (
            story_id TEXT NOT NULL REFERENCES stories(id),
            rank INTEGER NOT NULL,
            event_id TEXT NOT NULL,
            text TEXT NOT NULL,
            article_id TEXT NOT NULL REFERENCES articles(id),
            position INTEGER NOT NULL,
            PRIMARY KEY (story_id, rank))""",
        """CREATE TABLE story_outlets (
            source TEXT NOT NULL,
            story_id TEXT NOT NULL REFERENCES stories(id),
            first_published TEXT,
            last_published TEXT,
            article_count INTEGER NOT NULL,
            PRIMARY KEY (source, story_id))""",
        {
            "sqlite": "CREATE UNIQUE INDEX stories_seq ON stories (seq)",
            "postgresql": "CREATE INDEX stories_seq ON stories (seq)",
        },
        {
            "sqlite": "CREATE INDEX stories_recent ON stories (last_published DESC, article_count DESC, id)",
            "postgresql": "CREATE INDEX stories_recent ON stories (last_published DESC NULLS LAST, article_count DESC, id)",
        },
        {
            "sqlite": "CREATE INDEX stories_coverage ON stories (article_count DESC, last_published DESC, id)",
            "postgresql": "CREATE INDEX stories_coverage ON stories (article_count DESC, last_published DESC NULLS LAST, id)",
        },
        {
            "sqlite": "CREATE INDEX story_outlets_recent ON story_outlets"
            " (source, last_published DESC, article_count DESC, story_id)",
            "postgresql": "CREATE INDEX story_outlets_recent ON story_outlets"
            " (source, last_published DESC NULLS LAST, article_count DESC, story_id)",
        },
        {
            "sqlite": "CREATE INDEX story_outlets_coverage ON story_outlets"
            " (source, article_count DESC, last_published DESC, story_id)",
            "postgresql": "CREATE INDEX story_outlets_coverage ON story_outlets"
            " (source, article_count DESC, last_published DESC NULLS LAST, story_id)",
        },
        *({"sqlite": sql} for sql in fts5_schema("stories_search", "stories", "seq", ("headline", "summary_text"))),
        {"postgresql": "ALTER TABLE stories ADD COLUMN search tsvector"},
        {"postgresql": "CREATE INDEX stories_search ON stories USING GIN (search)"},
    ],
    # 11: faster searches of a big store. SQLite's search indexes are made again with prefix
    # indexes (search.PREFIX_INDEXES says why). PostgreSQL's article vectors move to a table of
    # their own, kept in its rows rather than TOAST's (a search walks the newest articles and
    # tests each one's vector: in the articles table, each test read the vector out of TOAST).
    [
        *(
            {"sqlite": sql}
            for index, table, rowid, columns in SEARCH_INDEXES
            for sql in (*fts5_dropped(index, table), *fts5_schema(index, table, rowid, columns, PREFIX_INDEXES))
        ),
        {
            "postgresql": """CREATE TABLE article_words (
                id TEXT PRIMARY KEY REFERENCES articles(id),
                ingest_order INTEGER NOT NULL,
                search tsvector NOT NULL) WITH (toast_tuple_target = 8160)"""
        },
        # MAIN: compressed if need be, out of the row only when it cannot fit in a page at all
        {"postgresql": "ALTER TABLE article_words ALTER COLUMN search SET STORAGE MAIN"},
        {
            "postgresql": "INSERT INTO article_words SELECT id, ingest_order, COALESCE(search, CAST('' AS tsvector)) FROM articles"
        },
        {"postgresql": "DROP INDEX articles_search"},
        {"postgresql": "ALTER TABLE articles DROP COLUMN search"},
        {"postgresql": "CREATE INDEX article_words_recent ON article_words (ingest_order)"},
        {"postgresql": "CREATE INDEX article_words_search ON article_words USING GIN (search)"},
    ],
    # 12: SQLite's search indexes get their vocabularies, where a search finds the words a long
    # prefix begins (search.spelled_prefix)
    [{"sqlite": fts5_vocabulary(index)} for index, *_ in SEARCH_INDEXES],
    # 13: the grouping continues from the store (grouping.py): the event clusterer's and story
    # linker's state, in parts written only when they change; each article's MinHash band keys,
    # where a later article finds what it copies; and every event's and story's updates.
    [
        """CREATE TABLE grouping_state (
            name TEXT PRIMARY KEY,          -- 'head', 'views/<block>', ...
            value BLOB NOT NULL)""",
        """CREATE TABLE article_signatures (
            article_id TEXT PRIMARY KEY REFERENCES articles(id),
            arrival INTEGER NOT NULL,       -- the order the grouping read it in
            signature BLOB NOT NULL,        -- MinHash values, little-endian uint32
            original_id TEXT NOT NULL)      -- the article it copies, '' for none""",
        """CREATE TABLE signature_bands (
            band_key TEXT NOT NULL,         -- band number and the hash of its values
            article_id TEXT NOT NULL REFERENCES articles(id))""",
        "CREATE INDEX signature_bands_key ON signature_bands (band_key)",
        """CREATE TABLE updates (
            seq INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,             -- 'event' or 'story'
            target_id TEXT NOT NULL,
            at TEXT NOT NULL,               -- ISO 8601, UTC
            headline TEXT NOT NULL,
            opened INTEGER NOT NULL,
            articles TEXT NOT NULL,         -- JSON list of article ids
            summary TEXT NOT NULL,          -- JSON list of cited sentences
            changes TEXT NOT NULL)          -- JSON list of figure changes""",
        "CREATE INDEX updates_target ON updates (kind, target_id, seq)",
        "CREATE INDEX updates_at ON updates (at, seq)",
    ],
    # 14: the ids merged away, so that a bookmarked page or a subscribed feed of a merged event
    # or story leads to the survivor instead of a 404; articles by language, for the lists'
    # language filter.
    [
        "CREATE INDEX articles_language ON articles (language)",
        """CREATE TABLE merged_ids (
            kind TEXT NOT NULL,             -- 'event' or 'story'
            old_id TEXT NOT NULL,
            new_id TEXT NOT NULL,
            PRIMARY KEY (kind, old_id))""",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)


# Migrations are written once for every database; the few type names that differ are
# translated per dialect when they run (PostgreSQL has no BLOB: its bytes type is BYTEA).
_DIALECT_TYPES = {"postgresql": {"BLOB": "BYTEA"}}


def for_dialect(statement: str, dialect: str) -> str:
    for generic, native in _DIALECT_TYPES.get(dialect, {}).items():
        statement = re.sub(rf"\b{generic}\b", native, statement)
    return statement
