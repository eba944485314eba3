"""Fitting the same-event model (``storyline train events``) on the earlier part of each visible set.

The clusterer follows the gold labels through each training stream (``EventClusterer.partial_fit``
with ``gold``), so the rows are exactly the candidate pairs and candidate events that clustering
meets, with the features it computes. The pair model is fitted on those pairs (and on the
English SemEval 2022 task 8 training pairs); the event model on the candidate events, with pair
scores predicted out of fold (grouped by gold event) so that it learns from scores like those it
will be given, not from the pair model's memory of its own training rows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupKFold

from ..cluster import EventClusterer, FeatureExtractor, SameEventModel, TrainingLog, TreeEnsemble, clustering_embedder
from ..cluster.same_event import (
    EVENT_FEATURES,
    MODEL_FILE,
    PAIR_FEATURES,
    event_features,
    model_kind,
    monotonic_constraints,
    pair_features,
)
from ..config import ClusterSettings, EmbedSettings
from ..embed import MiniLMEmbedder
from ..model import Article
from .clustering import load_dataset, time_split, variant
from .datasets import semeval_pairs

TREE_PARAMETERS = {
    "max_iter": 100,
    "learning_rate": 0.1,
    "max_depth": 4,
    "max_leaf_nodes": 16,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 0,
}
"""Small trees: the ensemble is evaluated once per article (``TreeEnsemble``), and depth 4 scored
like depth 14 on the earlier halves' last part."""
STREAMS = {
    "gva": ("gva-incidents-dev", ("as given", "no titles")),
    "uci": ("uci-news-aggregator-sample", ("as given",)),
    "multinews": ("multinews-test-sample", ("as given",)),
}
"""Training streams: dataset -> (folder under the evaluation data, variants fed)."""
SEMEVAL = "semeval2022-task8-sample"


@dataclass
class _Stream:
    name: str
    log: TrainingLog


def default_model_path() -> Path:
    return Path(str(resources.files("storyline") / "cluster" / MODEL_FILE))


def training_streams(data: Path) -> list[tuple[str, list[Article], list[str]]]:
    """(name, articles in feeding order, gold labels) of every earlier part, as fed for training."""
    streams = []
    for dataset, (folder, fed) in STREAMS.items():
        earlier, _ = time_split(dataset, load_dataset(dataset, data / folder))
        for name in fed:
            items = variant(earlier, name)
            streams.append((f"{dataset} ({name})", [i.article for i in items], [i.gold for i in items]))
    return streams


def follow(
    articles: Sequence[Article], gold: Sequence[str], settings: ClusterSettings, embedder: MiniLMEmbedder | None
) -> TrainingLog:
    """The training rows a clusterer logs while it follows ``gold`` through ``articles``."""
    clusterer = EventClusterer(settings, embedder)
    clusterer.partial_fit(articles, gold=gold)
    return clusterer.log


def semeval_rows(data: Path, settings: ClusterSettings, embedder: MiniLMEmbedder | None) -> tuple[list, list]:
    """Pair features and labels of the SemEval training pairs, each file's articles counted into
    the name and term statistics as one stream."""
    pairs = semeval_pairs(data / SEMEVAL, "training")
    articles = list({a.id: a for pair in pairs for a in pair[:2]}.values())
    extractor = FeatureExtractor(settings, embedder)
    views, _ = extractor.transform(articles)
    for view in views:
        extractor.names.update(view)
    row = {a.id: k for k, a in enumerate(articles)}
    rows = [
        pair_features(views[row[a.id]], [views[row[b.id]]], extractor.names, settings)[0].tolist() for a, b, _ in pairs
    ]
    return rows, [int(same) for *_, same in pairs]


def _weights(sizes: Sequence[int]) -> np.ndarray:
    """Every stream weighs the same in total, whatever its number of rows."""
    weights = np.concatenate([np.full(n, 1.0 / n) for n in sizes if n])
    return weights / weights.mean()


def _fit_trees(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, features: Sequence[str]
) -> HistGradientBoostingClassifier:
    """Trees on ``x`` (columns ``features``); a column that is always missing (MiniLM's when
    fitting without it) is given as zeros, which scikit-learn can bin, and which no tree will
    ever split on."""
    x = np.where(np.isnan(x).all(axis=0), 0.0, x)
    trees = HistGradientBoostingClassifier(**TREE_PARAMETERS, monotonic_cst=monotonic_constraints(features))
    return trees.fit(x, y, sample_weight=weights)


