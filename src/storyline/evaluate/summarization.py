"""ROUGE of storyline's summaries against human ones, next to the classic extractive systems.

Three datasets, each read where it lies under ``../shared/eval``:

- ``duc2006``: 50 query-focused topics of 25 AP/NYT/Xinhua articles, four 250-word human
  summaries each (DUC 2006 task; the length is the task's own limit).
- ``duc2007-update``: 10 topics in 3 time-ordered batches (A, B, C) of about 8 articles, four
  100-word human summaries per batch (the task's limit). Each batch is summarised from its own
  articles with the topic's question, as the classic systems are.
- ``multinews``: the 250-cluster Multi-News test sample, one editor summary each, scored at
  300 words (the length used for the extractive systems in Fabbri et al., ACL 2019).

Every system's output is cut to the same number of words before scoring, so none gains by
writing more. ROUGE-1/2/L come from Google's ``rouge-score`` with the Porter stemmer; with several
human summaries the scores are averaged over them, as ROUGE-1.5.5 does by default.

The baselines: *Lead* takes the articles' opening sentences in turn (first sentence of every
article, then the second, ...); *LexRank*, *TextRank* and *LSA* are sumy's implementations over
the same sentences storyline sees (sumy's own tokenizer needs NLTK data that is not installed, so
sentences come from storyline's splitter and words from a regular expression).
"""

from __future__ import annotations

import ast
import csv
import gzip
import re
import statistics
import sys
import tarfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..config import Settings
from ..embed import load_embedder
from ..model import Article
from ..sentences import split_sentences
from ..summarize import Summary, summarize_event
from .datasets import SUMMARY_DATASETS, duc_topics

DUC_ARCHIVE = "duc2006_2007_raw.tar.gz"
MULTINEWS_FILE = "multinews_sample_test.csv.gz"
DATASETS = SUMMARY_DATASETS
WORD_LIMITS = {"duc2006": 250, "duc2007-update": 100, "multinews": 300}
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
BASELINES = ("lead", "lexrank", "textrank", "lsa")

_TAG = r"<{0}>\s*(.*?)\s*</{0}>"
_WORD = re.compile(r"\w+")


@dataclass
class SummaryTask:
    """One input to summarise: an event's articles, the human summaries, and the question asked."""

    id: str
    articles: list[Article]
    references: list[str]
    query: str = ""


@dataclass
class SystemScores:
    """Mean ROUGE recall and F1 (0-1) of one system over all tasks of a dataset."""

    system: str
    recall: dict[str, float] = field(default_factory=dict)
    f1: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    inputs: int = 0


# --- readers ---------------------------------------------------------------------------------


def load_tasks(dataset: str, data: str | Path) -> list[SummaryTask]:
    """The tasks of ``dataset`` read from the folder (or file) ``data``."""
    path = Path(data)
    if dataset == "multinews":
        return read_multinews(path / MULTINEWS_FILE if path.is_dir() else path)
    archive = path / DUC_ARCHIVE if path.is_dir() else path
    if dataset == "duc2006":
        return read_duc2006(archive)
    if dataset == "duc2007-update":
        return read_duc2007_update(archive)
    raise ValueError(f"unknown dataset {dataset!r} (choose from {', '.join(DATASETS)})")


def _archive_texts(archive: Path, wanted: Callable[[str], bool]) -> Iterator[tuple[str, str]]:
    """(member name, text) of the archive's files whose name ``wanted`` accepts, read in place."""
    with tarfile.open(archive) as tar:
        for member in tar:
            if member.isfile() and wanted(member.name):
                yield member.name, tar.extractfile(member).read().decode("utf-8", errors="replace")


def _first(sgml: str, tag: str) -> str:
    found = re.search(_TAG.format(tag), sgml, flags=re.S)
    return found.group(1) if found else ""


def _questions(sgml: str) -> dict[str, str]:
    """Topic id (e.g. D0601A) -> its question: the title and the narrative."""
    questions = {}
    for block in re.findall(_TAG.format("topic"), sgml, flags=re.S):
        title, narrative = _first(block, "title"), _first(block, "narr")
        questions[_first(block, "num")] = " ".join(f"{title}. {narrative}".split())
    return questions


