"""Casualty counts a headline states: "4 Shot, 2 Killed In South Memphis", "1 dead, 4 hurt in
Vallejo shooting", "Gunman Killing 1 Officer, Wounding 2".

A headline is where a local report puts its toll, often nowhere else in so many words; but it is
written in title case and without verbs, and spaCy's parse of it is not to be trusted
(``figures._shouted``). Its casualty counts follow a handful of set forms, read here by pattern
(written by hand: no library reads headline tolls).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .figures import Claim, parse_number, qualifier_meaning
from .ranking import PEOPLE_NOUNS

_NUMBER = (
    r"\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty"
)
# Words that may stand between the number and the outcome: who was counted ("4 Women Shot",
# "7 victims injured"), never a preposition (that starts another phrase: "6 at party shot").
_WHO = r"(?:(?!(?:in|at|on|after|during|near|outside|inside|from|by|of|and|for)\b)[A-Za-z]+\s+){0,2}?"
_OUTCOMES = {
    "killed": "killed", "dead": "killed", "die": "killed", "dies": "killed", "died": "killed",
    "slain": "killed", "shot dead": "killed", "shot to death": "killed", "shot and killed": "killed",
    "fatally shot": "killed", "wounded": "injured", "injured": "injured", "hurt": "injured",
    "critically injured": "injured", "critically wounded": "injured", "seriously injured": "injured",
    "shot and wounded": "injured", "shot": "shot",
}  # fmt: skip
_OUTCOME = "|".join(sorted((re.escape(o) for o in _OUTCOMES), key=len, reverse=True))
# "4 Shot", "Five people shot", "2 Killed", "1 dead", "5 More Wounded", "About 19 wounded".
_COUNTED = re.compile(
    rf"(?<![\w$-])(?P<qualifier>about|nearly|at least|more than|over)?\s*(?P<number>{_NUMBER})(?![\w-])\s+"
    rf"(?P<who>{_WHO})(?P<outcome>{_OUTCOME})\b",
    re.IGNORECASE,
)
# "Killing 1 Officer, Wounding 2", "Kills Six People".
_DONE_TO = re.compile(
    rf"\b(?P<verb>kill(?:s|ing)?|wound(?:s|ing)?|injur(?:es|ing))\s+(?P<number>{_NUMBER})(?![\w-])"
    r"(?:\s+(?P<who>[A-Za-z]+))?",
    re.IGNORECASE,
)
_VERB_OUTCOME = {"kill": "killed", "woun": "injured", "inju": "injured"}
_PART = frozenset({"other", "others", "more"})
_SINGULAR = {"people": "people", "men": "man", "women": "woman", "children": "child", "persons": "people"}

ClaimMaker = Callable[..., Claim]


def headline_claims(title: str, make: ClaimMaker) -> list[Claim]:
    """The casualty counts of a headline, each made by ``make(value, qualifier, counts, key,
    written, partial)`` (a ``figures._Sentence.claim`` of the title)."""
    found: list[Claim] = []
    for match in _COUNTED.finditer(title):
        who = match.group("who").split()
        noun = _noun(who[-1]) if who else "people"
        if noun is None:
            continue
        said = " ".join(match.group("outcome").lower().split())  # as written: "critically injured"
        outcome = _OUTCOMES[said]
        qualifier = qualifier_meaning(match.group("qualifier") or "")
        partial = any(w.lower() in _PART for w in who)
        value = parse_number(match.group("number"))
        # shown as a phrase: "About 19" and "people injured" read "About 19 people injured"
        written = " ".join(w for w in (match.group("qualifier"), match.group("number")) if w)
        counts = f"{' '.join(who) or _anyone(value)} {said}"
        found.append(make(value, qualifier, counts, f"{noun}|{outcome}", written, partial))
    for match in _DONE_TO.finditer(title):
        noun = _noun(match.group("who")) if match.group("who") else None
        who = match.group("who") if noun else None
        noun = noun or "people"
        outcome = _VERB_OUTCOME[match.group("verb").lower()[:4]]
        value = parse_number(match.group("number"))
        counts = f"{who or _anyone(value)} {'killed' if outcome == 'killed' else 'wounded'}"
        found.append(make(value, "exactly", counts, f"{noun}|{outcome}", match.group("number"), False))
    return found


def _anyone(value: float | None) -> str:
    """Who a bare count counts: "1 dead" is one person, "4 shot" four people."""
    return "person" if value == 1 else "people"


def _noun(word: str) -> str | None:
    """The singular of a counted word if it names people ("Women" -> woman), else None: "27 Shots
    Fired" and "3 Pit Bulls Shot" are no toll."""
    lower = word.lower()
    singular = _SINGULAR.get(lower, lower[:-1] if lower.endswith("s") and not lower.endswith("ss") else lower)
    if singular in ("other", "more"):
        return "people"
    return singular if singular in PEOPLE_NOUNS else None
