"""A short run of bench/load_test.py: concurrent reads alone and during an ingest through
``POST /articles``, on two server processes: no errors, every article stored exactly once.

The full run (a store of 100k articles, figures in bench/results/load_test.json) is the bench
script; this one lasts seconds and asserts correctness only, never speed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
from pathlib import Path

import httpx

from serving import create_key, ingest, running_server

BENCH = Path(__file__).resolve().parents[1] / "bench" / "load_test.py"
CLIENTS = 4
PACED_RATE = 10.0  # requests/s over all clients
TOPICS = ["flood", "bridge", "strike", "election", "storm", "fire", "port", "drought", "festival", "rail"]


def _load_test_module():
    sys.path.insert(0, str(BENCH.parent))
    spec = importlib.util.spec_from_file_location("bench_load_test", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


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


def test_reads_alone_and_during_an_ingest_have_no_errors_and_store_each_article_once(tmp_path, monkeypatch):
    monkeypatch.setenv("STORYLINE_EMBEDDINGS", "off")  # a quicker rebuild per run; the HTTP path is the same
    load_test = _load_test_module()
    seed = tmp_path / "seed.jsonl"
    seed.write_text("".join(json.dumps(generated_article(n)) + "\n" for n in range(40)))
    db = str(tmp_path / "load.db")
    ingest(db, seed)
    key = create_key(db)
    posted = [generated_article(n, "new-") for n in range(24)]
    with running_server(db, "--workers", "2") as base:
        alone = load_test.reads_alone(base, CLIENTS, 2.0)
        until = threading.Event()
        threading.Timer(2.0, until.set).start()
        paced = load_test.read_load(base, load_test.page_mix(base), CLIENTS, until, rate=PACED_RATE)
        during = load_test.ingest_while_reading(base, key, posted, CLIENTS, batch=6, db=db)
        health = httpx.get(f"{base}/health", timeout=30).json()
    print(json.dumps({"alone": alone, "during": during}))  # the figures, for the log (pytest -s)
    assert alone["errors"] == 0 and alone["requests"] >= CLIENTS
    assert len(alone["paths"]) == 7  # every page of the mix was read
    # Paced clients keep to their schedule (as fast as they can, they read hundreds of pages in 2 s).
    assert paced.errors == [] and CLIENTS <= len(paced.latencies) <= PACED_RATE * 2.0 + CLIENTS
    assert during["reads"]["errors"] == 0 and during["writes"]["errors"] == 0 and during["jobs_failed"] == []
    assert during["reads"]["requests"] >= CLIENTS and during["jobs"] == 4
    assert during["articles_new"] == during["articles_stored_once"] == len(posted)
    assert during["articles_duplicate"] == during["articles_stored_twice"] == during["articles_unreadable"] == 0
    assert health["articles"] == 40 + len(posted)
