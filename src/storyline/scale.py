"""Running the pipeline over partitions: in this process, or on a Dask cluster.

A corpus that outgrows one process (a month of Common Crawl News is millions of pages) is cut
into partitions, and the work that is independent per item runs on them in parallel:

- extraction: one task per input file (a WARC file, a JSONL shard) or per ``partition_files``
  small files of a folder; the worker reads the file itself;
- features: MiniLM vectors and MinHash signatures, ``partition_articles`` articles per task;
- summaries and facts: ``partition_events`` events per task.

What needs the whole stream stays in the caller, on small data: near-duplicate grouping
(``dedup.CopyFinder`` over the signatures made on the workers), and the time-ordered clustering,
which consumes the embedded stream batch by batch.

``LocalExecutor`` runs partitions in this process; ``DaskExecutor`` on a Dask cluster (a
``LocalCluster`` of ``workers`` processes, or an existing scheduler). Both give results in
partition order, so a run gives the same result on either. The executor is the only place
that knows about Dask: Dask is a well-kept engine for exactly this (task scheduling, worker
processes, data transfer, a Kubernetes operator), so storyline writes none of it.
"""

from __future__ import annotations

import itertools
import logging
import math
import multiprocessing
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from .cluster import clustering_embedder, dense_text, event_id_for
from .config import ClusterSettings, DedupSettings, EmbedSettings, ExtractSettings, ScaleSettings, Settings
from .dedup import signature_of
from .errors import InputError, StorylineError
from .extract import Extraction, extract, extract_many
from .facts import ArticleFacts, analyse_articles, ready_process
from .ingest import find_inputs, kind_of, read_documents
from .model import Article, RawDocument

Item = TypeVar("Item")
Result = TypeVar("Result")

# Inputs that are many documents each: always a partition of their own.
_MANY_DOCUMENT_KINDS = {"warc", "jsonl", "feed"}


class Executor(Protocol):
    """Maps a function over partitions, yielding results in partition order."""

    workers: int

    def map(self, function: Callable[[Item], Result], partitions: Iterable[Item]) -> Iterator[Result]: ...


class LocalExecutor:
    """Every partition in this process, one after the other.

    ``processes`` above 1 lets the heaviest per-article work of a run (spaCy's analysis, see
    ``pipeline.article_facts``) use that many fresh processes of this machine: they are started
    anew (spawned), so a script that runs an ingest with them needs the
    ``if __name__ == "__main__":`` guard, as it does for Dask.
    """

    workers = 1

    def __init__(self, processes: int = 1) -> None:
        self.processes = processes

    def map(self, function: Callable[[Item], Result], partitions: Iterable[Item]) -> Iterator[Result]:
        return map(function, partitions)


class DaskExecutor:
    """Partitions as tasks on a Dask cluster, a bounded number in flight, results in order."""

    def __init__(self, client: Any, settings: ScaleSettings = ScaleSettings()) -> None:
        self.client = client
        self.settings = settings
        self.workers = max(1, len(client.scheduler_info(n_workers=-1)["workers"]))

    def map(self, function: Callable[[Item], Result], partitions: Iterable[Item]) -> Iterator[Result]:
        # pure=False: two equal partitions (a re-run) are still two tasks to run.
        return _in_order(
            lambda p: self.client.submit(function, p, pure=False),
            partitions,
            self.workers * self.settings.tasks_in_flight,
            release=lambda future: future.release(),
        )


class PoolExecutor:
    """Partitions on a pool of local processes, a bounded number in flight, results in order:
    what spreads spaCy over this machine's cores when no Dask cluster is asked for."""

    def __init__(self, pool: ProcessPoolExecutor, workers: int, settings: ScaleSettings = ScaleSettings()) -> None:
        self.pool = pool
        self.workers = workers
        self.settings = settings

    def map(self, function: Callable[[Item], Result], partitions: Iterable[Item]) -> Iterator[Result]:
        return _in_order(
            lambda p: self.pool.submit(function, p), partitions, self.workers * self.settings.tasks_in_flight
        )


