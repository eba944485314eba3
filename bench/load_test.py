"""Load test: concurrent reads of ``/events`` and writes to ``/articles`` on loopback, for a fixed time.

A real ``storyline serve`` on 127.0.0.1 over a store seeded with generated articles. Reader
threads list events (pages, searches, both orders, JSON) as fast as the server answers; writer
threads POST one new article each ``--write-interval`` seconds (the rate a busy feed bot keeps,
bounded so that the single ingest worker can drain its queue). Any answer other than 200 (reads)
or 202 (writes), and any transport error, is an error. After the run every job must finish and
every posted article must be readable: nothing accepted may be lost.

    .venv/bin/python bench/load_test.py [--seconds 60] [--readers 8] [--writers 2] [--write-interval 5]

Prints a table and writes bench/results/load_test.json. tests/test_load.py runs ``run_load``
for a few seconds in CI. The load average is printed beside the figures: other work on the
machine shares its cores with the server and the clients.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

RESULTS = Path(__file__).resolve().parent / "results"
READ_QUERIES = [
    {},
    {"sort": "coverage"},
    {"limit": 5, "offset": 5},
    {"q": "council"},
    {"q": "flood river"},
    {"since": "2024-03-10"},
    {"outlet": "Outlet 3"},
]
TOPICS = ["flood", "bridge", "strike", "election", "storm", "fire", "port", "drought", "festival", "rail"]
JOB_TIMEOUT = 600.0


@dataclass
class Timing:
    """Latencies (seconds) and failures of one kind of request."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self, seconds: float) -> dict[str, float | int]:
        ordered = sorted(self.latencies)
        return {
            "requests": len(ordered),
            "errors": len(self.errors),
            "requests_per_s": round(len(ordered) / seconds, 1),
            "p50_ms": round(1000 * _percentile(ordered, 50), 1),
            "p95_ms": round(1000 * _percentile(ordered, 95), 1),
            "max_ms": round(1000 * ordered[-1], 1) if ordered else 0.0,
        }


@dataclass
class LoadReport:
    seconds: float
    readers: int
    writers: int
    reads: Timing
    writes: Timing
    jobs_done: int = 0
    jobs_failed: list[str] = field(default_factory=list)
    articles_missing: list[str] = field(default_factory=list)
    drain_seconds: float = 0.0

    @property
    def errors(self) -> list[str]:
        return self.reads.errors + self.writes.errors + self.jobs_failed + self.articles_missing

    def as_dict(self) -> dict:
        both = Timing(self.reads.latencies + self.writes.latencies, self.reads.errors + self.writes.errors)
        return {
            "seconds": self.seconds,
            "readers": self.readers,
            "writers": self.writers,
            "reads": self.reads.summary(self.seconds),
            "writes": self.writes.summary(self.seconds),
            "all": both.summary(self.seconds),
            "jobs_done": self.jobs_done,
            "jobs_failed": len(self.jobs_failed),
            "articles_missing": len(self.articles_missing),
            "drain_seconds": round(self.drain_seconds, 1),
            "errors": self.errors[:20],
            "load_average_1min": round(os.getloadavg()[0], 2),
        }


