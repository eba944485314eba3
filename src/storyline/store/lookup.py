"""Reading rows by lists of ids, a bounded list at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

IDS_PER_LOOKUP = 500
"""Ids bound in one IN (...) list: SQLite may allow no more than 32,766 parameters, PostgreSQL 65,535."""


def lookup_rows(conn: Connection, sql: str, ids: Sequence[str], params: Mapping[str, object] | None = None) -> list:
    """The rows ``sql`` (with an ``IN :ids`` list, and ``params``) selects for ``ids``."""
    query = text(sql).bindparams(bindparam("ids", expanding=True))
    found: list = []
    for start in range(0, len(ids), IDS_PER_LOOKUP):
        found += conn.execute(query, {**(params or {}), "ids": list(ids[start : start + IDS_PER_LOOKUP])}).all()
    return found
