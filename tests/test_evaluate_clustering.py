import pytest

from conftest import EVAL, run_cli
from storyline.evaluate.clustering import TfidfSinglePass, load_dataset, score_clustering, time_split, variant
from storyline.evaluate.datasets import LabelledArticle, duc_topics, parse_duc_document
from storyline.model import Article

needs_eval = pytest.mark.skipif(not EVAL.is_dir(), reason=f"evaluation data not found at {EVAL}")


def test_bcubed_and_pairwise_scores_match_hand_computed_values():
    # gold {a,b,c} {d}; predicted {a,b} {c,d}
    scores = score_clustering(["x", "x", "y", "y"], ["g", "g", "g", "h"])
    # BCubed precision: a,b: 2/2; c: 1/2; d: 1/2 -> 3/4. Recall: a,b: 2/3; c: 1/3; d: 1 -> 2/3
    assert scores.bcubed_precision == pytest.approx(0.75)
    assert scores.bcubed_recall == pytest.approx(2 / 3)
    assert scores.bcubed_f1 == pytest.approx(2 * 0.75 * (2 / 3) / (0.75 + 2 / 3))
    # pairs together: predicted {ab, cd}, gold {ab, ac, bc}: 1 shared
    assert scores.pairwise_precision == pytest.approx(0.5)
    assert scores.pairwise_recall == pytest.approx(1 / 3)
    assert (scores.clusters, scores.gold_clusters) == (2, 2)


def test_a_perfect_clustering_scores_one_whatever_the_label_names():
    scores = score_clustering(["p", "p", "q"], ["1", "1", "2"])
    assert scores.bcubed_f1 == scores.pairwise_f1 == 1.0


def test_scoring_refuses_mismatched_lengths():
    with pytest.raises(ValueError):
        score_clustering(["a"], ["a", "b"])


def test_duc_sgml_document_is_parsed():
    sgml = """<DOC>
<DOCNO> APW19990311.0241 </DOCNO>
<DATE_TIME> 1999-27-03 10:27 </DATE_TIME>
<BODY><HEADLINE> Quake &AMP; aftershocks </HEADLINE>
<TEXT><P>
   First paragraph
wrapped.
</P><P> Second. </P></TEXT></BODY></DOC>"""
    article = parse_duc_document(sgml)
    assert article.id == "APW19990311.0241" and article.source == "APW"
    assert article.title == "Quake & aftershocks"
    assert article.text == "First paragraph wrapped.\n\nSecond."
    # the malformed stamp falls back to the DOCNO's date
    assert article.published.date().isoformat() == "1999-03-11"


@needs_eval
def test_duc_topics_are_read_from_the_tarball():
    topics = duc_topics(EVAL / "duc2006-2007", "duc2006")
    assert len(topics) == 50 and all(len(t.articles) == 25 for t in topics)
    dates = [a.published for a in topics[0].articles]
    assert dates == sorted(dates)
    update = duc_topics(EVAL / "duc2006-2007", "duc2007-update")
    assert len(update) == 10 and set(update[0].batches.values()) == {"A", "B", "C"}


@needs_eval
def test_labelled_datasets_come_in_date_order():
    for name, folder in (("uci", "uci-news-aggregator-sample"), ("gva", "gva-incidents-dev")):
        data = load_dataset(name, EVAL / folder)
        assert len({item.gold for item in data}) > 50
        dates = [item.article.published for item in data]
        assert dates == sorted(dates)


@needs_eval
def test_baseline_beats_all_singletons_on_gva_bcubed_f1():
    data = load_dataset("gva", EVAL / "gva-incidents-dev")[:400]
    gold = [item.gold for item in data]
    labels = TfidfSinglePass().fit_predict([item.article for item in data])
    singletons = score_clustering([str(i) for i in range(len(data))], gold)
    assert score_clustering(labels, gold).bcubed_f1 > singletons.bcubed_f1


@needs_eval
def test_evaluate_clustering_command_scores_the_later_part_as_each_variant():
    result = run_cli(
        "evaluate", "clustering", "--dataset", "gva", "--data", str(EVAL / "gva-incidents-dev"), "--limit", "150"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "dataset: gva, later part (150 articles)"
    systems = [line.split(" | ")[0].strip() for line in lines[2:]]
    assert systems[:4] == ["storyline (MiniLM)", "storyline stories (MiniLM)", "storyline (TF-IDF only)", systems[3]]
    assert systems[3].startswith("baseline TF-IDF 0.")
    fed = [" ".join(word for word in line.split(" | ")[1].split() if not word[0].isdigit()) for line in lines[2:]]
    assert fed == [name for name in ("as given", "no titles", "shuffled", "shuffled bare") for _ in range(4)]
    baseline_f1 = float(lines[5].split(" | ")[1].split()[4])
    assert 0.5 < baseline_f1 <= 1.0
    # the story ids, scored against the gold events: never more stories than events
    events, stories = (int(lines[row].split(" | ")[1].split()[8]) for row in (2, 3))  # "as given" P R F1 ...
    assert 0 < stories <= events


@needs_eval
def test_the_time_split_keeps_the_reported_part_apart_from_what_was_fitted():
    gva = load_dataset("gva", EVAL / "gva-incidents-dev")
    earlier, later = time_split("gva", gva)
    assert max(i.article.published for i in earlier) < min(i.article.published for i in later)
    assert {i.article.published.year for i in earlier} == {2013, 2014}
    uci = load_dataset("uci", EVAL / "uci-news-aggregator-sample")
    earlier, later = time_split("uci", uci)
    assert abs(len(earlier) - len(later)) <= 1 and earlier[-1].article.published <= later[0].article.published
    multinews = load_dataset("multinews", EVAL / "multinews-test-sample")
    earlier, later = time_split("multinews", multinews)
    assert len(multinews) == 666 and {i.gold for i in earlier}.isdisjoint({i.gold for i in later})
    assert all(not i.article.title and i.article.published is None for i in multinews)


def test_variants_remove_titles_or_shuffle_and_never_touch_the_given_articles():
    items = [LabelledArticle(Article(id=str(n), text=f"text {n}", title=f"title {n}"), str(n % 3)) for n in range(20)]
    untitled = variant(items, "no titles")
    assert all(i.article.title == "" for i in untitled) and all(i.article.title for i in items)
    shuffled = variant(items, "shuffled")
    assert [i.article.id for i in shuffled] != [i.article.id for i in items]
    assert sorted((i.article.id, i.gold) for i in shuffled) == sorted((i.article.id, i.gold) for i in items)
    assert shuffled == variant(items, "shuffled")  # the same order every run
    shuffled[0].article.copy_of = "x"
    assert all(not i.article.copy_of for i in items)


def test_evaluate_clustering_names_a_missing_dataset(tmp_path):
    result = run_cli("evaluate", "clustering", "--dataset", "uci", "--data", str(tmp_path))
    assert result.returncode == 1
    assert "UCI data not found" in result.stderr and "Traceback" not in result.stderr
