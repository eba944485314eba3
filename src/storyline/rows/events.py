"""Events and articles written to the store's tables and read back, the list row each event
carries, and what migration 8 fills in for events stored before it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from ..facts.records import facts_from_json, facts_to_json
from ..listing import Listing, SearchSource
from ..listing import from_iso as _from_iso
from ..listing import to_iso as _iso
from ..model import Article, Event, Sentence, TimelineEntry
from ..search import tsvector

EVENT_TABLES = ("event_facts", "timeline_entries", "summary_sentences", "event_articles", "event_outlets", "events")
ARTICLE_ROWS = 1_000  # articles read per statement when a migration fills their search vectors

EVENT_ORDERS = {
    "recent": "COALESCE(e.last_published, '') DESC, e.article_count DESC, e.id",
    "coverage": "e.article_count DESC, COALESCE(e.last_published, '') DESC, e.id",
}
EVENTS = Listing(
    table="events",
    outlets="event_outlets",
    key="event_id",
    sources=(
        SearchSource(index="events_search", table="events", alias="e", rowid="seq", to_row="", row_id="e.id"),
        SearchSource(
            index="articles_search",
            table="articles",
            vectors="article_words",
            alias="d",
            rowid="ingest_order",
            to_row="JOIN event_articles m ON m.article_id = d.id",
            row_id="m.event_id",
        ),
    ),
    in_language="SELECT la.event_id FROM event_articles la JOIN articles lx ON lx.id = la.article_id"
    " WHERE lx.language = :language",
)
"""Events as lists show them: a search reads their headlines and summaries, and their articles."""
ARTICLE_COLUMNS = "id, text, title, url, source, published, author, language, document_id"


def article_from_row(row) -> Article:
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


def insert_event(conn: Connection, ev: Event, seq: int, digest: str) -> None:
    """Write ``ev`` with its list row (summary text, outlets) as event number ``seq``."""
    search = search_vector(conn)
    summary_text = summary_lines(ev.summary)
    conn.execute(
        text(
            "INSERT INTO events (id, headline, first_published, last_published, article_count, made_with,"
            f" summary_text, sources, digest, seq{search.column}) VALUES (:id, :headline, :first, :last, :count,"
            f" :made_with, :summary_text, :sources, :digest, :seq{search.value})"
        ),
        {
            "id": ev.id,
            "headline": ev.headline,
            "first": _iso(ev.first_published),
            "last": _iso(ev.last_published),
            "count": len(ev.articles),
            "made_with": ev.made_with,
            "summary_text": summary_text,
            "sources": json.dumps(ev.sources, ensure_ascii=False),
            "digest": digest,
            "seq": seq,
            **search.of(ev.headline, summary_text),
        },
    )
    conn.execute(
        text("INSERT INTO event_articles (event_id, article_id, copy_of) VALUES (:e, :a, :c)"),
        [{"e": ev.id, "a": a.id, "c": a.copy_of} for a in ev.articles],
    )
    if ev.sources:
        conn.execute(
            text(
                "INSERT INTO event_outlets (source, event_id, first_published, last_published, article_count)"
                " VALUES (:s, :e, :first, :last, :count)"
            ),
            [
                {
                    "s": source,
                    "e": ev.id,
                    "first": _iso(ev.first_published),
                    "last": _iso(ev.last_published),
                    "count": len(ev.articles),
                }
                for source in ev.sources
            ],
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


def load_events(
    conn: Connection,
    where: str,
    params: dict[str, object],
    order: str = "e.id",
    articles: Mapping[str, Article] | None = None,
    texts: bool = True,
) -> list[Event]:
    """The events ``where`` selects (a condition on ``events e``), in ``order``: one query per
    table whatever their number. Their articles are read from the store (without their texts
    unless ``texts``), or taken from ``articles`` (by id) when given; an event with an article
    missing there is left out."""
    heads = conn.execute(
        text(
            "SELECT e.id, e.headline, e.made_with, COALESCE(se.story_id, '') AS story_id FROM events e"
            f" LEFT JOIN story_events se ON se.event_id = e.id WHERE {where} ORDER BY {order}"
        ),
        params,
    ).all()
    if not heads:
        return []
    if articles is not None:
        columns = "t.article_id AS id"
    else:
        columns = ", ".join(f"a.{c}" if texts or c != "text" else "'' AS text" for c in ARTICLE_COLUMNS.split(", "))
    members = _rows_of_events(
        conn,
        f"t.copy_of, {columns}",
        "event_articles t JOIN articles a ON a.id = t.article_id",
        (where, params),
        order="t.event_id, COALESCE(a.published, ''), a.ingest_order",
    )
    ranked = "t.event_id, t.rank"
    sentences = _rows_of_events(
        conn, "t.text, t.article_id, t.position", "summary_sentences t", (where, params), ranked
    )
    timelines = _rows_of_events(
        conn, "t.date, t.text, t.article_id, t.resolution", "timeline_entries t", (where, params), ranked
    )
    facts = {i: rows[0].facts for i, rows in _rows_of_events(conn, "t.facts", "event_facts t", (where, params)).items()}
    events = []
    for head in heads:
        member_rows = members.get(head.id, [])
        if articles is not None and any(row.id not in articles for row in member_rows):
            continue
        event_articles = [
            replace(articles[row.id] if articles is not None else article_from_row(row), copy_of=row.copy_of)
            for row in member_rows
        ]
        events.append(
            event_from_rows(head, event_articles, sentences.get(head.id, []), timelines.get(head.id, []), facts)
        )
    return events


def summary_lines(summary: Sequence[Sentence]) -> str:
    """A summary as its list row keeps it: one sentence a line."""
    return "\n".join(" ".join(s.text.split()) for s in summary)


def digest(ev: Event) -> str:
    """What was written of ``ev``: two events with the same digest are stored alike."""
    written = (
        ev.id,
        ev.headline,
        ev.made_with,
        [(a.id, a.copy_of) for a in ev.articles],
        [(s.text, s.article_id, s.position) for s in ev.summary],
        [(_iso(t.date), t.text, t.article_id, t.resolution) for t in ev.timeline],
        facts_to_json(ev) if ev.entities or ev.figures or ev.disagreements else "",
    )
    return hashlib.sha256(repr(written).encode()).hexdigest()[:32]


def delete_events(conn: Connection, event_ids: set[str]) -> None:
    if not event_ids:
        return
    for table in EVENT_TABLES:
        column = "id" if table == "events" else "event_id"
        conn.execute(
            text(f"DELETE FROM {table} WHERE {column} IN :ids").bindparams(bindparam("ids", expanding=True)),
            {"ids": sorted(event_ids)},
        )


def count_change(conn: Connection) -> None:
    """Count a write that changes what readers see (``Store.change_count``)."""
    conn.execute(text("UPDATE counters SET value = value + 1 WHERE name = 'changes'"))


@dataclass(frozen=True)
class SearchVector:
    """What an insert adds on PostgreSQL: the row's words as a ``tsvector`` in its ``search``
    column. SQLite's FTS5 indexes are kept in step by triggers, so there it adds nothing."""

    enabled: bool

    @property
    def column(self) -> str:
        return ", search" if self.enabled else ""

    @property
    def value(self) -> str:
        return ", CAST(:search AS tsvector)" if self.enabled else ""

    def of(self, *texts: str) -> dict[str, str]:
        return {"search": tsvector(*texts)} if self.enabled else {}


