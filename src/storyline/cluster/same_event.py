"""The learned same-event decision: is this article a report of that one, of that event?

Two gradient-boosted tree ensembles (scikit-learn's ``HistGradientBoostingClassifier``, fitted by
``storyline train events`` on the visible evaluation sets, see ``ClusterSettings``):

- the *pair* model scores an article against one earlier article from ``pair_features``: dense
  and TF-IDF cosines, shared distinctive names, ages and figures, the gap in days, same outlet,
  lengths;
- the *event* model scores an article against one event from ``event_features``: how many of
  the event's own members the article matches and how well (its first members above all), how
  large and how old the event is, and how well the article matches other events.

Both ship in ``same_event.npz`` as plain arrays (no pickle), one pair of ensembles for each way of
running: with MiniLM (``minilm``) and without it (``lexical``). Features that cannot be computed
(no dates, no model, no ages) are NaN, which the trees route as they learned to.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..config import ClusterSettings
from .features import ArticleView, NameStatistics, cosines

MODEL_FILE = "same_event.npz"

PAIR_FEATURES = (
    "dense",
    "lexical",
    "lead",
    "name_overlap",
    "name_idf_1",
    "name_idf_2",
    "lead_names",
    "rare_hits",
    "rare_misses",
    "rare_miss_share",
    "ages",
    "figures",
    "log_day_gap",
    "same_outlet",
    "log_min_words",
    "log_max_words",
)
EVENT_FEATURES = (
    "best",
    "second",
    "third",
    "top_mean",
    "matches",
    "log_size",
    "match_share",
    "centroid_dense",
    "log_gap_last",
    "log_gap_first",
    "core_best",
    "log_words",
    "best_elsewhere",
)

MORE_MEANS_SAME = frozenset(
    {"dense", "lexical", "lead", "name_overlap", "name_idf_1", "name_idf_2", "lead_names", "rare_hits", "ages"}
    | {"figures", "best", "second", "third", "top_mean", "matches", "match_share", "centroid_dense", "core_best"}
)
MORE_MEANS_OTHER = frozenset({"rare_misses", "rare_miss_share", "log_day_gap", "log_gap_last", "best_elsewhere"})
"""Features whose score the trees may only follow one way (scikit-learn's ``monotonic_cst``):
without it, trees fitted on headlines (UCI's stories are broad) scored two short reports of
shootings in two towns with two victims 0.98 and two identical reports 0.91."""


def monotonic_constraints(features: Sequence[str]) -> list[int]:
    """``monotonic_cst`` for columns ``features``: +1, -1 or 0 (free) each."""
    return [int(f in MORE_MEANS_SAME) - int(f in MORE_MEANS_OTHER) for f in features]


def _share(a: frozenset[str], b: frozenset[str]) -> float:
    """|a & b| / min(|a|, |b|), NaN when either is empty (nothing to compare)."""
    return len(a & b) / min(len(a), len(b)) if a and b else math.nan


class _ByKey(dict):
    """A value per key, worked out on first reading. Read through ``__getitem__`` (a dictionary's
    own lookup, from C), it costs a tenth of a Python call."""

    def __init__(self, value_of: Callable[[Any], Any]) -> None:
        super().__init__()
        self.value_of = value_of

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.value_of(key)
        return value


class _Comparison:
    """What comparing one new article with its candidates reads of the name statistics, which
    stand still meanwhile. Written for speed: 10,000 articles make about 1.2 million pairs, whose
    names' IDFs were 107 million Python calls. A name's IDF depends only on how many articles
    mention it, so IDFs are kept per count (far fewer counts than names) and names are looked
    up from C (``map`` over dictionary lookups); the sums are the same, added in the same order."""

    def __init__(self, new: ArticleView, names: NameStatistics, settings: ClusterSettings) -> None:
        self.names, self.settings, self.source = names, settings, new.source
        self._count = names.frequency.__getitem__
        self._idf_of_count = _ByKey(names.idf_of_count).__getitem__
        self.distinctive = _ByKey(lambda name: names.is_distinctive(name, settings.rare_name_share))
        self.outlet = self.outlet_names(new.names) if new.source else frozenset()
        self.weight = self.total_idf(new.names)

    def idfs(self, group: frozenset[str]) -> Iterator[float]:
        return map(self._idf_of_count, map(self._count, group))

    def total_idf(self, group: frozenset[str]) -> float:
        return sum(self.idfs(group))

    def outlet_names(self, group: frozenset[str]) -> frozenset[str]:
        s = self.settings
        return self.names.outlet_names(self.source, group, s.outlet_name_share, s.outlet_min_articles)


def pair_features(
    new: ArticleView, olds: Sequence[ArticleView], names: NameStatistics, settings: ClusterSettings
) -> np.ndarray:
    """The pair model's inputs for a new article and each of some earlier ones: one row each,
    columns in ``PAIR_FEATURES`` order."""
    comparison = _Comparison(new, names, settings)
    rows = np.array([_pair_row(new, old, comparison) for old in olds], dtype=np.float64)
    rows = rows.reshape(len(olds), len(PAIR_FEATURES))
    rows[:, PAIR_FEATURES.index("lexical")] = cosines(new.lexical, [old.lexical for old in olds])
    rows[:, PAIR_FEATURES.index("lead")] = cosines(new.lead, [old.lead for old in olds])
    return rows


def _pair_row(new: ArticleView, old: ArticleView, comparison: _Comparison) -> list[float]:
    """Every pair feature but the TF-IDF cosines, which ``pair_features`` fills in for all at once."""
    mine, theirs, my_lead, their_lead = new.names, old.names, new.lead_names, old.lead_names
    my_weight = comparison.weight
    if new.source and new.source == old.source:
        # an outlet's own names (its town, its name) in either article: the same set as the
        # outlet names of the two together, the new article's part found once
        outlet = comparison.outlet | comparison.outlet_names(theirs)
        mine, theirs, my_lead, their_lead = mine - outlet, theirs - outlet, my_lead - outlet, their_lead - outlet
        my_weight = comparison.total_idf(mine)
    shared = mine & theirs
    idfs = [*sorted(comparison.idfs(shared), reverse=True), 0.0, 0.0]
    weight = min(my_weight, comparison.total_idf(theirs))
    distinctive = comparison.distinctive
    my_rare = [n for n in my_lead if distinctive[n]]
    their_rare = [n for n in their_lead if distinctive[n]]
    misses = sum(n not in theirs for n in my_rare) + sum(n not in mine for n in their_rare)
    rare = len(my_rare) + len(their_rare)
    gap = abs(new.day - old.day)
    return [
        float(new.dense @ old.dense) if new.dense is not None and old.dense is not None else math.nan,
        math.nan,  # lexical
        math.nan,  # lead
        sum(idfs[: len(shared)]) / max(weight, 1e-9) if shared else 0.0,
        idfs[0],
        idfs[1],
        len(my_lead & theirs | their_lead & mine) / max(1, min(len(my_lead), len(their_lead))),
        float(rare - misses),
        float(misses),
        misses / rare if rare else math.nan,
        _share(new.ages, old.ages),
        _share(new.figures, old.figures),
        math.log1p(gap),  # NaN when either is undated
        float(new.source == old.source) if new.source and old.source else math.nan,
        math.log1p(min(new.words, old.words)),
        math.log1p(max(new.words, old.words)),
    ]


@dataclass(frozen=True)
class EventState:
    """What the event model reads of a candidate event, apart from the pair scores."""

    size: int
    core: tuple[int, ...]  # rows of its first members: the reports that opened it
    centroid_dense: float  # cosine between the article and the event's mean vector (NaN without it)
    gap_last: float  # days from the event's latest article (NaN when undated)
    gap_first: float  # days from its first article


def event_features(scores: Mapping[int, float], state: EventState, words: int, best_elsewhere: float) -> list[float]:
    """The event model's inputs, in ``EVENT_FEATURES`` order: ``scores`` are the pair scores of
    the article against those members of the event that were candidates (row -> probability);
    members never compared count as no match."""
    ranked = [*sorted(scores.values(), reverse=True), 0.0, 0.0, 0.0]
    matches = sum(score >= 0.5 for score in scores.values())
    return [
        ranked[0],
        ranked[1],
        ranked[2],
        sum(ranked[: min(3, state.size)]) / min(3, state.size),
        float(matches),
        math.log(state.size),
        matches / state.size,
        state.centroid_dense,
        math.log1p(state.gap_last),
        math.log1p(state.gap_first),
        max((scores.get(row, 0.0) for row in state.core), default=0.0),
        math.log1p(words),
        best_elsewhere,
    ]


@dataclass(frozen=True)
class TreeEnsemble:
    """A fitted binary ``HistGradientBoostingClassifier`` as flat node arrays.

    Evaluated here with numpy, level by level over every tree at once: scikit-learn's own
    ``predict_proba`` costs about 35 microseconds per tree per call, and the clusterer calls
    it once per article, which would make the model most of the clustering time.
    """

    roots: np.ndarray  # node index of each tree's root
    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray  # where a NaN goes
    left: np.ndarray  # a leaf points to itself, so rows that reached one stay there
    right: np.ndarray
    value: np.ndarray  # a leaf's contribution to the log-odds
    baseline: float
    depth: int  # steps from every root to its deepest leaf

    @classmethod
    def from_sklearn(cls, model) -> TreeEnsemble:
        nodes = [tree.nodes for iteration in model._predictors for tree in iteration]
        sizes = np.array([len(n) for n in nodes])
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        flat = np.concatenate(nodes)
        shift = np.repeat(offsets, sizes)
        leaf = flat["is_leaf"].astype(bool)
        itself = np.arange(len(flat))
        return cls(
            roots=offsets.astype(np.int64),
            feature=flat["feature_idx"].astype(np.int64),
            threshold=flat["num_threshold"].astype(np.float64),
            missing_left=flat["missing_go_to_left"].astype(bool),
            left=np.where(leaf, itself, flat["left"].astype(np.int64) + shift),
            right=np.where(leaf, itself, flat["right"].astype(np.int64) + shift),
            value=np.where(leaf, flat["value"], 0.0).astype(np.float64),
            baseline=float(np.ravel(model._baseline_prediction)[0]),
            depth=int(flat["depth"].max()),
        )

    def predict_proba(self, rows: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        """The probability of the positive class for each row (NaN = missing)."""
        x = np.asarray(rows, dtype=np.float64)
        if not len(x):
            return np.zeros(0)
        nodes = np.broadcast_to(self.roots, (len(x), len(self.roots))).copy()
        row_index = np.arange(len(x))[:, None]
        for _ in range(self.depth):
            values = x[row_index, self.feature[nodes]]
            go_left = np.where(np.isnan(values), self.missing_left[nodes], values <= self.threshold[nodes])
            nodes = np.where(go_left, self.left[nodes], self.right[nodes])
        raw = self.baseline + self.value[nodes].sum(axis=1)
        return 1.0 / (1.0 + np.exp(-raw))

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}.{name}": np.asarray(getattr(self, name)) for name in self.__dataclass_fields__}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> TreeEnsemble:
        values = {name: arrays[f"{prefix}.{name}"] for name in cls.__dataclass_fields__}
        return cls(**{**values, "baseline": float(values["baseline"]), "depth": int(values["depth"])})


@dataclass(frozen=True)
class SameEventModel:
    """The pair and event ensembles for one way of running (``minilm`` or ``lexical``)."""

    pairs: TreeEnsemble
    events: TreeEnsemble
    fitted: str  # how the model was fitted: data, splits, figures (JSON)


def model_kind(uses_embeddings: bool) -> str:
    return "minilm" if uses_embeddings else "lexical"


def save_models(path: Path, models: Mapping[str, SameEventModel]) -> None:
    """Write every kind's ensembles to one ``.npz`` of plain arrays."""
    arrays: dict[str, np.ndarray] = {}
    for kind, model in models.items():
        arrays |= model.pairs.arrays(f"{kind}.pairs") | model.events.arrays(f"{kind}.events")
        arrays[f"{kind}.fitted"] = np.array(model.fitted)
        arrays[f"{kind}.pair_features"] = np.array(PAIR_FEATURES)
        arrays[f"{kind}.event_features"] = np.array(EVENT_FEATURES)
    np.savez_compressed(path, **arrays)


@cache
def load_model(kind: str, path: str = "") -> SameEventModel:
    """The shipped model of ``kind`` (or the one in ``path``), loaded once per process.

    A file written for other features than this code computes is refused: the trees would read
    the wrong columns.
    """
    source = Path(path) if path else resources.files("storyline") / "cluster" / MODEL_FILE
    with np.load(str(source), allow_pickle=False) as stored:
        arrays = dict(stored)
    if (
        tuple(arrays[f"{kind}.pair_features"]) != PAIR_FEATURES
        or tuple(arrays[f"{kind}.event_features"]) != EVENT_FEATURES
    ):
        raise ValueError(f"{source}: the model was fitted on other features; run `storyline train events`")
    return SameEventModel(
        pairs=TreeEnsemble.from_arrays(arrays, f"{kind}.pairs"),
        events=TreeEnsemble.from_arrays(arrays, f"{kind}.events"),
        fitted=str(arrays[f"{kind}.fitted"]),
    )


def fitted_summary(model: SameEventModel) -> dict:
    return json.loads(model.fitted)
