"""An event's timeline: when each report appeared, and the dates its sentences name.

A relative date ("on Tuesday", "in December", "yesterday") is resolved against the article's
publication date: the latest such day up to it, or, in a sentence about what is to come ("is due
in court Oct. 22", "the funeral is planned for Friday"), the first one after it. An undated
article contributes only dates that carry their own year, so no date is ever invented.

Precision first: spaCy calls many four-digit numbers dates, and a house number ("1917 Prospect
Ave."), a route, a count or a model year read as a year would stretch a 2013 shooting's timeline
back to 1917. A bare number is taken for a year only where a year goes: after "in", "since",
"from" and the like, or in a list of years ("in 2007, 2008 and 2012").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from ..model import Article, TimelineEntry

_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = [
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december",
]  # fmt: skip
_MONTH_ABBREVIATIONS = {m[:3]: i + 1 for i, m in enumerate(_MONTHS)} | {"sept": 9}
_MONTH = r"(?P<month>" + "|".join(_MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_FULL_DATE = [
    re.compile(rf"^{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?$"),
    re.compile(rf"^{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?$"),
    re.compile(r"^(?P<year>(?:19|20)\d\d)-(?P<mnum>\d\d)-(?P<day>\d\d)$"),
]
_MONTH_NAME = re.compile(_MONTH, re.I)
_MONTH_ONLY = re.compile(rf"^(?:early|mid|late|last|this|mid-)?\s*{_MONTH}(?:\s+{_YEAR})?$")
_YEAR_ONLY = re.compile(r"^(?:in\s+)?(?:early|late|mid-?)?\s*(?P<year>(?:19|20)\d\d)$")
_WEEKDAY = re.compile(r"^(?:on\s+|last\s+|this\s+|early\s+|late\s+)?(?P<weekday>" + "|".join(_WEEKDAYS) + r")\b")
# "Wednesday, July 22": the weekday says which year's July 22 is meant.
_WEEKDAY_AND_DATE = re.compile(r"^(?P<weekday>" + "|".join(_WEEKDAYS) + r"),?\s+(?P<date>.+)$")
_RELATIVE_DAYS = {
    "today": 0, "tonight": 0, "this morning": 0, "this afternoon": 0, "yesterday": -1, "tomorrow": 1,
}  # fmt: skip
_BARE_YEAR = re.compile(r"(?:19|20)\d\d")
# Words after which a bare four-digit number is a year ("in 1996", "from 2003 to 2006").
_BEFORE_A_YEAR = frozenset("in since by until till from during before after through between to early late mid".split())
_LIST_OF_YEARS = frozenset({",", "and", "or", "-", "–"})
# What a sentence about the days to come says: its weekdays and months lie ahead of the report
# ("is due in court Oct. 22", "the show, which starts Friday, ends May 2").
_WHAT_IS_TO_COME = re.compile(
    r"\b(?:will|won['’]t|shall|must|plans?|planned|scheduled|is set|are set|set for|due|faces|facing|upcoming|"
    r"tomorrow|pending|starts|begins|opens|ends|closes|next (?:week|month|year|weekend|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
    re.I,
)
# A sentence that only guesses at what may come: its day or month could lie on either side.
_WHAT_MAY_COME = re.compile(r"\b(?:would|could|might|expects?|expected|hopes?|hoped|likely)\b", re.I)
_LEADING = re.compile(r"^(?:on|in|since|by|until|from|during|the)\s+")


def resolve_date(expression: str, anchor: datetime | None, ahead: bool = False) -> tuple[datetime, str] | None:
    """A date expression as (date, resolution: "day" | "month" | "year"), or None if it cannot be placed.

    ``anchor`` is the publication date of the article the expression appears in; ``ahead`` says
    the expression is about what is to come (the next such day or month after ``anchor``, not
    the latest before it).
    """
    text = _LEADING.sub("", " ".join(expression.lower().replace(",", ", ").split()).replace(" ,", ","))
    text = text.replace(" ,", ",").strip(" .,")
    named = _WEEKDAY_AND_DATE.match(text)
    if named and any(p.match(named.group("date")) for p in _FULL_DATE):
        return _on_weekday(named.group("date"), _WEEKDAYS.index(named.group("weekday")), anchor)
    for pattern in _FULL_DATE:
        match = pattern.match(text)
        if match:
            parts = match.groupdict()
            month = int(parts["mnum"]) if parts.get("mnum") else _month_number(parts["month"])
            day_of_month = int(parts["day"])
            year = int(parts["year"]) if parts.get("year") else _year_for(month, day_of_month, anchor, ahead)
            if year is None:
                return None
            try:
                return datetime(year, month, day_of_month), "day"
            except ValueError:
                return None
    match = _MONTH_ONLY.match(text)
    if match:
        month = _month_number(match.group("month"))
        year = int(match.group("year")) if match.group("year") else _year_for(month, 0, anchor, ahead)
        return (datetime(year, month, 1), "month") if year else None
    match = _YEAR_ONLY.match(text)
    if match:
        return datetime(int(match.group("year")), 1, 1), "year"
    if anchor is None:
        return None
    day = anchor.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    match = _WEEKDAY.match(text)
    if match:
        # news reports the recent past: "on Tuesday" is the latest Tuesday up to the publication
        # day; what is to come is the next Tuesday after it
        weekday = _WEEKDAYS.index(match.group("weekday"))
        if ahead:
            # the publication's own weekday could be that very day or a week on: not said
            return _days_before(day, -((weekday - day.weekday()) % 7)) if weekday != day.weekday() else None
        return _days_before(day, (day.weekday() - weekday) % 7)
    for phrase, offset in _RELATIVE_DAYS.items():
        if text == phrase or text.startswith(phrase + " "):
            return _days_before(day, -offset)
    return None


def _on_weekday(date: str, weekday: int, anchor: datetime | None) -> tuple[datetime, str] | None:
    """A day and month that a weekday goes with ("Wednesday, July 22"): the year, if not given,
    is the one (before or after the publication) in which that day is that weekday."""
    candidates = {resolve_date(date, anchor, ahead) for ahead in (False, True)} - {None}
    if len(candidates) == 1 and _BARE_YEAR.search(date):
        return candidates.pop()  # the year is written: the weekday adds nothing
    fitting = [c for c in candidates if c[0].weekday() == weekday]
    return fitting[0] if len(fitting) == 1 else None


def _days_before(day: datetime, days: int) -> tuple[datetime, str] | None:
    # A publication date at the very start of the calendar (a bad feed's "0001-01-01") has no day before it.
    try:
        return day - timedelta(days=days), "day"
    except OverflowError:
        return None


def _month_number(name: str) -> int:
    name = name.lower().rstrip(".")
    return (
        _MONTHS.index(name) + 1 if name in _MONTHS else _MONTH_ABBREVIATIONS[name[:4] if name == "sept" else name[:3]]
    )


def _year_for(month: int, day: int, anchor: datetime | None, ahead: bool) -> int | None:
    """The year of a month (and day, 0 for none) named without one: the latest such up to the
    publication date, or with ``ahead`` the first on or after it."""
    if anchor is None:
        return None
    if ahead:
        return anchor.year if (month, day) >= (anchor.month, day and anchor.day) else anchor.year + 1
    return anchor.year if (month, day) <= (anchor.month, day and anchor.day) else anchor.year - 1


def publication_entries(articles: Sequence[Article]) -> list[TimelineEntry]:
    """One entry per dated article: when each report appeared and its title."""
    return [
        TimelineEntry(date=a.published, text=a.title or a.text.split("\n", 1)[0], article_id=a.id)
        for a in articles
        if a.published
    ]


def mentioned_entries(article: Article, docs, max_chars: int) -> list[TimelineEntry]:
    """One entry per distinct date the article's sentences name (title excluded)."""
    entries = []
    for doc in docs:
        seen = set()
        ahead = bool(_WHAT_IS_TO_COME.search(doc.text))
        unsure = not ahead and bool(_WHAT_MAY_COME.search(doc.text))
        for expression in _date_expressions(doc):
            resolved = resolve_date(expression, article.published, ahead)
            if resolved and unsure and not _BARE_YEAR.search(expression):
                continue  # "a decision sometime in June", guessed: which June is not said
            if resolved is None or resolved in seen:
                continue
            seen.add(resolved)
            text = doc.text if len(doc.text) <= max_chars else doc.text[: max_chars - 1].rstrip() + "…"
            entries.append(TimelineEntry(date=resolved[0], text=text, article_id=article.id, resolution=resolved[1]))
    return entries


