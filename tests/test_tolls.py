"""Tolls as a local report writes them: casualty counts read from headlines, the wounded derived
from those shot and those killed, casualties of other incidents left out, and a town named by its
police read as a place. Real spaCy where a sentence is parsed."""

from datetime import UTC, datetime

import spacy
from spacy.tokens import Span

from storyline.config import FactsSettings
from storyline.facts import analyse_articles, event_facts
from storyline.facts.aliases import AliasTable
from storyline.facts.analysis import _mention
from storyline.facts.entities import group_entities
from storyline.facts.figures import Claim, figure_bounds
from storyline.facts.headlines import headline_claims
from storyline.facts.ranking import agreed_tolls, figure_rank, ranked_claims
from storyline.facts.wounded import event_wounded, sentence_wounded
from storyline.model import Article, Figure
from storyline.render import figure_phrase

SETTINGS = FactsSettings()


def _make(value, qualifier, counts, key, written, partial=False, article="a", day=1) -> Claim:
    published = datetime(2015, 6, day, tzinfo=UTC)
    figure = Figure(value, qualifier, counts, written, "headline", article, published=published, key=key)
    low, high = figure_bounds(figure, 0.1)
    return Claim(figure, low, high, qualifier == "vague", partial, frozenset(), frozenset(), frozenset())


def _read(title: str) -> dict[str, float]:
    claims = headline_claims(title, _make)
    claims += sentence_wounded(claims, 0.1)
    return {c.figure.key.rpartition("|")[2]: c.figure.value for c in claims}


def test_a_headline_toll_is_read_and_the_wounded_are_those_shot_less_the_dead():
    assert _read("4 Shot, 1 Killed In Detroit Argument") == {"shot": 4, "killed": 1, "injured": 3}
    assert _read("1 dead, 4 hurt in Vallejo shooting") == {"killed": 1, "injured": 4}
    assert _read("Two Dead, Two Critically Injured After Shooting") == {"killed": 2, "injured": 2}
    assert _read("Wilbert Thibodeaux Arrested After Killing 1 Officer, Wounding 2") == {"killed": 1, "injured": 2}
    # an age, shots fired and animals are no toll; "others" shot are besides the dead
    assert _read("15-Year-Old Dead, 6 Shot After Dice Game") == {"shot": 6}
    assert _read("27 Shots Fired, 3 Pit Bulls Shot") == {}
    assert _read("1 Killed, 5 Others Shot At Party") == {"killed": 1, "shot": 5, "injured": 5}


def test_a_headline_toll_reads_as_a_phrase():
    claims = headline_claims("Five Children Shot, One Dead In South Side Drive-By", _make)
    claims += sentence_wounded(claims, 0.1)
    assert [figure_phrase(c.figure) for c in claims] == ["Five Children shot", "One person dead", "4 people wounded"]
    assert [figure_phrase(c.figure) for c in headline_claims("About 19 wounded at parade", _make)] == [
        "About 19 people wounded"
    ]


def test_an_event_whose_reports_name_no_death_has_those_shot_as_its_wounded():
    # two reports say four were shot, one says five: the wounded are the four most reports give
    shot = [
        _make(n, "exactly", "people shot", "people|shot", str(n), article=a) for n, a in ((4, "a"), (4, "b"), (5, "c"))
    ]
    wounded = event_wounded(shot, 0.1)
    assert [(w.figure.value, w.figure.article_id, w.figure.key) for w in wounded] == [
        (4, "a", "people|injured"),
        (4, "b", "people|injured"),
    ]
    killed = _make(1, "exactly", "people killed", "people|killed", "1 dead")
    assert event_wounded([*shot, killed], 0.1) == []


def test_casualties_of_another_incident_are_not_the_events():
    text = (
        "Four people were wounded in a shooting outside a bar on Main Street early Sunday, police said. "
        "In a separate shooting on Friday, one man was killed on the West Side."
    )
    day = datetime(2015, 6, 8, tzinfo=UTC)
    article = Article(id="a", title="Four wounded in bar shooting", text=text, published=day)
    facts = event_facts([article, Article(id="b", title="", text=text, published=day)], SETTINGS)
    keys = {(f.key.rpartition("|")[2], f.value) for f in facts.figures}
    assert ("injured", 4) in keys and not [k for k in keys if k[0] == "killed"]
    days = {t.date.day for t in facts.timeline}
    assert 7 in days and 5 not in days  # Sunday's shooting, not the separate one's Friday


