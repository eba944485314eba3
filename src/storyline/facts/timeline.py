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
_BETWEEN_MONTHS = frozenset({",", "and", "or", "-", "–", "to", "through", "in", "of"})
# What a sentence about the days to come says: its weekdays and months lie ahead of the report
# ("is due in court Oct. 22", "the show, which starts Friday, ends May 2").
_WHAT_IS_TO_COME = re.compile(
    r"\b(?:will|won['’]t|shall|must|plans?|planned|scheduled|is set|are set|set for|due|faces|facing|upcoming|"
    r"tomorrow|pending|starts|begins|opens|ends|closes|next (?i:week|month|year|weekend|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b"
)  # in lower case, matched with the sentence's first letter lowered: "Will Campbell" is a name
# A sentence that only guesses at what may come: its day or month could lie on either side.
_WHAT_MAY_COME = re.compile(r"\b(?:would|could|might|expects?|expected|hopes?|hoped|likely)\b")
# A photo caption of a gallery ("Image 6 of 11 ... arrested on Friday"): galleries repeat old
# captions under a new date, so only a date with its year is taken from one.
_CAPTION = re.compile(r"^(?:Image|Photo) \d+ of \d+\b")
# A sentence that tells what happened (a verb in the past): its "Monday" or "today" is a day that
# was, not a custom ("visitation is Friday evening") or nowadays ("can today choose").
_WHAT_HAPPENED = re.compile(
    r"\b(?:was|were|had|did|has been|have been|said|told|[a-z]{2,}ed|shot|found|left|took|came|went|ran|"
    r"began|got|gave|made|held|saw|heard|fled|led|fell|hit|struck|caught|brought|sent|spent|won|lost|met|"
    r"paid|put|set|sold|stood|threw|wrote|broke|drove|rose|spoke|stole|flew|knew|grew|drew|stuck|felt|built)\b",
    re.I,
)
# Verbs of a report: "..., an official said Wednesday" dates the saying, in the past, however
# much the sentence speaks of what is to come.
_REPORTED = frozenset("said says told announced reported stated added confirmed declared warned".split())
# What may follow the month May; any other lower-case word makes it the verb ("May improve").
_AFTER_THE_MONTH_MAY = frozenset("and or to through until till of in when after before last this next".split())
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


def mentioned_entries(article: Article, docs, max_chars: int, recent_months: int) -> list[TimelineEntry]:
    """One entry per distinct date the article's sentences name (title excluded), when the
    sentence places it surely (see ``_placed_surely``; ``recent_months`` bounds a past month
    or day named without its year)."""
    entries = []
    for doc in docs:
        seen = set()
        sentence = doc.text  # once: a parsed ``Doc`` joins its text anew from its tokens on each access
        lowered = sentence[:1].lower() + sentence[1:]
        ahead = bool(_WHAT_IS_TO_COME.search(lowered))
        tense = "ahead" if ahead else "unsure" if _WHAT_MAY_COME.search(lowered) else "past"
        caption = bool(_CAPTION.match(sentence))
        told = bool(_WHAT_HAPPENED.search(sentence))
        for expression, reported in _date_expressions(doc, sentence):
            if caption and not _BARE_YEAR.search(expression):
                continue
            said = "past" if reported else tense
            resolved = resolve_date(expression, article.published, said == "ahead")
            if resolved is None or resolved in seen:
                continue
            if not _placed_surely(expression, resolved[0], article.published, said, told, recent_months):
                continue
            seen.add(resolved)
            text = sentence if len(sentence) <= max_chars else sentence[: max_chars - 1].rstrip() + "…"
            entries.append(TimelineEntry(date=resolved[0], text=text, article_id=article.id, resolution=resolved[1]))
    return entries


def _placed_surely(
    expression: str, date: datetime, anchor: datetime | None, tense: str, told: bool, recent_months: int
) -> bool:
    """Whether a resolved date expression is placed beyond doubt. A written year places itself;
    a sentence that only guesses at what may come ("could come in March") places nothing else;
    what is to come is placed after the report. Otherwise a weekday or "today" counts only in a
    sentence that tells what happened, and a month or day named without its year only within
    ``recent_months`` months before the report (or after "last"): "the May 19 opening" of a film
    published in April is this year's, not last year's, though nothing in it says so."""
    text = expression.lower()
    if _BARE_YEAR.search(expression) or text.startswith("last ") or text.startswith("yesterday"):
        return True
    if tense != "past":
        return tense == "ahead"
    if _MONTH_NAME.search(expression):
        return anchor is not None and (anchor.year - date.year) * 12 + anchor.month - date.month <= recent_months
    return told


