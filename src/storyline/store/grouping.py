"""The store's grouping state: what the next ingest continues from (see ``grouping.py``).

The state is a head (the statistics and indexes every new article reads) and blocks of article
views, read on demand. ``commit_grouping`` writes what an ingest changed, with the updates it
recorded and the signatures it added, in one transaction, together with how far the grouping
has read (``grouped``, an ``ingest_order``): a crash before that commit leaves the state as the
last ingest left it, and the next run groups the same articles again to the same result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from ..model import Article, Update
from ..rows import ARTICLE_COLUMNS, article_from_row
from .lookup import lookup_rows
from .updates import insert_updates, move_updates

_HEAD = "head"


def _view_key(block: int) -> str:
    return f"views/{block}"


class GroupingStore:
    """Reading and writing the grouping state (a mixin of ``Store``, which gives ``engine``)."""

    engine: Engine
    _writes: Engine

    def grouping_head(self) -> bytes | None:
        """The stored head of the grouping state, None when nothing was grouped yet."""
        return self._state_value(_HEAD)

    def grouping_views(self, block: int) -> bytes | None:
        """The bytes of one stored block of article views (None if it was never stored)."""
        return self._state_value(_view_key(block))

    def _state_value(self, name: str) -> bytes | None:
        with self.engine.connect() as conn:
            value = conn.execute(text("SELECT value FROM grouping_state WHERE name = :n"), {"n": name}).scalar()
        return bytes(value) if value is not None else None

    def commit_grouping(
        self,
        head: bytes,
        blocks: Mapping[int, bytes],
        updates: Sequence[Update] = (),
        renamed: Mapping[str, Mapping[str, str]] | None = None,
        extra: Callable[[Connection], None] | None = None,
    ) -> None:
        """Store the grouping state an ingest left (its head and changed view blocks), the
        updates it recorded, and ``extra``'s writes, in one transaction. ``renamed`` ('event' or
        'story' -> merged id -> survivor) points earlier updates of merged items at their survivor."""
        with self._writes.begin() as conn:
            rows = [{"n": _HEAD, "v": head}, *({"n": _view_key(k), "v": v} for k, v in blocks.items())]
            conn.execute(text("DELETE FROM grouping_state WHERE name = :n"), [{"n": row["n"]} for row in rows])
            conn.execute(text("INSERT INTO grouping_state (name, value) VALUES (:n, :v)"), rows)
            for kind, names in (renamed or {}).items():
                move_updates(conn, kind, dict(names))
            insert_updates(conn, updates)
            if extra is not None:
                extra(conn)

    def clear_grouping(self) -> None:
        """Forget the grouping state and the articles' signatures (``storyline rebuild``): the
        next refresh groups every stored article again. Events, stories and updates stay until
        the regrouping replaces them."""
        with self._writes.begin() as conn:
            conn.execute(text("DELETE FROM grouping_state"))
            conn.execute(text("DELETE FROM signature_bands"))
            conn.execute(text("DELETE FROM article_signatures"))

    def last_ingest_order(self) -> int:
        """The ``ingest_order`` of the latest stored article (0 when none)."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT COALESCE(MAX(ingest_order), 0) FROM articles")).scalar_one()

    def articles_after(self, order: int, upto: int) -> list[Article]:
        """The articles stored after ``ingest_order`` ``order`` up to ``upto``, in time order
        (undated ones first, then by arrival), as ``articles()`` orders every article."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE ingest_order > :o AND ingest_order <= :u"
                    " ORDER BY COALESCE(published, ''), ingest_order"
                ),
                {"o": order, "u": upto},
            )
            return [article_from_row(row) for row in rows]

    def events_made_otherwise(self, made_with: str) -> list[str]:
        """The ids of the stored events described under another fingerprint than ``made_with``
        (another version or other settings): they are described again."""
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT id FROM events WHERE made_with <> :m ORDER BY id"), {"m": made_with})
            return [row.id for row in rows]

    def story_event_ids(self, story_ids: Sequence[str]) -> list[str]:
        """The ids of the stored events of ``story_ids``."""
        return sorted(
            row.event_id
            for row in self._lookup_all("SELECT event_id FROM story_events WHERE story_id IN :ids", story_ids)
        )

    def analysed_among(self, made_with: str, article_ids: Sequence[str]) -> set[str]:
        """Those of ``article_ids`` with an analysis made under fingerprint ``made_with``."""
        sql = "SELECT article_id FROM article_facts WHERE made_with = :m AND article_id IN :ids"
        return {row.article_id for row in self._lookup_all(sql, article_ids, {"m": made_with})}

    def _lookup_all(self, sql: str, ids: Sequence[str], params: Mapping[str, object] | None = None) -> list:
        with self.engine.connect() as conn:
            return lookup_rows(conn, sql, ids, params)

    def articles_by_id(self, article_ids: Sequence[str], texts: bool = True) -> dict[str, Article]:
        """The stored articles of ``article_ids``, by id, each marked with the copy its event
        records (``copy_of``); without their texts unless ``texts``."""
        columns = ", ".join(f"a.{c}" if texts or c != "text" else "'' AS text" for c in ARTICLE_COLUMNS.split(", "))
        sql = (
            f"SELECT {columns}, COALESCE(ea.copy_of, '') AS copy_of FROM articles a"
            " LEFT JOIN event_articles ea ON ea.article_id = a.id WHERE a.id IN :ids"
        )
        return {
            row.id: replace(article_from_row(row), copy_of=row.copy_of) for row in self._lookup_all(sql, article_ids)
        }
