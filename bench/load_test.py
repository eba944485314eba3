"""Load test: a real ``storyline serve`` over a store of 100k articles, read by concurrent clients,
alone and while an ingest of 1,000 articles runs through ``POST /articles``.

    .venv/bin/python bench/load_test.py [--size 100000] [--seconds 30] [--clients 8] [--workers 2]
    .venv/bin/python bench/load_test.py --cache 0          # every read answered from the store

The store is the pipeline corpus (bench/pipeline_corpus.py: real GVA, DUC and Scrapinghub
articles in news pages, repeated with new URLs, dates and words beyond the 4,557 real ones),
ingested as a bulk load is (``storyline ingest DIR --no-facts --lexical-summaries --workers 2``),
built once under ``--work`` and reused; each run serves a copy of it, so that every run starts
from the same store. The server runs as a user runs it: ``storyline serve --workers 2`` (one
process per core, and ``--no-facts --lexical-summaries`` as the store was loaded, so that a job
describes events alike) with its defaults: the read cache is on unless ``--cache 0`` is given.

Reads: ``--clients`` clients, each on one keep-alive connection, cycle over the page mix: ``/``
(the web page), ``/events``, ``/events?q=shooting``, ``/events?sort=coverage``, one event (JSON),
and a search for a rare and for a common word. Any answer but 200 is an error.

Reads during an ingest: the same clients read while 1,000 new articles (the corpus's next
pages, as JSON) are POSTed in batches; the window runs from the first POST until every job is
done. Afterwards each POSTed article must be stored exactly once and be readable. These reads
come at a steady rate (``--ingest-rate`` requests/s over all clients, each client on its own
schedule; 0: as fast as they can): clients that read as fast as they can keep both cores busy
on their own, and the job process, which yields to reads (``nice`` 10), then gets about a tenth
of a core, so its rebuild of the 100k store's events would take hours instead of minutes. A
request that its schedule made late is timed from when it was sent.

Also measured: a search in the store itself (what the server does on a cache miss), and
``storyline events --limit 20`` on the store (the whole command, start-up included).
Prints a table and writes bench/results/load_test.json; the 1-minute load average is printed
with every figure, since other work on the machine shares its cores with server and clients.
tests/test_load.py runs ``read_load`` and ``ingest_while_reading`` for a few seconds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_corpus import DEFAULT_EVAL, crawled_count, real_stories, repeat, write_warcs

RESULTS = Path(__file__).resolve().parent / "results"
STORYLINE = [sys.executable, "-m", "storyline"]
HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}
# A word in a handful of the 100k store's articles, and one in about half of them.
RARE_WORD = "derailment"
COMMON_WORD = "police"
JOB_TIMEOUT = 3600.0


@dataclass
class Timing:
    """Latencies (seconds) and failures of one kind of request."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    by_path: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, path: str, seconds: float, error: str | None = None) -> None:
        with self.lock:
            if error:
                self.errors.append(error)
            else:
                self.latencies.append(seconds)
                self.by_path.setdefault(path, []).append(seconds)

    def summary(self, seconds: float) -> dict:
        return {
            **_figures(self.latencies, seconds),
            "errors": len(self.errors),
            "first_errors": self.errors[:5],
            "paths": {path: _figures(found, seconds) for path, found in self.by_path.items()},
        }


def _figures(latencies: list[float], seconds: float) -> dict:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "requests_per_s": round(len(ordered) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(1000 * _percentile(ordered, 50), 1),
        "p95_ms": round(1000 * _percentile(ordered, 95), 1),
        "max_ms": round(1000 * ordered[-1], 1) if ordered else 0.0,
    }


