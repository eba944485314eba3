"""``storyline updates``: what ingests added to events and stories, from the real CLI."""

import json

from conftest import OPENED_AT, UPDATED_AT, run_cli


def _updates(db: str, *options: str) -> list[dict]:
    result = run_cli("updates", "--db", db, "--format", "json", *options)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _ids(db: str, kind: str, *options: str) -> set[str]:
    result = run_cli(kind, "--db", db, "--format", "json", "--limit", "0", *options)
    assert result.returncode == 0, result.stderr
    return {json.loads(line)["id"] for line in result.stdout.splitlines()}


def test_updates_are_listed_newest_first_with_cited_sentences(updated_db):
    found = _updates(updated_db, "--limit", "0")
    assert {u["kind"] for u in found} == {"event", "story"}
    assert [u["seq"] for u in found] == sorted((u["seq"] for u in found), reverse=True)
    assert found[0]["at"] == UPDATED_AT.isoformat() and found[-1]["at"] == OPENED_AT.isoformat()
    assert all(s["article_id"] in u["articles"] or u["kind"] == "story" for u in found for s in u["summary"])
    changed = [u for u in found if u["changes"]]
    assert len(changed) == 1
    change = changed[0]["changes"][0]
    assert (change["before"]["text"], change["after"]["text"]) == ("12 people", "about 20 people")
    assert _updates(updated_db, "--limit", "3") == found[:3]


def test_text_and_markdown_cite_each_sentence_and_both_values_of_a_change(updated_db):
    text = run_cli("updates", "--db", updated_db, "--kind", "event", "--limit", "0")
    assert text.returncode == 0, text.stderr
    change = next(line for line in text.stdout.splitlines() if "people injured" in line)
    assert change.strip().startswith("~ people injured: rose from 12 people [")
    assert "] to about 20 people [" in change and change.endswith("]")
    first = text.stdout.split("\n\n")[0].splitlines()
    assert first[0].startswith(f"{UPDATED_AT:%Y-%m-%d %H:%M}Z  event  ")
    assert all(line.startswith(("  - ", "  ~ ", "  event ")) for line in first[1:])
    markdown = run_cli("updates", "--db", updated_db, "--format", "markdown", "--kind", "event", "--limit", "0")
    assert markdown.stdout.startswith(f"### {UPDATED_AT:%Y-%m-%d %H:%M} UTC: ")
    assert "\n- people injured: rose from 12 people (" in markdown.stdout


def test_words_and_outlet_filter_as_the_event_and_story_lists_do(updated_db):
    norcia = _updates(updated_db, "--q", "Norcia", "--kind", "event", "--limit", "0")
    assert norcia and {u["target_id"] for u in norcia} == _ids(updated_db, "events", "--q", "Norcia")
    times = _updates(updated_db, "--outlet", "Example Times", "--limit", "0")
    covered = _ids(updated_db, "events", "--outlet", "Example Times") | _ids(
        updated_db, "stories", "--outlet", "Example Times"
    )
    assert times and {u["target_id"] for u in times} == covered
    assert len(times) < len(_updates(updated_db, "--limit", "0"))


def test_since_takes_a_day_or_a_time_and_refuses_anything_else_in_one_line(updated_db):
    later = _updates(updated_db, "--since", f"{OPENED_AT:%Y-%m-%d}T10:00Z", "--limit", "0")
    assert later and {u["at"] for u in later} == {UPDATED_AT.isoformat()}
    assert len(_updates(updated_db, "--since", f"{OPENED_AT:%Y-%m-%d}", "--limit", "0")) > len(later)
    assert _updates(updated_db, "--since", "2024-05-02") == []
    bad = run_cli("updates", "--db", updated_db, "--since", "last tuesday")
    assert bad.returncode == 2
    assert "--since" in bad.stderr and "'last tuesday': not a day or a time" in bad.stderr
    assert "Traceback" not in bad.stderr
