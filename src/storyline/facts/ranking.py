"""Which of an event's figures a reader asks for first, and which are trivia.

A reader of a shooting, a siege or a storm asks first how many died or were hurt, then how many
people the happening touched (fled, were evacuated, were arrested), then how often the happening
itself recurred when several reports count it. A count of a thing one report mentions in passing
("two buttons", "90 m.p.h", "two options") is trivia: it is left out of the event's figures.

Where reports agree on a toll (two or more articles give the number), a casualty count that one
report alone gives ("two of the men", "four children", another shooting's dead) is left out of
the figures: what the reader asks is the toll, and a one-off number that contradicts it is still
flagged among the disagreements, which read every claim. A newest report's higher toll stays:
tolls rise as the wounded die.
"""

from __future__ import annotations

from collections.abc import Sequence

from .figures import CASUALTY_KEYS, Claim

# Counted nouns (as figures.py keys them, singular) that are people: a count of them is of
# people the happening touched.
PEOPLE_NOUNS = frozenset(
    "people person individual man woman men women child kid boy girl baby infant teen teenager youth "
    "adult student pupil resident civilian victim survivor officer deputy trooper soldier troop fighter "
    "militant jihadist rebel insurgent family household worker employee passenger driver motorist suspect "
    "gunman shooter prisoner inmate detainee hostage refugee migrant patient member citizen voter "
    "firefighter police policeman agent guard casualty dead bystander witness neighbor neighbour "
    "customer spectator protester demonstrator partygoer musician relative sibling classmate friend".split()
)


# Counted nouns that are things, not people: "One shooting was fatal", "three counts of murder",
# "two counties", "the house where they were killed" read with a casualty verb are no toll.
_THINGS = frozenset(
    "shooting incident attack county counties co count charge bullet round shot photo image share life knee "
    "wound house home building village town city river scene school car vehicle gun weapon punch".split()
)


def figure_rank(claim: Claim) -> int:
    """0 for a casualty figure, 1 for a count of people, 2 for any other count (a casualty verb
    with a thing counted is one)."""
    key = claim.figure.key
    noun = key.split("|", 1)[0]
    if key.endswith(CASUALTY_KEYS):
        return 2 if noun in _THINGS else 0
    return 1 if noun in PEOPLE_NOUNS else 2


def ranked_claims(claims: Sequence[Claim]) -> list[Claim]:
    """The claims a reader wants, in the order asked: casualties (``agreed_tolls``), people
    touched, then counts of the happening that two or more articles give (same key); the rest
    (trivia) left out. Within a rank the articles' order stands."""
    reporters: dict[str, set[str]] = {}
    for claim in claims:
        reporters.setdefault(claim.figure.key, set()).add(claim.figure.article_id)
    kept = [c for c in agreed_tolls(claims) if figure_rank(c) < 2 or len(reporters[c.figure.key]) >= 2]
    return sorted(kept, key=figure_rank)


def agreed_tolls(claims: Sequence[Claim]) -> list[Claim]:
    """The claims without the casualty counts one report alone gives where two or more agree on
    another (per class: killed, injured, shot), keeping the newest report's higher toll."""
    kept_values = {outcome: _toll_values(claims, outcome) for outcome in CASUALTY_KEYS}
    return [
        c
        for c in claims
        if not (outcome := _casualty_class(c)) or kept_values[outcome] is None or c.figure.value in kept_values[outcome]
    ]


def _casualty_class(claim: Claim) -> str:
    return next((outcome for outcome in CASUALTY_KEYS if claim.figure.key.endswith(outcome)), "")


def _toll_values(claims: Sequence[Claim], outcome: str) -> set[float] | None:
    """The values of one casualty class that two or more articles give, with a higher one of the
    newest report; None when no value is so agreed (then every value stands)."""
    stated = [c for c in claims if c.figure.key.endswith(outcome) and not c.vague and figure_rank(c) == 0]
    articles: dict[float, set[str]] = {}
    for claim in stated:
        articles.setdefault(claim.figure.value, set()).add(claim.figure.article_id)
    agreed = {value for value, told in articles.items() if len(told) >= 2}
    if not agreed:
        return None
    exact = [c for c in stated if not c.partial and c.figure.qualifier == "exactly" and c.figure.published]
    newest = max((c.figure.published for c in exact), default=None)
    rising = {c.figure.value for c in exact if c.figure.published == newest and c.figure.value > max(agreed)}
    return agreed | rising
