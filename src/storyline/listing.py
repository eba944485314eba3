"""Lists of what the store holds (events; stories share the machinery): filters, orders, pages
and full-text search, read from indexed columns and precomputed list rows.

A page costs about the same in a store of a hundred events as in one of a hundred thousand:
both orders walk an index, filters narrow it, the rows carry what a list shows (headline, dates,
counts, outlets, summary), and a search scores a bounded number of matches (``SearchSettings``).
Everything here is parameterised by a ``Listing`` (which table, which outlets table, which
documents a search reads), so a second kind of list is a second ``Listing``, not a second copy.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from .config import SearchSettings
from .search import Term, fts5_query, parse_query, spelled_prefix, tsquery

ORDERS = ("relevance", "recent", "coverage")


@dataclass(frozen=True)
class ListQuery:
    """Which rows to list, and which page of them."""

    text: str = ""
    """Words that must all appear in one document (see ``storyline.search`` for the rules)."""
    since: datetime | None = None
    """Only rows with an article published at or after this time."""
    until: datetime | None = None
    """Only rows with an article published before this time."""
    source: str = ""
    """Only rows this outlet covered."""
    language: str = ""
    """Only rows with an article in this language (an ISO 639-1 code, as ``Article.language``)."""
    order: str = ""
    """``relevance`` (best match first; the default with ``text``), ``recent`` (latest article
    first; the default without, and what ``relevance`` means without ``text``), or ``coverage``
    (most articles first)."""
    limit: int = 20
    offset: int = 0

    @property
    def sort(self) -> str:
        searching = bool(self.text.strip())
        if self.order in ("", "relevance"):
            return "relevance" if searching else "recent"
        return self.order

    @property
    def narrows(self) -> bool:
        """Whether words, dates, an outlet or a language narrow the rows (else every row matches)."""
        return bool(self.text.strip() or self.since or self.until or self.source or self.language)

    @classmethod
    def of_days(cls, since: date | None = None, until: date | None = None, **fields: Any) -> ListQuery:
        """A query for the days ``since`` to ``until``, both included (UTC), as people ask."""
        return cls(
            since=datetime.combine(since, time.min, UTC) if since else None,
            until=_start_of_day_after(until) if until else None,
            **fields,
        )


@dataclass(frozen=True)
class ListRow:
    """What a list shows of one event (or story): written when it is described, read as is."""

    id: str
    headline: str
    summary: list[str]
    sources: list[str]
    article_count: int
    first_published: datetime | None
    last_published: datetime | None
    event_count: int = 1
    """Events the row holds: one for an event, its events for a story."""
    story_id: str = ""
    """An event's story ('' for a story, or an event stored without one)."""
    story_name: str = ""
    story_events: int = 0
    """How many events an event's story holds (1: the event alone)."""

    @property
    def lead(self) -> str:
        return self.summary[0] if self.summary else ""


@dataclass(frozen=True)
class ListPage:
    rows: list[ListRow]
    total: int
    """Rows that match; for a search, those found among the matches it read."""
    complete: bool = True
    """False when a search stopped at ``SearchSettings.max_matches``: more rows may match."""


@dataclass(frozen=True)
class SearchSource:
    """Documents whose match puts a row in a search's results: rows of ``table`` (as ``alias``),
    indexed by the FTS5 table ``index`` (SQLite) or by the ``search`` column of ``vectors``
    (PostgreSQL: ``table`` itself, or a table of (``id``, ``rowid``, ``search``) beside it).
    ``rowid`` is the integer column the index knows them by (newer rows larger: a capped search
    reads the newest matches); ``to_row`` joins from ``alias`` to what ``row_id``, the listed
    row's id, needs (nothing when the documents are the listed rows, as alias ``e``)."""

    index: str
    table: str
    alias: str
    rowid: str
    to_row: str
    row_id: str
    vectors: str = ""

    @property
    def vector_table(self) -> str:
        return self.vectors or self.table


@dataclass(frozen=True)
class Listing:
    """A table of list rows with its outlets table and what a search reads."""

    table: str
    outlets: str
    key: str
    """The outlets table's column holding the listed row's id."""
    sources: tuple[SearchSource, ...]
    event_count: str = "1"
    """SQL on the listed rows ``e`` for how many events a row holds (``ListRow.event_count``)."""
    in_language: str = ""
    """SQL selecting the ids of the rows with an article in ``:language``."""


_ROW_COLUMNS = "e.id, e.headline, e.summary_text, e.sources, e.article_count, e.first_published, e.last_published"


def _order_by(sort: str, t: str = "e", key: str = "id") -> str:
    """The ORDER BY of ``sort`` on table alias ``t`` (the listed rows, or their outlets' rows,
    which carry the same dates and count) whose id column is ``key``."""
    recent, most = f"{t}.last_published DESC NULLS LAST", f"{t}.article_count DESC"
    return f"{recent}, {most}, {t}.{key}" if sort == "recent" else f"{most}, {recent}, {t}.{key}"


