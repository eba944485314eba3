"""ROUGE of the update summaries storyline writes as news arrives, on the DUC 2007 update task.

The 10 topics arrive as the product would see them: every topic's batch A ingested into a fresh
store, then every batch B, then every batch C. After each of B and C the stored updates are read
back, and each topic is scored by the update of the story that took most of that batch's
articles: the summary a reader of the story's updates was shown, against the four human update
summaries of the batch. Beside it, on the same batches and with no question for any of them:

- ``storyline-update``: ``summarize_update`` called directly, the topic's earlier batches as
  what the reader already saw (the summarizer without the grouping around it);
- ``storyline-batch``: ``summarize_event`` over the batch alone, ignoring the earlier ones;
- ``lead``: the batch's opening sentences in turn.

A topic whose batch found no update (its articles joined no story, or the ingest wrote none)
scores 0 for ``storyline-ingest``: a reader would have been shown nothing.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ..config import Settings
from ..listing import to_iso
from ..model import Article, RawDocument, Update
from ..pipeline import ingest_documents
from ..store import Store
from ..summarize import summarize_event, summarize_update
from .summarization import (
    ROUGE_TYPES,
    SummaryTask,
    SystemScores,
    format_table,
    lead_summary,
    load_tasks,
    rouge,
    storyline_summary,
    truncate_words,
)

UPDATE_DATASET = "duc2007-update"
UPDATE_SYSTEMS = ("storyline-ingest", "storyline-update", "storyline-batch", "lead")
BATCHES = "ABC"

Scored = tuple[dict[str, float], dict[str, float]]


def evaluate_updates(
    data: str | Path,
    settings: Settings,
    limit: int = 100,
    max_topics: int | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> list[SystemScores]:
    """Mean ROUGE of each of ``UPDATE_SYSTEMS`` over the B and C batches of the DUC 2007 update
    topics in ``data`` (the first ``max_topics``), every output cut to ``limit`` words."""
    topics = _topics(load_tasks(UPDATE_DATASET, data))[:max_topics]
    if not topics:
        raise ValueError(f"no {UPDATE_DATASET} topics found in {data}")
    scored: dict[str, list[Scored]] = {system: [] for system in UPDATE_SYSTEMS}
    seconds = dict.fromkeys(UPDATE_SYSTEMS, 0.0)

    started = time.perf_counter()
    shown = _ingested_updates(topics, settings, progress)
    seconds["storyline-ingest"] = time.perf_counter() - started
    for topic in topics:
        for n, batch in enumerate(BATCHES[1:], start=1):
            task = topic[batch]
            update = shown.get(task.id)
            summary = " ".join(s.text for s in update.summary) if update else ""
            scored["storyline-ingest"].append(_score(summary, task, limit))
            earlier = [a for b in BATCHES[:n] for a in topic[b].articles]
            for system in UPDATE_SYSTEMS[1:]:
                clock = time.perf_counter()
                summary = _written(system, earlier, task.articles, limit, settings)
                seconds[system] += time.perf_counter() - clock
                scored[system].append(_score(summary, task, limit))
    missing = sum(1 for topic in topics for batch in BATCHES[1:] if topic[batch].id not in shown)
    if missing:
        progress(f"{UPDATE_DATASET}: {missing} of {2 * len(topics)} batches found no stored story update")
    return [
        SystemScores(
            system=system,
            recall={t: statistics.fmean(r[t] for r, _ in scored[system]) for t in ROUGE_TYPES},
            f1={t: statistics.fmean(f[t] for _, f in scored[system]) for t in ROUGE_TYPES},
            seconds=seconds[system],
            inputs=len(scored[system]),
        )
        for system in UPDATE_SYSTEMS
    ]


def format_updates(limit: int, results: Sequence[SystemScores]) -> str:
    """The table of ``evaluate_updates``, and how the product's updates compare on ROUGE-2 recall."""
    table = format_table(
        f"{UPDATE_DATASET}, updates of batches B and C, no question", limit, results, results[0].inputs
    )
    rouge2 = {r.system: r.recall["rouge2"] for r in results}
    lines = [table]
    for ours in UPDATE_SYSTEMS[:2]:
        ratios = (
            f"{rouge2[ours] / rouge2[other]:.2f}x {other}" if rouge2[other] else f"no {other}"
            for other in UPDATE_SYSTEMS[2:]
        )
        lines.append(f"ROUGE-2 recall of {ours}: " + ", ".join(ratios))
    return "\n".join(lines)


def _written(system: str, earlier: Sequence[Article], new: Sequence[Article], limit: int, settings: Settings) -> str:
    """The summary of the ``new`` batch by one of the directly called systems."""
    if system == "storyline-update":
        return storyline_summary(summarize_update(earlier, new, limit, settings.summary, settings.sentences))
    if system == "storyline-batch":
        return storyline_summary(summarize_event(new, limit, settings.summary, settings.sentences))
    return lead_summary(new, limit)


def _topics(tasks: Sequence[SummaryTask]) -> list[dict[str, SummaryTask]]:
    """The tasks by topic (in the tasks' order), each topic's batches by letter; only topics
    with all three batches."""
    topics: dict[str, dict[str, SummaryTask]] = {}
    for task in tasks:
        topic, batch = task.id.rsplit("-", 1)
        topics.setdefault(topic, {})[batch] = task
    return [batches for batches in topics.values() if set(batches) == set(BATCHES)]


def _ingested_updates(
    topics: Sequence[dict[str, SummaryTask]], settings: Settings, progress: Callable[[str], None]
) -> dict[str, Update]:
    """By task id (batches B and C), the story update a reader was shown once that batch of
    every topic was ingested after the earlier ones, into a fresh SQLite store."""
    shown: dict[str, Update] = {}
    with (
        tempfile.TemporaryDirectory(prefix="storyline-updates-") as folder,
        Store(str(Path(folder) / "updates.db")) as store,
    ):
        for batch in BATCHES:
            tasks = [topic[batch] for topic in topics]
            seen = max((u.seq for u in store.updates(limit=1)), default=0)
            report = ingest_documents(_documents(a for task in tasks for a in task.articles), store, settings)
            progress(f"{UPDATE_DATASET}: batch {batch} ingested: {report.new} articles, {report.stories} stories")
            if batch == BATCHES[0]:
                continue
            written = [u for u in store.updates(kind="story", limit=0) if u.seq > seen]
            for task in tasks:
                arrived = {a.id for a in task.articles}
                best = max(written, key=lambda u: len(arrived.intersection(u.articles)), default=None)
                if best is not None and arrived.intersection(best.articles):
                    shown[task.id] = best
    return shown


def _documents(articles: Iterable[Article]) -> list[RawDocument]:
    """Each article as the JSON line a feed of it would hold, keeping its DUC document id."""
    return [
        RawDocument(
            origin=f"{UPDATE_DATASET}/{article.id}.jsonl",
            kind="jsonl",
            data=json.dumps(
                {
                    "id": article.id,
                    "title": article.title,
                    "text": article.text,
                    "source": article.source,
                    "published": to_iso(article.published),
                },
                ensure_ascii=False,
            ).encode(),
        )
        for article in articles
    ]


def _score(summary: str, task: SummaryTask, limit: int) -> Scored:
    return rouge(truncate_words(summary, limit), task.references)
