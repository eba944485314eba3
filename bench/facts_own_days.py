"""The sweep that chose ``FactsSettings.own_days`` on GVA 2013-14 (never on 2015): one ingest of
that part's articles, as ``storyline evaluate facts`` makes it, then for each candidate value the
share of mapped events whose first timeline entry lies within a day of the incident, the stored
timelines ordered again as ``facts.timeline.sort_timeline`` orders them with that value.

    PYTHONPATH=src .venv/bin/python bench/facts_own_days.py --data ../shared/eval
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from storyline.config import Settings
from storyline.evaluate.datasets import GVA_FILE, gva_articles, gva_incident_facts
from storyline.evaluate.incidents import GVA_FOLDER, majority_incident, part_of, stored_events, within_a_day
from storyline.facts.timeline import first_report, sort_timeline

CANDIDATES = (0, 1, 2, 3, 7, 30, None)  # None: no background apart (oldest first, as before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True)
    folder = Path(parser.parse_args().data)
    folder = folder / GVA_FOLDER if not (folder / GVA_FILE).is_file() else folder
    incidents = gva_incident_facts(folder)
    chosen = [item for item in gva_articles(folder) if part_of(item, incidents) == "2013-14"]
    incident_of = {item.article.id: item.gold for item in chosen}
    with tempfile.TemporaryDirectory(prefix="storyline-own-days-") as scratch:
        events = stored_events(chosen, Settings(), Path(scratch))
    mapped = [
        (event, incidents[found])
        for event in events
        if len(event.articles) >= 2 and (found := majority_incident(event, incident_of)) in incidents
    ]
    for days in CANDIDATES:
        hits = 0
        for event, incident in mapped:
            first = first_report(event.articles) if days is not None else None
            timeline = sort_timeline(event.timeline, len(event.timeline), first, days or 0)
            hits += bool(timeline) and within_a_day(timeline[0].date.date(), incident)
        print(f"own_days={days}: first_date {hits / len(mapped):.3f} ({hits}/{len(mapped)})")


if __name__ == "__main__":
    main()
