"""The store's updates: for every ingest that touched an event or a story, what it added.

Updates are written by the grouping's commit (``grouping.py``), in the same transaction as the
state that says those articles were grouped, so an interrupted ingest never leaves an update
without its events or records one twice. They are read newest first.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection, Engine

from ..config import SearchSettings
from ..facts.records import figure_as_dict, figure_from_dict
from ..listing import ListQuery, find_ids, to_iso
from ..model import Article, FigureChange, Sentence, Update
from ..rows import EVENTS, STORIES, count_change

_LISTINGS = {"event": EVENTS, "story": STORIES}
# Ids bound in one IN (...) list, as the rest of the store binds them (SQLite allows 32,766 parameters).
_IDS_PER_LOOKUP = 500

_COLUMNS = "seq, kind, target_id, at, headline, opened, articles, summary, changes"


def insert_updates(conn: Connection, updates: Sequence[Update]) -> None:
    """Write ``updates`` in the caller's transaction, numbered after the stored ones."""
    if not updates:
        return
    seq = conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM updates")).scalar_one()
    conn.execute(
        text(
            f"INSERT INTO updates ({_COLUMNS}) VALUES"
            " (:seq, :kind, :target, :at, :headline, :opened, :articles, :summary, :changes)"
        ),
        [
            {
                "seq": seq + n,
                "kind": u.kind,
                "target": u.target_id,
                "at": to_iso(u.at),
                "headline": u.headline,
                "opened": int(u.opened),
                "articles": json.dumps(list(u.articles)),
                "summary": json.dumps([_sentence_record(s) for s in u.summary], ensure_ascii=False),
                "changes": json.dumps([_change_record(c) for c in u.changes], ensure_ascii=False),
            }
            for n, u in enumerate(updates, start=1)
        ],
    )
    # Pages and feeds show updates: answers kept until the store changes must not outlive them.
    count_change(conn)


def move_updates(conn: Connection, kind: str, renamed: dict[str, str]) -> None:
    """Point the updates of merged events (or stories) at their survivors (``renamed``: old id ->
    new id), so that a merge keeps the history of both, and remember where each old id went
    (ids merged into the old one earlier now lead to the new one too)."""
    for old, new in renamed.items():
        names = {"kind": kind, "old": old, "new": new}
        conn.execute(text("UPDATE updates SET target_id = :new WHERE kind = :kind AND target_id = :old"), names)
        conn.execute(text("UPDATE merged_ids SET new_id = :new WHERE kind = :kind AND new_id = :old"), names)
        conn.execute(text("DELETE FROM merged_ids WHERE kind = :kind AND old_id IN (:old, :new)"), names)
        conn.execute(text("INSERT INTO merged_ids (kind, old_id, new_id) VALUES (:kind, :old, :new)"), names)