def _date_expressions(doc) -> list[str]:
    """The texts of the sentence's DATE entities that name a date, a weekday joined to the date
    that follows it when spaCy cut them apart ("Wednesday" ", " "July 22")."""
    entities = [e for e in doc.ents if e.label_ == "DATE" and _names_a_date(e)]
    expressions, skip = [], False
    for ent, following in zip(entities, [*entities[1:], None], strict=False):
        if skip:
            skip = False
            continue
        between = ent.doc[ent.end : following.start].text.strip() if following is not None else "-"
        if between in ("", ",") and ent.text.lower() in _WEEKDAYS and _MONTH_NAME.match(following.text):
            expressions.append(f"{ent.text}, {following.text}")
            skip = True
        else:
            expressions.append(ent.text)
    return expressions


def _names_a_date(ent) -> bool:
    """Whether a DATE entity names a date at all: not a bare number outside a year's place, not a
    word in capitals (a transcript's "MAY" is the verb), not "today's" (nowadays)."""
    text = ent.text.strip()
    if _BARE_YEAR.fullmatch(text):
        return _where_a_year_goes(ent)
    return not text.isupper() and not text.lower().startswith("today's")


def _where_a_year_goes(ent) -> bool:
    """Whether a bare four-digit number (a spaCy ``Span``) stands where a year goes: after "in",
    "since", "from to"..., or after another such year in a list."""
    doc, i = ent.doc, ent.start - 1
    while i >= 0 and doc[i].text in _LIST_OF_YEARS:
        i -= 1
    if i < 0:
        return False
    before = doc[i]
    listed = i < ent.start - 1 and bool(_BARE_YEAR.fullmatch(before.text))
    return before.lower_ in _BEFORE_A_YEAR or (listed and _where_a_year_goes(doc[i : i + 1]))


def sort_timeline(entries: Sequence[TimelineEntry], limit: int) -> list[TimelineEntry]:
    """Oldest first, each (date, text) once, at most ``limit`` entries (the earliest kept)."""
    unique = {}
    for entry in entries:
        unique.setdefault((_naive(entry.date).date(), entry.text), entry)
    ordered = sorted(unique.values(), key=lambda e: (_naive(e.date), e.resolution != "day", e.article_id, e.text))
    return ordered[:limit]


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None)