def fit_model(
    streams: Sequence[_Stream],
    extra_pairs: tuple[list, list],
    progress: Callable[[str], None] = lambda message: None,
) -> tuple[TreeEnsemble, TreeEnsemble, dict]:
    """Fit the pair model, predict pair scores out of fold, fit the event model on them."""
    pair_x = np.array([row for s in streams for row in s.log.pair_rows] + extra_pairs[0], dtype=np.float64)
    pair_y = np.array([y for s in streams for y in s.log.pair_labels] + extra_pairs[1])
    groups = [f"{s.name}/{g}" for s in streams for g in s.log.pair_groups] + [
        f"semeval/{k}" for k in range(len(extra_pairs[1]))
    ]
    weights = _weights([len(s.log.pair_rows) for s in streams] + [len(extra_pairs[1])])
    progress(f"pair model: {len(pair_y):,} pairs, {pair_y.mean():.1%} same event")
    pairs = _fit_trees(pair_x, pair_y, weights, PAIR_FEATURES)
    out_of_fold = np.zeros(len(pair_y))
    for fit_rows, held_rows in GroupKFold(n_splits=5).split(pair_x, pair_y, groups):
        fold = TreeEnsemble.from_sklearn(
            _fit_trees(pair_x[fit_rows], pair_y[fit_rows], weights[fit_rows], PAIR_FEATURES)
        )
        out_of_fold[held_rows] = fold.predict_proba(pair_x[held_rows])
    event_x, event_y, sizes, offset = [], [], [], 0
    for stream in streams:
        rows, labels = _event_rows(stream.log, out_of_fold[offset : offset + len(stream.log.pair_rows)])
        offset += len(stream.log.pair_rows)
        event_x += rows
        event_y += labels
        sizes.append(len(labels))
    progress(f"event model: {len(event_y):,} candidate events, {np.mean(event_y):.1%} the right one")
    events = _fit_trees(np.array(event_x, dtype=np.float64), np.array(event_y), _weights(sizes), EVENT_FEATURES)
    counts = {"pairs": len(pair_y), "pair_positives": int(pair_y.sum()), "events": len(event_y)}
    return TreeEnsemble.from_sklearn(pairs), TreeEnsemble.from_sklearn(events), counts


def _event_rows(log: TrainingLog, scores: np.ndarray) -> tuple[list[list[float]], list[int]]:
    """Event-model rows of one stream from its logged candidate events and the pair scores."""
    by_article = defaultdict(list)
    for candidate in log.event_candidates:
        by_article[candidate[0]].append(candidate)
    rows, labels = [], []
    for candidates in by_article.values():
        found = [{member: float(scores[k]) for member, k in members.items()} for _, _, members, _, _ in candidates]
        best = [max(f.values()) for f in found]
        for n, (_, state, _, words, label) in enumerate(candidates):
            rows.append(event_features(found[n], state, words, max(best[:n] + best[n + 1 :], default=0.0)))
            labels.append(label)
    return rows, labels


def fit_same_event_models(
    data: Path,
    settings: ClusterSettings,
    embed: EmbedSettings,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, SameEventModel]:
    """Both kinds of model (with MiniLM when it loads, and without), fitted on ``data``'s earlier parts."""
    streams = training_streams(data)
    embedder = clustering_embedder(settings, embed)
    kinds = {model_kind(False): None} | ({model_kind(True): embedder} if embedder is not None else {})
    models = {}
    for kind, model_embedder in kinds.items():
        logs = []
        for name, articles, gold in streams:
            progress(f"{kind}: following {name}: {len(articles):,} articles")
            logs.append(_Stream(name, follow(articles, gold, settings, model_embedder)))
        extra = semeval_rows(data, settings, model_embedder)
        pair_model, event_model, counts = fit_model(logs, extra, progress)
        fitted = {
            "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "scikit_learn": sklearn.__version__,
            "trees": TREE_PARAMETERS,
            "monotonic": {
                "pairs": monotonic_constraints(PAIR_FEATURES),
                "events": monotonic_constraints(EVENT_FEATURES),
            },
            "streams": {s.name: len(s.log.event_candidates) for s in logs},
            "semeval_pairs": len(extra[1]),
            "rows": counts,
            "pair_features": PAIR_FEATURES,
            "event_features": EVENT_FEATURES,
            "held_out": "GVA 2015-2017, UCI second half by time, Multi-News clusters 125-249",
        }
        models[kind] = SameEventModel(pair_model, event_model, json.dumps(fitted))
    return models