class UpdateStore:
    """Reading updates (a mixin of ``Store``, which gives ``engine`` and ``search``)."""

    engine: Engine
    search: SearchSettings

    def updates(
        self,
        kind: str | None = None,
        target_ids: Sequence[str] | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[Update]:
        """Stored updates, newest first: of one ``kind`` ('event' or 'story') if given, of
        ``target_ids`` if given, made at or after ``since`` if given, at most ``limit`` (0: all)."""
        clauses, params = ["1 = 1"], {}
        if kind:
            clauses.append("kind = :kind")
            params["kind"] = kind
        if since is not None:
            clauses.append("at >= :since")
            params["since"] = to_iso(since)
        statement = f"SELECT {_COLUMNS} FROM updates WHERE {' AND '.join(clauses)}"
        if target_ids is not None:
            if not target_ids:
                return []
            statement += " AND target_id IN :ids"
            params["ids"] = list(target_ids)
        statement += " ORDER BY seq DESC" + (" LIMIT :limit" if limit else "")
        params["limit"] = limit
        query = text(statement)
        if target_ids is not None:
            query = query.bindparams(bindparam("ids", expanding=True))
        with self.engine.connect() as conn:
            return [_update_from_row(row) for row in conn.execute(query, params)]

    def matching_updates(
        self,
        query: ListQuery,
        kind: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[Update]:
        """Stored updates of the events and stories that ``query`` finds (its words, dates and
        outlet, as their lists read them; its order and page are ignored), newest first: of one
        ``kind`` if given, made at or after ``since`` if given, at most ``limit`` (0: all)."""
        if not query.narrows:
            return self.updates(kind, since=since, limit=limit)
        every = replace(query, limit=0, offset=0)
        found: list[Update] = []
        for each in [kind] if kind else list(_LISTINGS):
            with self.engine.connect() as conn:
                ids = find_ids(conn, _LISTINGS[each], every, self.search)
            for start in range(0, len(ids), _IDS_PER_LOOKUP):
                found += self.updates(each, ids[start : start + _IDS_PER_LOOKUP], since, limit)
        return heapq.nlargest(limit or len(found), found, key=lambda u: u.seq)

    def headline_of(self, kind: str, target_id: str) -> str | None:
        """The headline of event ``target_id`` (``kind`` 'event'; a story's name for 'story'),
        None when it is not stored: what a feed of its updates is titled."""
        with self.engine.connect() as conn:
            return conn.execute(
                text(f"SELECT headline FROM {_LISTINGS[kind].table} WHERE id = :id"), {"id": target_id}
            ).scalar()

    def survivor_of(self, kind: str, target_id: str) -> str | None:
        """The event (``kind`` 'event') or story that ``target_id`` was merged into, None when
        it was never merged away."""
        with self.engine.connect() as conn:
            return conn.execute(
                text("SELECT new_id FROM merged_ids WHERE kind = :kind AND old_id = :id"),
                {"kind": kind, "id": target_id},
            ).scalar()

    def arrived_articles(self, updates: Sequence[Update]) -> dict[str, Article]:
        """The articles that ``updates`` brought, by id, without their text (titles, outlets,
        URLs and dates: what a list of arrivals shows); articles no longer stored are left out."""
        ids = list(dict.fromkeys(a for u in updates for a in u.articles))
        found: dict[str, Article] = {}
        query = text("SELECT id, title, url, source, published FROM articles WHERE id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        )
        with self.engine.connect() as conn:
            for start in range(0, len(ids), _IDS_PER_LOOKUP):
                for row in conn.execute(query, {"ids": ids[start : start + _IDS_PER_LOOKUP]}):
                    published = datetime.fromisoformat(row.published) if row.published else None
                    found[row.id] = Article(row.id, "", row.title, row.url, row.source, published)
        return found

    def latest_update_seq(self) -> int:
        """The number of the newest update (0 when none): what a feed's validators follow."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM updates")).scalar_one()


def _sentence_record(sentence: Sentence) -> dict[str, Any]:
    return {
        "text": sentence.text,
        "article_id": sentence.article_id,
        "position": sentence.position,
        "source": sentence.source,
        "url": sentence.url,
        "published": sentence.published.isoformat() if sentence.published else None,
    }


def _sentence_from_record(record: dict[str, Any]) -> Sentence:
    published = record.get("published")
    return Sentence(
        text=record["text"],
        article_id=record["article_id"],
        position=int(record.get("position", 0)),
        source=record.get("source", ""),
        url=record.get("url", ""),
        published=datetime.fromisoformat(published) if published else None,
    )


def _change_record(change: FigureChange) -> dict[str, Any]:
    return {"quantity": change.quantity, "before": figure_as_dict(change.before), "after": figure_as_dict(change.after)}


def _update_from_row(row: Any) -> Update:
    return Update(
        kind=row.kind,
        target_id=row.target_id,
        at=datetime.fromisoformat(row.at),
        articles=tuple(json.loads(row.articles)),
        headline=row.headline,
        summary=tuple(_sentence_from_record(s) for s in json.loads(row.summary)),
        changes=tuple(
            FigureChange(c["quantity"], figure_from_dict(c["before"]), figure_from_dict(c["after"]))
            for c in json.loads(row.changes)
        ),
        opened=bool(row.opened),
        seq=int(row.seq),
    )
