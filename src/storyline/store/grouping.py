"""The store's grouping state: what the next ingest continues from (see ``grouping.py``).

The state is a head (the statistics and indexes every new article reads) and blocks of article
views, read on demand. ``write_grouping`` writes what an ingest left, with the updates it
recorded and the signatures it added, in one transaction, together with how far the grouping
has read (``grouped``, an ``ingest_order``): a crash before that commit leaves the state as the
last ingest left it, and the next run groups the same articles again to the same result.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from ..dedup import SignatureRow
from ..model import Article, Event, Story, Update
from ..rows import ARTICLE_COLUMNS, article_from_row
from .lookup import lookup_rows
from .signatures import insert_signatures
from .updates import insert_updates, move_updates

_HEAD = "head"


def _view_key(block: int) -> str:
    return f"views/{block}"


@dataclass
class GroupingCommit:
    """What an ingest writes (``Store.commit_change``): the events and stories it changed and
    those merged away, and the grouping state it left (its head and changed view blocks), the
    updates it recorded, the near-duplicate signatures of its articles, and the ids of merged
    events and stories (``renamed``: 'event' or 'story' -> merged id -> survivor) whose
    earlier updates now belong to their survivor. ``whole``: the events and stories are all
    there are (a regrouping), those stored and not among them are deleted."""

    events: Sequence[Event]
    stories: Sequence[Story]
    head: bytes
    blocks: Mapping[int, bytes]
    gone_events: Collection[str] = ()
    gone_stories: Collection[str] = ()
    updates: Sequence[Update] = ()
    signatures: Sequence[SignatureRow] = ()
    renamed: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    whole: bool = False


def write_grouping(conn: Connection, commit: GroupingCommit) -> None:
    """Write ``commit``'s state, updates and signatures in the caller's transaction."""
    rows = [{"n": _HEAD, "v": commit.head}, *({"n": _view_key(k), "v": v} for k, v in commit.blocks.items())]
    conn.execute(text("DELETE FROM grouping_state WHERE name = :n"), [{"n": row["n"]} for row in rows])
    conn.execute(text("INSERT INTO grouping_state (name, value) VALUES (:n, :v)"), rows)
    for kind, names in commit.renamed.items():
        move_updates(conn, kind, dict(names))
    insert_updates(conn, commit.updates)
    insert_signatures(conn, commit.signatures)


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
