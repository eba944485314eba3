"""Crash safety: ``storyline ingest`` killed with SIGKILL mid-batch and mid-rebuild, then re-run.

The real CLI in a subprocess, on a real SQLite file (and on PostgreSQL when a server is there):
after each kill the store must be consistent (no half-written document, no orphan rows, every
event whole and each an event of the last run or of the interrupted one), and after the re-run
every article is stored exactly once and belongs to exactly one complete event.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import run_cli

FILES = 80
ARTICLES_PER_FILE = 3
TOPICS = 8  # stories reported by several outlets, so that events of many articles are rebuilt
# TF-IDF clustering alone: the crash behaviour does not depend on the embedding model, and the
# three runs stay quick on a busy machine.
ENV = {"STORYLINE_EMBEDDINGS": "off"}
POLL_SECONDS = 0.005
RUN_TIMEOUT = 300
REBUILD_WAIT = 1.0  # seconds after the last article is stored: the rebuild takes several


@dataclass
class Backend:
    url: str
    rows: Callable[[str], list[tuple]]
    sqlite: bool


@pytest.fixture
def sqlite_backend(tmp_path) -> Backend:
    path = tmp_path / "crash.db"

    def rows(sql: str) -> list[tuple]:
        if not path.exists():
            return []
        with sqlite3.connect(path, timeout=30) as conn:
            try:
                return conn.execute(sql).fetchall()
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):  # the CLI has not migrated the new file yet
                    return []
                raise

    return Backend(str(path), rows, sqlite=True)


@pytest.fixture
def postgres_backend(postgres_url) -> Iterator[Backend]:
    import psycopg

    def rows(sql: str) -> list[tuple]:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            try:
                return conn.execute(sql).fetchall()
            except psycopg.errors.UndefinedTable:
                return []

    yield Backend(postgres_url, rows, sqlite=False)


def write_inputs(folder: Path) -> set[str]:
    """``FILES`` JSONL files of ``ARTICLES_PER_FILE`` articles: some stories covered by several
    outlets, the rest one-off reports. Returns the article ids."""
    rng = random.Random(9)
    syllables = "ka lo mi ren tas vo bel dur fen gar hul jin mor nes pal quin rov sil tor ul vex wyn yar zel".split()

    def name() -> str:
        return "".join(rng.choice(syllables) for _ in range(3)).title()

    subjects = ["flood", "bridge collapse", "factory fire", "rail strike", "water shortage", "storm", "port closure"]
    topics = [(name(), subjects[t % len(subjects)]) for t in range(TOPICS)]
    folder.mkdir()
    ids = set()
    for f in range(FILES):
        records = []
        for k in range(ARTICLES_PER_FILE):
            n = f * ARTICLES_PER_FILE + k
            if k == 0 and f % 2 == 0:
                place, subject = topics[(f // 2) % TOPICS]
            else:
                place, subject = f"{name()} {name()}", f"{rng.choice(subjects)} {name().lower()}"
            records.append(
                {
                    "id": f"art-{n:04d}",
                    "title": f"{subject.title()} in {place}",
                    "source": f"Outlet {n % 7}",
                    "published": f"2024-03-{1 + (n // 40):02d}T{n % 24:02d}:00:00Z",
                    "text": f"Officials in {place} said the {subject} affected {10 + n} families on Monday. "
                    f"Reporter {name()} spoke with residents of {place} about the {subject}, which cost {n * 1000} dollars.",
                }
            )
            ids.add(f"art-{n:04d}")
        (folder / f"batch{f:03d}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return ids


def start_ingest(inputs: Path, db: str) -> subprocess.Popen:
    # Its own process group, so that the kill also reaches any extraction workers it forked.
    return subprocess.Popen(
        [sys.executable, "-m", "storyline", "ingest", str(inputs), "--db", db],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **ENV},
        start_new_session=True,
    )


def kill_when(process: subprocess.Popen, ready: Callable[[], bool], what: str) -> None:
    """SIGKILL the ingest (and its process group) as soon as ``ready()``; fail if it ended first."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while not ready():
        if process.poll() is not None:
            pytest.fail(f"ingest ended (status {process.returncode}) before {what}: {process.stderr.read().decode()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"ingest never reached {what}")
        time.sleep(POLL_SECONDS)
    assert process.poll() is None, f"ingest ended before the kill {what}"
    os.killpg(process.pid, signal.SIGKILL)
    assert process.wait(30) == -signal.SIGKILL
    process.stderr.close()


def count(backend: Backend, table: str) -> int:
    found = backend.rows(f"SELECT COUNT(*) FROM {table}")
    return found[0][0] if found else 0


def event_sets(backend: Backend) -> dict[str, frozenset[str]]:
    members: dict[str, set[str]] = {}
    for event_id, article_id in backend.rows("SELECT event_id, article_id FROM event_articles"):
        members.setdefault(event_id, set()).add(article_id)
    return {event_id: frozenset(articles) for event_id, articles in members.items()}


def assert_consistent(backend: Backend, expected_ids: set[str]) -> None:
    """What any moment of an ingest must leave behind, even a killed one."""
    if backend.sqlite:
        assert backend.rows("PRAGMA integrity_check") == [("ok",)]
        assert backend.rows("PRAGMA foreign_key_check") == []
    stored = [row[0] for row in backend.rows("SELECT id FROM articles")]
    assert len(stored) == len(set(stored)) and set(stored) <= expected_ids
    # A document is stored with all its articles or not at all: one transaction each.
    per_document = backend.rows("SELECT document_id, COUNT(*) FROM articles GROUP BY document_id")
    assert all(n == ARTICLES_PER_FILE for _, n in per_document), per_document
    assert count(backend, "documents") == len(per_document)
    # Events are written in transactions of several: each is whole, cites only its own articles,
    # and no article is in two events.
    events = event_sets(backend)
    assert count(backend, "events") == len(events)
    declared = dict(backend.rows("SELECT id, article_count FROM events"))
    assert declared == {event_id: len(articles) for event_id, articles in events.items()}
    in_events = [a for articles in events.values() for a in articles]
    assert len(in_events) == len(set(in_events)) and set(in_events) <= set(stored)
    for event_id, article_id in backend.rows("SELECT event_id, article_id FROM summary_sentences"):
        assert article_id in events[event_id]
    for event_id, article_id in backend.rows("SELECT event_id, article_id FROM timeline_entries"):
        assert article_id in events[event_id]


def assert_complete(backend: Backend, expected_ids: set[str]) -> None:
    """After a successful run: every article stored once, each in exactly one event with a summary."""
    assert_consistent(backend, expected_ids)
    assert {row[0] for row in backend.rows("SELECT id FROM articles")} == expected_ids
    assert count(backend, "documents") == FILES
    events = event_sets(backend)
    assert sorted(a for articles in events.values() for a in articles) == sorted(expected_ids)
    summarised = {row[0] for row in backend.rows("SELECT DISTINCT event_id FROM summary_sentences")}
    assert summarised == set(events)
    assert all(headline.strip() for (headline,) in backend.rows("SELECT headline FROM events"))
    assert max(len(a) for a in events.values()) >= 3  # the shared stories did form multi-outlet events
    if backend.sqlite:  # the full-text indexes agree with the rows they index (FTS5 raises if not)
        for index in ("articles_search", "events_search"):
            backend.rows(f"INSERT INTO {index} ({index}, rank) VALUES ('integrity-check', 1)")


def crash_and_recover(tmp_path: Path, backend: Backend) -> None:
    inputs = tmp_path / "inputs"
    expected = write_inputs(inputs)
    total = len(expected)

    # 0. A first, complete ingest of a few files: the store has events to lose.
    first = tmp_path / "first"
    first.mkdir()
    for path in sorted(inputs.iterdir())[:6]:
        (first / path.name).write_bytes(path.read_bytes())
    done = run_cli("ingest", str(first), "--db", backend.url, env=ENV)
    assert done.returncode == 0, done.stderr
    before = event_sets(backend)
    assert before

    # 1. Killed while storing documents: some are stored, not all.
    kill_when(
        start_ingest(inputs, backend.url),
        lambda: count(backend, "articles") >= 6 * ARTICLES_PER_FILE + 6,
        "mid-batch (storing documents)",
    )
    stored = count(backend, "articles")
    assert 6 * ARTICLES_PER_FILE < stored < total, "the kill was meant to land mid-batch"
    assert_consistent(backend, expected)
    assert event_sets(backend) == before  # the events of the last complete run are untouched

    # 2. Re-run, killed while it rebuilds the events (every article stored, events not yet swapped).
    all_stored_since: list[float] = []

    def rebuilding() -> bool:
        if not all_stored_since and count(backend, "articles") == total:
            all_stored_since.append(time.monotonic())
        return bool(all_stored_since) and time.monotonic() - all_stored_since[0] > REBUILD_WAIT

    kill_when(start_ingest(inputs, backend.url), rebuilding, "the event rebuild")
    assert_consistent(backend, expected)
    interrupted = event_sets(backend)

    # 3. Re-run to the end: nothing lost, nothing twice, events complete.
    final = run_cli("ingest", str(inputs), "--db", backend.url, env=ENV)
    assert final.returncode == 0, final.stderr
    assert f"0 new, {total} duplicate, 0 failed" in final.stdout
    assert_complete(backend, expected)
    # Events are swapped slice by slice: whatever the kill left was, event by event, either an
    # event of the last complete run or one of the rebuild's own (which the re-run made again).
    made = set(event_sets(backend).items()) | set(before.items())
    assert set(interrupted.items()) <= made


def test_sigkill_mid_ingest_loses_nothing_and_stores_nothing_twice_sqlite(tmp_path, sqlite_backend):
    crash_and_recover(tmp_path, sqlite_backend)


def test_sigkill_mid_ingest_loses_nothing_and_stores_nothing_twice_postgresql(tmp_path, postgres_backend):
    crash_and_recover(tmp_path, postgres_backend)
