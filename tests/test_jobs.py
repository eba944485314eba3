"""The API's job runners: several on one store (server processes), one running jobs at a time.

Real runners on a real SQLite store, each running its jobs in a child process; short leases so
that a takeover happens within seconds.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest
from sqlalchemy import text

from storyline.config import ServeSettings, Settings
from storyline.jobs import LEASE, JobRunner
from storyline.store import Store

QUICK = ServeSettings(lease_seconds=1.5, job_poll_seconds=0.1, job_gather_seconds=0.2)
TIMEOUT = 300


def _article(n: int) -> dict[str, str]:
    return {
        "id": f"job-{n}",
        "title": f"Ferry {n} delayed at Oban",
        "text": f"Ferry number {n} was delayed at Oban harbour by a storm on Friday, the operator said.",
        "source": f"Outlet {n}",
        "published": f"2024-05-0{1 + n}T10:00:00Z",
    }


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("STORYLINE_EMBEDDINGS", "off")  # a quicker rebuild; the runner is the same
    return replace(Settings.from_env(str(tmp_path / "jobs.db")), serve=QUICK)


def _finished(store: Store, job_ids: list[str]) -> list:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        jobs = [store.job(i) for i in job_ids]
        if all(job.status in ("done", "failed") for job in jobs):
            return jobs
        time.sleep(0.2)
    raise AssertionError(f"jobs still unfinished after {TIMEOUT} s: {[j.status for j in jobs]}")


def test_two_runners_on_one_store_run_each_job_once(settings):
    stores = [Store(settings.db), Store(settings.db)]
    runners = [JobRunner(store, settings) for store in stores]
    for runner in runners:
        runner.start()
    try:
        jobs = [runners[n % 2].submit({"articles": [_article(n)]}) for n in range(4)]
        finished = _finished(stores[0], [job.id for job in jobs])
        assert [job.status for job in finished] == ["done"] * 4
        assert sum(json.loads(job.result)["new"] for job in finished) == 4  # none stored twice
        with stores[0].engine.connect() as conn:
            [holder] = conn.execute(text("SELECT holder FROM leases WHERE name = :n"), {"n": LEASE}).scalars()
        assert holder in {runner.holder for runner in runners}
        assert stores[0].counts()["articles"] == 4
    finally:
        for runner in runners:
            runner.stop()
        for store in stores:
            store.close()


def test_jobs_of_a_dead_lease_holder_are_taken_over_and_resumed(settings):
    with Store(settings.db) as store:
        # A server died holding the lease, in the middle of a job; another is queued.
        died = time.monotonic()
        assert store.take_lease(LEASE, "dead-server", QUICK.lease_seconds)
        left = store.add_job("left", json.dumps({"articles": [_article(1)]}))
        store.update_job(left.id, "running")
        queued = store.add_job("queued", json.dumps({"articles": [_article(2)]}))
        runner = JobRunner(store, settings)
        runner.start()
        try:
            while not runner.holds_lease and time.monotonic() - died < 10 * QUICK.lease_seconds:
                time.sleep(0.02)
            assert runner.holds_lease and time.monotonic() - died >= 0.9 * QUICK.lease_seconds  # not before it ran out
            finished = _finished(store, [left.id, queued.id])
            assert [job.status for job in finished] == ["done", "done"]
        finally:
            runner.stop()
        assert store.take_lease(LEASE, "next-server", 60)  # given up on stopping: at once
        assert store.counts()["articles"] == 2
