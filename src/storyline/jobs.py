"""The HTTP API's ingest jobs: queued in the store, run by one process at a time.

Every ``storyline serve`` process (``--workers N``, or servers on several machines sharing a
PostgreSQL store) runs a ``JobRunner``. The runner that holds the store's lease on job running
(a row of the ``leases`` table, renewed while held: ``Store.take_lease``) runs the queued jobs;
the others stand by, and one of them takes the jobs over at most ``ServeSettings.lease_seconds``
after the holder dies, resuming the jobs it left unfinished. A POST answered by any process
queues its job in the store, where the holder finds it.

The jobs run in a child process at a lower CPU priority, never in a server thread: the pipeline
is CPU-bound Python, and in the server's own interpreter it would hold the lock every request
needs for seconds at a time. Jobs queued together (within ``ServeSettings.job_gather_seconds``
of the first) are run together: each job's articles are stored in its own transactions, then
the events are rebuilt once for all of them (a rebuild reads the whole store; the store writes
it slice by slice: ``Store.replace_events``).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import socket
import threading
import time
import uuid
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from .config import Settings
from .model import Failure, IngestReport, RawDocument
from .store import Job, Store

log = logging.getLogger("storyline.jobs")
LEASE = "ingest-jobs"


class JobRunner:
    """Queues jobs from this process, and runs every process's jobs while it holds the lease."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.holder = f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="storyline-jobs", daemon=True)
        self._lease_until = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout)
        if self._lease_until:
            self.store.release_lease(LEASE, self.holder)

    def submit(self, request: dict[str, Any]) -> Job:
        job = self.store.add_job(uuid.uuid4().hex, json.dumps(request, ensure_ascii=False))
        self._wake.set()
        return job

    @property
    def holds_lease(self) -> bool:
        return time.time() < self._lease_until

    def _run(self) -> None:
        serve = self.settings.serve
        while not self._stopping.is_set():
            try:
                if self._renew_lease() and self.store.unfinished_jobs(limit=1):
                    if self._stopping.wait(serve.job_gather_seconds):  # more may come: run them together
                        break
                    if self._renew_lease():  # still this runner's after the wait
                        self._run_jobs(self.store.unfinished_jobs(limit=serve.job_batch))
                    continue
            except Exception:  # the runner must outlive any one failure (a store briefly unreachable)
                log.exception("job runner: could not look for jobs")
            self._wake.wait(serve.job_poll_seconds if self.holds_lease else serve.lease_seconds / 3)
            self._wake.clear()

    def _renew_lease(self) -> bool:
        """Take or renew the lease when a third of it has passed; True while this runner holds it."""
        seconds = self.settings.serve.lease_seconds
        if self._lease_until - time.time() < 2 * seconds / 3:
            try:
                taken = self.store.take_lease(LEASE, self.holder, seconds)
            except SQLAlchemyError as exc:  # the store busy or away: what is held runs on, tried again soon
                log.warning("job runner: could not renew the lease (%s)", exc.__class__.__name__)
                return self.holds_lease
            self._lease_until = time.time() + seconds if taken else 0.0
        return self.holds_lease

    def _run_jobs(self, jobs: list[Job]) -> None:
        """Run ``jobs`` in a fresh child process, renewing the lease until it is done. Stopping
        the server stops the child: the jobs it leaves are resumed by the next lease holder."""
        log.info("running %d jobs in a child process", len(jobs))
        child = multiprocessing.get_context("spawn").Process(
            target=run_jobs,
            args=(self.settings, [job.id for job in jobs]),
            name="storyline-jobs",
        )
        child.start()
        while child.is_alive():
            self._wake.wait(self.settings.serve.lease_seconds / 6)
            self._wake.clear()
            # Stopping, or the lease lost (another process may take the jobs over): the child
            # goes, so that two never run at once; its jobs are resumed by whoever holds the lease.
            if self._stopping.is_set() or not self._renew_lease():
                child.terminate()
                child.join()
                return
        child.join()
        if child.exitcode:  # killed (out of memory?) or could not open the store: said on each job left
            for job in jobs:
                if (self.store.job(job.id) or job).status in ("queued", "running"):
                    self.store.update_job(job.id, "failed", error=f"the job process ended with status {child.exitcode}")


def run_jobs(settings: Settings, job_ids: list[str]) -> None:
    """In the job process: store each job's articles, then rebuild the events once for all of
    them, and record each job's outcome (its own tally; a failure on the job, not in a log)."""
    os.nice(settings.serve.job_priority)
    threading.Thread(target=_exit_with, args=(os.getppid(),), name="parent-watch", daemon=True).start()
    from .pipeline import refresh_events  # the pipeline is loaded in the job process only

    with Store(settings.db, settings.search) as store:
        stored: dict[str, tuple[list[IngestReport], list[Failure]]] = {}
        for job_id in job_ids:
            job = store.job(job_id)
            if job is None or job.status not in ("queued", "running"):
                continue
            store.update_job(job_id, "running")
            failures: list[Failure] = []
            try:
                stored[job_id] = (_store_job(job, store, settings, failures), failures)
            except Exception as exc:
                log.exception("job %s failed", job_id)
                store.update_job(job_id, "failed", error=f"{exc.__class__.__name__}: {exc}")
        if not stored:
            return
        try:
            events, stories, _ = refresh_events(store, settings, on_notice=log.info)
        except Exception as exc:
            log.exception("jobs %s: the event rebuild failed", ", ".join(stored))
            for job_id in stored:
                store.update_job(job_id, "failed", error=f"event rebuild: {exc.__class__.__name__}: {exc}")
            return
        for job_id, (reports, failures) in stored.items():
            result = {
                "new": sum(r.new for r in reports),
                "duplicate": sum(r.duplicate for r in reports),
                "failed": [str(f) for f in failures],
                "events": events,
                "stories": stories,
            }
            nothing_read = failures and not (result["new"] or result["duplicate"])
            error = "; ".join(result["failed"][:5]) if nothing_read else None
            status = "failed" if nothing_read else "done"
            store.update_job(job_id, status, result=json.dumps(result), error=error)


def _exit_with(parent: int) -> None:
    """End this process when its parent (the server process holding the lease) is gone: killed
    without stopping us, it can no longer renew the lease, and another process will resume the
    jobs; two job processes must never run at once."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _store_job(job: Job, store: Store, settings: Settings, failures: list[Failure]) -> list[IngestReport]:
    """Extract and store a job's articles and URLs (events are rebuilt afterwards, once)."""
    from .pipeline import ingest_documents, ingest_paths

    request = json.loads(job.request)
    reports = []
    if request.get("articles"):
        # ASCII-escaped: raw U+2028, U+2029 or U+0085 inside a string would end a line for
        # readers that split lines the way str.splitlines() does.
        lines = "".join(json.dumps(a) + "\n" for a in request["articles"])
        doc = RawDocument(origin=f"job {job.id}", kind="jsonl", data=lines.encode("utf-8"))
        reports.append(ingest_documents([doc], store, settings, on_failure=failures.append, rebuild=False))
    if request.get("urls"):
        # The API let through only http(s) URLs, so ingest_paths fetches each and reads no file.
        reports.append(ingest_paths(request["urls"], store, settings, on_failure=failures.append, rebuild=False))
    return reports
