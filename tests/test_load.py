"""A short run of bench/load_test.py: concurrent reads and writes on loopback, no errors, nothing lost.

The full-length run (a minute, figures in bench/results/load_test.json) is the bench script;
this one lasts a few seconds and asserts correctness only, never speed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import httpx

from serving import create_key, ingest, running_server

BENCH = Path(__file__).resolve().parents[1] / "bench" / "load_test.py"
SECONDS = 4.0
READERS = 6
WRITERS = 2
WRITE_INTERVAL = 2.0  # each write is an ingest job and an event rebuild: the queue must drain quickly


def _load_test_module():
    spec = importlib.util.spec_from_file_location("bench_load_test", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_concurrent_reads_and_writes_have_no_errors_and_lose_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("STORYLINE_EMBEDDINGS", "off")  # a quicker rebuild per job; the HTTP path is the same
    load_test = _load_test_module()
    seed = tmp_path / "seed.jsonl"
    seed.write_text("".join(json.dumps(load_test.generated_article(n)) + "\n" for n in range(40)))
    db = str(tmp_path / "load.db")
    ingest(db, seed)
    key = create_key(db)
    with running_server(db) as base:
        report = load_test.run_load(base, key, SECONDS, READERS, WRITERS, WRITE_INTERVAL)
        health = httpx.get(f"{base}/health", timeout=30).json()
    summary = report.as_dict()
    print(json.dumps(summary))  # the figures, for the log (pytest -s)
    assert report.errors == []
    assert summary["reads"]["requests"] >= READERS  # every reader got answers
    assert summary["writes"]["requests"] == report.jobs_done >= WRITERS
    assert report.articles_missing == []
    assert health["articles"] == 40 + report.jobs_done
