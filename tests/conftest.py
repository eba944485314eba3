"""Shared fixtures: real files, a real SQLite database in a temporary directory, the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest

EXAMPLES = Path(str(resources.files("storyline") / "examples"))
EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"
"""The team's evaluation data beside the project (absent on CI: the tests that read it skip)."""


@pytest.fixture
def examples() -> list[Path]:
    """The two bundled Baghouz texts."""
    return sorted(EXAMPLES.glob("*.txt"))


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "test.db")


DATA = Path(__file__).parent / "data"
OPENED_AT = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
UPDATED_AT = OPENED_AT + timedelta(hours=6)


@pytest.fixture(scope="session")
def updated_db(tmp_path_factory) -> str:
    """A store of the bundled examples and the quake and final test events, with updates: every
    event and story opened by its first article at ``OPENED_AT``, and its later articles an
    update at ``UPDATED_AT``; the biggest event's update says a figure rose (12 to about 20
    people injured, each value citing one of its articles).

    The ingest does not record updates yet: until it does, they are written here from the
    stored events (their real ids, articles and sentences). Then this becomes two real ingests.
    """
    from storyline.model import Figure, FigureChange, Update
    from storyline.store import Store
    from storyline.store.updates import insert_updates

    db = str(tmp_path_factory.mktemp("updates") / "updates.db")
    paths = [*sorted(EXAMPLES.glob("*.txt")), DATA / "quake.jsonl", DATA / "final.jsonl"]
    result = run_cli("ingest", *map(str, paths), "--db", db)
    assert result.returncode == 0, result.stderr
    with Store(db) as store:
        events = sorted(store.events(), key=lambda e: (-len(e.articles), e.id))
        stories = [store.story(story_id) for story_id in dict.fromkeys(e.story_id for e in events if e.story_id)]
        first_articles = {}
        opened, later = [], []
        for event in events:
            ordered = sorted(event.articles, key=lambda a: (a.published or OPENED_AT, a.id))
            first, rest = ordered[0], ordered[1:]
            first_articles[event.id] = first.id
            news = [s for s in event.summary if s.article_id != first.id]
            opened.append(
                Update(
                    "event",
                    event.id,
                    OPENED_AT,
                    (first.id,),
                    event.headline,
                    opened=True,
                    summary=tuple(s for s in event.summary if s.article_id == first.id),
                )
            )
            if rest:
                changes = ()
                if event is events[0]:
                    last = rest[-1]
                    before = Figure(12, "exactly", "people injured", "12 people", "", first.id, first.source)
                    after = Figure(20, "about", "people injured", "about 20 people", "", last.id, last.source)
                    changes = (FigureChange("people injured", before, after),)
                later.append(
                    Update(
                        "event",
                        event.id,
                        UPDATED_AT,
                        tuple(a.id for a in rest),
                        event.headline,
                        summary=tuple(news),
                        changes=changes,
                    )
                )
        by_event = {e.id: e for e in events}
        for story in stories:
            members = [by_event[e.id] for e in story.events if e.id in by_event]
            firsts = tuple(first_articles[e.id] for e in members)
            rest = tuple(a.id for e in members for a in e.articles if a.id not in firsts)
            leads = tuple(lead.sentence for lead in story.digest)
            opened.append(Update("story", story.id, OPENED_AT, firsts, story.name, summary=leads[:1], opened=True))
            if rest:
                later.append(Update("story", story.id, UPDATED_AT, rest, story.name, summary=leads[1:]))
        with store._writes.begin() as conn:
            insert_updates(conn, opened)
            insert_updates(conn, later)
    return db


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m storyline`` as a user would, capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", "storyline", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


POSTGRES_ENV = "STORYLINE_TEST_POSTGRES"
DEFAULT_POSTGRES = "postgresql://storyline:storyline@127.0.0.1:5432/storyline"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with postgres_database() as url:
        yield url


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards.

    ``$STORYLINE_TEST_POSTGRES`` names a server (.ci/run sets it): then a missing server fails the
    test. Without it, a local server with the default role is tried, and its absence skips.
    """
    import psycopg

    configured = os.environ.get(POSTGRES_ENV)
    admin_dsn = configured or DEFAULT_POSTGRES
    try:
        admin = psycopg.connect(admin_dsn, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if configured:
            pytest.fail(f"${POSTGRES_ENV}={configured} is set but PostgreSQL does not answer: {exc}")
        pytest.skip(f"no PostgreSQL server at {DEFAULT_POSTGRES} (set ${POSTGRES_ENV} to test against one)")
    name = f"storyline_test_{os.getpid()}_{os.urandom(4).hex()}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        base = admin_dsn.rsplit("/", 1)[0]
        try:
            yield f"{base}/{name}"
        finally:
            _drop_database(admin, name)


def _drop_database(admin, name: str, attempts: int = 20) -> None:
    """Drop the test database, its connections with it. FORCE may not end a backend of another
    role, such as an autovacuum worker that has just started on the new database (seen once in
    CI: InsufficientPrivilege at teardown); such a worker is short-lived, so try again."""
    import psycopg

    for attempt in range(attempts):
        try:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except psycopg.errors.InsufficientPrivilege:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
