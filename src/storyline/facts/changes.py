"""What moved with an update: quantities whose value in a new article differs from the earlier one.

Figures are matched as the disagreement finder matches them: the same ``Figure.key``, a quantity
sources can be held to, sentences that share most of their content words (so the 16 killed in one
attack and the 12 of another stay apart), and values compared by the intervals their qualifiers
allow, so "about 90" after "90" is no change. Time is no reason for silence here: a toll that rose
between two reports is exactly what an update should say.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from ..config import FactsSettings
from ..model import Figure, FigureChange
from .disagreements import COMPARABLE_PREDICATES, context_overlap
from .figures import figure_bounds

_WORD = re.compile(r"[^\W\d_]{3,}")


def figure_changes(
    before: Sequence[Figure],
    after: Sequence[Figure],
    new_articles: Collection[str],
    settings: FactsSettings = FactsSettings(),
) -> list[FigureChange]:
    """The figures of ``after`` stated in one of ``new_articles`` (ids) whose value no earlier
    figure of the same quantity about the same thing in ``before`` allows, each with the latest
    such earlier figure; one change per quantity and new value, in the order of ``after``."""
    earlier: dict[str, list[Figure]] = {}
    for figure in before:
        if figure.article_id not in new_articles and _comparable(figure):
            earlier.setdefault(figure.key, []).append(figure)
    changes: list[FigureChange] = []
    reported: set[tuple[str, float]] = set()
    for figure in after:
        if figure.article_id not in new_articles or not _comparable(figure):
            continue
        words = _context(figure.sentence)
        known = [
            k
            for k in earlier.get(figure.key, ())
            if context_overlap(words, _context(k.sentence)) >= settings.min_context_overlap
        ]
        if not known:
            continue
        if (figure.key, figure.value) in reported or any(_compatible(figure, k, settings) for k in known):
            continue
        reported.add((figure.key, figure.value))
        changes.append(FigureChange(quantity=figure.counts, before=_latest(known), after=figure))
    return changes


def _comparable(figure: Figure) -> bool:
    """A definite figure of a quantity that sources can be held to (a toll, arrests, people moved)."""
    return figure.qualifier != "vague" and figure.key.split("|", 1)[-1] in COMPARABLE_PREDICATES


def _context(sentence: str) -> frozenset[str]:
    """The sentence's content words. A stored Figure keeps its sentence but not spaCy's lemmas,
    so words stand in for them: "died on the way to the camp" and "have died en route to the camp"
    still share theirs."""
    return frozenset(w for w in _WORD.findall(sentence.lower()) if w not in ENGLISH_STOP_WORDS)


def _compatible(a: Figure, b: Figure, settings: FactsSettings) -> bool:
    """Whether some reading of both figures' qualifiers gives them one value."""
    a_low, a_high = figure_bounds(a, settings.about_tolerance)
    b_low, b_high = figure_bounds(b, settings.about_tolerance)
    return not (a_high < b_low or b_high < a_low)


def _latest(figures: Sequence[Figure]) -> Figure:
    """The figure a reader saw last: the latest published, else the last given."""
    dated = [f for f in figures if f.published]
    return max(dated, key=lambda f: f.published) if dated else figures[-1]
