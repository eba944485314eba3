"""The ``storyline`` command: a thin skin over the library, one command per job (the
``evaluate`` and ``train`` groups in ``evaluate.py``; what commands share in ``options.py``)."""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..config import FetchSettings, ScaleSettings, ServeSettings, Settings
from ..errors import InputError, StorylineError
from .evaluate import evaluate, train
from .options import LazyChoice, db_option, warn

if TYPE_CHECKING:
    from rich.progress import Progress

    from ..listing import ListQuery
    from ..model import Article, Event, IngestReport, Sentence
    from ..store import Store

# Each command imports the stages it runs when it runs: the pipeline's modules bring in
# scikit-learn, onnxruntime, spaCy and trafilatura (3 to 4 s at start-up), and `storyline --help`
# or the commands that only read the store (`storyline events`, `keys`) need none of that.


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="storyline")
def main() -> None:
    """Turn news articles from many outlets into events with attributed summaries."""


main.add_command(evaluate)
main.add_command(train)


allow_private_option = click.option(
    "--allow-private",
    is_flag=True,
    help="Let URLs reach loopback, private and link-local addresses (refused by default).",
)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@db_option
@allow_private_option
@click.option(
    "--fetch-entries", is_flag=True, help="For feed files too, fetch each entry's page (always for feed URLs)."
)
@click.option("--no-robots", is_flag=True, help="Ignore robots.txt (only for sites you own).")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=ScaleSettings.workers,
    help="Run on a Dask cluster of N local worker processes (0: in this process).",
)
@click.option("--scheduler", default="", metavar="tcp://HOST:PORT", help="Run on an existing Dask cluster.")
@click.option("--no-facts", is_flag=True, help="Skip entities, figures and disagreements (spaCy): faster.")
# Event summaries have been TF-IDF alone since #21 (SummarySettings.model_without_query): the
# flag that asked for it is still accepted, so that scripts and benchmarks written with it run.
@click.option("--lexical-summaries", is_flag=True, hidden=True)
def ingest(
    paths: tuple[str, ...],
    db: str,
    allow_private: bool,
    fetch_entries: bool,
    no_robots: bool,
    workers: int,
    scheduler: str,
    no_facts: bool,
    lexical_summaries: bool,
) -> None:
    """Read files, directories and URLs into the store and rebuild events.

    PATHS are files or directories (HTML, TXT, JSONL, RSS/Atom, WARC, each possibly .gz) and
    http(s) URLs of pages or feeds. With --workers or --scheduler, extraction, embedding and
    summaries run in parallel on Dask (see docs/scale.md).
    """
    from ..pipeline import ingest_paths
    from ..scale import open_executor, require_dask
    from ..store import Store

    settings = Settings.from_env(db)
    settings = replace(
        settings,
        fetch=replace(settings.fetch, allow_private=allow_private, respect_robots=not no_robots),
        scale=replace(settings.scale, workers=workers, scheduler=scheduler),
        facts=replace(settings.facts, enabled=settings.facts.enabled and not no_facts),
    )

    if workers or scheduler:
        require_dask()
    with Store(settings.db) as store, open_executor(settings.scale) as executor, _progress() as progress:
        task = progress.add_task("reading", total=None)
        report = ingest_paths(
            paths,
            store,
            settings,
            on_failure=warn,
            on_document=lambda doc: progress.update(task, advance=1, description=_short(doc.origin)),
            fetch_entries=fetch_entries,
            executor=executor,
            on_notice=warn,
        )
    click.echo(_tally(report))
    for line in _reasons(report):
        click.echo(line)
    if report.failed:
        sys.exit(1)


