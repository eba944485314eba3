from pathlib import Path

import pytest

from storyline.extract import extract
from storyline.ingest import read_document
from storyline.model import Article, Sentence
from storyline.sentences import split_sentences
from storyline.summarize import is_candidate, summarize_event

DATA = Path(__file__).parent / "data"
OFF_TOPIC = ("Charlie Hebdo", "Syrian constitution", "Latest News")


@pytest.fixture
def baghouz(examples) -> list[Article]:
    return [extract(read_document(p)).articles[0] for p in examples]


@pytest.mark.parametrize("words", [40, 100, 250])
def test_summary_stays_within_the_word_budget(baghouz, words):
    summary = summarize_event(baghouz, words=words)
    assert summary.sentences
    assert sum(len(s.text.split()) for s in summary.sentences) <= words


def test_every_sentence_is_traceable_to_its_article(baghouz):
    by_id = {a.id: a for a in baghouz}
    for sentence in summarize_event(baghouz, words=250).sentences:
        article = by_id[sentence.article_id]
        assert sentence.text in " ".join(article.text.split())
        assert sentence.source == article.source


def test_baghouz_summary_draws_on_both_texts_without_noise(baghouz):
    summary = summarize_event(baghouz, words=100)
    assert 3 <= len(summary.sentences) <= 7
    assert {s.article_id for s in summary.sentences} == {a.id for a in baghouz}
    text = " ".join(s.text for s in summary.sentences)
    assert "Baghouz" in text or "Islamic State" in text
    for noise in OFF_TOPIC:
        assert noise not in text
    assert summary.headline in {a.title for a in baghouz}


def test_off_topic_sentences_are_never_chosen_even_with_a_large_budget(baghouz):
    text = " ".join(s.text for s in summarize_event(baghouz, words=400).sentences)
    assert "Charlie Hebdo" not in text and "Latest News" not in text


def test_summary_is_in_reading_order():
    articles = extract(read_document(DATA / "quake.jsonl")).articles
    summary = summarize_event(articles, words=120)
    keys = [(s.published, [a.id for a in articles].index(s.article_id), s.position) for s in summary.sentences]
    assert keys == sorted(keys)
    assert "Norcia" in summary.headline


def test_dateline_is_removed_and_headline_lines_are_kept_apart(baghouz):
    wire, aggregator = (split_sentences(a) for a in baghouz)
    assert wire[1].text.startswith("Several Islamic State group jihadists")
    assert aggregator[0].text == "ISIS Uses ‘Human Shields’ To Stall US-Backed-Forces Final Push"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The army said on Tuesday that the town had been retaken from the militants.", True),
        ("Latest News", False),
        ("But the force slowed down the offensive on Sunday because of civilians.", False),
        ("He said the fighting would be over within a few days at most.", False),
        ('"We are slowing down the offensive in the town," he said to reporters.', False),
        ("What does this mean for the thousands of people still trapped there?", False),
        ("Officials, however, deny that any talks with the fighters took place.", False),
    ],
)
def test_candidate_sentences_stand_alone(text, expected):
    assert is_candidate(Sentence(text=text, article_id="a", position=3)) is expected


def test_an_event_without_text_gets_an_empty_summary():
    summary = summarize_event([Article(id="x", text="", title="Only a title")])
    assert summary.headline == "Only a title" and summary.sentences == []
