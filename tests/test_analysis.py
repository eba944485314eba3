"""Each article is analysed once (spaCy), its analysis kept in the store, and an event described
again only combines what its articles hold: on SQLite and PostgreSQL, in one process and on a
pool of processes alike."""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import write_jsonl
from storyline.config import FactsSettings, Settings
from storyline.describe import article_facts
from storyline.extract import extract
from storyline.facts import analyse_articles, analysis_fingerprint, event_facts
from storyline.grouping import cluster_events
from storyline.ingest import read_document
from storyline.model import Article, RawDocument
from storyline.pipeline import ingest_paths
from storyline.scale import EarlyAnalysis, LocalExecutor
from storyline.store import Store

DATA = Path(__file__).parent / "data"
TOWNS = [
    "Ashford", "Belmont", "Carver", "Dunmore", "Elkton", "Fairview", "Glenwood", "Hartley", "Ivanhoe", "Jasper",
    "Kingsley", "Linwood", "Marlow", "Norwood", "Oakdale", "Pembroke", "Quincy", "Redford", "Stanton", "Tilden",
]  # fmt: skip
PEOPLE = [
    "Aaron Whitlock", "Bianca Moreno", "Calvin Ostrander", "Delia Fairbanks", "Edgar Lindqvist", "Fiona Castellan",
    "Gordon Pelletier", "Hazel Drummond", "Isaac Verhoeven", "Joanna Kettering", "Kurt Abernathy", "Lena Solberg",
    "Marcus Tolliver", "Nadia Brennan", "Oscar Halloran", "Priya Ramanathan", "Quentin Ashby", "Rosa Delgado",
    "Simon Hargreave", "Tessa Whitcombe",
]  # fmt: skip


def _story(n: int) -> str:
    """A local report of its own incident: a town, a named victim, a date and figures."""
    town, person = TOWNS[n], PEOPLE[n]
    return (
        f"Police in {town} said at least {n + 3} people were wounded and {person}, {n + 30}, was killed when a gunman"
        f" opened fire outside a bar on Saturday night. The shooting happened shortly after 11 p.m. on"
        f" {town} Avenue, where about {n + 40} people had gathered for a birthday party. Officers arrested a"
        f" suspect near the {town} bus station two hours later and recovered a handgun. Chief"
        f" {PEOPLE[-1 - n]} told reporters that the investigation would continue through the weekend and"
        f" asked witnesses to come forward. Neighbours said the bar had been the scene of fights before."
    )


def _report(n: int, copy: int, published: datetime) -> dict:
    """Copy ``copy`` of event ``n``'s story: the same text with an outlet's own closing line, so
    that dedup groups the copies into the event of the first whatever the clusterer does."""
    return {
        "id": f"e{n:02d}-r{copy}",
        "title": f"Shooting outside {TOWNS[n]} bar leaves one dead",
        "text": f"{_story(n)} Outlet {copy} of {TOWNS[n]} will update this report as news comes in.",
        "source": f"outlet{copy}.example",
        "published": (published + timedelta(hours=copy)).isoformat(),
    }


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path]:
    """20 events of 4 reports each, then 10 more reports: one for each of 10 of those events."""
    start = datetime(2015, 6, 1, tzinfo=UTC)
    first = [_report(n, copy, start + timedelta(days=10 * n)) for n in range(20) for copy in range(4)]
    later = [_report(n, 4, start + timedelta(days=10 * n)) for n in range(10)]
    return write_jsonl(tmp_path / "first.jsonl", first), write_jsonl(tmp_path / "later.jsonl", later)


