"""Reading events, stories, articles and outlets for the API, the web pages and the CLI (a mixin
of ``Store``, which gives ``engine`` and ``search``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Literal

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ..config import SearchSettings
from ..listing import ListPage, ListQuery, find_ids, find_page
from ..model import Article, Event, Story
from ..rows import (
    ARTICLE_COLUMNS,
    EVENT_ORDERS,
    EVENTS,
    STORIES,
    StoryHead,
    article_from_row,
    load_events,
    load_story,
    stories_of_events,
    story_heads,
)
from .lookup import IDS_PER_LOOKUP

ListKind = Literal["events", "stories"]
_LISTINGS = {"events": EVENTS, "stories": STORIES}


class ReadStore:
    """What the readers of a store ask of it: events, stories, articles, outlets, counts."""

    engine: Engine
    search: SearchSettings

    def events(self) -> list[Event]:
        """Every stored event, most covered first, then most recent."""
        with self.engine.connect() as conn:
            return load_events(conn, "1 = 1", {}, order=EVENT_ORDERS["coverage"])

    def events_made_with(self, made_with: str, articles: Mapping[str, Article]) -> list[Event]:
        """The stored events described under fingerprint ``made_with`` (``Event.made_with``), made
        from the caller's ``articles`` (by id) instead of reading the articles' text again; an
        event with an article missing from ``articles`` is left out."""
        with self.engine.connect() as conn:
            return load_events(conn, "e.made_with = :m", {"m": made_with}, articles=articles)

    def events_by_id(self, event_ids: Sequence[str], texts: bool = False) -> list[Event]:
        """The stored events of ``event_ids`` (those that exist), with their articles' texts
        only if ``texts``."""
        found: list[Event] = []
        with self.engine.connect() as conn:
            for start in range(0, len(event_ids), IDS_PER_LOOKUP):
                part = {f"id{n}": event_id for n, event_id in enumerate(event_ids[start : start + IDS_PER_LOOKUP])}
                if part:
                    where = f"e.id IN ({', '.join(':' + k for k in part)})"
                    found += load_events(conn, where, part, texts=texts)
        return found

    def event(self, event_id: str, texts: bool = True) -> Event | None:
        """One event, read by its key from each table; ``texts=False`` leaves its articles'
        texts out (an event page shows their titles; a big event's texts run to megabytes)."""
        with self.engine.connect() as conn:
            found = load_events(conn, "e.id = :id", {"id": event_id}, texts=texts)
        return found[0] if found else None

    def find_events(self, query: ListQuery) -> ListPage:
        """One page of the list rows of the events that match ``query``, each naming its story,
        and how many match."""
        with self.engine.connect() as conn:
            found = find_page(conn, EVENTS, query, self.search)
            stories = stories_of_events(conn, [row.id for row in found.rows])
        rows = [
            replace(row, story_id=head.id, story_name=head.name, story_events=head.events)
            if (head := stories.get(row.id))
            else row
            for row in found.rows
        ]
        return replace(found, rows=rows)

    def iter_events(self, query: ListQuery, chunk: int = 20) -> Iterator[Event]:
        """The events that match ``query``, whole (summary, articles, facts, timeline), in its
        order, up to ``query.limit`` (0: all): their ids first, then ``chunk`` events at a time."""
        with self.engine.connect() as conn:
            ids = find_ids(conn, EVENTS, query, self.search)
        for start in range(0, len(ids), chunk):
            part = {f"id{n}": event_id for n, event_id in enumerate(ids[start : start + chunk])}
            with self.engine.connect() as conn:
                loaded = {ev.id: ev for ev in load_events(conn, f"e.id IN ({', '.join(':' + k for k in part)})", part)}
            yield from (loaded[i] for i in part.values() if i in loaded)

    def story(self, story_id: str) -> Story | None:
        """One story: its events in time order (as their list rows show them) and its digest."""
        with self.engine.connect() as conn:
            return load_story(conn, story_id)

    def find_stories(self, query: ListQuery) -> ListPage:
        """One page of the list rows of the stories that match ``query``, and how many match."""
        with self.engine.connect() as conn:
            return find_page(conn, STORIES, query, self.search)

    def iter_stories(self, query: ListQuery) -> Iterator[Story]:
        """The stories that match ``query``, whole, in its order, up to ``query.limit`` (0: all)."""
        with self.engine.connect() as conn:
            ids = find_ids(conn, STORIES, query, self.search)
        for story_id in ids:
            found = self.story(story_id)
            if found is not None:
                yield found

    def story_heads(self, story_ids: Sequence[str]) -> dict[str, StoryHead]:
        """Story id -> its id, name and event count, for those of ``story_ids`` that are stored."""
        with self.engine.connect() as conn:
            return story_heads(conn, story_ids)

    def change_count(self) -> int:
        """How many writes changed what the store shows (articles, events): a cache of anything
        read from the store is good while this stays the same."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT value FROM counters WHERE name = 'changes'")).scalar_one()

    def article(self, article_id: str) -> Article | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                text(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = :id"), {"id": article_id}
            ).first()
        return article_from_row(row) if row else None

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

    def outlets(self, limit: int | None = None, kind: ListKind = "events") -> list[tuple[str, int]]:
        """Outlets with the number of events (or stories: ``kind``) they covered, most first (the
        ``limit`` first)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT source, COUNT(*) AS n FROM {_LISTINGS[kind].outlets} GROUP BY source ORDER BY n DESC, source"
                    + (" LIMIT :limit" if limit else "")
                ),
                {"limit": limit},
            )
            return [(row.source, row.n) for row in rows]

    def languages(self) -> list[tuple[str, int]]:
        """The languages stored articles are written in (ISO 639-1 codes), with how many articles
        each, most first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT language, COUNT(*) AS n FROM articles WHERE language <> ''"
                    " GROUP BY language ORDER BY n DESC, language"
                )
            )
            return [(row.language, row.n) for row in rows]

    def outlet_events(self, source: str, kind: ListKind = "events") -> int:
        """How many events (or stories: ``kind``) ``source`` covered."""
        with self.engine.connect() as conn:
            return conn.execute(
                text(f"SELECT COUNT(*) FROM {_LISTINGS[kind].outlets} WHERE source = :s"), {"s": source}
            ).scalar_one()

    def counts(self) -> dict[str, int]:
        """How many articles, events, stories and documents are stored (for health checks)."""
        with self.engine.connect() as conn:
            return {
                table: conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
                for table in ("articles", "events", "stories", "documents")
            }
