"""Updates: what new articles report that earlier ones did not, and the figures that moved."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.conftest import EVAL

from storyline.config import EmbedSettings, FactsSettings, Settings, SummarySettings
from storyline.evaluate.summarization import load_tasks
from storyline.evaluate.updates import (
    UPDATE_DATASET,
    UPDATE_SYSTEMS,
    _documents,
    _topics,
    evaluate_updates,
    format_updates,
)
from storyline.extract import extract
from storyline.facts import analyse_articles
from storyline.facts.changes import figure_changes
from storyline.ingest import read_document
from storyline.model import Article, Figure
from storyline.pipeline import ingest_documents
from storyline.store import Store
from storyline.summarize import summarize_event, summarize_update


@pytest.fixture(scope="module")
def baghouz() -> list[Article]:
    from tests.conftest import EXAMPLES

    return [extract(read_document(p)).articles[0] for p in sorted(EXAMPLES.glob("*.txt"))]


@pytest.fixture(scope="module")
def baghouz_figures(baghouz) -> dict[str, list[Figure]]:
    """Each bundled article's figures, as spaCy reads them for an event's facts."""
    return {found.article_id: [c.figure for c in found.claims] for found in analyse_articles(baghouz, FactsSettings())}


def test_without_earlier_articles_an_update_is_the_event_summary(baghouz):
    settings = SummarySettings()
    assert summarize_update([], baghouz) == summarize_event(baghouz, settings.update_words)


def test_an_update_cites_only_new_articles_within_its_budget(baghouz):
    earlier, new = baghouz
    summary = summarize_update([earlier], [new], words=60)
    assert summary.sentences
    assert {s.article_id for s in summary.sentences} == {new.id}
    assert sum(s.words for s in summary.sentences) <= 60


def test_an_update_does_not_repeat_what_the_earlier_articles_said(baghouz):
    earlier, new = baghouz
    # the new report quotes two of the earlier one's sentences word for word
    quoted = [s for s in summarize_event([earlier], 60).sentences]
    echo = replace(new, id="echo", text="\n".join([*(s.text for s in quoted), new.text]))
    alone = summarize_event([echo], 100)
    assert {s.text for s in quoted} & {s.text for s in alone.sentences}  # chosen without the earlier one
    update = summarize_update([earlier], [echo], words=100)
    assert update.sentences and not {s.text for s in quoted} & {s.text for s in update.sentences}


def test_an_article_already_seen_is_no_news(baghouz):
    assert summarize_update(baghouz, baghouz).sentences == []


def test_the_baghouz_toll_rose_from_62_to_about_90(baghouz, baghouz_figures):
    earlier, new = baghouz
    before, after = baghouz_figures[earlier.id], baghouz_figures[new.id]
    [change] = figure_changes(before, before + after, {new.id})
    assert (change.before.value, change.after.value) == (62, 90)
    assert (change.before.article_id, change.after.article_id) == (earlier.id, new.id)
    assert change.after.qualifier == "about"
    assert change.text == "people died: rose from 62 people to Around 90 people"
    # the other way round the toll fell; an article compared with itself changed nothing
    [back] = figure_changes(after, before, {earlier.id})
    assert (back.before.value, back.after.value) == (90, 62)
    assert figure_changes(before, before, {earlier.id}) == []


def test_compatible_values_are_no_change(baghouz_figures, baghouz):
    earlier, new = baghouz
    [toll] = [f for f in baghouz_figures[earlier.id] if f.value == 62]
    for value, qualifier in ((62, "exactly"), (60, "about"), (50, "at least"), (70, "up to"), (65, "nearly")):
        restated = replace(toll, value=value, qualifier=qualifier, article_id=new.id)
        assert figure_changes([toll], [restated], {new.id}) == [], (value, qualifier)
    assert figure_changes([toll], [replace(toll, value=90, article_id=new.id)], {new.id})
    # a vague amount, or the figure of an article that is not new, is never a change
    assert figure_changes([toll], [replace(toll, value=200, qualifier="vague", article_id=new.id)], {new.id}) == []
    assert figure_changes([toll], [replace(toll, value=90)], {new.id}) == []


DUC = EVAL / "duc2006-2007"
needs_duc = pytest.mark.skipif(not DUC.is_dir(), reason=f"DUC data not found at {DUC} (../shared/eval is absent)")


@needs_duc
def test_duc_batches_reach_the_store_as_the_product_reads_them(tmp_path):
    [topic] = _topics(load_tasks(UPDATE_DATASET, DUC))[:1]
    articles = topic["A"].articles
    settings = replace(Settings(db=str(tmp_path / "s.db")), embed=EmbedSettings(enabled=False))
    with Store(settings.db) as store:
        report = ingest_documents(_documents(articles), store, settings)
        stored = {a.id: a for a in store.articles()}
    assert report.new == len(articles) and set(stored) == {a.id for a in articles}
    first = articles[0]
    assert (stored[first.id].published, stored[first.id].title) == (first.published, first.title)


@needs_duc
def test_updates_are_scored_beside_the_batch_alone_and_lead_on_the_same_batches():
    settings = replace(Settings(), embed=EmbedSettings(enabled=False))
    results = evaluate_updates(DUC, settings, max_topics=1)
    assert [r.system for r in results] == list(UPDATE_SYSTEMS)
    assert all(r.inputs == 2 for r in results)  # batches B and C of one topic
    assert all(0 < r.recall["rouge2"] < 1 for r in results if r.system != "storyline-ingest")
    table = format_updates(100, results)
    assert "ROUGE-2 recall of storyline-ingest:" in table and "x storyline-batch" in table
