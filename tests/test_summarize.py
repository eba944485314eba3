from dataclasses import replace
from pathlib import Path

import pytest

from storyline.config import SummarySettings
from storyline.embed import load_embedder
from storyline.extract import extract
from storyline.ingest import read_document
from storyline.model import Article, Sentence
from storyline.sentences import split_sentences
from storyline.summarize import is_candidate, standalone, summarize_event

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
        # A leading connective may have been cut off ("But the force ..." -> "The force ..."),
        # which capitalises the first letter: everything after it is verbatim.
        assert sentence.text[1:] in " ".join(article.text.split())
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
        ("was arrested for drunk driving in Maine early on Wednesday morning.", False),
        ("eBay said on Monday that it would split off its payments business.", True),
    ],
)
def test_candidate_sentences_stand_alone(text, expected):
    assert is_candidate(Sentence(text=text, article_id="a", position=3)) is expected


def test_an_event_without_text_gets_an_empty_summary():
    summary = summarize_event([Article(id="x", text="", title="Only a title")])
    assert summary.headline == "Only a title" and summary.sentences == []


def test_a_leading_connective_is_cut_off_rather_than_the_sentence_dropped():
    sentence = Sentence(text="But the army retook the town on Tuesday after a long siege.", article_id="a", position=2)
    repaired = standalone(sentence)
    assert repaired is not None and repaired.text == "The army retook the town on Tuesday after a long siege."
    assert (repaired.article_id, repaired.position) == ("a", 2)


@pytest.mark.parametrize(
    "text",
    [
        "By John Smith, Associated Press Writer.",
        "Sign up for our newsletter to get the latest news every morning.",
        "Read more at https://example.com/story about the siege and its end.",
        "Copyright 2019 The Associated Press. All rights reserved.",
    ],
)
def test_bylines_and_page_furniture_are_not_candidates(text):
    assert standalone(Sentence(text=text, article_id="a", position=5)) is None


def _article(id_: str, source: str, *sentences: str, title: str = "") -> Article:
    return Article(id=id_, text=" ".join(sentences), title=title, source=source)


FACT = "The bridge over the river Arno collapsed on Monday morning during the rush hour traffic."
LONE = "The mayor of Florence plans to visit the injured drivers in the city hospital on Friday."


def test_what_several_outlets_report_wins_a_one_line_brief():
    articles = [
        _article("a", "Reuters", LONE, FACT),
        _article("b", "AP", "A bridge over the river Arno collapsed on Monday morning during rush hour traffic."),
        _article(
            "c", "ANSA", "The bridge on the river Arno collapsed on Monday morning in rush hour traffic, police said."
        ),
    ]
    summary = summarize_event(articles, words=20)
    assert [s.text for s in summary.sentences][:1] != [LONE]
    assert "collapsed" in summary.sentences[0].text


def test_copies_of_one_article_add_no_support():
    articles = [
        _article("a", "Reuters", FACT, LONE),
        _article("b", "Reuters", FACT, LONE),  # the same story, stored twice
        _article("c", "AP", "The mayor of Florence plans to visit the injured drivers in hospital on Friday."),
    ]
    summary = summarize_event(articles, words=20)
    assert summary.sentences and "mayor" in summary.sentences[0].text


def test_a_question_focuses_the_summary():
    articles = extract(read_document(DATA / "quake.jsonl")).articles
    generic = summarize_event(articles, words=40)
    asked = summarize_event(articles, words=40, query="How many people were injured?")
    assert asked.sentences and sum(s.words for s in asked.sentences) <= 40
    assert any("injured" in s.text for s in asked.sentences)
    assert [s.text for s in asked.sentences] != [s.text for s in generic.sentences] or any(
        "injured" in s.text for s in generic.sentences
    )


def test_without_titles_the_headline_is_a_lead_sentence():
    articles = [
        Article(id=a.id, text=a.text, source=a.source) for a in extract(read_document(DATA / "quake.jsonl")).articles
    ]
    summary = summarize_event(articles, words=60)
    leads = {s.text for a in articles for s in split_sentences(a)[:1]}
    assert summary.headline in leads