def find_page(conn: Connection, listing: Listing, query: ListQuery, settings: SearchSettings) -> ListPage:
    """One page of ``listing``'s rows that match ``query``, and how many match."""
    if query.text.strip():
        where, params = _filters(listing, query)
        scores, complete = _search(conn, listing, query, settings, where, params)
        page = _search_ids(conn, listing, query, scores)
        return ListPage(rows_by_id(conn, listing, page), len(scores), complete)
    table, where, params = _walk(listing, query)
    total = conn.execute(text(f"SELECT COUNT(*) FROM {table} WHERE {where}"), params).scalar_one()
    return ListPage(rows_by_id(conn, listing, find_ids(conn, listing, query, settings)), total)


def find_ids(conn: Connection, listing: Listing, query: ListQuery, settings: SearchSettings) -> list[str]:
    """The ids of the rows on ``query``'s page (every row from its offset on when its limit is 0):
    what a caller that reads whole rows chunk by chunk walks through."""
    if query.text.strip():
        where, params = _filters(listing, query)
        return _search_ids(conn, listing, query, _search(conn, listing, query, settings, where, params)[0])
    table, where, params = _walk(listing, query)
    t, key = ("o", listing.key) if query.source else ("e", "id")
    return list(
        conn.execute(
            text(
                f"SELECT {t}.{key} FROM {table} WHERE {where}"
                f" ORDER BY {_order_by(query.sort, t, key)} LIMIT :limit OFFSET :offset"
            ),
            {**params, **_window(query)},
        ).scalars()
    )


def _walk(listing: Listing, query: ListQuery) -> tuple[str, str, dict[str, object]]:
    """The table a list without search walks in index order, and its WHERE clause: the listed
    rows, or for one outlet that outlet's rows (which carry the sort columns: a walk of the
    outlet's index, not a read and sort of every row it covered)."""
    if query.source:
        where, params = _filters(listing, query, on="o")
        return f"{listing.outlets} o", where, params
    where, params = _filters(listing, query)
    return f"{listing.table} e", where, params


def rows_by_id(conn: Connection, listing: Listing, ids: Sequence[str]) -> list[ListRow]:
    """The list rows of ``ids``, in that order (missing ones left out)."""
    if not ids:
        return []
    found = conn.execute(
        text(
            f"SELECT {_ROW_COLUMNS}, {listing.event_count} AS event_count FROM {listing.table} e WHERE e.id IN :ids"
        ).bindparams(bindparam("ids", expanding=True)),
        {"ids": list(ids)},
    )
    by_id = {row.id: _row(row) for row in found}
    return [by_id[i] for i in ids if i in by_id]


def _window(query: ListQuery) -> dict[str, int]:
    # A limit of 0 asks for every row; LIMIT needs a number (SQLite has no LIMIT ALL).
    return {"limit": query.limit or 2**62, "offset": query.offset}


def _search(
    conn: Connection,
    listing: Listing,
    query: ListQuery,
    settings: SearchSettings,
    where: str,
    params: dict[str, object],
) -> tuple[dict[str, float], bool]:
    """The rows with a matching document and their scores (higher is better), and whether every
    match was read.

    Each document index is read newest first up to ``settings.max_matches`` matches, scored as
    it is read (``SearchSettings.max_matches`` says what that saves). A row scores what its best
    document scores; unless the rows are listed by relevance, nothing is scored (every score 0).
    """
    terms = parse_query(query.text, settings.min_prefix_chars)
    if not terms:
        return {}, True
    postgres = conn.dialect.name == "postgresql"
    scores: dict[str, float] = {}
    complete = True
    scored = query.sort == "relevance"
    for source in listing.sources:
        sql = _pg_matches if postgres else _sqlite_matches
        match = tsquery(terms) if postgres else _fts5_match(conn, source, terms, settings)
        hits = conn.execute(
            text(sql(source, listing, where, scored)), {**params, "match": match, "cap": settings.max_matches}
        ).all()
        complete = complete and len(hits) < settings.max_matches
        for row_id, score in hits:
            if score > scores.get(row_id, -math.inf):
                scores[row_id] = score
    return scores, complete


def _search_ids(conn: Connection, listing: Listing, query: ListQuery, scores: dict[str, float]) -> list[str]:
    """The page of ``query`` among the rows found: best score first, or in the order asked."""
    if query.sort == "relevance":
        if not query.limit:
            return sorted(scores, key=lambda i: (-scores[i], i))[query.offset :]
        return heapq.nsmallest(query.offset + query.limit, scores, key=lambda i: (-scores[i], i))[query.offset :]
    if not scores:
        return []
    order = f"ORDER BY {_order_by(query.sort)} LIMIT :limit OFFSET :offset"
    if conn.dialect.name == "postgresql":
        # One array parameter: a list of hundreds of parameters costs the driver and the planner
        # more than the lookups themselves (18 of a common word's 36 ms at 100k articles).
        statement = text(f"SELECT e.id FROM {listing.table} e WHERE e.id = ANY(CAST(:ids AS text[])) {order}")
    else:
        statement = text(f"SELECT e.id FROM {listing.table} e WHERE e.id IN :ids {order}")
        statement = statement.bindparams(bindparam("ids", expanding=True))
    return list(conn.execute(statement, {"ids": list(scores), **_window(query)}).scalars())


