"""Disagreement detection scored on hand-labelled figure pairs from real articles.

The corpus (``facts_pairs.tsv`` beside this module) holds pointers and labels only, never text:
each row names a dataset, two article ids, the exact figure phrase in each article, and whether
a careful reader would say the two sources disagree about one quantity. The sentences are read
from the evaluation data where it lies (``../shared/eval``), parsed, and the pair is scored with
the same ``conflicting`` test the pipeline uses.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..config import FactsSettings
from ..errors import InputError
from ..facts import Claim, analyse_articles, conflicting
from ..model import Article
from .datasets import gva_articles

PAIRS_FILE = "facts_pairs.tsv"
LABELS = ("agree", "disagree")
# dataset name in the corpus -> folder under the evaluation data
_DATASETS = {"gva": "gva-incidents-dev"}


@dataclass(frozen=True)
class FigurePair:
    """One labelled row of the corpus."""

    dataset: str
    article_a: str
    phrase_a: str
    article_b: str
    phrase_b: str
    label: str  # "agree" (no disagreement) or "disagree"
    split: str = "tuning"  # "tuning" (read while writing the rules) or "held-out" (labelled after)
    note: str = ""


@dataclass
class FactsScore:
    """Precision, recall and F1 of "these two figures disagree", over the labelled pairs."""

    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    true_negative: int = 0
    errors: list[tuple[FigurePair, bool]] = field(default_factory=list)  # (pair, predicted) where wrong

    @property
    def pairs(self) -> int:
        return self.true_positive + self.false_positive + self.false_negative + self.true_negative

    @property
    def precision(self) -> float:
        predicted = self.true_positive + self.false_positive
        return self.true_positive / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_positive + self.false_negative
        return self.true_positive / actual if actual else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def default_pairs_path() -> Path:
    return Path(str(resources.files("storyline") / "evaluate" / PAIRS_FILE))


def tsv_rows(path: Path, what: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of a TSV file with a header, ``#`` lines being comments; a file that
    cannot be read is one clear error naming it and ``what`` it should hold."""
    try:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    except OSError as exc:
        raise InputError(str(path), f"cannot read {what} ({exc.__class__.__name__})") from None
    return enumerate(csv.DictReader(lines, delimiter="\t"), 2)


def read_pairs(path: Path) -> list[FigurePair]:
    """The labelled pairs of a corpus file (TSV with a header; ``#`` lines are comments)."""
    pairs = []
    for number, row in tsv_rows(path, "figure pairs"):
        if row.get("label") not in LABELS or row.get("dataset") not in _DATASETS:
            raise InputError(f"{path}:{number}", f"expected a known dataset and a label in {LABELS}")
        pairs.append(
            FigurePair(
                dataset=row["dataset"],
                article_a=row["article_a"],
                phrase_a=row["phrase_a"],
                article_b=row["article_b"],
                phrase_b=row["phrase_b"],
                label=row["label"],
                split=row.get("split") or "tuning",
                note=row.get("note") or "",
            )
        )
    return pairs


def _articles(data: Path, pairs: list[FigurePair]) -> dict[str, Article]:
    wanted = {p.article_a for p in pairs} | {p.article_b for p in pairs}
    found = {}
    for dataset in {p.dataset for p in pairs}:
        folder = data / _DATASETS[dataset]
        found |= {item.article.id: item.article for item in gva_articles(folder) if item.article.id in wanted}
    missing = wanted - found.keys()
    if missing:
        raise InputError(str(data), f"{len(missing)} articles of the corpus not found, e.g. {sorted(missing)[0]}")
    return found


def find_claim(claims: list[Claim], article: Article, phrase: str) -> Claim | None:
    """The figure the corpus points at: in the first sentence holding ``phrase``, the one written there."""
    if phrase not in article.text and phrase not in " ".join(article.text.split()):
        raise InputError(article.id, f"phrase not found: {phrase!r}")
    for claim in claims:
        if phrase in claim.figure.sentence and (claim.figure.text in phrase or phrase in claim.figure.text):
            return claim
    return None  # the pipeline did not read a figure there: it cannot report a disagreement


def evaluate_facts(data: str | Path, settings: FactsSettings, pairs_path: Path | None = None) -> dict[str, FactsScore]:
    """Score ``conflicting`` on the corpus, reading the articles from the evaluation folder ``data``.

    Returns the score over all pairs (``"all"``) and over each split of the corpus.
    """
    pairs = read_pairs(pairs_path or default_pairs_path())
    articles = _articles(Path(data), pairs)
    claims = {found.article_id: list(found.claims) for found in analyse_articles(list(articles.values()), settings)}
    scores: dict[str, FactsScore] = {"all": FactsScore()}
    for pair in pairs:
        a = find_claim(claims[pair.article_a], articles[pair.article_a], pair.phrase_a)
        b = find_claim(claims[pair.article_b], articles[pair.article_b], pair.phrase_b)
        predicted = a is not None and b is not None and conflicting(a, b, settings)
        actual = pair.label == "disagree"
        for score in (scores["all"], scores.setdefault(pair.split, FactsScore())):
            if predicted and actual:
                score.true_positive += 1
            elif predicted:
                score.false_positive += 1
            elif actual:
                score.false_negative += 1
            else:
                score.true_negative += 1
            if predicted != actual:
                score.errors.append((pair, predicted))
    return scores
