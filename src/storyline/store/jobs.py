"""The store's API keys, the API's jobs and the leases that let one process at a time hold a role."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ..listing import to_iso as _iso


@dataclass(frozen=True)
class Job:
    """A unit of work for the API's background worker."""

    id: str
    status: str
    request: str
    created_at: str
    updated_at: str
    result: str | None = None
    error: str | None = None


_JOB_COLUMNS = "id, status, request, result, error, created_at, updated_at"


class JobStore:
    """API keys, jobs and leases (a mixin of ``Store``, which gives ``engine`` and ``_writes``)."""

    engine: Engine
    _writes: Engine

    def add_api_key(self, key_id: str, name: str, key_hash: str) -> None:
        with self._writes.begin() as conn:
            conn.execute(
                text("INSERT INTO api_keys (id, name, key_hash, created_at) VALUES (:id, :name, :h, :t)"),
                {"id": key_id, "name": name, "h": key_hash, "t": _iso(datetime.now(UTC))},
            )

    def api_key_name(self, key_hash: str) -> str | None:
        """The name of the key with this hash, or None if there is no such key."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT name FROM api_keys WHERE key_hash = :h"), {"h": key_hash}).scalar()

    def add_job(self, job_id: str, request: str) -> Job:
        now = _iso(datetime.now(UTC))
        with self._writes.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO jobs (id, status, request, created_at, updated_at) VALUES (:id, 'queued', :r, :t, :t)"
                ),
                {"id": job_id, "r": request, "t": now},
            )
        return Job(id=job_id, status="queued", request=request, created_at=now, updated_at=now)

    def update_job(self, job_id: str, status: str, result: str | None = None, error: str | None = None) -> None:
        with self._writes.begin() as conn:
            conn.execute(
                text("UPDATE jobs SET status = :s, result = :r, error = :e, updated_at = :t WHERE id = :id"),
                {"id": job_id, "s": status, "r": result, "e": error, "t": _iso(datetime.now(UTC))},
            )

    def job(self, job_id: str) -> Job | None:
        with self.engine.connect() as conn:
            row = conn.execute(text(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = :id"), {"id": job_id}).first()
        return Job(**row._mapping) if row else None

    def unfinished_jobs(self, limit: int | None = None) -> list[Job]:
        """Jobs queued or interrupted while running, oldest first (the ``limit`` oldest): the
        holder of the job runner's lease runs them, and resumes those its predecessor left."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT {_JOB_COLUMNS} FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at, id"
                    + (" LIMIT :limit" if limit else "")
                ),
                {"limit": limit},
            )
            return [Job(**row._mapping) for row in rows]

    # -- leases: one holder at a time among processes ---------------------------------------

    def take_lease(self, name: str, holder: str, seconds: float) -> bool:
        """Hold lease ``name`` for ``seconds`` from now unless another holder has it (free, run
        out, or ``holder``'s already: then it is renewed); True if ``holder`` holds it now.

        Leases are rows, so they work alike on SQLite and PostgreSQL and across machines (whose
        clocks must agree to within a small part of ``seconds``); a holder that dies stops
        renewing, and its lease passes to another after at most ``seconds``.
        """
        now = time.time()
        params = {"n": name, "h": holder, "e": now + seconds, "now": now}
        try:
            with self._writes.begin() as conn:
                if conn.execute(
                    text(
                        "UPDATE leases SET holder = :h, expires_at = :e"
                        " WHERE name = :n AND (holder = :h OR expires_at < :now)"
                    ),
                    params,
                ).rowcount:
                    return True
                if conn.execute(text("SELECT 1 FROM leases WHERE name = :n"), params).first():
                    return False
                conn.execute(text("INSERT INTO leases (name, holder, expires_at) VALUES (:n, :h, :e)"), params)
                return True
        except IntegrityError:  # another process created the lease first (PostgreSQL)
            return False

    def lease_holder(self, name: str) -> str:
        """Who holds lease ``name`` now ('' when nobody does)."""
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT holder, expires_at FROM leases WHERE name = :n"), {"n": name}).first()
        return row.holder if row and row.expires_at >= time.time() else ""

    def release_lease(self, name: str, holder: str) -> None:
        """Give lease ``name`` up at once, if ``holder`` holds it."""
        with self._writes.begin() as conn:
            conn.execute(
                text("UPDATE leases SET expires_at = 0 WHERE name = :n AND holder = :h"), {"n": name, "h": holder}
            )