def _in_order(
    submit: Callable[[Item], Any],
    partitions: Iterable[Item],
    in_flight: int,
    release: Callable[[Any], None] = lambda future: None,
) -> Iterator[Any]:
    """The results of ``submit``ted partitions in partition order, ``in_flight`` submitted at once."""
    stream = iter(partitions)
    pending = deque(submit(p) for p in itertools.islice(stream, in_flight))
    try:
        while pending:
            future = pending.popleft()
            if (following := next(stream, None)) is not None:
                pending.append(submit(following))
            yield future.result()
            release(future)
    finally:
        for future in pending:
            future.cancel()


@contextmanager
def local_processes(
    processes: int,
    settings: ScaleSettings = ScaleSettings(),
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
) -> Iterator[Executor]:
    """An executor over ``processes`` fresh processes of this machine (this process when 1 or less).

    Fresh (spawned), not forked: a fork of a process that holds the articles and MiniLM shares
    its memory, yet counts it again in each child's resident size; a fresh one holds only what
    its tasks load (spaCy: about 250 MB). Each runs ``initializer(*initargs)`` as it starts.
    """
    if processes <= 1:
        yield LocalExecutor()
        return
    with _spawned_pool(processes, initializer, initargs) as pool:
        yield PoolExecutor(pool, processes, settings)


def _spawned_pool(
    processes: int, initializer: Callable[..., None] | None = None, initargs: tuple = ()
) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        processes, mp_context=multiprocessing.get_context("spawn"), initializer=initializer, initargs=initargs
    )


