from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from conftest import run_cli
from storyline.cluster import EventClusterer, StoryLinker, event_id_for, story_id_for
from storyline.config import Settings
from storyline.extract import extract
from storyline.ingest import read_document
from storyline.model import Article
from storyline.pipeline import cluster_stories

DATA = Path(__file__).parent / "data"
LEXICAL = replace(Settings(), embed=replace(Settings().embed, enabled=False))


def _stream() -> list[Article]:
    articles = (
        extract(read_document(DATA / "quake.jsonl")).articles + extract(read_document(DATA / "final.jsonl")).articles
    )
    return sorted(articles, key=lambda a: a.published)


def _rebuilding() -> Article:
    """A report of a later event of the Norcia earthquake's story: the rebuilding, months on."""
    return Article(
        id="quake-rebuild",
        title="Norcia begins rebuilding the Basilica of St Benedict destroyed by the earthquake",
        text="Five months after the magnitude 6.5 earthquake that destroyed the Basilica of St Benedict in Norcia, "
        "the Italian civil protection agency and the monks of Norcia began clearing the rubble of the medieval "
        "basilica. Residents forced from their homes by the quake in central Italy still live in temporary housing.",
        source="Example Wire",
        published=datetime(2017, 3, 28, 9, 0, tzinfo=UTC),
    )


def test_events_of_one_story_share_it_and_unrelated_events_do_not():
    articles = [*_stream(), _rebuilding()]
    events, stories = cluster_stories(articles, LEXICAL)
    event = dict(zip((a.id for a in articles), events, strict=True))
    story = dict(zip((a.id for a in articles), stories, strict=True))
    assert event["quake-rebuild"] != event["quake-1"]  # months later, a happening of its own
    assert story["quake-rebuild"] == story["quake-1"] == story["quake-2"] == story["quake-3"]
    assert story["final-1"] == story["final-2"] != story["quake-1"]


def test_every_event_belongs_to_exactly_one_story_and_stories_leave_events_alone():
    articles = [*_stream(), _rebuilding()]
    events, stories = cluster_stories(articles, LEXICAL)
    story_of_event = {}
    for event, story in zip(events, stories, strict=True):
        assert story_of_event.setdefault(event, story) == story
    assert events == EventClusterer(LEXICAL.cluster, embedder=None).fit_predict(articles)


def test_story_ids_are_named_after_the_first_event_and_stable_across_runs():
    articles = _stream()
    events, stories = cluster_stories(articles, LEXICAL)
    assert events[0] == event_id_for(articles[0].id)
    assert stories[0] == story_id_for(events[0])
    assert cluster_stories(articles, LEXICAL) == (events, stories)
    # the same articles fed in two batches get the same stories as in one
    linker = StoryLinker(LEXICAL.stories, LEXICAL.cluster)
    linker.partial_fit(articles[:2], events[:2])
    linker.partial_fit(articles[2:], events[2:])
    assert [linker.assignments()[a.id] for a in articles] == stories


def test_stories_follow_event_merges_and_the_older_story_id_survives():
    articles = _stream()
    finals = [a for a in articles if a.id.startswith("final")]
    quakes = [a for a in articles if a.id.startswith("quake")]
    linker = StoryLinker(LEXICAL.stories, LEXICAL.cluster)
    linker.partial_fit(finals, ["ev-final"] * len(finals))
    linker.partial_fit(quakes, ["ev-quake"] * len(quakes))
    before = linker.assignments()
    assert before["final-1"] != before["quake-1"]
    after = linker.assignments({a.id: "ev-final" for a in articles})
    assert set(after.values()) == {story_id_for("ev-final")}


def test_the_bundled_examples_form_one_story_of_one_event(examples):
    articles = [extract(read_document(p)).articles[0] for p in examples]
    events, stories = cluster_stories(articles, Settings())
    assert len(set(events)) == 1
    assert stories == [story_id_for(events[0])] * 2


def test_cluster_prints_each_article_s_story_beside_its_event(tmp_path):
    stream = tmp_path / "stream.jsonl"
    stream.write_text((DATA / "quake.jsonl").read_text() + (DATA / "final.jsonl").read_text())
    result = run_cli("cluster", str(stream), "--format", "text", env={"STORYLINE_EMBEDDINGS": "off"})
    assert result.returncode == 0, result.stderr
    rows = {line.split("\t")[0]: line.split("\t")[1:] for line in result.stdout.splitlines()}
    assert all(len(row) == 2 and row[1].startswith("st-") for row in rows.values())
    assert rows["quake-1"][1] == rows["quake-3"][1] != rows["final-1"][1]
    json_result = run_cli("cluster", str(stream), env={"STORYLINE_EMBEDDINGS": "off"})
    assert '"story_id": "' + rows["quake-1"][1] + '"' in json_result.stdout