def _date_expressions(doc, text: str) -> list[tuple[str, bool]]:
    """The texts of the sentence's DATE entities that name a date, each with whether it dates a
    report ("said Wednesday"); a weekday joined to the date that follows it when spaCy cut them
    apart ("Wednesday" ", " "July 22"), and a month given the year written after it ("during
    March and May 2015", "in July and December in 1993")."""
    entities = [e for e in doc.ents if e.label_ == "DATE" and _names_a_date(e, text)]
    expressions, skip = [], False
    for ent, following in zip(entities, [*entities[1:], None], strict=False):
        if skip:
            skip = False
            continue
        before = ent.doc[max(0, ent.start - 3) : ent.start]
        reported = any(t.lower_ in _REPORTED for t in before)
        between = ent.doc[ent.end : following.start].text.strip().lower() if following is not None else None
        if between in ("", ",") and ent.text.lower() in _WEEKDAYS and _MONTH_NAME.match(following.text):
            expressions.append((f"{ent.text}, {following.text}", reported))
            skip = True
        elif _MONTH_ONLY.match(ent.text.lower()) and (year := _year_after(ent)):
            expressions.append((f"{ent.text} {year}", reported))
        else:
            expressions.append((ent.text, reported))
    return expressions


def _year_after(ent) -> str | None:
    """The year written after a month named alone and the months listed with it ("July and
    December in 1993", "March and May 2015"); not a year further on ("May and stockpiled 1998")."""
    for token in ent.doc[ent.end : ent.end + 6]:
        if _BARE_YEAR.fullmatch(token.text):
            return token.text
        if token.lower_ not in _BETWEEN_MONTHS and not _MONTH_ONLY.match(token.lower_):
            return None
    return None


def _names_a_date(ent, sentence: str) -> bool:
    """Whether a DATE entity names a date at all: not a bare number outside a year's place, not a
    word in capitals (a transcript's "MAY" is the verb), not the verb "may" ("May improve"), not
    "today's" (nowadays) nor a "Today" inside a name ("Showbiz Today")."""
    text = ent.text.strip()
    if _BARE_YEAR.fullmatch(text):
        return _where_a_year_goes(ent)
    following = ent.doc[ent.end] if ent.end < len(ent.doc) else None
    if text == "May" and following is not None and following.is_lower and following.lower_ not in _AFTER_THE_MONTH_MAY:
        return False
    if text.startswith("Today") and not sentence.startswith(text):
        return False  # "Showbiz Today"
    if text.lower() == "today" and following is not None and following.text in ("'s", "’s"):
        return False  # "Today's euphoria": nowadays
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


def first_report(articles: Sequence[Article]) -> datetime | None:
    """When the event's first dated article appeared (None when none is dated)."""
    return min((_naive(a.published) for a in articles if a.published), default=None)


def is_background(entry: TimelineEntry, first: datetime | None, own_days: int) -> bool:
    """Whether a dated happening lies before the event's own days (more than ``own_days`` days
    before its first report): a birth, an earlier attack, the history a report recalls."""
    return first is not None and (first.date() - _naive(entry.date).date()).days > own_days


def sort_timeline(
    entries: Sequence[TimelineEntry], limit: int, first: datetime | None = None, own_days: int = 0
) -> list[TimelineEntry]:
    """The event's own days first, oldest first, then the background (``is_background``: dated
    before the event's first report ``first`` by more than ``own_days`` days), oldest first;
    each (date, text) once, at most ``limit`` entries (the event's own kept first)."""
    unique = {}
    for entry in entries:
        unique.setdefault((_naive(entry.date).date(), entry.text), entry)
    ordered = sorted(
        unique.values(),
        key=lambda e: (
            is_background(e, first, own_days),
            _naive(e.date),
            e.resolution != "day",
            e.article_id,
            e.text,
        ),
    )
    return ordered[:limit]


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None)
