"""Where sources disagree: two articles, the same quantity about the same thing, incompatible values.

Precision comes first (a false disagreement misleads a reader more than a missed one helps), so
every test below is a reason to stay silent: different quantity, vague amount, different time,
different context, or values that some reading of their qualifiers reconciles.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ..config import FactsSettings
from ..model import Disagreement
from .figures import Claim

# Quantities two sources can be held to: casualties, arrests, people moved or trapped, ages.
# Other verbs ("were taken to", "there were") count things whose scope differs between reports.
COMPARABLE_PREDICATES = frozenset(
    {"killed", "injured", "shot", "arrested", "evacuated", "left", "trapped", "displaced"}
)


def context_overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Share of the smaller sentence's content words that the other sentence also has."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _hours_apart(a: datetime | None, b: datetime | None) -> float:
    if a is None or b is None:
        return 0.0  # undated: nothing says they describe different times
    if (a.tzinfo is None) != (b.tzinfo is None):
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    return abs((a - b).total_seconds()) / 3600


def conflicting(a: Claim, b: Claim, settings: FactsSettings) -> bool:
    """True when ``a`` and ``b`` are two sources' incompatible values for one quantity."""
    fa, fb = a.figure, b.figure
    if fa.article_id == fb.article_id or fa.key != fb.key or a.vague or b.vague or a.partial or b.partial:
        return False
    noun, predicate = fa.key.split("|", 1)
    hours = _hours_apart(fa.published, fb.published)
    if noun == "age":
        # an age moves by a year per year between the reports, plus a birthday in between
        allowed = 0 if hours < 24 else 1 + int(hours // (24 * 365.25))
        return abs(fa.value - fb.value) > allowed
    if predicate not in COMPARABLE_PREDICATES or hours > settings.max_report_gap_hours:
        return False  # a later report may simply be newer news (a toll that rose)
    if a.dates and b.dates and not (a.dates & b.dates):
        return False  # each sentence dates its figure, differently: different times
    if a.places and b.places and not (a.places & b.places):
        return False  # each sentence places its figure, differently: different scenes or events
    if context_overlap(a.context, b.context) < settings.min_context_overlap:
        return False
    return a.high < b.low or b.high < a.low


def find_disagreements(claims: Sequence[Claim], settings: FactsSettings) -> list[Disagreement]:
    """Each pair of articles' conflicting figures, once, in order of first appearance."""
    found = []
    seen: set[tuple[str, str, str, float, float]] = set()
    for i, a in enumerate(claims):
        for b in claims[i + 1 :]:
            if not conflicting(a, b, settings):
                continue
            first, second = sorted((a.figure, b.figure), key=lambda f: f.article_id)
            pair = (first.key, first.article_id, second.article_id, first.value, second.value)
            if pair in seen:
                continue
            seen.add(pair)
            found.append(Disagreement(quantity=a.figure.counts, figures=(a.figure, b.figure)))
            if len(found) >= settings.max_disagreements:
                return found
    return found
