"""Which of an event's figures a reader asks for first, and which are trivia.

A reader of a shooting, a siege or a storm asks first how many died or were hurt, then how many
people the happening touched (fled, were evacuated, were arrested), then how often the happening
itself recurred when several reports count it. A count of a thing one report mentions in passing
("two buttons", "90 m.p.h", "two options") is trivia: it is left out of the event's figures.
"""

from __future__ import annotations

from collections.abc import Sequence

from .figures import Claim

# What casualty classes a figure's key ends with (figures.py's comparable classes).
_CASUALTY_CLASSES = ("|killed", "|injured", "|shot")
# Counted nouns (as figures.py keys them, singular) that are people: a count of them is of
# people the happening touched.
PEOPLE_NOUNS = frozenset(
    "people person individual man woman men women child kid boy girl baby infant teen teenager youth "
    "adult student pupil resident civilian victim survivor officer deputy trooper soldier troop fighter "
    "militant jihadist rebel insurgent family household worker employee passenger driver motorist suspect "
    "gunman shooter prisoner inmate detainee hostage refugee migrant patient member citizen voter "
    "firefighter police policeman agent guard casualty dead bystander witness neighbor neighbour "
    "customer spectator protester demonstrator".split()
)


def figure_rank(claim: Claim) -> int:
    """0 for a casualty figure, 1 for a count of people, 2 for any other count."""
    key = claim.figure.key
    if key.endswith(_CASUALTY_CLASSES):
        return 0
    return 1 if key.split("|", 1)[0] in PEOPLE_NOUNS else 2


def ranked_claims(claims: Sequence[Claim]) -> list[Claim]:
    """The claims a reader wants, in the order asked: casualties, people touched, then counts of
    the happening that two or more articles give (same key); the rest (trivia) left out. Within
    a rank the articles' order stands."""
    reporters: dict[str, set[str]] = {}
    for claim in claims:
        reporters.setdefault(claim.figure.key, set()).add(claim.figure.article_id)
    kept = [c for c in claims if figure_rank(c) < 2 or len(reporters[c.figure.key]) >= 2]
    return sorted(kept, key=figure_rank)
