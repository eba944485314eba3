"""What a reader is shown of an event's facts: names as its mentions agree on them, figures from
its own sentences, ranked and worded as phrases, its own days before the background, and summary
sentences that lean on nothing unseen. Real spaCy, real texts (the bundled Baghouz pair)."""

from datetime import UTC, datetime
from pathlib import Path

from storyline.config import FactsSettings
from storyline.extract import extract
from storyline.facts import analyse_articles, event_facts
from storyline.facts.timeline import is_background
from storyline.ingest import read_document
from storyline.model import Article, Sentence
from storyline.render import figure_phrase
from storyline.summarize import off_topic_sentences, standalone
from storyline.summarize.events import follows_on

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "src" / "storyline" / "examples").glob("*.txt"))
SETTINGS = FactsSettings()


def _baghouz(dated: bool = False) -> list[Article]:
    articles = [extract(read_document(path)).articles[0] for path in EXAMPLES]
    if dated:
        articles = [
            Article(
                id=a.id, title=a.title, text=a.text, source=a.source, published=datetime(2019, 3, 5 + k, tzinfo=UTC)
            )
            for k, a in enumerate(articles)
        ]
    return articles


def test_the_off_topic_sentence_gives_no_figure_name_or_date_and_the_disagreement_stays():
    articles = _baghouz()
    stray = off_topic_sentences(articles)
    texts = [s for a in articles for s in a.text.split("\n") if "Charlie Hebdo" in s]
    assert texts and stray  # the summarizer's judgement finds the stitched-in sentence
    facts = event_facts(articles, SETTINGS, off_topic=stray)
    everything = facts.figures + [f for d in facts.disagreements for f in d.figures]
    assert not [f for f in everything if "Charlie Hebdo" in f.sentence]
    assert "Charlie Hebdo" not in {e.name for e in facts.entities}
    assert not [t for t in facts.timeline if "Charlie Hebdo" in t.text]
    # without the judgement the sentence's toll is there: the filter is what removes it
    unfiltered = event_facts(articles, SETTINGS)
    assert [f for f in unfiltered.figures if "Charlie Hebdo" in f.sentence]
    assert {(d.figures[0].value, d.figures[1].value) for d in facts.disagreements} == {(62.0, 90.0)}


def test_names_fragments_boilerplate_and_places():
    facts = event_facts(_baghouz(), SETTINGS, off_topic=off_topic_sentences(_baghouz()))
    labels = {e.name: e.label for e in facts.entities}
    assert "Beyond Baghouz" not in labels and "Latest News" not in labels and "Observatory" not in labels
    assert labels["Khan Sheikhun"] == "GPE" and labels["Baghouz"] == "GPE"
    assert labels["Syrian Observatory for Human Rights"] == "ORG"


def test_a_state_abbreviation_after_a_town_is_the_state_and_the_town_a_place():
    text = "A ferry ran aground off Martha's Vineyard, Mass., on Sunday, and two passengers were hurt."
    [found] = analyse_articles([Article(id="m", text=text, title="")], SETTINGS)
    mentions = {(name, label) for name, label, _ in found.mentions}
    assert ("Massachusetts", "GPE") in mentions and ("Martha's Vineyard", "GPE") in mentions
    assert not [name for name, _ in mentions if name.rstrip(".") == "Mass"]


def test_figures_lead_with_the_toll_read_as_phrases_and_leave_trivia_out():
    articles = _baghouz()
    facts = event_facts(articles, SETTINGS, off_topic=off_topic_sentences(articles))
    phrases = [figure_phrase(f) for f in facts.figures]
    assert phrases[:1] == ["62 people died"]
    assert "four civilians killed" in phrases
    assert not [p for p in phrases if "option" in p]  # "two options": one report's aside


def test_the_events_own_days_come_first_and_the_background_after():
    articles = _baghouz(dated=True)
    facts = event_facts(articles, SETTINGS, off_topic=off_topic_sentences(articles))
    first = datetime(2019, 3, 5)
    kinds = [is_background(t, first, SETTINGS.own_days) for t in facts.timeline]
    assert kinds == sorted(kinds) and kinds[0] is False and True in kinds  # own days, then background
    assert any(t.date.year == 2014 for t, past in zip(facts.timeline, kinds, strict=True) if past)


def _sentence(text: str, position: int = 3) -> Sentence:
    return Sentence(text=text, article_id="a", position=position)


def test_a_sentence_pointing_back_stands_only_after_what_it_points_to():
    pointing = _sentence("But despite this hinderance, the spokesman said the battle would be over soon.")
    assert standalone(pointing) is None
    assert follows_on(_sentence("Despite this hinderance, the spokesman said the battle would be over soon."))
    whole = _sentence("Despite heavy rain, thousands marched through the centre of the city on Sunday.")
    assert standalone(whole) is not None