@main.command()
@db_option
@click.option("--no-facts", is_flag=True, help="Skip spaCy's names, figures and dates (as ingest --no-facts).")
def rebuild(db: str, no_facts: bool) -> None:
    """Group every stored article into events and stories again, from nothing.

    An ingest continues the grouping the store keeps; after an upgrade or a change of settings
    that groups otherwise, the next ingest does this by itself (and says so). Events whose
    articles come out the same keep their summaries; no updates are recorded.
    """
    from ..pipeline import rebuild_events
    from ..store import Store

    settings = Settings.from_env(db)
    settings = replace(settings, facts=replace(settings.facts, enabled=settings.facts.enabled and not no_facts))
    with Store(settings.db) as store:
        events, stories, _ = rebuild_events(store, settings, on_notice=warn)
        articles = store.counts()["articles"]
    click.echo(f"{articles} articles grouped again: {events} events in {stories} stories")


def _progress() -> Progress:
    """A live count of documents read on stderr, shown only to a person at a terminal."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.completed} documents"),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=True,
        disable=not sys.stderr.isatty(),
    )


def _short(origin: str, width: int = 60) -> str:
    return origin if len(origin) <= width else "..." + origin[-(width - 3) :]


def _tally(report: IngestReport) -> str:
    return (
        f"{report.new} new, {report.duplicate} duplicate, {len(report.failed)} failed,"
        f" {len(report.skipped)} skipped; {report.events} events in {report.stories} stories in store"
    )


def _reasons(report: IngestReport) -> list[str]:
    """The tally's failures and skips grouped by reason (details in parentheses set aside)."""
    lines = []
    for label, failures in (("failed", report.failed), ("skipped", report.skipped)):
        counts = Counter(f.reason.split(" (", 1)[0] for f in failures)
        lines += [f"  {label}: {count} x {reason}" for reason, count in counts.most_common()]
    return lines