def _duc_gold(archive: Path, topics_file: str, models_folder: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The questions and the human summaries (keyed by file stem, e.g. D0601 or D0703-A) of a task."""
    questions: dict[str, str] = {}
    models: dict[str, list[str]] = {}
    for name, text in _archive_texts(archive, lambda n: n.endswith(topics_file) or models_folder in n):
        if name.endswith(topics_file):
            questions = _questions(text)
        else:
            models.setdefault(name.rsplit("/", 1)[-1].split(".")[0], []).append(text)
    return questions, models


def read_duc2006(archive: Path) -> list[SummaryTask]:
    """DUC 2006: 50 topics, 25 articles each, four 250-word human summaries."""
    questions, models = _duc_gold(archive, "duc2006_topics.sgml", "DUC2006/NISTeval/ROUGE/models/")
    return [
        SummaryTask(id=topic.id, articles=topic.articles, references=models[topic.id[:5]], query=questions[topic.id])
        for topic in duc_topics(archive, "duc2006")
        if topic.id[:5] in models
    ]


def read_duc2007_update(archive: Path) -> list[SummaryTask]:
    """DUC 2007 update task: 10 topics x batches A, B, C, four 100-word human summaries each."""
    questions, models = _duc_gold(archive, "duc2007_UPDATEtopics.sgml", "DUC2007/updateEval/ROUGE/models/")
    tasks = []
    for topic in duc_topics(archive, "duc2007-update"):
        for batch in "ABC":
            references = models.get(f"{topic.id[:5]}-{batch}")
            articles = [a for a in topic.articles if topic.batches.get(a.id) == batch]
            if references and articles:
                task = SummaryTask(f"{topic.id}-{batch}", articles, references, questions[topic.id])
                tasks.append(task)
    return tasks


def read_multinews(path: Path) -> list[SummaryTask]:
    """The Multi-News test sample: 2-7 scraped articles per cluster and the editor's summary."""
    csv.field_size_limit(sys.maxsize)
    tasks = []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            documents = ast.literal_eval(row["documents"])
            articles = [
                Article(id=f"mn{number}-{k}", text=text, source=f"doc{k}")
                for k, text in enumerate(documents)
                if text.strip()
            ]
            summary = row["summary"].lstrip("–- ").strip()  # every editor summary opens with an en dash
            tasks.append(SummaryTask(id=f"multinews-{number}", articles=articles, references=[summary]))
    return tasks


# --- systems ---------------------------------------------------------------------------------


def truncate_words(text: str, limit: int) -> str:
    """The first ``limit`` whitespace-separated words of ``text``."""
    return " ".join(text.split()[:limit])


def lead_summary(articles: Sequence[Article], limit: int) -> str:
    """The articles' opening sentences in turn: every first sentence, then every second, ..."""
    per_article = [[s.text for s in split_sentences(a)] for a in articles]
    chosen: list[str] = []
    words = 0
    for position in range(max((len(s) for s in per_article), default=0)):
        for sentences in per_article:
            if position < len(sentences) and words < limit:
                chosen.append(sentences[position])
                words += len(sentences[position].split())
    return " ".join(chosen)


class _RegexTokenizer:
    """What sumy needs from a tokenizer, without NLTK's punkt data (not installed here)."""

    language = "english"

    @staticmethod
    def to_sentences(paragraph: str) -> tuple[str, ...]:
        return (paragraph,)

    @staticmethod
    def to_words(sentence: str) -> tuple[str, ...]:
        return tuple(_WORD.findall(sentence))


def sumy_summary(method: str, articles: Sequence[Article], limit: int) -> str:
    """Sumy's ``method`` ("lexrank", "textrank" or "lsa") over the event's sentences, best first
    until ``limit`` words, printed in document order as sumy does."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph
    from sumy.models.dom import Sentence as SumySentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.lsa import LsaSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    tokenizer = _RegexTokenizer()
    paragraphs = [
        Paragraph([SumySentence(s.text, tokenizer) for s in split_sentences(a)]) for a in articles if a.text.strip()
    ]
    document = ObjectDocumentModel([p for p in paragraphs if p.sentences])
    summarizer = {"lexrank": LexRankSummarizer, "textrank": TextRankSummarizer, "lsa": LsaSummarizer}[method](
        Stemmer("english")
    )
    summarizer.stop_words = get_stop_words("english")

    def until_limit(ranked):  # sumy passes the sentences best first
        chosen, words = [], 0
        for info in ranked:
            if words >= limit:
                break
            chosen.append(info)
            words += len(str(info.sentence).split())
        return chosen

    return " ".join(str(s) for s in summarizer(document, until_limit))


def storyline_summary(summary: Summary) -> str:
    return " ".join(s.text for s in summary.sentences)


# --- scoring ---------------------------------------------------------------------------------


@cache
def _rouge_scorer():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)


def rouge(summary: str, references: Sequence[str]) -> tuple[dict[str, float], dict[str, float]]:
    """(recall, F1) per ROUGE type, averaged over the references."""
    scores = [_rouge_scorer().score(reference, summary) for reference in references]
    recall = {t: statistics.fmean(s[t].recall for s in scores) for t in ROUGE_TYPES}
    f1 = {t: statistics.fmean(s[t].fmeasure for s in scores) for t in ROUGE_TYPES}
    return recall, f1


def baseline_summary(system: str, articles: Sequence[Article], limit: int) -> str:
    """The output of a classic system (one of ``BASELINES``) of about ``limit`` words."""
    return lead_summary(articles, limit) if system == "lead" else sumy_summary(system, articles, limit)


def _score_baseline(job: tuple[str, SummaryTask, int]) -> tuple[dict[str, float], dict[str, float]]:
    system, task, limit = job
    return rouge(truncate_words(baseline_summary(system, task.articles, limit), limit), task.references)


def evaluate_summarization(
    dataset: str,
    data: str | Path,
    settings: Settings | None = None,
    limit: int | None = None,
    systems: Sequence[str] = ("storyline", *BASELINES),
    max_tasks: int | None = None,
    jobs: int = 1,
    progress: Callable[[str], None] = lambda message: None,
) -> list[SystemScores]:
    """Mean ROUGE of each system over the dataset's tasks, every output cut to ``limit`` words
    (default: the dataset's usual length).

    ``systems`` may also name ``storyline-generic``: storyline without the topic's question.
    Storyline runs in this process (its models load once); the baselines, pure-Python and slow
    on 25-article inputs, run in ``jobs`` processes.
    """
    settings = settings or Settings.from_env()
    limit = limit or WORD_LIMITS[dataset]
    tasks = load_tasks(dataset, data)[:max_tasks]
    if not tasks:
        raise ValueError(f"no {dataset} tasks found in {data}")
    embedder = load_embedder(settings.embed)
    results = []
    for system in systems:
        started = time.perf_counter()
        if system in BASELINES:
            jobs_list = [(system, task, limit) for task in tasks]
            if jobs > 1:
                with ProcessPoolExecutor(jobs) as pool:
                    scored = list(pool.map(_score_baseline, jobs_list, chunksize=2))
            else:
                scored = [_score_baseline(job) for job in jobs_list]
        else:
            query = system != "storyline-generic"
            scored = []
            for task in tasks:
                summary = summarize_event(
                    task.articles,
                    limit,
                    settings.summary,
                    settings.sentences,
                    embedder=embedder,
                    query=task.query if query else None,
                    fill=True,
                )
                scored.append(rouge(truncate_words(storyline_summary(summary), limit), task.references))
        seconds = time.perf_counter() - started
        scores = SystemScores(
            system=system,
            recall={t: statistics.fmean(r[t] for r, _ in scored) for t in ROUGE_TYPES},
            f1={t: statistics.fmean(f[t] for _, f in scored) for t in ROUGE_TYPES},
            seconds=seconds,
            inputs=len(tasks),
        )
        progress(
            f"{dataset}: {system} done in {seconds:.0f} s over {len(tasks)} inputs,"
            f" ROUGE-2 recall {scores.recall['rouge2'] * 100:.2f}"
        )
        results.append(scores)
    return results


def format_table(dataset: str, limit: int, results: Sequence[SystemScores], tasks: int | None = None) -> str:
    """A plain-text table of ROUGE recall and F1 (in %) per system, best baseline noted."""
    header = f"{dataset} ({limit} words" + (f", {tasks} inputs" if tasks else "") + ")"
    lines = [
        header,
        f"{'system':<18} {'R1-R':>6} {'R2-R':>6} {'RL-R':>6} {'R1-F':>6} {'R2-F':>6} {'RL-F':>6} {'sec':>7}",
    ]
    for r in results:
        cells = [r.recall[t] * 100 for t in ROUGE_TYPES] + [r.f1[t] * 100 for t in ROUGE_TYPES]
        lines.append(f"{r.system:<18} " + " ".join(f"{c:6.2f}" for c in cells) + f" {r.seconds:7.1f}")
    ours = next((r for r in results if r.system == "storyline"), None)
    baselines = [r for r in results if r.system in BASELINES]
    if ours and baselines:
        best = max(baselines, key=lambda r: r.recall["rouge2"])
        gain = ours.recall["rouge2"] / best.recall["rouge2"] - 1 if best.recall["rouge2"] else float("inf")
        lines.append(f"ROUGE-2 recall vs best baseline ({best.system}): {gain * 100:+.1f}% relative")
    return "\n".join(lines)
