import math
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from storyline.cluster import EventClusterer, StreamingTfidf, TermVector, article_names, event_id_for
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


def test_events_dormant_for_good_let_go_of_their_scoring_state():
    first, second, third = [a for a in _stream() if a.id.startswith("quake")]
    later = replace(third, published=second.published + timedelta(days=30))
    clusterer = EventClusterer(replace(ClusterSettings(), window_days=4))
    opened = clusterer.partial_fit([first, second])
    clusterer.partial_fit([later])
    # The first event's term vectors and names are dropped: memory follows the live events only.
    assert [lexical is not None for lexical in clusterer._events.lexical] == [False, True]
    copy = replace(first, id="copy-of-quake-1")
    assert clusterer.partial_fit([copy], copies={copy.id: first.id}) == opened[:1]


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
    # the TF-IDF path: MiniLM on 10,000 texts would make this a benchmark (bench/cluster_scale.py)
    labels = EventClusterer(embedder=None).fit_predict(articles)
    assert len(labels) == 10_000
    by_place: dict[str, set[str]] = {}
    for article, label in zip(articles, labels, strict=True):
        by_place.setdefault(article.id.split("-")[0], set()).add(label)
    # every place's reports land in one event, and no event mixes two places
    assert all(len(events) == 1 for events in by_place.values())
    assert len(set(labels)) == len(places)


def test_the_tfidf_path_separates_the_same_events_as_minilm():
    articles = _stream()
    with_model = EventClusterer().fit_predict(articles)
    without = EventClusterer(embedder=None).fit_predict(articles)
    assert EventClusterer().uses_embeddings and not EventClusterer(embedder=None).uses_embeddings
    assert len(set(with_model)) == len(set(without)) == 2


def test_a_stream_in_batches_gives_the_same_events_as_one_batch():
    articles = _stream()
    clusterer = EventClusterer()
    first = clusterer.partial_fit(articles[:2])
    second = clusterer.partial_fit(articles[2:])
    whole = EventClusterer().fit_predict(articles)
    streamed = clusterer.assignments()
    assert first + second == [streamed[a.id] for a in articles]
    # same partition (the IDF differs a little between the two runs, not the grouping)
    assert len(set(whole)) == len(set(streamed.values()))


def test_seeded_events_keep_their_ids_and_take_new_reports():
    articles = {a.id: a for a in _stream()}
    clusterer = EventClusterer()
    clusterer.add_event("ev-stored-quake", [articles["quake-1"], articles["quake-2"]])
    labels = clusterer.partial_fit([articles["quake-3"], articles["final-1"]])
    assert labels[0] == "ev-stored-quake"
    assert labels[1] == event_id_for("final-1")


def test_copies_join_their_original_without_scoring():
    articles = [a for a in _stream() if a.id in {"quake-1", "final-1"}]
    copy = replace(articles[-1], id="copy-of-quake-1", text="unrelated words entirely", title="")
    labels = EventClusterer().fit_predict([*articles, copy], copies={"copy-of-quake-1": "quake-1"})
    assert labels[-1] == labels[[a.id for a in articles].index("quake-1")]


def test_dormancy_can_be_turned_off_for_static_corpora():
    articles = [a for a in _stream() if a.id.startswith("quake")]
    articles[2].published = articles[1].published + timedelta(days=400)
    labels = EventClusterer(replace(ClusterSettings(), window_days=math.inf)).fit_predict(articles)
    assert len(set(labels)) == 1


def test_names_are_capitalised_words_and_acronyms_not_sentence_starts():
    article = Article(id="x", title="Gunman kills 2 in Hawthorne", text="The LAPD said Bernard Gillis died on Monday.")
    assert article_names(article, 600) == {"gunman", "hawthorne", "lapd", "bernard", "gillis"}


def test_term_vectors_add_and_compare_like_dense_ones():
    a = TermVector(np.array([1, 5, 9]), np.array([1.0, 2.0, 0.5], dtype=np.float32))
    b = TermVector(np.array([5, 7]), np.array([3.0, 4.0], dtype=np.float32))
    dense = np.zeros((2, 10))
    dense[0, [1, 5, 9]] = [1.0, 2.0, 0.5]
    dense[1, [5, 7]] = [3.0, 4.0]
    assert a.dot(b) == pytest.approx(dense[0] @ dense[1])
    total = a + b
    assert dict(zip(total.indices.tolist(), total.values.tolist(), strict=True)) == {1: 1.0, 5: 5.0, 7: 4.0, 9: 0.5}
    assert a.cosine(a) == pytest.approx(1.0)


def test_streaming_idf_follows_the_documents_seen():
    tfidf = StreamingTfidf(ClusterSettings())
    counts = tfidf.counts([Article(id=str(n), text=f"flood common word{n}") for n in range(5)])
    tfidf.update(counts)
    weighted = tfidf.weigh(counts).toarray()[0]
    common, rare = sorted({weighted[i] for i in counts[0].indices})[:1], max(weighted)
    assert rare > common[0]  # a term in one document outweighs one in all five


def test_look_alike_events_in_two_cities_are_kept_apart_by_their_names():
    template = (
        "A gunman opened fire at a party in {city} late on Saturday, police said; {victim} died and three were hurt."
    )
    reports = [("Hawthorne", "Bernard Gillis"), ("Compton", "Andre Wells")] * 3
    start = datetime(2014, 1, 1, tzinfo=UTC)
    articles = [
        Article(
            id=f"{city}-{n}",
            title=f"Shooting at {city} party",
            text=template.format(city=city, victim=victim),
            published=start + timedelta(hours=n),
        )
        for n, (city, victim) in enumerate(reports)
    ]
    loose = replace(ClusterSettings(), threshold_lexical=0.05, name_gate_share=0.0)
    assert len(set(EventClusterer(loose, embedder=None).fit_predict(articles))) == 1  # one topic...
    # names in at most 3 of the 6 reports are distinctive; these short reports are gated too
    gated = replace(loose, name_gate_share=0.5, name_gate_min_words=0)
    labels = dict(
        zip((a.id for a in articles), EventClusterer(gated, embedder=None).fit_predict(articles), strict=True)
    )
    assert labels["Hawthorne-0"] == labels["Hawthorne-2"] == labels["Hawthorne-4"]
    assert labels["Compton-1"] == labels["Compton-3"] == labels["Compton-5"]
    assert labels["Hawthorne-0"] != labels["Compton-1"]  # ...but two happenings