def test_fill_lets_only_the_last_sentence_cross_the_budget(baghouz):
    filled = summarize_event(baghouz, words=50, fill=True)
    sizes = [s.words for s in filled.sentences]
    assert sum(sizes) >= 50 and sum(sizes) - min(sizes) < 50 + max(sizes)


def test_minilm_path_keeps_the_budget_and_drops_off_topic_sentences(baghouz):
    embedder = load_embedder()
    if embedder is None:
        pytest.skip("MiniLM is not installed or is disabled (STORYLINE_EMBEDDINGS=off)")
    for words in (40, 100, 250):
        summary = summarize_event(baghouz, words=words, embedder=embedder)
        assert summary.sentences and sum(s.words for s in summary.sentences) <= words
        text = " ".join(s.text for s in summary.sentences)
        assert not any(noise in text for noise in OFF_TOPIC)


def test_a_syndicated_copy_counts_once_in_support():
    wire = _article("a", "AP", LONE, FACT)
    copies = [_article(f"c{k}", f"Site{k}", LONE, f"Republished by Site{k} with permission today.") for k in range(3)]
    for copy in copies:
        copy.copy_of = "a"
    others = [
        _article("r", "Reuters", "The bridge over the river Arno collapsed on Monday during rush hour, police said."),
        _article("b", "BBC", "A bridge on the Arno collapsed on Monday morning in the rush hour."),
    ]
    summary = summarize_event([wire, *copies, *others], words=20)
    assert "collapsed" in summary.sentences[0].text  # two outlets confirm it; copies vouch for nothing
    assert not {s.article_id for s in summary.sentences} & {c.id for c in copies}


def test_a_large_event_is_summarised_from_a_bounded_spread_of_its_articles():
    towns = ["Alder", "Birch", "Cedar", "Dover", "Elm", "Fern", "Grove", "Heath", "Iver", "Juniper"]
    articles = [
        Article(
            id=f"a{n:02d}",
            title=f"Flood update {n}",
            text=f"The river flood reached {towns[n % 10]} on day {n} of the emergency, officials said. "
            f"Rescue teams moved {n + 10} families from {towns[n % 10]} to shelters as the river flood spread.",
            source=f"Outlet {n}",
        )
        for n in range(50)
    ]
    settings = replace(SummarySettings(), max_articles=5)
    spread = {"a00", "a12", "a24", "a37", "a49"}  # evenly over the 50, first and last kept
    summary = summarize_event(articles, words=400, settings=settings)
    assert summary.sentences and {s.article_id for s in summary.sentences} <= spread
    unbounded = summarize_event(articles, words=400)
    assert not {s.article_id for s in unbounded.sentences} <= spread  # the bound is what narrows it


def test_a_lone_report_next_to_a_scrap_is_summarised_by_its_lead_and_fills_the_budget(baghouz):
    """The scrap shares no pair of content words with the report, so nothing is corroborated:
    the report's own sentences, in reading order from its lead, make the summary (skipping
    those that no longer fit the budget)."""
    wire = baghouz[0]
    scrap = Article(id="scrap", source="x.test", text="Tweet with a location. You can add location information.")
    summary = summarize_event([wire, scrap], words=100)
    lead = next(s for s in split_sentences(wire) if is_candidate(s))
    assert summary.sentences[0].text == lead.text
    positions = [s.position for s in summary.sentences]
    assert positions == sorted(positions) and {s.article_id for s in summary.sentences} == {wire.id}
    assert 80 <= sum(s.words for s in summary.sentences) <= 100


def test_stray_sentences_only_fill_a_budget_the_event_cannot_fill_on_topic(baghouz):
    on_topic = summarize_event(baghouz, words=800)
    assert not any(noise in s.text for s in on_topic.sentences for noise in OFF_TOPIC)
    everything = summarize_event(baghouz, words=1400)
    assert sum(s.words for s in everything.sentences) > sum(s.words for s in on_topic.sentences)
    assert any("Charlie Hebdo" in s.text for s in everything.sentences)
    asked = summarize_event(baghouz, words=1400, query="Who is fighting in Baghouz?")
    assert not any(noise in s.text for s in asked.sentences for noise in OFF_TOPIC)  # a question sets the topic