class EarlyAnalysis:
    """spaCy's analysis (``facts.analyse_articles``) of an ingest's articles, started while the
    events are still being clustered, on ``settings.scale.analysis_processes`` fresh processes
    of this machine that run at a lower priority and load spaCy as they start.

    Only an article in an event of two or more is analysed (``facts.articles_to_read``), and the
    clusterer tells which as it goes (``joined``, its ``on_join``): such an article and its
    event's first are handed to the processes ``scale.analysis_partition`` at a time, once
    there are ``scale.analysis_pool_min_articles`` to analyse or the processes run. The
    clustering holds one core for minutes at 10,000 articles; spaCy reads on the other, and the
    processes' low priority keeps them from slowing the clustering. They start with the first
    hand-off, so a small ingest never pays for them, or sooner (``start``) when the caller knows
    analyses are coming: spaCy then loads while the input is still read. The
    clusterer's articles are announced first (``expect``). ``analyse`` adds what the clustering
    left (articles of events merged later) and gathers every analysis.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._articles: dict[str, Article] = {}
        self._first_of: dict[str, str] = {}
        self._handed: set[str] = set()  # stored or handed in already
        self._waiting: list[Article] = []
        self._futures: list[Future] = []
        self._pool: ProcessPoolExecutor | None = None

    def expect(self, articles: Sequence[Article], analysed: Collection[str]) -> None:
        """The clusterer is about to read ``articles``; those of ``analysed`` need no analysis."""
        self._articles = {a.id: a for a in articles}
        self._first_of = {event_id_for(a.id): a.id for a in articles}
        self._handed = set(analysed)

    def start(self) -> None:
        """Start the processes now, each loading spaCy (once)."""
        self._start()

    @property
    def started(self) -> bool:
        return self._pool is not None

    def joined(self, article_id: str, event_id: str) -> None:
        """``article_id`` joined ``event_id``: analyse it and the event's first article (handed
        off a partition at a time once the processes run or there is enough to start them)."""
        self._hand_in(self._articles[k] for k in (article_id, self._first_of.get(event_id)) if k in self._articles)
        scale = self.settings.scale
        if len(self._waiting) >= (scale.analysis_partition if self.started else scale.analysis_pool_min_articles):
            self._hand_off(scale.analysis_partition)

    def analyse(self, articles: Iterable[Article]) -> list[ArticleFacts]:
        """The analyses of ``articles`` and of every article handed in before, waiting for those
        still running. If the processes never started and there are fewer than
        ``scale.analysis_pool_min_articles`` to analyse, they are analysed in this process."""
        self._hand_in(articles)
        scale = self.settings.scale
        if not self.started and len(self._waiting) < scale.analysis_pool_min_articles:
            made, self._waiting = analyse_articles(self._waiting, self.settings.facts), []
            return made
        # The last tasks are cut so that every process has one: none idles while one finishes.
        self._hand_off(min(scale.analysis_partition, math.ceil(len(self._waiting) / scale.analysis_processes)))
        made = [facts for future in self._futures for facts in future.result()]
        self._futures = []
        return made

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> EarlyAnalysis:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _hand_in(self, articles: Iterable[Article]) -> None:
        for article in articles:
            if article.id not in self._handed:
                self._handed.add(article.id)
                self._waiting.append(article)

    def _hand_off(self, size: int) -> None:
        task = partial(analyse_articles, settings=self.settings.facts)
        self._futures += [self._start().submit(task, part) for part in chunks(self._waiting, max(size, 1))]
        self._waiting = []

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            scale = self.settings.scale
            self._pool = _spawned_pool(
                scale.analysis_processes, ready_process, (self.settings.facts, scale.analysis_niceness)
            )
            # A spawned pool starts a process per task submitted while none is idle: one
            # no-op each, so that every process loads spaCy now, not at its first real task.
            for _ in range(scale.analysis_processes):
                self._pool.submit(int)
        return self._pool


@contextmanager
def open_executor(settings: ScaleSettings) -> Iterator[Executor]:
    """The executor ``settings`` ask for: an existing scheduler, a LocalCluster, or this process
    (with ``analysis_processes`` processes of this machine for spaCy).

    A scheduler that cannot be reached is a ``StorylineError`` naming it (one line, no traceback).
    """
    if not settings.scheduler and settings.workers <= 0:
        yield LocalExecutor(settings.analysis_processes)
        return
    from distributed import Client, LocalCluster

    # Dask logs every worker start and stop; the CLI reports what matters itself.
    for name in ("distributed", "distributed.nanny", "distributed.scheduler", "distributed.worker"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if settings.scheduler:
        try:
            client = Client(settings.scheduler, timeout=settings.connect_timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise StorylineError(
                f"{settings.scheduler}: cannot reach the Dask scheduler ({_first_line(exc)})"
            ) from None
        with client:
            yield DaskExecutor(client, settings)
        return
    # Processes, one thread each: trafilatura and the tokenizer hold the GIL, and MiniLM is
    # given one onnxruntime thread per worker (worker_embed_settings): cores are not oversubscribed.
    with (
        LocalCluster(
            n_workers=settings.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: two clusters on one machine must not collide
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield DaskExecutor(client, settings)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]


# -- extraction -------------------------------------------------------------------------------


def input_partitions(paths: Iterable[str | Path], settings: ScaleSettings) -> Iterator[list[Path | InputError]]:
    """The input files under ``paths`` in the order a single-process ingest reads them, cut into
    partitions: a many-document file alone, small files ``partition_files`` at a time. Inputs
    that cannot be read come out as ``InputError`` items in their place."""
    group: list[Path | InputError] = []
    for found in find_inputs(paths):
        many = isinstance(found, Path) and kind_of(found) in _MANY_DOCUMENT_KINDS
        if group and (many or len(group) >= settings.partition_files):
            yield group
            group = []
        group.append(found)
        if many:
            yield group
            group = []
    if group:
        yield group


def holds_articles(paths: Iterable[str | Path], count: int, settings: ScaleSettings) -> bool:
    """Whether the input files under ``paths`` hold about ``count`` articles or more, judged
    before reading them: one per page or text file, one per ``settings.bytes_per_article`` bytes
    of a many-document file (JSONL, WARC, feed). URLs and unreadable inputs count nothing."""
    expected = 0
    for found in find_inputs(paths):
        if isinstance(found, Path):
            many = kind_of(found) in _MANY_DOCUMENT_KINDS
            expected += _size(found) // settings.bytes_per_article if many else 1
            if expected >= count:
                return True
    return False


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # gone since it was found: reading it reports why


def extract_partition(
    partition: Sequence[Path | InputError], settings: ExtractSettings
) -> list[tuple[RawDocument, Extraction] | tuple[InputError, None]]:
    """Read and extract one partition's files (on a worker), in order; errors in their place."""
    out: list[tuple[RawDocument, Extraction] | tuple[InputError, None]] = []
    for found in partition:
        items = [found] if isinstance(found, InputError) else read_documents(found, settings)
        for item in items:
            out.append((item, extract(item, settings)) if isinstance(item, RawDocument) else (item, None))
    return out