def test_a_town_named_by_its_police_is_a_place():
    groups = group_entities(
        [("Vallejo", "ORG"), ("Vallejo Police Department", "ORG"), ("Memphis Police Department", "ORG"),
         ("Michigan State Police", "ORG")],
        {}, AliasTable(()), 0.8,
    )  # fmt: skip
    labels = {g.name: g.label for g in groups}
    assert labels["Vallejo"] == "GPE" and labels["Memphis"] == "GPE"
    assert "Michigan State" not in labels and labels["Vallejo Police Department"] == "ORG"
    text = "Hialeah police said the gunman fired at a pharmacy before noon."
    [found] = analyse_articles([Article(id="h", text=text, title="")], SETTINGS)
    assert ("Hialeah", "GPE") in {(name, label) for name, label, _ in found.mentions}


def test_a_name_one_is_in_is_a_place_even_when_read_as_a_person():
    doc = spacy.blank("en")("Robbers shot the owner of a pharmacy in Bean Station , and of Bean Station 's store .")
    doc.ents = [Span(doc, 8, 10, label="PERSON"), Span(doc, 13, 15, label="PERSON")]
    assert [_mention(e) for e in doc.ents] == [("Bean Station", "GPE"), ("Bean Station", "PERSON")]


def test_where_reports_agree_on_a_toll_a_one_off_count_is_left_out_but_a_newer_higher_toll_stays():
    def killed(value, article, day=1, noun="people"):
        return _make(value, "exactly", f"{noun} killed", f"{noun}|killed", str(value), article=article, day=day)

    agreed = [killed(6, "a"), killed(6, "b"), killed(4, "c", noun="child")]
    assert [c.figure.value for c in agreed_tolls(agreed)] == [6, 6]
    rising = [*agreed, killed(7, "d", day=3)]  # a wounded man died: the newest report's toll
    assert [c.figure.value for c in agreed_tolls(rising)] == [6, 6, 7]
    assert len(agreed_tolls([killed(62, "a"), killed(90, "b")])) == 2  # no agreement: both stand


def test_the_whole_a_part_is_taken_from_is_not_the_toll():
    text = "Police said Sunday that two of the four shooting victims had died."
    [found] = analyse_articles([Article(id="w", text=text, title="")], SETTINGS)
    killed = {c.figure.value for c in found.claims if c.figure.key.endswith("|killed")}
    assert killed == {2}


def test_a_thing_counted_with_a_casualty_verb_is_no_toll():
    text = "One shooting was fatal, and another came during a carjacking. Two men were killed on Elm Street."
    [found] = analyse_articles([Article(id="t", text=text, title="")], SETTINGS)
    ranked = {c.figure.key: figure_rank(c) for c in found.claims}
    assert ranked["man|killed"] == 0 and ranked["shooting|killed"] == 2
    assert not [c for c in ranked_claims(found.claims) if c.figure.key.startswith("shooting")]


def test_a_single_person_joined_to_a_counted_noun_counts_one_more():
    text = "Three men and a woman were wounded in the gunfire. The attack killed 12 soldiers and one civilian."
    [found] = analyse_articles([Article(id="j", text=text, title="")], SETTINGS)
    told = {(c.figure.key, c.figure.value, figure_phrase(c.figure)) for c in found.claims}
    assert ("man|injured", 4, "Three men and a woman wounded") in told
    assert {("troop|killed", 12, "12 soldiers killed"), ("civilian|killed", 1, "one civilian killed")} <= told


def test_a_thing_counted_does_not_stop_those_shot_being_the_wounded():
    shot = [_make(5, "exactly", "people shot", "people|shot", "5", article=a) for a in "ab"]
    thing = _make(1, "exactly", "shooting injured", "shooting|injured", "the shooting", partial=True)
    assert [w.figure.value for w in event_wounded([*shot, thing], 0.1)] == [5, 5]