def test_adding_articles_analyses_only_them(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    first, later = corpus
    settings = Settings.from_env(str(tmp_path / "count.db"))
    made_with = analysis_fingerprint(settings.facts)
    with Store(settings.db) as store:
        report = ingest_paths([first], store, settings)
        assert (report.new, report.events, report.analysed) == (80, 20, 80)
        before = store.article_facts(made_with, [a.id for a in store.articles()])
        report = ingest_paths([later], store, settings)
        assert (report.new, report.events, report.analysed) == (10, 20, 10)
        after = store.article_facts(made_with, [a.id for a in store.articles()])
        events = store.events()
    grown = [e for e in events if len(e.articles) == 5]
    assert len(grown) == 10  # each new report joined its event: 10 events of 50 articles described again
    assert len(after) == 90 and {k: after[k] for k in before} == before  # the 80 analyses stand as they were
    for event in grown:
        newest = next(a.id for a in event.articles if a.id.endswith("-r4"))
        assert any(f.article_id == newest for f in event.figures)  # its facts come from its articles' analyses
        assert event.disagreements == []  # the copies agree on every figure


def test_an_analysis_made_under_other_settings_is_made_again(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    first, _ = corpus
    settings = Settings.from_env(str(tmp_path / "again.db"))
    with Store(settings.db) as store:
        assert ingest_paths([first], store, settings).analysed == 80
        assert ingest_paths([first], store, settings).analysed == 0  # nothing new: nothing analysed
        other = replace(settings, facts=replace(settings.facts, timeline_text_chars=100))
        assert analysis_fingerprint(other.facts) != analysis_fingerprint(settings.facts)
        assert ingest_paths([first], store, other).analysed == 80  # every event is described anew


def _articles(count: int) -> list[Article]:
    start = datetime(2015, 6, 1, tzinfo=UTC)
    return [
        Article(
            id=f"a{n}", title=f"Report {n}", text=_story(n % 20), source="wire", published=start + timedelta(days=n)
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_analyses_round_trip_through_the_store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    db = request.getfixturevalue("postgres_url") if backend == "postgresql" else str(tmp_path / "facts.db")
    articles = _articles(3)
    settings = FactsSettings()
    analyses = analyse_articles(articles, settings)
    assert all(found.claims and found.dates and found.mentions for found in analyses)
    with Store(db) as store:
        for article in articles:
            store.add_document(RawDocument(origin=article.id, kind="text", data=article.id.encode()), [article])
        store.add_article_facts("v1", analyses)
        store.add_article_facts("v1", analyses[:1])  # written again: replaced, not doubled
        assert store.article_facts("v1", [a.id for a in articles]) == {f.article_id: f for f in analyses}
        assert store.article_facts("v2", [a.id for a in articles]) == {}
    assert any(c.high == float("inf") for found in analyses for c in found.claims)  # "at least 3": unbounded


def test_a_pool_of_processes_analyses_as_this_process_does() -> None:
    articles = _articles(12)
    settings = Settings()
    settings = replace(settings, scale=replace(settings.scale, analysis_pool_min_articles=1, analysis_partition=5))
    here, made_here = article_facts(articles, settings, LocalExecutor(1))
    pooled, made_pooled = article_facts(articles, settings, LocalExecutor(2))
    assert made_here == made_pooled == 12
    assert pooled == here
    assert event_facts(articles, settings.facts, pooled) == event_facts(articles, settings.facts)


def _early_settings() -> Settings:
    """Analyses on 2 processes from the 10th article on, 5 per task: the early path at test size."""
    settings = Settings()
    scale = replace(settings.scale, analysis_pool_min_articles=10, analysis_partition=5)
    return replace(settings, scale=scale)


def test_the_clusterer_hands_each_article_to_spacy_as_it_joins_an_event(corpus: tuple[Path, Path]) -> None:
    first, _ = corpus
    settings = _early_settings()
    articles = sorted(extract(read_document(first)).articles, key=lambda a: a.published)
    joins: list[tuple[str, str]] = []
    with EarlyAnalysis(settings) as early:
        early.expect(articles, analysed={articles[0].id})  # stored already: never handed in

        def joined(article_id: str, event_id: str) -> None:
            joins.append((article_id, event_id))
            early.joined(article_id, event_id)

        clustering = cluster_events(articles, settings, on_join=joined)
        assert early.started  # 79 articles to analyse, 5 per task: the processes started during the clustering
        made = early.analyse([])
    # Every article but its event's first joined an event that had one; each event's first was
    # handed in with its second.
    firsts = {label: a.id for a, label in reversed(list(zip(articles, clustering.opened, strict=True)))}
    assert sorted(a for a, _ in joins) == sorted(a.id for a in articles if a.id not in firsts.values())
    assert {event for _, event in joins} == set(firsts)
    assert sorted(f.article_id for f in made) == sorted(a.id for a in articles[1:])
    assert {f.article_id: f for f in made} == {f.article_id: f for f in analyse_articles(articles[1:], settings.facts)}


def test_analyses_started_early_are_counted_once_and_adding_articles_analyses_only_them(
    corpus: tuple[Path, Path], tmp_path: Path
) -> None:
    first, later = corpus
    settings = replace(_early_settings(), db=str(tmp_path / "early.db"))
    with Store(settings.db) as store:
        report = ingest_paths([first], store, settings, executor=LocalExecutor(2))
        assert (report.new, report.events, report.analysed) == (80, 20, 80)
        report = ingest_paths([later], store, settings, executor=LocalExecutor(2))
        assert (report.new, report.events, report.analysed) == (10, 20, 10)
        assert ingest_paths([first], store, settings, executor=LocalExecutor(2)).analysed == 0
        assert len(store.analysed_articles(analysis_fingerprint(settings.facts))) == 90


def test_spacy_multiplies_matrices_through_numpy() -> None:
    from thinc.api import Model

    from storyline.facts.analysis import aliases_for
    from storyline.facts.nlp import language

    nlp = language(aliases_for(""))
    models = [c.model for _, c in nlp.pipeline if isinstance(getattr(c, "model", None), Model)]
    assert len(models) == 4  # tok2vec, tagger, parser, ner
    assert all(not layer.ops.use_blis for model in models for layer in model.walk())


def test_a_large_input_starts_the_analysis_processes_at_its_first_article(
    corpus: tuple[Path, Path], tmp_path: Path
) -> None:
    first, _ = corpus  # 80 articles: fewer than the 100 that start the processes once read
    lines = first.read_text().splitlines(keepends=True)
    parts = [tmp_path / "part0.jsonl", tmp_path / "part1.jsonl"]  # two documents: 4 articles, then 76
    parts[0].write_text("".join(lines[:4]))
    parts[1].write_text("".join(lines[4:]))
    size = first.stat().st_size
    running_at_second_document = []
    # the files judged to hold 1 article, then 100 (analysis_pool_min_articles)
    for k, bytes_per_article in enumerate((size, size // 100)):
        settings = replace(Settings(), db=str(tmp_path / f"start{k}.db"))
        scale = replace(settings.scale, bytes_per_article=bytes_per_article, analysis_pool_min_articles=100)
        settings = replace(settings, scale=scale)
        seen: list[bool] = []
        with Store(settings.db) as store:
            report = ingest_paths(
                parts,
                store,
                settings,
                executor=LocalExecutor(2),
                on_document=lambda doc, seen=seen: seen.append(len(multiprocessing.active_children()) == 2),
            )
        assert report.analysed == 80
        running_at_second_document.append(seen[1])
    assert running_at_second_document == [False, True]


def test_pages_are_extracted_on_two_processes_while_the_analysis_processes_start(tmp_path: Path) -> None:
    # The analysis pool runs a thread, and extraction forks its workers only where none runs:
    # started before the reading, the analysis processes would leave extraction on one core.
    folder = tmp_path / "pages"
    folder.mkdir()
    page = (DATA / "page.html").read_text()
    for n in range(48):
        (folder / f"page{n:02d}.html").write_text(page.replace("Wildfire", f"Wildfire {n}"))
    settings = replace(Settings(), db=str(tmp_path / "pages.db"))
    settings = replace(settings, scale=replace(settings.scale, analysis_pool_min_articles=20))
    children: list[int] = []
    with Store(settings.db) as store:
        ingest_paths(
            [folder],
            store,
            settings,
            executor=LocalExecutor(2),
            on_document=lambda doc: children.append(len(multiprocessing.active_children())),
        )
    assert len(children) == 48 and children[-1] == 4  # two extracting, two analysing