def _fts5_match(conn: Connection, source: SearchSource, terms: list[Term], settings: SearchSettings) -> str:
    """The MATCH expression of ``terms`` in ``source``'s index, each long prefix spelled out as
    the words of that index it begins (up to ``settings.max_prefix_words``)."""
    spelled = {}
    for term in filter(spelled_prefix, terms):
        begun = conn.execute(
            text(f"SELECT term FROM {source.index}_words WHERE term >= :word AND term <= :last LIMIT :cap"),
            {"word": term.word, "last": term.word + "\U0010ffff", "cap": settings.max_prefix_words + 1},
        ).scalars()
        words = list(begun)
        if len(words) <= settings.max_prefix_words:
            spelled[term] = words
    return fts5_query(terms, spelled)


def _sqlite_matches(source: SearchSource, listing: Listing, where: str, scored: bool) -> str:
    # FTS5 hands its matches out in rowid order, newest first here, and the LIMIT stops it: only
    # the matches read are scored. bm25 is negative, better matches more so.
    score = f"-bm25({source.index})" if scored else "0.0"
    return (
        f"SELECT {source.row_id} AS id, {score} AS score FROM {source.index}"
        f" JOIN {source.table} {source.alias} ON {source.alias}.{source.rowid} = {source.index}.rowid"
        f" {source.to_row} {_listed(source, listing, where)}"
        f" WHERE {source.index} MATCH :match AND {where} ORDER BY {source.index}.rowid DESC LIMIT :cap"
    )


def _pg_matches(source: SearchSource, listing: Listing, where: str, scored: bool) -> str:
    d = source.alias
    score = f"ts_rank({d}.search, CAST(:match AS tsquery))" if scored else "0.0"
    return (
        f"SELECT {source.row_id} AS id, {score} AS score"
        f" FROM {source.vector_table} {d} {source.to_row} {_listed(source, listing, where)}"
        f" WHERE {d}.search @@ CAST(:match AS tsquery) AND {where} ORDER BY {d}.{source.rowid} DESC LIMIT :cap"
    )


def _listed(source: SearchSource, listing: Listing, where: str) -> str:
    """The join to the listed row ``e``, needed by the filters only (and only when the documents
    are not the listed rows themselves): without them every lookup it makes is wasted."""
    if source.alias == "e" or where == _NO_FILTER:
        return ""
    return f"JOIN {listing.table} e ON e.id = {source.row_id}"


_NO_FILTER = "1 = 1"


def _filters(listing: Listing, query: ListQuery, on: str = "e") -> tuple[str, dict[str, object]]:
    """A WHERE clause (portable SQL) on the listed rows ``e`` or on one outlet's rows ``o``, and
    its parameters."""
    clauses, params = [_NO_FILTER], {}
    if query.since:
        clauses.append(f"{on}.last_published >= :since")
        params["since"] = to_iso(query.since)
    if query.until:
        clauses.append(f"{on}.first_published < :until")
        params["until"] = to_iso(query.until)
    if query.source:
        on_outlets = "o.source = :source"
        clauses.append(
            on_outlets if on == "o" else f"e.id IN (SELECT o.{listing.key} FROM {listing.outlets} o WHERE {on_outlets})"
        )
        params["source"] = query.source
    if query.language:
        clauses.append(f"{on}.{listing.key if on == 'o' else 'id'} IN ({listing.in_language})")
        params["language"] = query.language.strip().lower()
    return " AND ".join(clauses), params


def _row(row) -> ListRow:
    return ListRow(
        id=row.id,
        headline=row.headline,
        summary=row.summary_text.split("\n") if row.summary_text else [],
        sources=json.loads(row.sources),
        article_count=row.article_count,
        first_published=from_iso(row.first_published),
        last_published=from_iso(row.last_published),
        event_count=row.event_count,
    )


def _start_of_day_after(day: date) -> datetime | None:
    try:
        return datetime.combine(day + timedelta(days=1), time.min, UTC)
    except OverflowError:  # until=9999-12-31: the calendar's last day leaves nothing after it
        return None


def parse_moment(value: str) -> datetime:
    """A moment as people write one: a day (YYYY-MM-DD, its start) or an ISO 8601 time, in UTC
    unless it names its zone. A ValueError says what was wrong, in one line."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{value!r}: not a day or a time (use YYYY-MM-DD or e.g. 2024-05-01T12:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def to_iso(value: datetime | None) -> str | None:
    """How the store writes a moment: ISO 8601 in UTC."""
    return value.astimezone(UTC).isoformat() if value else None


def from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
