import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storyline.cluster import EventClusterer, event_id_for
from storyline.config import ClusterSettings
from storyline.extract import extract
from storyline.ingest import read_document
from storyline.model import Article

DATA = Path(__file__).parent / "data"


def _stream() -> list[Article]:
    articles = (
        extract(read_document(DATA / "quake.jsonl")).articles + extract(read_document(DATA / "final.jsonl")).articles
    )
    return sorted(articles, key=lambda a: a.published)


def test_reports_of_one_event_share_an_event_and_others_do_not():
    articles = _stream()
    labels = dict(zip((a.id for a in articles), EventClusterer().fit_predict(articles), strict=True))
    assert labels["quake-1"] == labels["quake-2"] == labels["quake-3"]
    assert labels["final-1"] == labels["final-2"]
    assert labels["quake-1"] != labels["final-1"]


def test_event_ids_are_named_after_the_first_article():
    articles = _stream()
    labels = EventClusterer().fit_predict(articles)
    assert labels[0] == event_id_for(articles[0].id) == event_id_for("final-1")
    assert EventClusterer().fit_predict(articles) == labels  # deterministic


def test_the_bundled_examples_form_one_event(examples):
    articles = [extract(read_document(p)).articles[0] for p in examples]
    assert len(set(EventClusterer().fit_predict(articles))) == 1


def test_dormant_events_take_no_new_articles():
    articles = [a for a in _stream() if a.id.startswith("quake")]
    articles[2].published = articles[1].published + timedelta(days=30)
    labels = EventClusterer(replace(ClusterSettings(), window_days=4)).fit_predict(articles)
    assert labels[0] == labels[1] != labels[2]


def test_empty_stream():
    assert EventClusterer().fit_predict([]) == []


def test_ten_thousand_article_stream_is_clustered_sensibly():
    """A generated stream of 200 look-alike events (same template, different place, cause and
    toll) reported 50 times each in shuffled order: the clusterer must keep them apart."""
    rng = random.Random(7)
    places = [
        f"{a}{b}"
        for a in ("Nor", "Sal", "Ber", "Tam", "Ost", "Kir", "Val", "Dun", "Mar", "Lis")
        for b in (
            "wick",
            "ford",
            "mouth",
            "by",
            "stead",
            "ham",
            "ton",
            "port",
            "field",
            "bury",
            "dale",
            "haven",
            "gate",
            "moor",
            "well",
            "worth",
            "ley",
            "combe",
            "hurst",
            "bridge",
        )
    ]
    causes = ["flood", "fire", "storm", "landslide", "explosion", "collapse", "derailment", "blackout"]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    articles = []
    for n, place in enumerate(places):
        cause = causes[n % len(causes)]
        for k in range(50):
            toll = rng.choice([n + 3, n + 4])
            text = (
                f"Officials in {place} said a {cause} on {['Monday', 'Tuesday'][k % 2]} left {toll} people hurt "
                f"and damaged homes across {place}; the {place} mayor called the {cause} the worst in decades."
            )
            published = start + timedelta(hours=n * 6 + rng.random() * 24)
            articles.append(Article(id=f"{n}-{k}", text=text, title=f"{place} {cause}", published=published))
    articles.sort(key=lambda a: a.published)
    labels = EventClusterer().fit_predict(articles)
    assert len(labels) == 10_000
    by_place: dict[str, set[str]] = {}
    for article, label in zip(articles, labels, strict=True):
        by_place.setdefault(article.id.split("-")[0], set()).add(label)
    # every place's reports land in one event, and no event mixes two places
    assert all(len(events) == 1 for events in by_place.values())
    assert len(set(labels)) == len(places)
