"""``storyline evaluate`` and ``storyline train``: scoring each stage against gold data, and
fitting the learned models on the earlier parts of the visible sets."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from ..config import ExtractSettings, Settings
from ..errors import InputError
from .options import LazyChoice, data_option, warn


@click.group()
def evaluate() -> None:
    """Score a stage against gold data (datasets are read where they lie, e.g. ../shared/eval)."""


@evaluate.command("extraction")
@data_option("The Scrapinghub article-extraction-benchmark folder (ground-truth.json, html/).", folder_only=True)
@click.option("--workers", type=click.IntRange(min=1), default=ExtractSettings.workers, show_default=True)
def evaluate_extraction_command(data: Path, workers: int) -> None:
    """Article-body precision, recall and F1 (4-token shingles, as the benchmark scores) and speed."""
    from ..evaluate.extraction import evaluate_extraction

    settings = Settings.from_env()
    report = evaluate_extraction(data, replace(settings.extract, workers=workers), settings.clean)
    click.echo(f"{report.pages} pages, {report.failed} without text")
    for name, scores in (("trafilatura", report.raw), ("+ learned cleaning", report.cleaned)):
        click.echo(
            f"{name:<20} precision={scores['precision']:.3f} recall={scores['recall']:.3f} F1={scores['f1']:.3f}"
        )
    click.echo(f"extraction: {report.pages_per_second:.1f} pages/s ({report.workers} workers)")


@evaluate.command("facts")
@data_option(
    "The evaluation folder holding gva-incidents-dev/ and duc2006-2007/ (e.g. ../shared/eval).", folder_only=True
)
@click.option(
    "--pairs",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Labelled figure pairs (TSV)  [default: the bundled corpus]",
)
@click.option(
    "--sample",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Judged timeline entries and figures (TSV)  [default: tests/data/facts_sample.tsv of a checkout]",
)
@click.option(
    "--draw",
    type=click.Choice(["development", "held-out"]),
    default=None,
    help="Instead of scoring, print entries drawn from this half of the events, to be judged.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="With --draw: the random seed.")
@click.option("--per-group", type=click.IntRange(min=1), default=100, show_default=True, help="With --draw.")
@click.option(
    "--part",
    "parts",
    type=LazyChoice("storyline.evaluate.incidents", "PARTS"),
    multiple=True,
    help="Judge events on incidents of this part only (repeatable)  [default: all]",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Ingest only the first N articles of each part."
)
def evaluate_facts_command(
    data: Path,
    pairs: Path | None,
    sample: Path | None,
    draw: str | None,
    seed: int,
    per_group: int,
    parts: tuple[str, ...],
    limit: int | None,
) -> None:
    """Disagreement detection on hand-labelled figure pairs, the precision of timelines and
    figures on a hand-judged sample of storyline's own output, and the facts of the events an
    ingest of the GVA articles stores, judged on the Archive's record of each incident (rules
    are chosen on 2013-14; 2015 is reported)."""
    from ..evaluate.fact_sample import default_sample_path, draw_sample, format_sample, read_sample, score_sample
    from ..evaluate.facts import evaluate_facts
    from ..evaluate.incidents import PARTS, evaluate_incidents, format_incidents

    settings = Settings.from_env().facts
    if draw:
        entries, _ = draw_sample(data, settings, draw, seed, per_group)
        click.echo(format_sample(entries), nl=False)
        return
    scores = evaluate_facts(data, settings, pairs)
    for split, score in scores.items():
        click.echo(
            f"{split:<9} {score.pairs:>3} pairs: precision={score.precision:.3f} recall={score.recall:.3f}"
            f" F1={score.f1:.3f} (TP {score.true_positive}, FP {score.false_positive},"
            f" FN {score.false_negative}, TN {score.true_negative})"
        )
    for pair, predicted in scores["all"].errors:
        wrong = "false disagreement" if predicted else "missed disagreement"
        click.echo(f"  {wrong}: {pair.phrase_a!r} ({pair.article_a}) vs {pair.phrase_b!r} ({pair.article_b})")
    sample = sample or default_sample_path()
    if sample is None:
        click.echo("no judged sample found (give --sample FILE): timeline and figure precision not scored")
    else:
        precision = score_sample(data, settings, read_sample(sample))
        for (kind, split), score in sorted(precision.items()):
            click.echo(
                f"{kind:<8} {split:<11} precision={score.precision:.3f} ({score.right} right, {score.wrong} wrong"
                f" of those still given; {score.gone} judged once, no longer given)"
            )
    incidents = evaluate_incidents(data, Settings.from_env(), parts or tuple(PARTS), limit, progress=warn)
    click.echo(format_incidents(incidents))


@evaluate.command("summarization")
@click.option("--dataset", type=LazyChoice("storyline.evaluate.summarization", "DATASETS"), required=True)
@data_option("The dataset's folder, e.g. ../shared/eval/duc2006-2007 or ../shared/eval/multinews-test-sample.")
@click.option(
    "--words", type=click.IntRange(min=1), default=None, help="Cut every output here  [default: the dataset's]"
)
@click.option("--limit", "max_tasks", type=click.IntRange(min=1), default=None, help="Score only the first N inputs.")
@click.option("--jobs", type=click.IntRange(min=1), default=2, show_default=True, help="Processes for the baselines.")
@click.option("--generic", is_flag=True, help="Also score storyline without the topic's question.")
def evaluate_summarization_command(
    dataset: str, data: Path, words: int | None, max_tasks: int | None, jobs: int, generic: bool
) -> None:
    """ROUGE-1/2/L recall and F1 of storyline and of Lead, LexRank, TextRank and LSA, one table.
    On duc2007-update a second table scores the update summaries the ingest stores (the topics'
    batches ingested A, then B, then C) beside the batch summarised alone and Lead; --limit
    counts topics there."""
    from ..evaluate.summarization import BASELINES, WORD_LIMITS, evaluate_summarization, format_table
    from ..evaluate.updates import UPDATE_DATASET, evaluate_updates, format_updates

    systems = ("storyline", *(("storyline-generic",) if generic else ()), *BASELINES)
    limit = words or WORD_LIMITS[dataset]
    try:
        results = evaluate_summarization(
            dataset, data, limit=words, systems=systems, max_tasks=max_tasks, jobs=jobs, progress=warn
        )
        updates = (
            evaluate_updates(data, Settings.from_env(), limit, max_tasks, progress=warn)
            if dataset == UPDATE_DATASET
            else None
        )
    except (OSError, ValueError) as exc:
        raise InputError(str(data), str(exc)) from exc
    click.echo(format_table(dataset, limit, results, results[0].inputs))
    if updates:
        click.echo("\n" + format_updates(limit, updates))


@evaluate.command("clustering")
@click.option(
    "--dataset",
    type=LazyChoice("storyline.evaluate.clustering", "DATASETS"),
    required=True,
    help="DUC sets are scored by story: duc2007 (and duc) report DUC 2007, duc2006 reports DUC 2006.",
)
@data_option(
    "The dataset's folder or file, e.g. ../shared/eval/gva-incidents-dev or ../shared/eval/uci-news-aggregator-sample."
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Score only the first N articles of each part.")
@click.option(
    "--variant",
    "variants",
    type=LazyChoice("storyline.evaluate.clustering", "VARIANTS"),
    multiple=True,
    help="Feed the later part only this way (repeatable)  [default: all]",
)
def evaluate_clustering_command(dataset: str, data: Path, limit: int | None, variants: tuple[str, ...]) -> None:
    """BCubed and pairwise P/R/F1 on the dataset's later part (what the shipped model never saw):
    storyline as `storyline cluster` runs it, and a TF-IDF single pass tuned on the earlier part.
    GVA, UCI and Multi-News are scored by event ids, DUC topics by story ids."""
    from ..evaluate.clustering import EVENT_DATASETS, VARIANTS, evaluate_clustering, format_runs

    runs = evaluate_clustering(dataset, data, Settings.from_env(), limit=limit, variants=variants or VARIANTS)
    level = "" if dataset in EVENT_DATASETS else ", stories"
    click.echo(format_runs(f"{dataset}, later part{level}", runs))


@click.group()
def train() -> None:
    """Fit storyline's learned models on the visible evaluation sets (their earlier parts only)."""


@train.command("events")
@data_option("The evaluation folder (e.g. ../shared/eval) holding GVA, UCI, Multi-News and SemEval.", folder_only=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the model  [default: the one storyline ships]",
)
def train_events_command(data: Path, out: Path | None) -> None:
    """Fit the same-event model (pair and event trees, with and without MiniLM)."""
    from ..cluster.same_event import save_models
    from ..evaluate.training import default_model_path, fit_same_event_models

    settings = Settings.from_env()
    models = fit_same_event_models(data, settings.cluster, settings.embed, progress=warn)
    target = out or default_model_path()
    save_models(target, models)
    click.echo(f"wrote {', '.join(models)} models to {target}")
