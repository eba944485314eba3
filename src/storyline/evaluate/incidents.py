"""Facts judged on incidents: the events storyline stores for the GVA articles, each mapped to the
incident most of its articles report, against the Gun Violence Archive's own record of it.

The events come from the product as a user runs it: a part's articles are written as one JSONL
file and ingested with default settings into a fresh store (``pipeline.ingest_paths``), and the
stored events are read back. Each measure is a share of the events it applies to:

- ``killed_right`` / ``killed_other``: where someone died, whether the Archive's number killed is
  among the event's killed figures, and whether another number is;
- ``injured_right`` / ``injured_other``: the same for the number injured, where someone was;
- ``no_killed``: where no one died, whether the event gives no killed figure at all;
- ``city``: whether the incident's city (or county) is among the event's places (GPE, LOC);
- ``first_date``: whether the event's first timeline entry lies within a day of the incident
  (and, for comparison, ``first_article``: whether its first report does).

The parts are the incidents' years: the earlier (2013-14) is what rules may be chosen on, the
later (2015) what is reported.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..config import Settings
from ..facts.figures import figure_bounds
from ..model import Event, Figure
from ..pipeline import ingest_paths
from ..store import Store
from .datasets import GVA_FILE, IncidentFacts, LabelledArticle, gva_articles, gva_incident_facts

GVA_FOLDER = "gva-incidents-dev"
# part name -> the incidents' years it holds: rules are chosen on the first, the second is reported
PARTS = {"2013-14": (2013, 2014), "2015": (2015,)}
PLACE_LABELS = frozenset({"GPE", "LOC"})
_KILLED, _INJURED = "|killed", "|injured"
# What the Archive's ``city_or_county`` adds to a name: "Goleta (Isla Vista)", "Pike (county)".
_AREA = re.compile(r"\s*\(([^)]*)\)\s*")
_COUNTY = re.compile(r"\s+(?:county|parish|borough|township)$")
_SAINT = re.compile(r"^st\b\.?\s*")
# A part of a city named by its quarter names the city: "Southwest Philadelphia", "west Kissimmee".
_QUARTER = re.compile(r"^(?:north|south|east|west|northeast|northwest|southeast|southwest|downtown|central)\s+")
# The Archive writes the capital's incidents "Washington, District of Columbia"; reports say D.C.
_CAPITAL = frozenset({"washington", "dc", "washington dc", "district of columbia"})


@dataclass
class Share:
    """How many of the events a measure applies to it holds for."""

    hits: int = 0
    events: int = 0

    @property
    def value(self) -> float:
        return self.hits / self.events if self.events else 0.0

    def add(self, holds: bool) -> None:
        self.hits += holds
        self.events += 1


@dataclass
class IncidentScore:
    """The measures of one part, and how many of its events were mapped to an incident."""

    part: str
    articles: int = 0
    events: int = 0  # stored events of two or more articles
    mapped: int = 0  # of those, mapped to an incident the Archive has a record of
    shares: dict[str, Share] = field(default_factory=dict)

    def share(self, name: str) -> Share:
        return self.shares.setdefault(name, Share())


# The measures in the order they are printed, each with what it says.
MEASURES = {
    "killed_right": "someone died: the number killed among its killed figures",
    "killed_other": "someone died: another number among its killed figures",
    "injured_right": "someone injured: the number injured among its injured figures",
    "injured_other": "someone injured: another number among its injured figures",
    "no_killed": "no one died: no killed figure",
    "city": "the city among its places",
    "first_date": "first timeline entry within a day of the incident",
    "first_article": "first article within a day of the incident (for comparison)",
}


def part_of(item: LabelledArticle, incidents: dict[str, IncidentFacts]) -> str | None:
    """The part an article belongs to: its incident's year, else its own publication year."""
    known = incidents.get(item.gold)
    year = known.day.year if known else item.article.published.year if item.article.published else None
    return next((name for name, years in PARTS.items() if year in years), None)


def majority_incident(event: Event, incident_of: dict[str, str]) -> str | None:
    """The incident most of the event's articles report (the first so counted on a tie)."""
    counts = Counter(incident_of[a.id] for a in event.articles if a.id in incident_of)
    return counts.most_common(1)[0][0] if counts else None


def _stated(figures: Sequence[Figure], suffix: str, tolerance: float) -> list[tuple[float, float]]:
    """The intervals the event's figures of one casualty class allow (``figure_bounds``: a toll
    that may or may not count the shooter allows both)."""
    return [figure_bounds(f, tolerance) for f in figures if f.key.endswith(suffix) and f.qualifier != "vague"]


def number_right(figures: Sequence[Figure], suffix: str, gold: int, tolerance: float) -> bool:
    """Whether a figure of the class states the gold number: as its value, or, for an exact toll
    whose sentence says the shooter killed himself, with him counted (as the Archive counts)."""
    for figure in figures:
        if figure.key.endswith(suffix) and figure.qualifier != "vague":
            low, high = figure_bounds(figure, tolerance)
            if figure.value == gold or (figure.qualifier == "exactly" and low <= gold <= high):
                return True
    return False