def extract_inputs(
    paths: Sequence[str | Path],
    read: Callable[[Sequence[str | Path]], Iterable[RawDocument | InputError]],
    settings: Settings,
    executor: Executor,
    here: Callable[[str | Path], bool],
) -> Iterator[tuple[RawDocument, Extraction] | tuple[InputError, None]]:
    """The inputs ``paths`` read (``read``) and extracted, in order: in this process (its
    extraction workers) on a ``LocalExecutor``; else the input files a partition at a time on
    the executor's workers, then those that must be read here (``here``: URLs, and feeds whose
    entries are fetched) in this process."""
    if isinstance(executor, LocalExecutor):
        yield from extract_many(read(paths), settings.extract)
        return
    local = [p for p in paths if here(p)]
    files = [p for p in paths if not here(p)]
    extract_settings = replace(settings.extract, workers=1)
    partitions = executor.map(
        partial(extract_partition, settings=extract_settings), input_partitions(files, settings.scale)
    )
    yield from itertools.chain.from_iterable(partitions)
    if local:
        yield from extract_many(read(local), settings.extract)


@contextmanager
def analysts(count: int, settings: Settings, executor: Executor) -> Iterator[Executor]:
    """Where ``count`` analyses run: on a Dask ``executor``, its workers; else on
    ``executor.processes`` fresh processes if there are ``scale.analysis_pool_min_articles``,
    fewer in this process."""
    if not isinstance(executor, LocalExecutor):
        yield executor
        return
    few = count < settings.scale.analysis_pool_min_articles
    ready = (settings.facts, settings.scale.analysis_niceness)
    with local_processes(1 if few else executor.processes, settings.scale, ready_process, ready) as local:
        yield local


@contextmanager
def early_analysis(settings: Settings, executor: Executor, wanted: bool = True) -> Iterator[EarlyAnalysis | None]:
    """An early analysis (``scale.EarlyAnalysis``) where spaCy runs on processes of this
    machine and the run describes events (``wanted``); None when facts are off, on Dask, or
    when analyses go to this process."""
    if not (wanted and settings.facts.enabled and isinstance(executor, LocalExecutor) and executor.processes > 1):
        yield None
        return
    with EarlyAnalysis(settings) as early:
        yield early


# -- features: MiniLM vectors and MinHash signatures --------------------------------------------


def article_features(
    task: tuple[Sequence[Article], Sequence[bool]],
    cluster: ClusterSettings,
    embed: EmbedSettings,
    dedup: DedupSettings,
) -> tuple[np.ndarray | None, np.ndarray]:
    """For a task of articles and which of them lack a vector: their clustering vectors (None
    without the model; zero rows for those that have one already), and every article's MinHash
    signature (``uint32``; zero rows for texts too short to be copies)."""
    articles, embed_missing = task
    signatures = np.zeros((len(articles), dedup.num_perm), dtype=np.uint32)
    for row, article in enumerate(articles):
        signatures[row] = signature_of(article.text, dedup)
    embedder = clustering_embedder(cluster, embed)
    if embedder is None:
        return None, signatures
    wanted = [i for i in range(len(articles)) if embed_missing[i]]
    vectors = np.zeros((len(articles), embedder.dims), dtype=np.float32)
    if wanted:
        vectors[wanted] = embedder.encode([dense_text(articles[i]) for i in wanted])
    return vectors, signatures


def worker_embed_settings(embed: EmbedSettings, executor: Executor) -> EmbedSettings:
    """On a cluster each worker process is one core: one onnxruntime thread each."""
    return embed if isinstance(executor, LocalExecutor) else replace(embed, threads=1)


def chunks(items: Sequence[Item], size: int) -> Iterator[Sequence[Item]]:
    """Consecutive slices of ``items``, ``size`` at most."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def has_dask() -> bool:
    """Whether the ``scale`` extra (Dask distributed) is installed."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def require_dask() -> None:
    if not has_dask():
        raise StorylineError("--workers and --scheduler need Dask: pip install 'storyline[scale]'")
