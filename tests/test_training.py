"""Fitting the same-event model: the training log follows the gold, `storyline train events`
writes a model that the clusterer then runs with."""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from conftest import run_cli
from storyline.cluster import EventClusterer, load_model
from storyline.cluster.same_event import EVENT_FEATURES, PAIR_FEATURES
from storyline.config import ClusterSettings
from storyline.evaluate.training import follow
from storyline.model import Article

CITIES = ["Dayton", "Tulsa", "Fresno", "Akron", "Toledo", "Macon"]
VICTIMS = ["Ray Ortiz", "Lee Park", "Ana Cruz", "Tom Reed", "Joe Bell", "Kim Lowe"]


def _shootings(year: int) -> list[dict]:
    """Three reports each of six look-alike shootings, a few days apart."""
    records = []
    for n, (city, victim) in enumerate(zip(CITIES, VICTIMS, strict=True)):
        for k, outlet in enumerate(("a.example", "b.example", "c.example")):
            records.append(
                {
                    "id": f"{year}-{n}-{k}",
                    "title": f"{victim} killed in {city} shooting" if k < 2 else "",
                    "text": f"{victim}, {20 + n}, was shot dead outside a store in {city} on Friday night, "
                    f"{city} police said. Officers are looking for a gunman who fled in a car.",
                    "published": (datetime(year, 3, 1, tzinfo=UTC) + timedelta(days=5 * n + k)).isoformat(),
                    "source": outlet,
                    "incident": f"{year}-{n}",
                }
            )
    return records


def _gzip_csv(path: Path, header: list[str], rows: list[list]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(buffer.getvalue().encode()))


def _evaluation_folder(root: Path) -> Path:
    """A miniature of ../shared/eval in its real formats."""
    gva = root / "gva-incidents-dev" / "gva_incidents_2013_2015.jsonl.gz"
    gva.parent.mkdir(parents=True)
    gva.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in _shootings(2014) + _shootings(2015)).encode()))
    headlines = [
        (story, f"{company} {verb} quarterly profit", company.lower())
        for story, company in enumerate(["Apple", "Boeing", "Nestle", "Ford"])
        for verb in ("reports", "posts", "beats forecast with", "lifts", "raises", "misses")
    ]
    _gzip_csv(
        root / "uci-news-aggregator-sample" / "uci_news_aggregator_first6366.csv.gz",
        ["ID", "TITLE", "URL", "PUBLISHER", "CATEGORY", "STORY", "HOSTNAME", "TIMESTAMP"],
        [
            [n, title, f"http://{host}.example/{n}", host, "b", f"story{story}", f"{host}.example", 1394470370698 + n]
            for n, (story, title, host) in enumerate(headlines)
        ],
    )
    topics = ["volcano erupts in Iceland", "ferry sinks off Korea", "cyclone hits Odisha", "strike shuts Paris metro"]
    _gzip_csv(
        root / "multinews-test-sample" / "multinews_sample_test.csv.gz",
        ["documents", "num_documents", "summary"],
        [
            [
                repr([f"Report {k} on how the {topic}: officials describe the {topic} today." for k in range(3)]),
                3,
                "– x",
            ]
            for topic in topics * 70  # clusters 0-124 are the earlier part
        ][:130],
    )
    _gzip_csv(
        root / "semeval2022-task8-sample" / "training_set.csv.gz",
        ["pair_id", "lang1", "lang2", "text1", "text2", "Overall"],
        [
            ["1_2", "en", "en", "Quake hits Chile\nA quake hit Chile.", "Chile quake\nChile was hit by a quake.", 1.0],
            ["3_4", "en", "en", "Quake hits Chile\nA quake hit Chile.", "Budget passes\nThe budget passed.", 4.0],
        ],
    )
    return root


def test_following_the_gold_logs_one_labelled_row_per_candidate():
    records = _shootings(2014)
    articles = [
        Article(id=r["id"], title=r["title"], text=r["text"], published=datetime.fromisoformat(r["published"]))
        for r in records
    ]
    log = follow(articles, [r["incident"] for r in records], ClusterSettings(), None)
    assert len(log.pair_rows) == len(log.pair_labels) == len(log.pair_groups) > 0
    assert all(len(row) == len(PAIR_FEATURES) for row in log.pair_rows)
    # every report after an incident's first has that incident among its candidate events
    by_article: dict[int, list[int]] = {}
    for row, _state, members, _words, label in log.event_candidates:
        by_article.setdefault(row, []).append(label)
        assert all(0 <= k < len(log.pair_rows) for k in members.values())
    later_reports = [n for n, r in enumerate(records) if not r["id"].endswith("-0")]
    assert all(sum(by_article.get(n, [])) == 1 for n in later_reports)
    assert all(sum(labels) == 0 for n, labels in by_article.items() if n not in later_reports)


def test_train_events_writes_a_model_the_clusterer_runs_with(tmp_path):
    data = _evaluation_folder(tmp_path / "eval")
    out = tmp_path / "model.npz"
    result = run_cli("train", "events", "--data", str(data), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "wrote lexical, minilm models" in result.stdout
    for kind in ("lexical", "minilm"):
        model = load_model(kind, str(out))
        fitted = json.loads(model.fitted)
        assert fitted["streams"].keys() == {
            "gva (as given)",
            "gva (no titles)",
            "uci (as given)",
            "multinews (as given)",
        }
        assert model.events.feature.max() < len(EVENT_FEATURES)
    settings = replace(ClusterSettings(), model_path=str(out))
    later = _shootings(2015)
    articles = [Article(id=r["id"], title=r["title"], text=r["text"]) for r in later]
    labels = EventClusterer(settings, embedder=None).fit_predict(articles)
    assert len(labels) == len(articles) and np.all([isinstance(label, str) for label in labels])