@main.command()
@click.argument("feeds", nargs=-1)
@click.option(
    "--follow",
    "follow",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of feed URLs to follow, one a line (# starts a comment).",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=1),
    default=FetchSettings.watch_interval,
    show_default=True,
    help="Seconds between polls.",
)
@click.option("--once", is_flag=True, help="Poll once and exit.")
@db_option
@allow_private_option
def watch(
    feeds: tuple[str, ...], follow: Path | None, interval: float, once: bool, db: str, allow_private: bool
) -> None:
    """Follow RSS/Atom feeds: poll them (conditional GET) and ingest the pages of new entries."""
    from ..clean import BoilerplateModel
    from ..fetch import Fetcher, is_url
    from ..pipeline import watch_feeds
    from ..store import Store

    urls = list(feeds) + (_feed_list(follow) if follow else [])
    bad = [url for url in urls if not is_url(url)]
    if bad or not urls:
        raise click.UsageError(f"not an http(s) feed URL: {bad[0]}" if bad else "give feed URLs or --follow FILE")
    settings = Settings.from_env(db)
    settings = replace(settings, fetch=replace(settings.fetch, allow_private=allow_private))
    boilerplate = BoilerplateModel(settings.clean)
    with Store(settings.db) as store, Fetcher(settings.fetch) as fetcher:
        while True:
            report = watch_feeds(urls, store, settings, fetcher, boilerplate, on_failure=warn, on_notice=warn)
            click.echo(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S}Z {len(urls)} feeds: {_tally(report)}")
            if once:
                break
            time.sleep(interval)


def _feed_list(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


LANGUAGE_OPTION = click.option(
    "--language", default="", metavar="CODE", help="Only what was reported in this language (en, fr, de, ...)."
)


def list_options(command: Callable) -> Callable:
    """The filters, order, limit and format of every command that lists (``events``,
    ``stories``): the command is called with them as one ``query`` (a ``ListQuery``) and ``fmt``."""
    day = click.DateTime(formats=["%Y-%m-%d"])

    @functools.wraps(command)
    def with_query(
        q: str,
        since: datetime | None,
        until: datetime | None,
        outlet: str,
        language: str,
        sort: str | None,
        limit: int,
        **rest,
    ) -> None:
        from ..listing import ListQuery

        query = ListQuery.of_days(
            text=q,
            since=since.date() if since else None,
            until=until.date() if until else None,
            source=outlet,
            language=language,
            order=sort or "",
            limit=limit,
        )
        command(query=query, **rest)

    for option in reversed(
        [
            click.option("--q", "q", default="", help="Words that must all appear (word* for a prefix)."),
            click.option("--since", type=day, default=None, help="First day (YYYY-MM-DD), inclusive."),
            click.option("--until", type=day, default=None, help="Last day (YYYY-MM-DD), inclusive."),
            click.option("--outlet", default="", help="Only what this outlet covered."),
            LANGUAGE_OPTION,
            click.option(
                "--sort",
                type=LazyChoice("storyline.listing", "ORDERS"),
                default=None,
                help="Order  [default: relevance with --q, else recent]",
            ),
            click.option(
                "--limit", type=click.IntRange(min=0), default=20, show_default=True, help="How many; 0 for all."
            ),
            click.option(
                "--format",
                "fmt",
                type=click.Choice(["text", "json", "markdown"]),
                default="text",
                show_default=True,
            ),
        ]
    ):
        with_query = option(with_query)
    return with_query


@main.command()
@db_option
@list_options
def events(db: str, query: ListQuery, fmt: str) -> None:
    """Show events with headline, story, cited summary, sources and dates: the newest 20 by default.

    They are printed as they are read, a few at a time, however many are asked for.
    """
    _list("events", db, query, fmt)


@main.command()
@db_option
@list_options
def stories(db: str, query: ListQuery, fmt: str) -> None:
    """Show stories (events that continue one another) with name, cited digest and their events
    in time order: the newest 20 by default."""
    _list("stories", db, query, fmt)


def _list(kind: str, db: str, query: ListQuery, fmt: str) -> None:
    """Print the ``kind`` ("events" or "stories") that match ``query``, then warn if more match."""
    from ..store import Store

    with Store(Settings.from_env(db).db) as store:
        _print_list(store, kind, fmt, query)
        find = store.find_events if kind == "events" else store.find_stories
        found = find(replace(query, limit=1))
    if query.limit and found.total > query.limit:
        warn(f"{query.limit} of {found.total}{'' if found.complete else '+'} {kind}; --limit 0 shows them all")


def _print_list(store: Store, kind: str, fmt: str, query: ListQuery) -> None:
    from .. import render

    names: dict[str, str] = {}  # events of one story are often listed together: its name is read once

    def named(as_words: Callable[..., str]) -> Callable[[Event], str]:
        """An event renderer that names the event's story."""

        def render_named(event: Event) -> str:
            if event.story_id and event.story_id not in names:
                names.update((i, head.name) for i, head in store.story_heads([event.story_id]).items())
            return as_words(event, names.get(event.story_id, ""))

        return render_named

    as_dict, as_text, as_markdown, items = (
        (render.event_as_dict, named(render.event_as_text), named(render.event_as_markdown), store.iter_events(query))
        if kind == "events"
        else (render.story_as_dict, render.story_as_text, render.story_as_markdown, store.iter_stories(query))
    )
    _echo_items(items, fmt, as_dict, as_text, as_markdown)


def _echo_items(
    items: Iterable,
    fmt: str,
    as_dict: Callable[..., dict],
    as_text: Callable[..., str],
    as_markdown: Callable[..., str],
) -> None:
    """Print ``items`` as they come: JSON one object a line, text and Markdown a blank line apart."""
    by_format = {"json": lambda item: json.dumps(as_dict(item), ensure_ascii=False), "markdown": as_markdown}
    for n, item in enumerate(items):
        if n and fmt != "json":
            click.echo()
        click.echo(by_format.get(fmt, as_text)(item))


@main.command()
@click.option(
    "--since", default="", metavar="WHEN", help="Only updates made then or later: a day (YYYY-MM-DD) or an ISO time."
)
@click.option("--q", "q", default="", help="Only updates of what these words find, as `storyline events --q` does.")
@click.option("--outlet", default="", help="Only updates of what this outlet covered.")
@LANGUAGE_OPTION
@click.option(
    "--kind", type=click.Choice(["event", "story"]), default=None, help="Only updates of events or of stories."
)
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True, help="How many; 0 for all.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@db_option
def updates(since: str, q: str, outlet: str, language: str, kind: str | None, limit: int, fmt: str, db: str) -> None:
    """Show what ingests added to events and stories, newest first: when, the articles that
    arrived, what they report that the earlier ones did not (each sentence cited), and the
    figures that moved."""
    from .. import render
    from ..listing import ListQuery, parse_moment
    from ..store import Store

    try:
        moment = parse_moment(since) if since else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    with Store(Settings.from_env(db).db) as store:
        asked = ListQuery(text=q, source=outlet, language=language)
        found = store.matching_updates(asked, kind=kind, since=moment, limit=limit)
    _echo_items(found, fmt, render.update_as_dict, render.update_as_text, render.update_as_markdown)


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--words", type=click.IntRange(min=1), default=None, help="Word budget of each summary  [default: 100]")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True)
@click.option("--query", default=None, help="Focus every summary on this question.")
def summarize(inputs: tuple[str, ...], words: int | None, fmt: str, query: str | None) -> None:
    """Summarise each JSONL file, which holds the articles of ONE event."""
    from ..describe import summarize_articles
    from ..render import sentence_as_dict

    settings = Settings.from_env()
    failed = False
    for given in inputs:
        try:
            articles, refused = _read_articles(given, settings)
        except InputError as exc:
            warn(exc)
            failed = True
            continue
        failed = failed or bool(refused)
        summary = summarize_articles(articles, settings, words=words, query=query)
        if fmt == "json":
            record = {
                "input": given,
                "headline": summary.headline,
                "sentences": [sentence_as_dict(s) for s in summary.sentences],
            }
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            click.echo(f"{given}: {summary.headline}")
            click.echo("\n".join(f"  - {s.text} [{_citation(s)}]" for s in summary.sentences) + "\n")
    if failed:
        sys.exit(1)


def _citation(sentence: Sentence) -> str:
    """Outlet, article id and URL of a summary sentence, as far as they are known."""
    return ", ".join(part for part in (sentence.source, sentence.article_id, sentence.url) if part)


@main.command()
@click.argument("input_path", metavar="INPUT.jsonl")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True)
def cluster(input_path: str, fmt: str) -> None:
    """Assign each article of a time-ordered JSONL stream to an event and its event to a story;
    one line per article (text: id, event id, story id, tab-separated)."""
    from ..grouping import cluster_stories

    settings = Settings.from_env()
    articles, refused = _read_articles(input_path, settings)
    events, stories = cluster_stories(articles, settings)
    for article, event_id, story_id in zip(articles, events, stories, strict=True):
        record = {
            "id": article.id,
            "event_id": event_id,
            "story_id": story_id,
            **({"copy_of": article.copy_of} if article.copy_of else {}),
        }
        line = json.dumps(record) if fmt == "json" else f"{article.id}\t{event_id}\t{story_id}"
        click.echo(line)
    if refused:
        sys.exit(1)


def _read_articles(given: str, settings: Settings) -> tuple[list[Article], int]:
    """The articles of one input file and how many items were refused; a bad line is reported
    and skipped, an empty result is an error."""
    from ..extract import extract
    from ..ingest import read_document

    extraction = extract(read_document(Path(given), settings.extract), settings.extract)
    for failure in extraction.failures:
        warn(failure)
    if not extraction.articles:
        raise InputError(given, "no readable articles")
    return extraction.articles, len(extraction.failures)


@main.command()
@db_option
@click.option("--host", default=ServeSettings.host, show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=ServeSettings.port, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=ServeSettings.workers,
    show_default=True,
    help="Server processes; one per core. They share the store, and one at a time runs ingest jobs.",
)
@click.option(
    "--cache",
    type=click.IntRange(min=0),
    default=ServeSettings.cache_entries,
    show_default=True,
    help="Answers to reads kept per process until the store changes; 0: none.",
)
@click.option("--cors-origin", "cors_origins", multiple=True, help="Allow browser calls from this origin (repeatable).")
@click.option("--private", is_flag=True, help="Reads need an API key too (by default only writes do).")
@click.option("--allow-private", is_flag=True, help="Let POSTed URLs reach loopback and private addresses.")
@click.option("--no-facts", is_flag=True, help="Jobs skip entities, figures and disagreements (as ingest --no-facts).")
@click.option("--lexical-summaries", is_flag=True, hidden=True)  # as ingest's: summaries are TF-IDF alone since #21
def serve(
    db: str,
    host: str,
    port: int,
    workers: int,
    cache: int,
    cors_origins: tuple[str, ...],
    private: bool,
    allow_private: bool,
    no_facts: bool,
    lexical_summaries: bool,
) -> None:
    """Serve the HTTP API and web pages; writes need a key from `storyline keys create`.

    A store bulk-loaded with --no-facts wants the same flag here: jobs describe events as it
    says, and an event described otherwise is described again.
    """
    # Imported here: FastAPI and uvicorn cost every other command half a second of start-up.
    import uvicorn

    from ..api import SERVE_ENV, serving_settings
    from ..store import Store

    options = {
        "db": Settings.from_env(db).db,
        "host": host,
        "port": port,
        "cors_origins": list(cors_origins),
        "private": private,
        "allow_private": allow_private,
        "workers": workers,
        "cache": cache,
        "no_facts": no_facts,
    }
    settings = serving_settings(**options)
    Store(settings.db, settings.search).close()  # migrated once, before the server processes open it
    os.environ[SERVE_ENV] = json.dumps(options)
    click.echo(f"storyline: serving {settings.db} at http://{host}:{port}/ (API docs at /docs)", err=True)
    uvicorn.run("storyline.api:app_from_env", factory=True, host=host, port=port, workers=workers, log_level="info")


@main.group()
def keys() -> None:
    """API keys for the HTTP API's writes."""


@keys.command("create")
@click.option("--name", default="default", show_default=True, help="What the key is for, shown in logs.")
@db_option
def keys_create(name: str, db: str) -> None:
    """Create a key and print it once: only its hash is stored."""
    from ..keys import create_key
    from ..store import Store

    with Store(Settings.from_env(db).db) as store:
        click.echo(create_key(store, name))


@main.command()
@click.option("--db", default=None, help="Keep the demo's store in this file  [default: a temporary one]")
def demo(db: str | None) -> None:
    """The main job on the bundled examples: ingest, cluster, summarise, print."""
    from ..listing import ListQuery
    from ..pipeline import ingest_paths
    from ..store import Store

    with (
        tempfile.TemporaryDirectory() as scratch,
        resources.as_file(resources.files("storyline") / "examples") as examples,
    ):
        settings = Settings.from_env(db or str(Path(scratch) / "demo.db"))
        with Store(settings.db) as store:
            report = ingest_paths(sorted(examples.glob("*.txt")), store, settings, on_failure=warn)
            click.echo(f"Ingested the bundled examples: {_tally(report)}\n")
            _print_list(store, "events", "text", ListQuery(limit=0))
            click.echo("\nStories:\n")
            _print_list(store, "stories", "text", ListQuery(limit=0))


def run() -> None:
    """Console entry point: our own errors become one line on stderr, never a traceback."""
    # Extraction libraries log every page they cannot parse; storyline reports those itself.
    for noisy in ("trafilatura", "htmldate", "courlan", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    try:
        main()
    except StorylineError as exc:
        warn(f"error: {exc}")
        sys.exit(1)
    except KeyboardInterrupt:
        warn("interrupted")
        sys.exit(130)
    except Exception as exc:
        if not _is_database_error(exc):
            raise
        warn(f"error: database: {exc.__class__.__name__}: {getattr(exc, 'orig', None) or exc}")
        sys.exit(1)


def _is_database_error(exc: Exception) -> bool:
    """Whether ``exc`` is SQLAlchemy's, without importing SQLAlchemy for commands that never do:
    an error can only be one of its classes once it has been imported."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, errors.SQLAlchemyError)
