from dataclasses import replace

import pytest
from tests.conftest import EVAL, run_cli

from storyline.config import EmbedSettings, Settings
from storyline.evaluate.summarization import (
    BASELINES,
    evaluate_summarization,
    format_table,
    lead_summary,
    load_tasks,
    rouge,
    sumy_summary,
    truncate_words,
)
from storyline.extract import extract
from storyline.ingest import read_document
from storyline.model import Article

DUC = EVAL / "duc2006-2007"
MULTINEWS = EVAL / "multinews-test-sample"
needs_duc = pytest.mark.skipif(not DUC.is_dir(), reason=f"DUC data not found at {DUC} (../shared/eval is absent)")
needs_multinews = pytest.mark.skipif(not MULTINEWS.is_dir(), reason=f"Multi-News sample not found at {MULTINEWS}")


def test_rouge_of_a_reference_against_itself_is_one_and_stems_words():
    recall, f1 = rouge("The rebels attacked the towns.", ["the rebel attacks the town"])
    assert recall["rouge1"] == pytest.approx(1.0) and f1["rouge1"] == pytest.approx(1.0)
    recall, _ = rouge("Nothing in common here.", ["the rebel attacks the town"])
    assert recall["rouge2"] == 0.0


def test_truncation_cuts_every_output_at_the_same_word():
    assert truncate_words("one two  three\nfour", 3) == "one two three"


def test_lead_takes_the_opening_sentences_in_turn():
    articles = [
        Article(id="a", text="A one is first. A two is second. A three is third."),
        Article(id="b", text="B one is first. B two is second."),
    ]
    assert lead_summary(articles, 12) == "A one is first. B one is first. A two is second."


@pytest.mark.parametrize("method", ["lexrank", "textrank", "lsa"])
def test_sumy_baselines_run_offline_on_our_sentences(examples, method):
    articles = [extract(read_document(p)).articles[0] for p in examples]
    output = sumy_summary(method, articles, 60)
    assert len(output.split()) >= 60
    whole = " ".join(" ".join(a.text.split()) for a in articles)
    assert output.split(". ")[0].split()[-1] in whole


@needs_duc
def test_duc2007_update_has_ten_topics_in_three_batches_with_four_summaries_each():
    tasks = load_tasks("duc2007-update", DUC)
    assert len(tasks) == 30
    assert {t.id[-1] for t in tasks} == {"A", "B", "C"}
    assert all(len(t.references) == 4 and t.query and 5 <= len(t.articles) <= 12 for t in tasks)


@needs_duc
def test_duc2006_has_fifty_query_focused_topics_of_25_articles():
    tasks = load_tasks("duc2006", DUC)
    assert len(tasks) == 50
    assert all(len(t.articles) == 25 and len(t.references) == 4 and t.query for t in tasks)
    assert all(150 <= len(r.split()) <= 300 for r in tasks[0].references)


@needs_multinews
def test_multinews_sample_reads_250_clusters_without_the_leading_dash():
    tasks = load_tasks("multinews", MULTINEWS)
    assert len(tasks) == 250
    assert all(1 <= len(t.articles) <= 10 for t in tasks)
    assert not any(t.references[0].startswith(("–", "-")) for t in tasks)


@needs_duc
def test_storyline_and_lead_are_scored_on_the_same_inputs():
    settings = replace(Settings(), embed=EmbedSettings(enabled=False))
    results = evaluate_summarization("duc2007-update", DUC, settings, systems=("storyline", "lead"), max_tasks=2)
    assert [r.system for r in results] == ["storyline", "lead"]
    assert all(0 < r.recall["rouge2"] < 1 and 0 < r.f1["rougeL"] < 1 and r.inputs == 2 for r in results)
    table = format_table("duc2007-update", 100, results, 2)
    assert "2 inputs" in table and "vs best baseline (lead)" in table


@needs_duc
def test_cli_prints_one_table_with_every_baseline():
    result = run_cli(
        "evaluate",
        "summarization",
        "--dataset",
        "duc2007-update",
        "--data",
        str(DUC),
        "--limit",
        "1",
        "--jobs",
        "1",
        env={"STORYLINE_EMBEDDINGS": "off"},
    )
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    assert {"storyline", *BASELINES} <= rows
    assert "ROUGE-2 recall vs best baseline" in result.stdout
    # the update task also scores the updates the ingest stores, beside the batch alone and Lead
    assert {"storyline-ingest", "storyline-update", "storyline-batch"} <= rows
    assert "updates of batches B and C" in result.stdout


def test_cli_reports_a_missing_dataset_in_one_line(tmp_path):
    result = run_cli("evaluate", "summarization", "--dataset", "duc2006", "--data", str(tmp_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and str(tmp_path) in result.stderr
