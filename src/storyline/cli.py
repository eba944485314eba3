"""The ``storyline`` command: a thin skin over the library, one command per job."""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from importlib import resources
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from .cluster import EventClusterer
from .config import DB_ENV, DEFAULT_DB, Settings
from .errors import InputError, StorylineError
from .extract import extract
from .ingest import read_document
from .model import Article, IngestReport
from .pipeline import ingest_paths, summarize_articles
from .render import event_as_dict, event_as_markdown, event_as_text, sentence_as_dict
from .store import Store

db_option = click.option(
    "--db",
    envvar=DB_ENV,
    default=DEFAULT_DB,
    show_default=True,
    help=f"SQLite file or database URL (also ${DB_ENV}).",
)


def _warn(message: object) -> None:
    click.echo(f"storyline: {message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="storyline")
def main() -> None:
    """Turn news articles from many outlets into events with attributed summaries."""


@main.command()
@click.argument("paths", nargs=-1, required=True)
@db_option
def ingest(paths: tuple[str, ...], db: str) -> None:
    """Read files and directories (HTML, TXT, JSONL, RSS/Atom) into the store and rebuild events."""
    settings = Settings.from_env(db)
    with Store(settings.db) as store:
        report = ingest_paths(paths, store, settings, on_failure=_warn)
    click.echo(_tally(report))
    if report.failed:
        sys.exit(1)


def _tally(report: IngestReport) -> str:
    return (
        f"{report.new} new, {report.duplicate} duplicate, {len(report.failed)} failed,"
        f" {len(report.skipped)} skipped; {report.events} events in store"
    )


@main.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
def events(db: str, fmt: str) -> None:
    """Show the events in the store with headline, cited summary, sources and dates."""
    with Store(Settings.from_env(db).db) as store:
        _print_events(store, fmt)


def _print_events(store: Store, fmt: str) -> None:
    stored = store.events()
    if fmt == "json":
        for event in stored:
            click.echo(json.dumps(event_as_dict(event), ensure_ascii=False))
    else:
        render = event_as_markdown if fmt == "markdown" else event_as_text
        click.echo("\n\n".join(render(event) for event in stored))


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--words", type=click.IntRange(min=1), default=None, help="Word budget of each summary  [default: 100]")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True)
def summarize(inputs: tuple[str, ...], words: int | None, fmt: str) -> None:
    """Summarise each JSONL file, which holds the articles of ONE event."""
    settings = Settings.from_env()
    failed = False
    for given in inputs:
        try:
            articles = _read_articles(given, settings)
        except InputError as exc:
            _warn(exc)
            failed = True
            continue
        summary = summarize_articles(articles, settings, words=words)
        if fmt == "json":
            record = {
                "input": given,
                "headline": summary.headline,
                "sentences": [sentence_as_dict(s) for s in summary.sentences],
            }
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            click.echo(f"{given}: {summary.headline}")
            click.echo("\n".join(f"  - {s.text} [{s.source or s.article_id}]" for s in summary.sentences) + "\n")
    if failed:
        sys.exit(1)


@main.command()
@click.argument("input_path", metavar="INPUT.jsonl")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True)
def cluster(input_path: str, fmt: str) -> None:
    """Assign each article of a time-ordered JSONL stream to an event; one line per article."""
    settings = Settings.from_env()
    articles = _read_articles(input_path, settings)
    labels = EventClusterer(settings.cluster).fit_predict(articles)
    for article, event_id in zip(articles, labels, strict=True):
        line = json.dumps({"id": article.id, "event_id": event_id}) if fmt == "json" else f"{article.id}\t{event_id}"
        click.echo(line)


def _read_articles(given: str, settings: Settings) -> list[Article]:
    """The articles of one input file; a bad line is reported and skipped, an empty result is an error."""
    extraction = extract(read_document(Path(given), settings.extract), settings.extract)
    for failure in extraction.failures:
        _warn(failure)
    if not extraction.articles:
        raise InputError(given, "no readable articles")
    return extraction.articles


@main.group()
def evaluate() -> None:
    """Score a stage against gold data (datasets are read where they lie, e.g. ../shared/eval)."""


@main.command()
@click.option("--db", default=None, help="Keep the demo's store in this file  [default: a temporary one]")
def demo(db: str | None) -> None:
    """The main job on the bundled examples: ingest, cluster, summarise, print."""
    with (
        tempfile.TemporaryDirectory() as scratch,
        resources.as_file(resources.files("storyline") / "examples") as examples,
    ):
        settings = Settings.from_env(db or str(Path(scratch) / "demo.db"))
        with Store(settings.db) as store:
            report = ingest_paths(sorted(examples.glob("*.txt")), store, settings, on_failure=_warn)
            click.echo(f"Ingested the bundled examples: {_tally(report)}\n")
            _print_events(store, "text")


def run() -> None:
    """Console entry point: our own errors become one line on stderr, never a traceback."""
    # Extraction libraries log every page they cannot parse; storyline reports those itself.
    for noisy in ("trafilatura", "htmldate", "courlan", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    try:
        main()
    except StorylineError as exc:
        _warn(f"error: {exc}")
        sys.exit(1)
    except SQLAlchemyError as exc:
        _warn(f"error: database: {exc.__class__.__name__}: {getattr(exc, 'orig', None) or exc}")
        sys.exit(1)
    except KeyboardInterrupt:
        _warn("interrupted")
        sys.exit(130)
