"""Facts of events: entities and aliases, figures, disagreements, timelines, on real text and real spaCy."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from tests.conftest import EVAL, run_cli

from storyline.config import FactsSettings, Settings
from storyline.errors import InputError
from storyline.extract import extract
from storyline.facts import analyse_articles, event_facts, load_aliases
from storyline.facts.entities import group_entities, similar_spelling, spelled_acronyms
from storyline.facts.figures import bounds, parse_number
from storyline.facts.timeline import resolve_date
from storyline.ingest import read_document
from storyline.model import Article
from storyline.store import Store

SETTINGS = FactsSettings()


@pytest.fixture(scope="module")
def baghouz() -> list[Article]:
    from tests.conftest import EXAMPLES

    settings = Settings()
    return [
        a for path in sorted(EXAMPLES.glob("*.txt")) for a in extract(read_document(path, settings.extract)).articles
    ]


@pytest.fixture(scope="module")
def baghouz_facts(baghouz):
    return event_facts(baghouz, SETTINGS)


def _group(facts, name):
    return next(g for g in facts.entities if g.name == name)


def test_the_is_aliases_are_one_entity(baghouz_facts):
    group = _group(baghouz_facts, "Islamic State")
    assert {"IS", "ISIS", "ISIL", "Islamic State"} <= {name for name, _ in group.variants}
    # counted over the sentences spaCy reads (title, lead, those with numbers or dates): 24 of them
    assert group.label == "ORG" and group.mentions >= 20
    assert baghouz_facts.entities[0] is group  # the most mentioned entity of the event


def test_bali_spellings_and_surname_are_one_person(baghouz_facts):
    group = _group(baghouz_facts, "Mustefa Bali")
    assert {name for name, _ in group.variants} == {"Mustefa Bali", "Mustafa Bali", "Bali"}
    assert group.label == "PERSON"


def test_acronym_learned_from_initials(baghouz_facts):
    group = _group(baghouz_facts, "Syrian Democratic Forces")
    assert dict(group.variants)["SDF"] >= 10
    assert not any(g.name == "SDF" for g in baghouz_facts.entities)


def test_the_62_vs_90_disagreement_and_no_false_one(baghouz_facts, baghouz):
    [disagreement] = baghouz_facts.disagreements
    values = sorted((f.value, f.article_id, f.said_by) for f in disagreement.figures)
    assert [v for v, _, _ in values] == [62, 90]
    assert {a for _, a, _ in values} == {a.id for a in baghouz}  # one figure from each source
    assert {s for _, _, s in values} == {"International Rescue Committee", "OCHA"}
    # "at least 15 people" killed in Idlib and the UN's toll of 16 are compatible, not a disagreement
    assert any(f.text == "at least 15 people" and f.qualifier == "at least" for f in baghouz_facts.figures)


def test_figures_are_normalised(baghouz_facts):
    by_text = {f.text: f for f in baghouz_facts.figures}
    assert (by_text["More than 10,000 people"].value, by_text["More than 10,000 people"].qualifier) == (
        10000,
        "more than",
    )
    assert (by_text["about 2,000 civilians"].value, by_text["about 2,000 civilians"].qualifier) == (2000, "about")
    assert by_text["dozens of civilians"].qualifier == "vague"
    assert by_text["four civilians"].value == 4 and by_text["four civilians"].counts == "civilians killed"
    assert by_text["Around 90 people"].said_by == "OCHA"


def test_undated_articles_invent_no_dates(baghouz_facts):
    # the examples carry no publication date: "on Tuesday" and "in December" cannot be placed,
    # "in 2014" can (it names its year)
    assert baghouz_facts.timeline
    assert {(t.date.year, t.resolution) for t in baghouz_facts.timeline} == {(2014, "year")}


@pytest.mark.parametrize(
    ("words", "value"),
    [("2,000", 2000), ("twenty-five", 25), ("1.5 million", 1_500_000), ("three hundred", 300), ("62", 62)],
)
def test_parse_number(words, value):
    assert parse_number(words) == value


def test_qualifiers_give_intervals():
    assert bounds(90, "about", 0.1) == pytest.approx((81, 99))
    assert bounds(15, "at least", 0.1)[0] == 15 and bounds(10, "more than", 0.1)[0] > 10
    assert bounds(17, "up to", 0.1) == (0, 17)


def test_relative_dates_resolve_against_the_publication_date():
    wednesday = datetime(2019, 3, 6, 15, 0, tzinfo=UTC)
    assert resolve_date("Tuesday", wednesday) == (datetime(2019, 3, 5), "day")
    assert resolve_date("on Wednesday", wednesday) == (datetime(2019, 3, 6), "day")
    assert resolve_date("December", wednesday) == (datetime(2018, 12, 1), "month")
    assert resolve_date("March 1", wednesday) == (datetime(2019, 3, 1), "day")
    assert resolve_date("yesterday", wednesday) == (datetime(2019, 3, 5), "day")
    assert resolve_date("Tuesday", None) is None and resolve_date("December", None) is None
    assert resolve_date("in 2014", None) == (datetime(2014, 1, 1), "year")
    assert resolve_date("the past weeks", wednesday) is None


def test_dated_event_gets_a_resolved_timeline():
    published = datetime(2019, 3, 6, tzinfo=UTC)
    articles = [
        Article(
            id=f"a{i}",
            title=f"Report {i}",
            text=text,
            published=published,
            source=f"outlet{i}",
        )
        for i, text in enumerate(
            [
                "Police said two people were killed on Tuesday in Springfield. The suspect was arrested in December.",
                "Two people were killed in Springfield on Tuesday, police said.",
            ]
        )
    ]
    facts = event_facts(articles, SETTINGS)
    dated = {(t.date.date().isoformat(), t.resolution) for t in facts.timeline}
    assert ("2019-03-05", "day") in dated and ("2018-12-01", "month") in dated
    assert not facts.disagreements


def test_spelled_acronyms_and_spelling_rules():
    assert spelled_acronyms("the Syrian Democratic Forces (SDF) said") == {"SDF": "Syrian Democratic Forces"}
    assert spelled_acronyms("fighters of the Islamic State (IS) group") == {"IS": "Islamic State"}
    assert similar_spelling("Mustefa Bali", "Mustafa Bali", 0.8)
    assert not similar_spelling("John Smith", "Joan Smith", 0.8)
    assert not similar_spelling("Sarah Griego", "Angelina Griego", 0.8)


def test_user_aliases_extend_the_table(tmp_path):
    extra = tmp_path / "aliases.tsv"
    extra.write_text("Hayat Tahrir al-Sham\tORG\tHTS|Tahrir al-Sham\nWidget Corp\tORG\tWCo\n", encoding="utf-8")
    aliases = load_aliases(str(extra))
    assert aliases.lookup("WCo") == ("Widget Corp", "ORG")
    assert aliases.lookup("ISIL") == ("Islamic State", "ORG")  # the bundled rows stay
    groups = group_entities([("WCo", "ORG"), ("Widget Corp", "ORG"), ("WCo", "ORG")], {}, aliases, 0.8)
    assert [(g.name, g.mentions) for g in groups] == [("Widget Corp", 3)]


def test_a_bad_alias_file_is_one_clear_error(tmp_path):
    bad = tmp_path / "aliases.tsv"
    bad.write_text("only one column\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"aliases.tsv:1: expected"):
        load_aliases(str(bad))


def test_figures_of_different_things_or_times_do_not_disagree():
    day = datetime(2015, 6, 1, tzinfo=UTC)
    texts = [
        "Three people were killed and two other victims were wounded in the shooting on Main Street, police said.",
        "Police said two people were killed in the Main Street shooting and four people were wounded.",
        "One man was shot in the leg and another was shot in the arm on Main Street.",
    ]
    articles = [Article(id=f"g{i}", text=t, title="", published=day, source=f"s{i}") for i, t in enumerate(texts)]
    analyses = {found.article_id: found for found in analyse_articles(articles, SETTINGS)}
    facts = event_facts(articles, SETTINGS, analyses)
    keys = {c.figure.key for found in analyses.values() for c in found.claims}
    assert "people|killed" in keys
    # the 3-vs-2 killed is a real disagreement; "two other victims" (a part) vs "four people" is not
    assert [sorted(f.value for f in d.figures) for d in facts.disagreements] == [[2, 3]]
    later = [
        Article(id=a.id, text=a.text, title="", published=day.replace(day=1 + 5 * i), source=a.source)
        for i, a in enumerate(articles)
    ]
    assert not event_facts(later, SETTINGS).disagreements  # five days apart: a toll may have changed


def test_events_store_and_show_facts(examples, db):
    assert run_cli("ingest", *map(str, examples), "--db", db).returncode == 0
    [event] = [json.loads(line) for line in run_cli("events", "--format", "json", "--db", db).stdout.splitlines()]
    assert any(g["name"] == "Islamic State" and g["mentions"] >= 20 for g in event["entities"])
    [disagreement] = event["disagreements"]
    assert sorted(f["value"] for f in disagreement["figures"]) == [62, 90]
    assert {f["source"] for f in disagreement["figures"]} == {p.name for p in examples}
    assert all(t["resolution"] == "year" for t in event["timeline"])
    markdown = run_cli("events", "--format", "markdown", "--db", db).stdout
    assert "**Sources disagree:**" in markdown and "Around 90 people" in markdown and "**Figures:**" in markdown
    text = run_cli("events", "--db", db).stdout
    assert "Names: Islamic State (IS " in text and "Mustefa Bali (" in text and "62 people" in text
    with Store(db) as store:
        [stored] = store.events()
    assert stored.entities[0].name == "Islamic State" and len(stored.disagreements) == 1
    assert stored.figures[0].sentence and stored.figures[0].article_id in {a.id for a in stored.articles}


@pytest.mark.skipif(not (EVAL / "gva-incidents-dev").is_dir(), reason=f"evaluation data not found at {EVAL}")
def test_disagreement_precision_on_the_labelled_pairs():
    from storyline.evaluate.facts import default_pairs_path, evaluate_facts, read_pairs

    pairs = read_pairs(default_pairs_path())
    assert len(pairs) >= 40 and {p.label for p in pairs} == {"agree", "disagree"}
    scores = evaluate_facts(EVAL, SETTINGS)
    assert scores["all"].pairs == len(pairs) == scores["tuning"].pairs + scores["held-out"].pairs
    assert scores["all"].precision >= 0.9  # the target: a false disagreement is worse than a missed one
    assert scores["held-out"].precision >= 0.75  # measured 0.8 (4 of 5) when the rules were frozen
    assert scores["all"].recall >= 0.4


def test_unchanged_events_are_reused_without_reparsing(baghouz):
    from storyline.describe import description_fingerprint
    from storyline.model import EntityGroup, Event
    from storyline.pipeline import build_events

    settings = Settings()
    marker = EntityGroup(name="Stored earlier", label="ORG", variants=(("Stored earlier", 2),))
    known = Event(id="old", articles=list(baghouz), entities=[marker], made_with=description_fingerprint(settings))
    [event] = build_events(baghouz, settings, known=[known])
    assert event.entities == [marker]  # same articles, same settings: the stored event is reused
    [fresh] = build_events(baghouz, settings, known=[replace(known, articles=baghouz[:1])])
    assert fresh.entities[0].name == "Islamic State"  # different articles: described again
    [other] = build_events(baghouz, settings, known=[replace(known, made_with="another version")])
    assert other.entities[0].name == "Islamic State"  # described under other settings: again
    assert (
        other.made_with
        == description_fingerprint(settings)
        != description_fingerprint(replace(settings, summary=replace(settings.summary, words=40)))
    )


def test_a_large_event_is_read_from_a_bounded_spread_but_keeps_every_date():
    articles = [
        Article(
            id=f"a{n:02d}",
            title=f"Flood update {n}",
            text=f"Officials said {n + 10} people were evacuated from the valley on Monday as the river rose.",
            source=f"Outlet {n}",
            published=datetime(2024, 5, 1, tzinfo=UTC) + timedelta(hours=n),
        )
        for n in range(50)
    ]
    settings = replace(FactsSettings(), max_articles=5)
    facts = event_facts(articles, settings)
    spread = {"a00", "a12", "a24", "a37", "a49"}  # evenly over the 50, first and last kept
    assert facts.figures and {f.article_id for f in facts.figures} <= spread
    assert {f.article_id for f in event_facts(articles, FactsSettings()).figures} - spread  # the bound narrows it
    assert {e.article_id for e in facts.timeline} == {a.id for a in articles}  # every publication date


def _analysed(text: str, published: datetime | None) -> list:
    [found] = analyse_articles([Article(id="t", text=text, title="", published=published)], SETTINGS)
    return found


def test_house_numbers_routes_ages_and_counts_are_never_dates():
    found = _analysed(
        "The shooting happened at 1917 Prospect Ave. on Saturday, police said. "
        "The victim, Marcus Hill, 19, was driving on Route 2004 with 2011 dollars in cash. "
        "Hill had moved to Kansas City, Mo., in 2009 and graduated with the class of 2012.",
        datetime(2013, 6, 24, tzinfo=UTC),
    )
    assert sorted((d.date.date().isoformat(), d.resolution) for d in found.dates) == [
        ("2009-01-01", "year"),
        ("2013-06-22", "day"),
    ]
    names = {name for name, _, _ in found.mentions}
    assert "Prospect Ave" in names and "Prospect" not in names and "Mo" not in names


def test_what_is_to_come_is_dated_ahead_and_a_guess_not_at_all():
    published = datetime(2015, 9, 22, tzinfo=UTC)  # a Tuesday
    found = _analysed(
        "Pohto is due in court Oct. 22. The funeral is planned for Friday. "
        "The suspect was arrested Sunday. A ruling could come in March. A vigil was held on Wednesday, July 22.",
        published,
    )
    dates = sorted(d.date.date().isoformat() for d in found.dates)
    assert dates == ["2015-07-22", "2015-09-20", "2015-09-25", "2015-10-22"]  # July 22, 2015 was a Wednesday


def test_figures_name_what_is_counted_and_what_happened_to_it(baghouz_facts):
    counts = {f.text: f.counts for f in baghouz_facts.figures}
    assert counts["about 2,000 civilians"] == "civilians"  # "are under siege": no verb cut off
    assert counts["Dozens of civilians"] == "civilians handed over"  # "have handed themselves over"
    assert "two options" not in counts  # IS fighters "have only two options": an aside, left out (ranking.py)
    assert counts["62 people"] == "people died"
    assert not any(f.counts.endswith(" killed") for f in baghouz_facts.figures if f.text == "two brothers")


def test_numbers_that_count_nothing_are_no_figures():
    found = _analysed(
        "Image 4 of 8. A 284-unit complex at 66 Cottage St. called police at 911. "
        "Callers can reach Crime Stoppers at 866-845-8477. The club can hold more than 1,200 people. "
        "For every million juveniles, 38 were murdered. He weighed 140 pounds and lived 20 miles away.",
        datetime(2015, 6, 1, tzinfo=UTC),
    )
    assert [(c.figure.value, c.figure.counts) for c in found.claims] == [(1200, "people")]


def test_nationalities_and_fragments_are_not_names(baghouz_facts):
    names = {g.name for g in baghouz_facts.entities}
    assert not names & {"Kurdish", "Syrian", "Islamic", "British"}
    assert {"Islamic State", "Mustefa Bali", "Baghouz"} <= names


def test_a_report_is_dated_in_the_past_and_a_month_takes_the_year_written_after_it():
    found = _analysed(
        "Argentina will be among the top gold producers, an official said Wednesday. "
        "Relations were established in July and December in 1993. The show opens in May.",
        datetime(1998, 10, 8, tzinfo=UTC),  # a Thursday
    )
    dates = sorted((d.date.date().isoformat(), d.resolution) for d in found.dates)
    assert dates == [
        ("1993-01-01", "year"),
        ("1993-07-01", "month"),
        ("1993-12-01", "month"),
        ("1998-10-07", "day"),  # said Wednesday: the day before, not the Wednesday to come
        ("1999-05-01", "month"),  # "opens in May": the coming May
    ]


def test_the_judged_sample_points_into_the_evaluation_data_and_holds_no_text():
    from storyline.evaluate.fact_sample import default_sample_path, read_sample

    entries = read_sample(default_sample_path())
    kinds = {(e.kind, e.split) for e in entries}
    assert {("timeline", "held-out-1"), ("figure", "held-out-1"), ("timeline", "held-out-3")} <= kinds
    assert sum(e.kind == "timeline" for e in entries) >= 200 and sum(e.kind == "figure" for e in entries) >= 200
    assert all(e.sentence >= 0 and len(e.output) < 120 and len(e.note) < 200 for e in entries)  # pointers, no text
    assert all(e.note for e in entries if e.label == "wrong")  # every wrong row says why


@pytest.mark.skipif(not (EVAL / "gva-incidents-dev").is_dir(), reason=f"evaluation data not found at {EVAL}")
def test_timeline_precision_on_the_last_held_out_sample():
    from storyline.evaluate.fact_sample import default_sample_path, read_sample, score_sample

    entries = [e for e in read_sample(default_sample_path()) if e.split == "held-out-3"]
    score = score_sample(EVAL, SETTINGS, entries)[("timeline", "held-out-3")]
    # The judged dates are still given, but those of the event's background told in a sentence
    # the summarizer judges off topic (#43: "another boy died in Katy last November") are left
    # out by design (22 of the 100 when this changed), and the 60 entries an event keeps now
    # hold its own days first, so a long event's oldest background goes first (9 more).
    assert score.right + score.wrong >= 65
    assert score.precision >= 0.97  # the target; 1.000 (100 of 100) when the sample was judged