def _percentile(ordered: list[float], pct: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def generated_article(n: int, tag: str = "") -> dict[str, str]:
    """A plausible short report, unique by ``n`` and ``tag``, on one of a few recurring topics."""
    topic = TOPICS[n % len(TOPICS)]
    town = f"Town{n % 17}"
    return {
        "id": f"load-{tag}{n}",
        "title": f"{topic.title()} hits {town}",
        "source": f"Outlet {n % 7}",
        "url": f"https://outlet{n % 7}.example/{tag}{n}",
        "published": f"2024-03-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
        "text": f"The {topic} in {town} affected {100 + n} residents on Monday, the council said. "
        f"Officials in {town} said crews would keep working on the {topic} damage through the week, "
        f"and report {tag}{n} quoted a resident who had lived there for {n % 60 + 5} years.",
    }


def run_load(
    base: str, key: str, seconds: float, readers: int = 8, writers: int = 2, write_interval: float = 5.0
) -> LoadReport:
    """Read and write against the server at ``base`` for ``seconds``, then wait for the jobs."""
    report = LoadReport(seconds, readers, writers, Timing(), Timing())
    deadline = time.monotonic() + seconds
    run_tag = uuid.uuid4().hex[:6]
    posted: list[tuple[str, str]] = []  # (article id, job url)
    lock = threading.Lock()

    def read(worker: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            n = worker
            while time.monotonic() < deadline:
                params = READ_QUERIES[n % len(READ_QUERIES)]
                n += 1
                _timed(report.reads, functools.partial(client.get, "/events", params=params), 200, lock)

    def write(worker: int) -> None:
        auth = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base, timeout=60) as client:
            n = 0
            while time.monotonic() < deadline:
                article = generated_article(n, f"{run_tag}-{worker}-")
                n += 1
                send = functools.partial(client.post, "/articles", json=article, headers=auth)
                answer = _timed(report.writes, send, 202, lock)
                if answer is not None:
                    with lock:
                        posted.append((article["id"], answer.json()["url"]))
                time.sleep(write_interval)

    threads = [threading.Thread(target=read, args=(i,)) for i in range(readers)]
    threads += [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _check_nothing_lost(base, posted, report)
    return report


def _timed(timing: Timing, request, expected: int, lock: threading.Lock) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        answer = request()
    except httpx.HTTPError as exc:
        with lock:
            timing.errors.append(f"{exc.__class__.__name__}: {exc}")
        return None
    elapsed = time.perf_counter() - started
    with lock:
        timing.latencies.append(elapsed)
        if answer.status_code != expected:
            timing.errors.append(
                f"{answer.request.method} {answer.request.url.path}: {answer.status_code} {answer.text[:200]}"
            )
            return None
    return answer


def _check_nothing_lost(base: str, posted: list[tuple[str, str]], report: LoadReport) -> None:
    """Wait for every accepted job; then every posted article must be stored and readable."""
    started = time.monotonic()
    with httpx.Client(base_url=base, timeout=60) as client:
        for article_id, job_url in posted:
            while True:
                job = client.get(job_url).json()
                if job["status"] in ("done", "failed"):
                    break
                if time.monotonic() - started > JOB_TIMEOUT:
                    report.jobs_failed.append(f"{job_url}: still {job['status']} after {JOB_TIMEOUT:g} s")
                    break
                time.sleep(0.2)
            if job["status"] == "done":
                report.jobs_done += 1
            elif job["status"] == "failed":
                report.jobs_failed.append(f"{job_url}: {job['error']}")
            if client.get(f"/articles/{article_id}").status_code != 200:
                report.articles_missing.append(article_id)
    report.drain_seconds = time.monotonic() - started


# -- the full-length run ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _storyline(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "storyline", *args], capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"load_test: storyline {args[0]} failed:\n{done.stderr}")
    return done.stdout


@contextmanager
def serving(db: str) -> Iterator[str]:
    """``storyline serve`` on a free loopback port for the duration of the block."""
    base = f"http://127.0.0.1:{_free_port()}"
    server = subprocess.Popen(
        [sys.executable, "-m", "storyline", "serve", "--db", db, "--port", base.rsplit(":", 1)[1]],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            raise SystemExit("load_test: the server did not start")
        yield base
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--write-interval", type=float, default=5.0, help="seconds between one writer's POSTs")
    parser.add_argument("--seed-articles", type=int, default=200, help="articles in the store before the run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "load.db")
        seed = Path(folder) / "seed.jsonl"
        seed.write_text("".join(json.dumps(generated_article(n)) + "\n" for n in range(args.seed_articles)))
        _storyline("ingest", str(seed), "--db", db)
        key = _storyline("keys", "create", "--name", "load-test", "--db", db).strip()
        with serving(db) as base:
            report = run_load(base, key, args.seconds, args.readers, args.writers, args.write_interval)
    result = report.as_dict()
    print(f"{'':8} {'requests':>9} {'errors':>7} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind in ("reads", "writes", "all"):
        row = result[kind]
        print(
            f"{kind:8} {row['requests']:>9} {row['errors']:>7} {row['requests_per_s']:>7} {row['p50_ms']:>8}"
            f" {row['p95_ms']:>8} {row['max_ms']:>8}"
        )
    print(
        f"{args.seconds:g} s, {args.readers} readers, {args.writers} writers; jobs done {result['jobs_done']},"
        f" failed {result['jobs_failed']}, articles missing {result['articles_missing']},"
        f" drained in {result['drain_seconds']} s; load average {result['load_average_1min']}"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load_test.json").write_text(json.dumps({"args": vars(args), **result}, indent=2) + "\n")
    if report.errors:
        raise SystemExit(f"load_test: {len(report.errors)} errors, first: {report.errors[0]}")


if __name__ == "__main__":
    main()
