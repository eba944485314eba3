"""Stories written to the store's tables and read back, with the list row each story carries.

A story's events are listed in ``story_events`` (an event's story is a lookup there), its digest
in ``story_digest`` (the lead of each of its most covered events, with the article it cites), its
outlets in ``story_outlets``; its list row (name, dates, counts, outlets, digest text) sits on
``stories`` itself, so a list of stories costs what a list of events does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from ..listing import Listing, SearchSource
from ..listing import from_iso as _from_iso
from ..listing import to_iso as _iso
from ..model import Lead, Sentence, Story, StoryEvent
from .events import search_vector, summary_lines

STORY_TABLES = ("story_digest", "story_events", "story_outlets", "stories")
STORIES = Listing(
    table="stories",
    outlets="story_outlets",
    key="story_id",
    sources=(
        SearchSource(index="stories_search", table="stories", alias="e", rowid="seq", to_row="", row_id="e.id"),
        SearchSource(
            index="events_search",
            table="events",
            alias="d",
            rowid="seq",
            to_row="JOIN story_events se ON se.event_id = d.id",
            row_id="se.story_id",
        ),
        SearchSource(
            index="articles_search",
            table="articles",
            vectors="article_words",
            alias="d",
            rowid="ingest_order",
            to_row="JOIN event_articles m ON m.article_id = d.id JOIN story_events se ON se.event_id = m.event_id",
            row_id="se.story_id",
        ),
    ),
    event_count="e.event_count",
    in_language="SELECT ls.story_id FROM story_events ls JOIN event_articles la ON la.event_id = ls.event_id"
    " JOIN articles lx ON lx.id = la.article_id WHERE lx.language = :language",
)
"""Stories as lists show them: a search reads their names and digests, their events' headlines
and summaries, and their articles."""


def story_digest(story: Story) -> str:
    """What was written of ``story``: two stories with the same digest are stored alike."""
    written = (
        story.id,
        story.name,
        [
            (e.id, e.headline, _iso(e.first_published), _iso(e.last_published), e.article_count, e.sources)
            for e in story.events
        ],
        [
            (lead.event_id, lead.sentence.text, lead.sentence.article_id, lead.sentence.position)
            for lead in story.digest
        ],
    )
    return hashlib.sha256(repr(written).encode()).hexdigest()[:32]


def insert_story(conn: Connection, story: Story, seq: int, digest: str) -> None:
    """Write ``story`` with its list row as story number ``seq``."""
    search = search_vector(conn)
    digest_text = summary_lines([lead.sentence for lead in story.digest])
    first, last, count = _iso(story.first_published), _iso(story.last_published), story.article_count
    conn.execute(
        text(
            "INSERT INTO stories (id, headline, first_published, last_published, article_count, event_count,"
            f" summary_text, sources, digest, seq{search.column}) VALUES (:id, :name, :first, :last, :count,"
            f" :events, :summary_text, :sources, :digest, :seq{search.value})"
        ),
        {
            "id": story.id,
            "name": story.name,
            "first": first,
            "last": last,
            "count": count,
            "events": len(story.events),
            "summary_text": digest_text,
            "sources": json.dumps(story.sources, ensure_ascii=False),
            "digest": digest,
            "seq": seq,
            **search.of(story.name, digest_text),
        },
    )
    conn.execute(
        text("INSERT INTO story_events (event_id, story_id, rank) VALUES (:e, :s, :r)"),
        [{"e": event.id, "s": story.id, "r": rank} for rank, event in enumerate(story.events)],
    )
    if story.sources:
        conn.execute(
            text(
                "INSERT INTO story_outlets (source, story_id, first_published, last_published, article_count)"
                " VALUES (:source, :s, :first, :last, :count)"
            ),
            [
                {"source": source, "s": story.id, "first": first, "last": last, "count": count}
                for source in story.sources
            ],
        )
    if story.digest:
        conn.execute(
            text(
                "INSERT INTO story_digest (story_id, rank, event_id, text, article_id, position)"
                " VALUES (:s, :r, :e, :t, :a, :p)"
            ),
            [
                {
                    "s": story.id,
                    "r": rank,
                    "e": lead.event_id,
                    "t": lead.sentence.text,
                    "a": lead.sentence.article_id,
                    "p": lead.sentence.position,
                }
                for rank, lead in enumerate(story.digest)
            ],
        )


def delete_stories(conn: Connection, story_ids: set[str]) -> None:
    if not story_ids:
        return
    for table in STORY_TABLES:
        column = "id" if table == "stories" else "story_id"
        conn.execute(
            text(f"DELETE FROM {table} WHERE {column} IN :ids").bindparams(bindparam("ids", expanding=True)),
            {"ids": sorted(story_ids)},
        )


def load_story(conn: Connection, story_id: str) -> Story | None:
    """One story with its events (as their list rows show them, in time order) and its digest,
    each lead citing its article."""
    name = conn.execute(text("SELECT headline FROM stories WHERE id = :id"), {"id": story_id}).scalar_one_or_none()
    if name is None:
        return None
    events = conn.execute(
        text(
            "SELECT e.id, e.headline, e.first_published, e.last_published, e.article_count, e.sources"
            " FROM story_events se JOIN events e ON e.id = se.event_id WHERE se.story_id = :id ORDER BY se.rank"
        ),
        {"id": story_id},
    )
    leads = conn.execute(
        text(
            "SELECT d.event_id, d.text, d.article_id, d.position, a.source, a.url, a.published"
            " FROM story_digest d JOIN articles a ON a.id = d.article_id WHERE d.story_id = :id ORDER BY d.rank"
        ),
        {"id": story_id},
    )
    return Story(
        id=story_id,
        name=name,
        events=[
            StoryEvent(
                id=row.id,
                headline=row.headline,
                first_published=_from_iso(row.first_published),
                last_published=_from_iso(row.last_published),
                article_count=row.article_count,
                sources=tuple(json.loads(row.sources)),
            )
            for row in events
        ],
        digest=[
            Lead(
                row.event_id,
                Sentence(
                    text=row.text,
                    article_id=row.article_id,
                    position=row.position,
                    source=row.source,
                    url=row.url,
                    published=_from_iso(row.published),
                ),
            )
            for row in leads
        ],
    )


class StoryHead(NamedTuple):
    """What a page of one of its events says of a story: its id, name and how many events it
    holds (a story of one event is that event alone, and a page does not repeat it)."""

    id: str
    name: str
    events: int


def story_heads(conn: Connection, story_ids: Sequence[str]) -> dict[str, StoryHead]:
    """Story id -> its head, for the stories of ``story_ids`` that are stored."""
    if not story_ids:
        return {}
    rows = conn.execute(
        text("SELECT id, headline, event_count FROM stories WHERE id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        ),
        {"ids": sorted(set(story_ids))},
    )
    return {row.id: StoryHead(row.id, row.headline, row.event_count) for row in rows}


def stories_of_events(conn: Connection, event_ids: Sequence[str]) -> dict[str, StoryHead]:
    """Event id -> its story's head, for the events of ``event_ids`` in a stored story."""
    if not event_ids:
        return {}
    rows = conn.execute(
        text(
            "SELECT se.event_id, s.id, s.headline, s.event_count FROM story_events se"
            " JOIN stories s ON s.id = se.story_id WHERE se.event_id IN :ids"
        ).bindparams(bindparam("ids", expanding=True)),
        {"ids": sorted(set(event_ids))},
    )
    return {row.event_id: StoryHead(row.id, row.headline, row.event_count) for row in rows}
