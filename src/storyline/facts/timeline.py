"""An event's timeline: when each report appeared, and the dates its sentences name.

A relative date ("on Tuesday", "in December", "yesterday") is resolved against the article's
publication date; an undated article contributes only dates that carry their own year, so no
date is ever invented.
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
_MONTH_ONLY = re.compile(rf"^(?:early|mid|late|last|this|mid-)?\s*{_MONTH}(?:\s+{_YEAR})?$")
_YEAR_ONLY = re.compile(r"^(?:in\s+)?(?:early|late|mid-?)?\s*(?P<year>(?:19|20)\d\d)$")
_WEEKDAY = re.compile(r"^(?:on\s+|last\s+|this\s+|early\s+|late\s+)?(?P<weekday>" + "|".join(_WEEKDAYS) + r")\b")
_RELATIVE_DAYS = {"today": 0, "tonight": 0, "this morning": 0, "this afternoon": 0, "yesterday": -1}
_LEADING = re.compile(r"^(?:on|in|since|by|until|from|during|the)\s+")


def resolve_date(expression: str, anchor: datetime | None) -> tuple[datetime, str] | None:
    """A date expression as (date, resolution: "day" | "month" | "year"), or None if it cannot be placed.

    ``anchor`` is the publication date of the article the expression appears in.
    """
    text = _LEADING.sub("", " ".join(expression.lower().replace(",", ", ").split()).replace(" ,", ","))
    text = text.replace(" ,", ",").strip(" .,")
    for pattern in _FULL_DATE:
        match = pattern.match(text)
        if match:
            parts = match.groupdict()
            month = int(parts["mnum"]) if parts.get("mnum") else _month_number(parts["month"])
            year = int(parts["year"]) if parts.get("year") else _year_for(month, anchor)
            if year is None:
                return None
            try:
                return datetime(year, month, int(parts["day"])), "day"
            except ValueError:
                return None
    match = _MONTH_ONLY.match(text)
    if match:
        month = _month_number(match.group("month"))
        year = int(match.group("year")) if match.group("year") else _year_for(month, anchor)
        return (datetime(year, month, 1), "month") if year else None
    match = _YEAR_ONLY.match(text)
    if match:
        return datetime(int(match.group("year")), 1, 1), "year"
    if anchor is None:
        return None
    day = anchor.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    match = _WEEKDAY.match(text)
    if match:
        # news reports the recent past: "on Tuesday" is the latest Tuesday up to the publication day
        back = (day.weekday() - _WEEKDAYS.index(match.group("weekday"))) % 7
        return _days_before(day, back)
    for phrase, offset in _RELATIVE_DAYS.items():
        if text == phrase or text.startswith(phrase + " "):
            return _days_before(day, -offset)
    return None


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


def _year_for(month: int, anchor: datetime | None) -> int | None:
    """The year of a month named without one: the latest such month up to the publication date."""
    if anchor is None:
        return None
    return anchor.year if month <= anchor.month else anchor.year - 1


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
        for ent in doc.ents:
            if ent.label_ != "DATE":
                continue
            resolved = resolve_date(ent.text, article.published)
            if resolved is None or resolved in seen:
                continue
            seen.add(resolved)
            text = doc.text if len(doc.text) <= max_chars else doc.text[: max_chars - 1].rstrip() + "…"
            entries.append(TimelineEntry(date=resolved[0], text=text, article_id=article.id, resolution=resolved[1]))
    return entries


def sort_timeline(entries: Sequence[TimelineEntry], limit: int) -> list[TimelineEntry]:
    """Oldest first, each (date, text) once, at most ``limit`` entries (the earliest kept)."""
    unique = {}
    for entry in entries:
        unique.setdefault((_naive(entry.date).date(), entry.text), entry)
    ordered = sorted(unique.values(), key=lambda e: (_naive(e.date), e.resolution != "day", e.article_id, e.text))
    return ordered[:limit]


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None)
