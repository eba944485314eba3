"""Shared fixtures: real files, a real SQLite database in a temporary directory, the real CLI."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path

import pytest

EXAMPLES = Path(str(resources.files("storyline") / "examples"))
EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"
"""The team's evaluation data beside the project (absent on CI: the tests that read it skip)."""

GVA_ARTICLES = EVAL / "gva-incidents-dev" / "gva_incidents_2013_2015.jsonl.gz"
"""The Gun Violence Archive's dev articles: local news titles, many with their site's tail."""
SEPARATORS = (" - ", " | ", " :: ", " — ", " – ", " « ")


def endings(title: str) -> list[str]:
    """Every ending of ``title`` after a separator with words before it, case folded."""
    folded = title.casefold()
    return [
        folded[found.end() :]
        for separator in SEPARATORS
        for found in re.finditer(re.escape(separator), folded)
        if folded[: found.start()].strip() and folded[found.end() :].strip()
    ]


def gva_records() -> list[dict]:
    with gzip.open(GVA_ARTICLES, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def repeated_tails(records: list[dict]) -> set[tuple[str, str]]:
    """(source, ending) pairs where an ending after a separator is shared by 3+ distinct titles
    of the records of one source (a host in the GVA data): the issue's measure, written apart
    from clean.py."""
    sharing: dict[tuple[str, str], set[str]] = defaultdict(set)
    for record in records:
        title = " ".join(record.get("title", "").split())
        for ending in endings(title):
            sharing[record.get("source", ""), ending].add(title)
    return {key for key, seen in sharing.items() if len(seen) >= 3}


def ends_in_tail(title: str, host: str, tails: set[tuple[str, str]]) -> bool:
    return any((host, ending) in tails for ending in endings(title))


@pytest.fixture
def examples() -> list[Path]:
    """The two bundled Baghouz texts."""
    return sorted(EXAMPLES.glob("*.txt"))


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "test.db")


DATA = Path(__file__).parent / "data"
FIRST_INGEST = {"quake-1", "quake-2", "final-1"}
"""The test records the first of ``updated_db``'s two ingests reads; the second reads the rest."""


@pytest.fixture(scope="session")
def updated_db(tmp_path_factory) -> str:
    """A store built by two real ingests, whose updates the ingests themselves recorded.

    The first ingest reads the wire Baghouz text (``000_*.txt``), the first two quake reports
    and the first report of the final: each of the three events and stories is opened. The
    second reads the aggregator Baghouz text (``003_*.txt``), the third quake report and the
    second report of the final: each event and story gets an update of what its new article
    adds, and the Baghouz event's (and story's) says a figure moved: people died, from 62 people
    (the wire) to Around 90 people (the aggregator).
    """
    folder = tmp_path_factory.mktemp("updates")
    db = str(folder / "updates.db")
    records = [json.loads(line) for name in ("quake.jsonl", "final.jsonl") for line in (DATA / name).open()]
    first = write_jsonl(folder / "first.jsonl", [r for r in records if r["id"] in FIRST_INGEST])
    second = write_jsonl(folder / "second.jsonl", [r for r in records if r["id"] not in FIRST_INGEST])
    wire, aggregator = sorted(EXAMPLES.glob("*.txt"))
    for paths in ((wire, first), (aggregator, second)):
        result = run_cli("ingest", *map(str, paths), "--db", db)
        assert result.returncode == 0, result.stderr
    return db


@pytest.fixture(scope="session")
def ingest_times(updated_db) -> tuple[datetime, datetime]:
    """When ``updated_db``'s first and second ingests ran: the times their updates carry."""
    from storyline.store import Store

    with Store(updated_db) as store:
        times = sorted({u.at for u in store.updates(limit=0)})
    assert len(times) == 2, times
    # HTTP dates count whole seconds: the feeds' Last-Modified tell the two ingests apart.
    assert times[1].replace(microsecond=0) > times[0].replace(microsecond=0), times
    return times[0], times[1]


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