def _percentile(ordered: list[float], pct: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _load() -> float:
    return round(os.getloadavg()[0], 2)


# -- reading ------------------------------------------------------------------------------------


def page_mix(base: str) -> list[tuple[str, dict[str, str]]]:
    """The paths the clients cycle over (with their Accept header); the event is the newest."""
    newest = httpx.get(f"{base}/events", params={"limit": 1}, timeout=120).json()["items"][0]["url"]
    return [
        ("/", HTML),
        ("/events", JSON),
        ("/events?q=shooting", JSON),
        ("/events?sort=coverage", JSON),
        (newest, JSON),
        (f"/events?q={quote(RARE_WORD)}", JSON),
        (f"/events?q={quote(COMMON_WORD)}", JSON),
    ]


def read_load(
    base: str, paths: list[tuple[str, dict[str, str]]], clients: int, until: threading.Event, rate: float = 0.0
) -> Timing:
    """``clients`` readers cycling over ``paths`` (each from its own place) until ``until`` is set,
    as fast as they can or, given a ``rate``, that many requests per second over all of them."""
    timing = Timing()
    interval = clients / rate if rate else 0.0
    # Paced clients start spread over one interval, so that the rate does not come in bursts.
    threads = [
        threading.Thread(target=_reader, args=(base, paths, n, until, timing, interval, interval * n / clients))
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timing


def _reader(
    base: str,
    paths: list[tuple[str, dict[str, str]]],
    n: int,
    until: threading.Event,
    timing: Timing,
    interval: float = 0.0,
    delay: float = 0.0,
):
    # http.client on one keep-alive connection: the client should cost the shared cores little.
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
    due = time.monotonic() + delay
    while not until.is_set():
        if interval:
            if until.wait(max(0.0, due - time.monotonic())):
                break
            due += interval
        path, headers = paths[n % len(paths)]
        n += 1
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            answer = connection.getresponse()
            answer.read()
        except (OSError, http.client.HTTPException) as exc:
            timing.record(path, 0.0, f"GET {path}: {exc.__class__.__name__}: {exc}")
            connection.close()
            connection = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
            time.sleep(0.1)  # a server that is down should not make the client spin
            continue
        elapsed = time.perf_counter() - started
        timing.record(path, elapsed, None if answer.status == 200 else f"GET {path}: {answer.status}")
    connection.close()


def reads_alone(base: str, clients: int, seconds: float) -> dict:
    paths = page_mix(base)
    until = threading.Event()
    threading.Timer(seconds, until.set).start()
    load = _load()
    timing = read_load(base, paths, clients, until)
    return {"seconds": seconds, "clients": clients, "load_average_1min": load, **timing.summary(seconds)}


# -- reading while an ingest runs ---------------------------------------------------------------


def ingest_while_reading(
    base: str, key: str, articles: list[dict], clients: int, batch: int, db: str | None = None, rate: float = 0.0
) -> dict:
    """POST ``articles`` in batches of ``batch`` while ``clients`` read (``rate`` requests/s in
    all, or as fast as they can); the window lasts until every job is done. Then each article
    must be stored once (``db``: a SQLite file to count rows in) and readable."""
    paths = page_mix(base)
    until = threading.Event()
    reads: dict[str, Timing] = {}
    reader = threading.Thread(target=lambda: reads.setdefault("t", read_load(base, paths, clients, until, rate)))
    load = _load()
    started = time.monotonic()
    reader.start()
    writes = Timing()
    jobs = []
    with httpx.Client(base_url=base, timeout=120, headers={"Authorization": f"Bearer {key}"}) as client:
        for start in range(0, len(articles), batch):
            part = articles[start : start + batch]
            sent = time.perf_counter()
            try:
                answer = client.post("/articles", json={"articles": part})
            except httpx.HTTPError as exc:
                writes.record("POST /articles", 0.0, f"POST /articles: {exc}")
                continue
            ok = answer.status_code == 202
            writes.record("POST /articles", time.perf_counter() - sent, None if ok else f"POST: {answer.status_code}")
            if ok:
                jobs.append(answer.json()["url"])
        outcomes = [_wait_for(client, url, started) for url in jobs]
    seconds = time.monotonic() - started
    until.set()
    reader.join()
    timing = reads["t"]
    stored = _stored_once(base, [a["id"] for a in articles], db)
    new = sum(job["result"]["new"] for job in outcomes if job.get("result"))
    duplicate = sum(job["result"]["duplicate"] for job in outcomes if job.get("result"))
    return {
        "seconds": round(seconds, 1),
        "clients": clients,
        "offered_requests_per_s": rate or "as fast as the clients can",
        "articles_posted": len(articles),
        "batch": batch,
        "load_average_1min_at_start": load,
        "load_average_1min_at_end": _load(),
        "reads": timing.summary(seconds),
        "writes": writes.summary(seconds),
        "jobs": len(jobs),
        "jobs_failed": [job for job in outcomes if job["status"] != "done"][:5],
        "articles_new": new,
        "articles_duplicate": duplicate,  # the same text was stored already (under another id)
        **stored,
    }


def _wait_for(client: httpx.Client, url: str, started: float) -> dict:
    while time.monotonic() - started < JOB_TIMEOUT:
        job = client.get(url).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.5)
    return {"status": "timeout", "url": url}


def _stored_once(base: str, ids: list[str], db: str | None) -> dict:
    """How many of ``ids`` cannot be read back, and (in a SQLite store) how many rows each has."""
    unreadable = [i for i in ids if httpx.get(f"{base}/articles/{quote(i, safe='')}", timeout=120).status_code != 200]
    found = {"articles_unreadable": len(unreadable)}
    if db:
        with sqlite3.connect(db, timeout=60) as conn:
            rows = conn.execute(
                f"SELECT id, COUNT(*) FROM articles WHERE id IN ({','.join('?' * len(ids))}) GROUP BY id", ids
            ).fetchall()
        found["articles_stored_once"] = sum(1 for _, n in rows if n == 1)
        found["articles_stored_twice"] = sum(1 for _, n in rows if n > 1)
    return found


def corpus_articles(size: int, count: int, eval_dir: Path = DEFAULT_EVAL) -> list[dict]:
    """The ``count`` pages of the corpus after its first ``size``, as the JSON ``POST /articles`` takes."""
    stories = real_stories(eval_dir)
    skip = crawled_count(eval_dir)
    articles = []
    for n in range(size, size + count):
        url, story = repeat(stories, n - skip)
        articles.append(
            {
                "id": url,
                "title": story.title,
                "text": "\n".join(story.paragraphs),
                "url": url,
                "source": story.site,
                "published": story.published.isoformat() if story.published else None,
            }
        )
    return articles


# -- the store and the server -------------------------------------------------------------------


def built_store(size: int, work: Path, eval_dir: Path) -> Path:
    """The store of ``size`` corpus pages, made once under ``work`` (an hour or more at 100k)."""
    db = work / f"store-{size}.db"
    meta = work / f"store-{size}.json"
    if meta.is_file() and db.is_file():
        return db
    pages = work / f"pages-{size}"
    if not (work / f"pages-{size}.json").is_file():
        (work / f"pages-{size}.json").write_text(json.dumps(write_warcs(size, pages, eval_dir)))
    started = time.monotonic()
    command = ["ingest", str(pages), "--db", str(db), "--no-facts", "--lexical-summaries", "--workers", "2"]
    tally = _storyline(*command)
    _storyline("events", "--db", str(db), "--limit", "1")  # migrated by this storyline once
    meta.write_text(json.dumps({"command": command, "tally": tally.strip(), "seconds": time.monotonic() - started}))
    return db


def fresh_copy(db: Path, work: Path) -> Path:
    """A copy of the store to serve (the original stays as built), with its WAL folded in."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = work / f"run-{db.name}"
    for suffix in ("-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(db, copy)
    return copy


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def _storyline(*args: str) -> str:
    done = subprocess.run([*STORYLINE, *args], capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"load_test: storyline {args[0]} failed:\n{done.stderr}")
    return done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(db: str, *options: str) -> Iterator[str]:
    """``storyline serve`` on a free loopback port for the duration of the block."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(
            [*STORYLINE, "serve", "--db", db, "--port", str(port), *options], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 300  # a store of 100k articles opens in seconds, on a busy machine more
            while not _answers(f"{base}/health"):
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise SystemExit(f"load_test: the server did not start:\n{log.read()[-3000:]}")
                time.sleep(0.5)
            yield base
        finally:
            server.terminate()
            server.wait(60)


# -- the figures that are not HTTP --------------------------------------------------------------


def search_cost(db: str, words: list[str], runs: int = 7) -> dict:
    """Milliseconds of one search in the store (what a server does when its cache cannot answer),
    wall clock and CPU (which other programs on the machine disturb less): the median of ``runs``
    after one warm-up, per word, in a fresh process."""
    script = (
        "import json, statistics, sys, time\n"
        "from storyline.listing import ListQuery\n"
        "from storyline.store import Store\n"
        "store = Store(sys.argv[1])\n"
        "out = {}\n"
        "for word in sys.argv[3:]:\n"
        "    wall, cpu = [], []\n"
        "    for _ in range(int(sys.argv[2]) + 1):\n"
        "        started, used = time.perf_counter(), time.process_time()\n"
        "        page = store.find_events(ListQuery(text=word))\n"
        "        wall.append(time.perf_counter() - started)\n"
        "        cpu.append(time.process_time() - used)\n"
        "    out[word] = {'median_ms': round(1000 * statistics.median(wall[1:]), 2),\n"
        "                 'median_cpu_ms': round(1000 * statistics.median(cpu[1:]), 2),\n"
        "                 'events': page.total, 'complete': page.complete}\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, db, str(runs), *words], capture_output=True, text=True, check=True
    )
    return {"load_average_1min": _load(), "words": json.loads(done.stdout)}


def cli_events_seconds(db: str, runs: int = 5) -> dict:
    """Wall seconds of ``storyline events --limit 20`` on the store: median of ``runs``."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        _storyline("events", "--db", db, "--limit", "20")
        times.append(time.perf_counter() - started)
    return {
        "median_seconds": round(statistics.median(times), 3),
        "runs": [round(t, 3) for t in times],
        "load_average_1min": _load(),
    }


# -- the run ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000, help="articles in the store")
    parser.add_argument("--seconds", type=float, default=30.0, help="of reads alone")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--cache", type=int, default=None, help="the server's --cache (default: its own)")
    parser.add_argument("--ingest", type=int, default=1000, help="articles POSTed during the second part")
    parser.add_argument("--batch", type=int, default=100, help="articles per POST")
    parser.add_argument(
        "--ingest-rate", type=float, default=50.0, help="reads/s during the ingest, over all clients (0: unpaced)"
    )
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "storyline-load")
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--out", type=Path, default=RESULTS / "load_test.json")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    built = built_store(args.size, args.work, args.eval)
    db = str(fresh_copy(built, args.work))
    key = _storyline("keys", "create", "--name", "load-test", "--db", db).strip()
    # The jobs describe events as the bulk load did (else the first one describes every event again).
    options = ["--workers", str(args.workers), "--no-facts", "--lexical-summaries"]
    options += ["--cache", str(args.cache)] if args.cache is not None else []
    result = {"args": {k: str(v) for k, v in vars(args).items()}, "store": str(built)}
    result["search"] = search_cost(db, ["shooting", RARE_WORD, COMMON_WORD])
    result["cli_events_limit_20"] = cli_events_seconds(db)
    with serving(db, *options) as base:
        result["reads_alone"] = reads_alone(base, args.clients, args.seconds)
        articles = corpus_articles(args.size, args.ingest, args.eval)
        result["reads_during_ingest"] = ingest_while_reading(
            base, key, articles, args.clients, args.batch, db, args.ingest_rate
        )
    report(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


def report(result: dict) -> None:
    print(f"{'':22} {'requests':>9} {'errors':>7} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'load':>5}")
    alone, during = result["reads_alone"], result["reads_during_ingest"]
    for name, row, load in (
        ("reads alone", alone, alone["load_average_1min"]),
        ("reads during ingest", during["reads"], during["load_average_1min_at_end"]),
        ("POST /articles", during["writes"], during["load_average_1min_at_end"]),
    ):
        print(
            f"{name:22} {row['requests']:>9} {row['errors']:>7} {row['requests_per_s']:>7} {row['p50_ms']:>8}"
            f" {row['p95_ms']:>8} {row['max_ms']:>8} {load:>5}"
        )
    for path, row in alone["paths"].items():
        print(f"  {path[:40]:40} p50 {row['p50_ms']:>7} ms  p95 {row['p95_ms']:>7} ms")
    print(
        f"ingest: {during['articles_posted']} articles in {during['jobs']} POSTs, {during['articles_new']} new"
        f" and {during['articles_duplicate']} duplicates of stored text; {during.get('articles_stored_once')}"
        f" stored once, {during.get('articles_stored_twice')} twice, {during['articles_unreadable']} not"
        f" readable by their id, {len(during['jobs_failed'])} jobs failed;"
        f" {during['seconds']} s until every job was done"
    )
    for word, row in result["search"]["words"].items():
        print(
            f"search {word!r}: {row['median_ms']} ms in the store, {row['events']} events, complete {row['complete']}"
        )
    cli = result["cli_events_limit_20"]
    print(
        f"storyline events --limit 20: {cli['median_seconds']} s (median of {len(cli['runs'])}; load {cli['load_average_1min']})"
    )


if __name__ == "__main__":
    main()
