"""The store's updates: for every ingest that touched an event or a story, what it added.

Updates are written by the grouping's commit (``grouping.py``), in the same transaction as the
state that says those articles were grouped, so an interrupted ingest never leaves an update
without its events or records one twice. They are read newest first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection, Engine

from ..facts.records import figure_as_dict, figure_from_dict
from ..listing import to_iso
from ..model import FigureChange, Sentence, Update

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


def move_updates(conn: Connection, kind: str, renamed: dict[str, str]) -> None:
    """Point the updates of merged events (or stories) at their survivors (``renamed``: old id ->
    new id), so that a merge keeps the history of both."""
    for old, new in renamed.items():
        conn.execute(
            text("UPDATE updates SET target_id = :new WHERE kind = :kind AND target_id = :old"),
            {"kind": kind, "old": old, "new": new},
        )


class UpdateStore:
    """Reading updates (a mixin of ``Store``, which gives ``engine``)."""

    engine: Engine

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
