"""The wounded, where reports count the people shot rather than those hurt.

A local report often gives its toll as "4 Shot, 1 Dead" or "Four people were shot" and never
says how many were wounded, the number a reader asks for beside the dead. Two readings give it,
each kept to what the words allow (storyline's own rule: no library derives a toll):

- one sentence that counts both those shot and those killed ("Four shot, one dead"): the
  wounded are the difference; those shot "besides" ("1 killed, 6 others shot") are all wounded;
- an event whose reports name no one killed or hurt, only people shot: those shot are the
  wounded, at the count most of its reports give.

A derived figure reads "3 people wounded" and cites the sentence it comes from, where a reader
sees what it was derived from; it is never compared as a disagreement (``partial``), since its
reports did not state it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from .figures import Claim, figure_bounds
from .ranking import figure_rank

_SHOT, _KILLED, _INJURED = "shot", "killed", "injured"


def _outcome(claim: Claim) -> str:
    return claim.figure.key.rpartition("|")[2]


def _as_wounded(shot: Claim, value: float, written: str, tolerance: float, who: str = "people") -> Claim:
    figure = replace(
        shot.figure, value=value, qualifier="exactly", counts=f"{who} wounded", text=written, key="people|injured"
    )
    low, high = figure_bounds(figure, tolerance)
    return replace(shot, figure=figure, low=low, high=high, vague=False, partial=True)


def sentence_wounded(claims: Sequence[Claim], tolerance: float) -> list[Claim]:
    """The wounded one sentence's claims imply: none where it counts the wounded itself, or
    where it does not give exactly one exact count of those shot and one of those killed."""
    by_outcome: dict[str, list[Claim]] = {}
    for claim in claims:
        by_outcome.setdefault(_outcome(claim), []).append(claim)
    shot, killed = by_outcome.get(_SHOT, []), by_outcome.get(_KILLED, [])
    if _INJURED in by_outcome or len(shot) != 1 or len(killed) != 1:
        return []
    (total,), (dead,) = shot, killed
    if total.figure.qualifier != "exactly" or dead.figure.qualifier != "exactly" or dead.vague:
        return []
    # "1 killed, 6 others shot": the others are besides the dead; "4 shot, 1 dead" holds them
    others = total.partial and not dead.partial
    wounded = total.figure.value if others else total.figure.value - dead.figure.value
    if wounded <= 0:
        return []
    return [_as_wounded(total, wounded, f"{wounded:g}", tolerance)]


def event_wounded(claims: Sequence[Claim], tolerance: float) -> list[Claim]:
    """Those shot as the wounded, where no claim of the event counts anyone killed or hurt (a
    thing counted is no one): the claims of the count most articles give (the first on a tie)."""
    # a thing counted ("the shooting that left five people hurt" read as one shooting) names no one
    if any(_outcome(c) in (_KILLED, _INJURED) and figure_rank(c) < 2 for c in claims):
        return []
    shot = [c for c in claims if _outcome(c) == _SHOT and not c.vague and not c.partial]
    reporters: Counter[float] = Counter()
    for value, _ in dict.fromkeys((c.figure.value, c.figure.article_id) for c in shot):
        reporters[value] += 1
    if not reporters:
        return []
    value = reporters.most_common(1)[0][0]
    # "Four men shot": four men wounded, as written
    return [
        _as_wounded(c, value, c.figure.text, tolerance, " ".join(c.figure.counts.split()[:-1]) or "people")
        for c in shot
        if c.figure.value == value
    ]