def search_vector(conn: Connection) -> SearchVector:
    return SearchVector(conn.dialect.name == "postgresql")


def fill_list_rows(conn: Connection) -> None:
    """Migration 8: the list rows, numbers and outlets of the events stored before them."""
    summaries = by_event(conn.execute(text("SELECT event_id, text FROM summary_sentences ORDER BY event_id, rank")))
    members = by_event(
        conn.execute(
            text(
                "SELECT ea.event_id, a.source FROM event_articles ea JOIN articles a ON a.id = ea.article_id"
                " ORDER BY ea.event_id, COALESCE(a.published, ''), a.ingest_order"
            )
        )
    )
    rows, outlets = [], []
    for seq, event_id in enumerate(conn.execute(text("SELECT id FROM events ORDER BY id")).scalars(), start=1):
        sources = list(dict.fromkeys(row.source for row in members.get(event_id, []) if row.source))
        summary = "\n".join(" ".join(row.text.split()) for row in summaries.get(event_id, []))
        rows.append(
            {"id": event_id, "seq": seq, "summary": summary, "sources": json.dumps(sources, ensure_ascii=False)}
        )
        outlets += [{"s": source, "e": event_id} for source in sources]
    if rows:
        conn.execute(
            text("UPDATE events SET seq = :seq, summary_text = :summary, sources = :sources WHERE id = :id"), rows
        )
    if outlets:
        conn.execute(
            text(
                "INSERT INTO event_outlets (source, event_id, first_published, last_published, article_count)"
                " SELECT :s, id, first_published, last_published, article_count FROM events WHERE id = :e"
            ),
            outlets,
        )


def fill_search_vectors(conn: Connection) -> None:
    """Migration 8 on PostgreSQL: the search vectors of the articles and events stored before them."""
    if conn.dialect.name != "postgresql":
        return
    last = ""
    while rows := conn.execute(
        text("SELECT id, title, text FROM articles WHERE id > :last ORDER BY id LIMIT :n"),
        {"last": last, "n": ARTICLE_ROWS},
    ).all():
        conn.execute(
            text("UPDATE articles SET search = CAST(:v AS tsvector) WHERE id = :id"),
            [{"id": row.id, "v": tsvector(row.title, row.text)} for row in rows],
        )
        last = rows[-1].id
    events = conn.execute(text("SELECT id, headline, summary_text FROM events")).all()
    if events:
        conn.execute(
            text("UPDATE events SET search = CAST(:v AS tsvector) WHERE id = :id"),
            [{"id": row.id, "v": tsvector(row.headline, row.summary_text)} for row in events],
        )


def _rows_of_events(
    conn: Connection, columns: str, table: str, selected: tuple[str, Mapping[str, object]], order: str = ""
) -> dict[str, list]:
    """``columns`` of the rows of ``table`` (alias ``t``, with an ``event_id``) whose events
    ``selected`` picks (a condition on ``events e`` and its parameters), grouped by event id."""
    where, params = selected
    sql = f"SELECT t.event_id, {columns} FROM {table} JOIN events e ON e.id = t.event_id WHERE {where}"
    return by_event(conn.execute(text(sql + (f" ORDER BY {order}" if order else "")), params))


def by_event(rows: Iterable) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for row in rows:
        grouped.setdefault(row.event_id, []).append(row)
    return grouped


def event_from_rows(
    head, articles: list[Article], sentence_rows: list, timeline_rows: list, facts: dict[str, str]
) -> Event:
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
        story_id=head.story_id,
    )