def number_other(figures: Sequence[Figure], suffix: str, gold: int, tolerance: float) -> bool:
    """Whether a figure of the class allows no reading that is the gold number."""
    return any(not low <= gold <= high for low, high in _stated(figures, suffix, tolerance))


def same_place(name: str) -> str:
    """A place name as compared: lower-cased, without full stops, commas or "County", "St." as
    "Saint" (the Archive writes "Saint Louis" and "St Louis", reports "St. Louis")."""
    name = " ".join(name.lower().replace(".", "").replace(",", " ").split())
    return _COUNTY.sub("", _SAINT.sub("saint ", _QUARTER.sub("", name)))


def place_names(event: Event) -> set[str]:
    """The event's places (GPE, LOC), every spelling, as ``same_place`` compares them."""
    return {same_place(name) for e in event.entities if e.label in PLACE_LABELS for name, _ in e.variants}


def city_names(incident: IncidentFacts) -> set[str]:
    """The names the Archive's place may be written as: "Goleta (Isla Vista)" is Goleta or Isla
    Vista, "Pike (county)" and "Noble County" are Pike and Noble."""
    names = {_AREA.sub(" ", incident.city).strip()}
    names |= {inner for inner in _AREA.findall(incident.city) if inner.lower() != "county"}
    found = {same_place(name) for name in names if name}
    return found | _CAPITAL if incident.state == "District of Columbia" else found


def within_a_day(day: date, incident: IncidentFacts) -> bool:
    return abs((day - incident.day).days) <= 1


def score_event(event: Event, incident: IncidentFacts, score: IncidentScore, tolerance: float) -> None:
    """Add one mapped event's outcomes to its part's measures."""
    figures = event.figures
    if incident.killed:
        score.share("killed_right").add(number_right(figures, _KILLED, incident.killed, tolerance))
        score.share("killed_other").add(number_other(figures, _KILLED, incident.killed, tolerance))
    else:
        score.share("no_killed").add(not any(f.key.endswith(_KILLED) for f in figures))
    if incident.injured:
        score.share("injured_right").add(number_right(figures, _INJURED, incident.injured, tolerance))
        score.share("injured_other").add(number_other(figures, _INJURED, incident.injured, tolerance))
    score.share("city").add(bool(city_names(incident) & place_names(event)))
    if event.timeline:
        score.share("first_date").add(within_a_day(event.timeline[0].date.date(), incident))
    else:
        score.share("first_date").add(False)
    first = event.first_published
    score.share("first_article").add(first is not None and within_a_day(first.date(), incident))


def stored_events(articles: Sequence[LabelledArticle], settings: Settings, folder: Path) -> list[Event]:
    """The events a user gets from ingesting these articles: written as one JSONL file in
    ``folder`` and ingested into a fresh store there with ``settings``."""
    path = folder / "articles.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for item in articles:
            a = item.article
            record = {"id": a.id, "title": a.title, "text": a.text, "source": a.source}
            record["published"] = a.published.date().isoformat() if a.published else None
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    with Store(str(folder / "storyline.db")) as store:
        ingest_paths([path], store, settings)
        return store.events()


def evaluate_incidents(
    data: str | Path,
    settings: Settings,
    parts: Sequence[str] = tuple(PARTS),
    limit: int | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> list[IncidentScore]:
    """The measures of each part, its articles ingested alone; ``data`` is the evaluation folder
    (holding ``gva-incidents-dev/``) or the GVA folder itself; ``limit`` keeps the first N
    articles of each part (a quick look)."""
    folder = Path(data)
    folder = folder / GVA_FOLDER if not (folder / GVA_FILE).is_file() else folder
    incidents = gva_incident_facts(folder)
    labelled = gva_articles(folder)
    scores = []
    for name in parts:
        chosen = [item for item in labelled if part_of(item, incidents) == name][:limit]
        incident_of = {item.article.id: item.gold for item in chosen}
        score = IncidentScore(part=name, articles=len(chosen))
        with tempfile.TemporaryDirectory(prefix="storyline-incidents-") as scratch:
            events = stored_events(chosen, settings, Path(scratch))
        progress(f"gva {name}: {len(chosen)} articles ingested, {len(events)} events")
        for event in events:
            if len(event.articles) < 2:
                continue
            score.events += 1
            incident = incidents.get(majority_incident(event, incident_of) or "")
            if incident is None:
                continue
            score.mapped += 1
            score_event(event, incident, score, settings.facts.about_tolerance)
        scores.append(score)
    return scores


def format_incidents(scores: Sequence[IncidentScore]) -> str:
    """One block per part: its counts, then each measure as a share with its counts."""
    lines = []
    for score in scores:
        lines.append(
            f"incidents {score.part}: {score.articles} articles, {score.events} events of 2+ articles,"
            f" {score.mapped} mapped to an incident"
        )
        for name, meaning in MEASURES.items():
            share = score.shares.get(name, Share())
            lines.append(f"  {name:<14} {share.value:.3f} ({share.hits}/{share.events})  {meaning}")
    return "\n".join(lines)
