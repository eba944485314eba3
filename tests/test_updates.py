"""``storyline updates``: what ingests added to events and stories, from the real CLI, over a
store whose updates two real ingests recorded (``updated_db``)."""

import json
from datetime import datetime, timedelta

from conftest import run_cli


def _updates(db: str, *options: str) -> list[dict]:
    result = run_cli("updates", "--db", db, "--format", "json", *options)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _ids(db: str, kind: str, *options: str) -> set[str]:
    result = run_cli(kind, "--db", db, "--format", "json", "--limit", "0", *options)
    assert result.returncode == 0, result.stderr
    return {json.loads(line)["id"] for line in result.stdout.splitlines()}


def _articles(db: str) -> dict[str, str]:
    """The sources (outlets, or file names for the bundled texts) of the events' articles, by id."""
    result = run_cli("events", "--db", db, "--format", "json", "--limit", "0")
    assert result.returncode == 0, result.stderr
    return {a["id"]: a["source"] for e in map(json.loads, result.stdout.splitlines()) for a in e["articles"]}


def test_each_ingest_records_what_it_brought_newest_first_with_cited_sentences(updated_db, ingest_times):
    opened_at, updated_at = ingest_times
    found = _updates(updated_db, "--limit", "0")
    assert [u["seq"] for u in found] == sorted((u["seq"] for u in found), reverse=True)
    # three events in three stories: each opened by the first ingest and updated by the second
    events, stories = _ids(updated_db, "events"), _ids(updated_db, "stories")
    assert len(events) == len(stories) == 3
    for kind, ids in (("event", events), ("story", stories)):
        mine = [u for u in found if u["kind"] == kind]
        assert {u["target_id"] for u in mine} == ids
        assert sorted((u["target_id"], u["opened"]) for u in mine) == sorted((i, o) for i in ids for o in (False, True))
    assert {datetime.fromisoformat(u["at"]) for u in found if u["opened"]} == {opened_at}
    assert {datetime.fromisoformat(u["at"]) for u in found if not u["opened"]} == {updated_at}
    # every update arrived with articles, says something, and cites only what arrived with it
    sources = _articles(updated_db)
    for u in found:
        assert u["articles"] and set(u["articles"]) <= set(sources) and u["summary"], u
        for sentence in u["summary"]:
            assert sentence["article_id"] in u["articles"], (u["target_id"], sentence)
            assert sentence["source"] == sources[sentence["article_id"]]
    # the two ingests brought every article once, to one event each
    arrived = [a for u in found if u["kind"] == "event" for a in u["articles"]]
    assert sorted(arrived) == sorted(sources)
    # the aggregator's "about 90" moved the wire's 62 dead: the event's update and its story's say so
    changed = [u for u in found if u["changes"]]
    assert [u["kind"] for u in changed] == ["story", "event"] and not any(u["opened"] for u in changed)
    for u in changed:
        (change,) = u["changes"]
        assert change["quantity"] == "people died"
        assert (change["before"]["text"], change["after"]["text"]) == ("62 people", "Around 90 people")
        assert (change["before"]["value"], change["after"]["value"]) == (62, 90)
        assert sources[change["before"]["article_id"]].startswith("000_")  # the wire, ingested before
        assert change["after"]["article_id"] in u["articles"]  # the aggregator, which arrived
    assert _updates(updated_db, "--limit", "3") == found[:3]


def test_text_and_markdown_cite_each_sentence_and_both_values_of_a_change(updated_db, ingest_times):
    _, updated_at = ingest_times
    text = run_cli("updates", "--db", updated_db, "--kind", "event", "--limit", "0")
    assert text.returncode == 0, text.stderr
    change = next(line for line in text.stdout.splitlines() if "people died" in line)
    assert change.strip().startswith("~ people died: rose from 62 people [000_")
    assert "] to Around 90 people [003_" in change and change.endswith("]")
    first = text.stdout.split("\n\n")[0].splitlines()
    assert first[0].startswith(f"{updated_at:%Y-%m-%d %H:%M}Z  event  ")
    assert len(first) > 2 and all(line.startswith(("  - ", "  ~ ", "  event ")) for line in first[1:])
    markdown = run_cli("updates", "--db", updated_db, "--format", "markdown", "--kind", "event", "--limit", "0")
    assert markdown.stdout.startswith(f"### {updated_at:%Y-%m-%d %H:%M} UTC: ")
    assert "\n- people died: rose from 62 people (000_" in markdown.stdout
    assert ") to Around 90 people (003_" in markdown.stdout


def test_words_and_outlet_filter_as_the_event_and_story_lists_do(updated_db):
    norcia = _updates(updated_db, "--q", "Norcia", "--kind", "event", "--limit", "0")
    assert norcia and {u["target_id"] for u in norcia} == _ids(updated_db, "events", "--q", "Norcia")
    # Example Times wrote the third quake report only: the quake event and story, both updates each
    times = _updates(updated_db, "--outlet", "Example Times", "--limit", "0")
    covered = _ids(updated_db, "events", "--outlet", "Example Times") | _ids(
        updated_db, "stories", "--outlet", "Example Times"
    )
    assert times and {u["target_id"] for u in times} == covered and len(covered) == 2
    assert len(times) == 4 < len(_updates(updated_db, "--limit", "0"))


def test_since_takes_a_day_or_a_time_and_refuses_anything_else_in_one_line(updated_db, ingest_times):
    opened_at, updated_at = ingest_times
    between = opened_at + (updated_at - opened_at) / 2
    later = _updates(updated_db, "--since", between.isoformat(), "--limit", "0")
    assert later and {datetime.fromisoformat(u["at"]) for u in later} == {updated_at}
    assert not any(u["opened"] for u in later)
    assert len(_updates(updated_db, "--since", f"{opened_at:%Y-%m-%d}", "--limit", "0")) > len(later)
    assert _updates(updated_db, "--since", f"{updated_at + timedelta(days=1):%Y-%m-%d}") == []
    bad = run_cli("updates", "--db", updated_db, "--since", "last tuesday")
    assert bad.returncode == 2
    assert "--since" in bad.stderr and "'last tuesday': not a day or a time" in bad.stderr
    assert "Traceback" not in bad.stderr
