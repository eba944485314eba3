"""Full-text search at 100k articles, SQLite against PostgreSQL: the same queries on the same
store in both, the events each finds (they must be the same) and the milliseconds per search.

    .venv/bin/python bench/search_speed.py --postgres postgresql://storyline:storyline@127.0.0.1:5432/storyline
    .venv/bin/python bench/search_speed.py --db /tmp/storyline-load/store-100000.db   # SQLite alone

The SQLite store is the one bench/load_test.py builds (and reuses). The PostgreSQL copy is made
once, in a database of its own (``storyline_search_100000`` on the server named), through the
store's own writes: each document with its articles (so each article gets its search vector as
an ingest gives it), then the events. A search is timed in the store (``Store.find_events``,
what a server does when its cache cannot answer) twice: as a page shows it by default (best
first, 20 events) and for the newest 100 events found, which must be the same events in both
databases. Each figure is the median of 7 runs after one warm-up, in one process, with the load
average beside it. Results go to bench/results/search_speed.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import time
import zlib
from pathlib import Path

from sqlalchemy import make_url, text

from storyline.listing import ListPage, ListQuery
from storyline.model import RawDocument
from storyline.rows import ARTICLE_COLUMNS, article_from_row
from storyline.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_test import COMMON_WORD, RARE_WORD

RESULTS = Path(__file__).resolve().parent / "results"
QUERIES = [
    RARE_WORD,
    COMMON_WORD,
    "shooting",
    "shooting police",
    "shoot*",
    "sho*",
    "investig*",
    "gunman killed wife",
    "hurricane",
    "Zürich",
    "covid-19",
    "baghdad bombing",
    "supreme court ruling",
    "the",
]
RUNS = 7


def copy_to_postgres(sqlite_db: str, server: str, size: int) -> str:
    """The PostgreSQL copy of ``sqlite_db`` (made once) in a database of its own on ``server``."""
    import psycopg

    name = f"storyline_search_{size}"
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    admin = psycopg.connect(server, autocommit=True)
    if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
        admin.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    with Store(sqlite_db) as source, Store(url) as target:
        if target.counts()["articles"] >= source.counts()["articles"]:
            return url
        started = time.monotonic()
        with source.engine.connect() as conn:
            raw = {row.id: row for row in conn.execute(text("SELECT id, origin, kind, raw FROM documents"))}
            rows = conn.execute(text(f"SELECT {ARTICLE_COLUMNS} FROM articles ORDER BY ingest_order")).all()
        # A document's articles were stored in one transaction: they follow one another.
        for document_id, group in itertools.groupby(rows, key=lambda row: row.document_id):
            row = raw[document_id]
            document = RawDocument(origin=row.origin, kind=row.kind, data=zlib.decompress(row.raw))
            target.add_document(document, [article_from_row(a) for a in group])
        # In the order the SQLite store numbered them (a capped search reads the newest first).
        with source.engine.connect() as conn:
            seq = {
                event_id: n
                for n, event_id in enumerate(conn.execute(text("SELECT id FROM events ORDER BY seq")).scalars())
            }
        target.replace_events(sorted(source.events(), key=lambda event: seq[event.id]))
        print(f"copied {sqlite_db} to {name} in {time.monotonic() - started:.0f} s")
    return url


def timed(store: Store, q: str) -> dict:
    """A search as a page shows it by default (best first, 20 events), and the newest 100 events
    found (what both databases must find alike: their relevance scores differ)."""
    default_ms, _ = _median_ms(store, ListQuery(text=q))
    recent_ms, page = _median_ms(store, ListQuery(text=q, order="recent", limit=100))
    return {
        "default_page_ms": default_ms,
        "recent_100_ms": recent_ms,
        "events": page.total,
        "complete": page.complete,
        "ids": [row.id for row in page.rows],
    }


def _median_ms(store: Store, query: ListQuery) -> tuple[float, ListPage]:
    """Milliseconds ``Store.find_events(query)`` takes (the median of ``RUNS`` after a
    warm-up), and the page it found."""
    times = []
    for _ in range(RUNS + 1):
        started = time.perf_counter()
        page = store.find_events(query)
        times.append(time.perf_counter() - started)
    return round(1000 * statistics.median(times[1:]), 2), page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="/tmp/storyline-load/store-100000.db", help="the SQLite store")
    parser.add_argument("--postgres", default="", help="a PostgreSQL server URL to copy the store to")
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()
    stores = {"sqlite": args.db}
    if args.postgres:
        stores["postgresql"] = copy_to_postgres(args.db, args.postgres, args.size)
    results: dict = {"load_average_1min": round(os.getloadavg()[0], 2), "queries": {}}
    for name, db in stores.items():
        with Store(db) as store:
            for q in QUERIES:
                results["queries"].setdefault(q, {})[name] = timed(store, q)
    print("milliseconds per search: the default page (best first, 20 events) | the newest 100 events found")
    print(f"{'query':20} {'sqlite':>15} {'postgresql':>15} {'events':>7} {'complete':>9} {'same':>5}")
    for q, found in results["queries"].items():
        lite, pg = found["sqlite"], found.get("postgresql")
        same = "" if pg is None else str(lite["ids"] == pg["ids"] and lite["events"] == pg["events"])
        found["same"] = same
        print(
            f"{q:20} {_ms(lite):>15} {_ms(pg) if pg else '':>15} {lite['events']:>7} {lite['complete']!s:>9} {same:>5}"
        )
    print(f"load average {results['load_average_1min']}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "search_speed.json").write_text(json.dumps(results, indent=2) + "\n")


def _ms(found: dict) -> str:
    return f"{found['default_page_ms']} | {found['recent_100_ms']}"


if __name__ == "__main__":
    main()
