"""Precision of timelines and figures, scored on a hand-judged sample of storyline's own output.

The sample (``tests/data/facts_sample.tsv``) holds pointers and judgments only, never text: each
row names a gold event of the evaluation data (a GVA incident, a DUC topic), an article and a
sentence of it, what storyline said there (a date and its resolution; a figure's value,
qualifier, what it counts and the words it was read from), and whether a careful reader finds
it right. Scoring builds those events' facts again from the data where it lies and looks each
judged output up: precision is the share judged right of those the code still produces.

Events are split in two once and for all by a hash of their id: the *development* half is where
the extraction rules are read and fixed, the *held-out* half is where the sample to report is
drawn (``draw_sample``), after the rules are frozen.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..config import FactsSettings
from ..errors import InputError
from ..facts import articles_to_read, event_facts
from ..model import Article
from ..sentences import split_sentences
from ..summarize import off_topic_sentences
from .datasets import duc_topics, gva_articles
from .facts import tsv_rows

KINDS = ("timeline", "figure")
SPLITS = ("development", "held-out")
LABELS = ("right", "wrong")
DATASETS = ("gva", "duc2006", "duc2007")
SAMPLE_FILE = "facts_sample.tsv"
_COLUMNS = ("kind", "dataset", "event", "article_id", "sentence", "output", "label", "split", "note")


@dataclass(frozen=True)
class JudgedEntry:
    """One timeline entry or figure storyline gave, where it read it, and a reader's judgment."""

    kind: str  # "timeline" or "figure"
    dataset: str  # "gva", "duc2006" or "duc2007"
    event: str  # the gold incident or topic
    article_id: str
    sentence: int  # the sentence's index in its article (storyline's sentence splitter)
    output: str  # "2013-06-22 day"; "62 | exactly | people died | 62 people"
    label: str = ""  # "right", "wrong", or "" when not judged yet
    split: str = ""
    note: str = ""

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.kind, self.article_id, self.sentence, self.output)


@dataclass
class PrecisionScore:
    """Judged outputs the code still produces, and those it no longer does."""

    right: int = 0
    wrong: int = 0
    gone: int = 0  # judged once, not produced any more
    errors: list[JudgedEntry] = field(default_factory=list)  # produced and judged wrong

    @property
    def precision(self) -> float:
        judged = self.right + self.wrong
        return self.right / judged if judged else 1.0


def split_of(dataset: str, event: str) -> str:
    """The half an event belongs to, fixed by a hash of its id."""
    digest = hashlib.sha256(f"{dataset}:{event}".encode()).digest()
    return SPLITS[digest[0] % 2]


def gold_events(data: Path) -> Iterator[tuple[str, str, list[Article]]]:
    """(dataset, event id, articles in time order) of every gold event of 2+ articles: GVA
    incidents, then DUC 2006 and 2007 topics."""
    incidents: dict[str, list[Article]] = defaultdict(list)
    for item in gva_articles(data / "gva-incidents-dev"):
        incidents[item.gold].append(item.article)
    yield from (("gva", event, members) for event, members in incidents.items() if len(members) >= 2)
    for dataset in ("duc2006", "duc2007"):
        yield from ((dataset, topic.id, topic.articles) for topic in duc_topics(data / "duc2006-2007", dataset))


def event_entries(dataset: str, event: str, articles: list[Article], settings: FactsSettings) -> list[JudgedEntry]:
    """Every mentioned date of the event's timeline and every figure, as unjudged entries."""
    facts = event_facts(articles, settings, off_topic=off_topic_sentences(articles_to_read(articles, settings)))
    by_id = {a.id: a for a in articles}
    entries = []
    for entry in facts.timeline:
        if entry.date == by_id[entry.article_id].published:
            continue  # a publication date: when the report appeared, not a date it names
        output = f"{entry.date:%Y-%m-%d} {entry.resolution}"
        entries.append(_entry("timeline", dataset, event, by_id[entry.article_id], entry.text, output))
    for figure in facts.figures:
        output = f"{figure.value:g} | {figure.qualifier} | {figure.counts} | {figure.text}"
        entries.append(_entry("figure", dataset, event, by_id[figure.article_id], figure.sentence, output))
    return entries


def _entry(kind: str, dataset: str, event: str, article: Article, sentence: str, output: str) -> JudgedEntry:
    return JudgedEntry(kind, dataset, event, article.id, _sentence_index(article, sentence), " ".join(output.split()))


def _sentence_index(article: Article, text: str) -> int:
    """The index of the sentence ``text`` (whole, or cut short with "…") among the article's."""
    stem = text[:-1] if text.endswith("…") else text
    for sentence in split_sentences(article):
        if sentence.text == text or sentence.text.startswith(stem):
            return sentence.position
    return -1


def draw_sample(
    data: Path,
    settings: FactsSettings,
    split: str,
    seed: int,
    per_group: int,
    kinds: tuple[str, ...] = KINDS,
    exclude: frozenset[tuple[str, str]] = frozenset(),
) -> tuple[list[JudgedEntry], dict[tuple[str, str], Article]]:
    """``per_group`` entries of each of ``kinds`` from GVA and from DUC, drawn at random
    (``seed``) from the events of ``split`` (less the (dataset, event) pairs of ``exclude``: those
    of an earlier sample), read in random order until each pool holds three times what is drawn;
    and the articles they point into (to show the sentences to the judge)."""
    rng = random.Random(seed)
    groups: dict[str, list] = {"gva": [], "duc": []}
    for dataset, event, members in gold_events(data):
        if split_of(dataset, event) == split and (dataset, event) not in exclude:
            groups["gva" if dataset == "gva" else "duc"].append((dataset, event, members))
    drawn, articles = [], {}
    for events in groups.values():
        rng.shuffle(events)
        pools: dict[str, list[JudgedEntry]] = {kind: [] for kind in kinds}
        for dataset, event, members in events:
            if all(len(pool) >= 3 * per_group for pool in pools.values()):
                break
            for entry in event_entries(dataset, event, members, settings):
                if entry.kind in pools:
                    pools[entry.kind].append(replace(entry, split=split))
            articles.update(((dataset, a.id), a) for a in members)
        for pool in pools.values():
            drawn += rng.sample(pool, min(per_group, len(pool)))
    return drawn, articles


def default_sample_path() -> Path | None:
    """The judged sample of a source checkout (``tests/data/facts_sample.tsv``), if there is one:
    it is test data, not shipped with the package."""
    path = Path(__file__).resolve().parents[3] / "tests" / "data" / SAMPLE_FILE
    return path if path.is_file() else None


def read_sample(path: Path) -> list[JudgedEntry]:
    """The entries of a sample file (TSV with a header; ``#`` lines are comments)."""
    entries = []
    for number, row in tsv_rows(path, "the judged sample"):
        try:
            entry = JudgedEntry(
                **{column: row[column] for column in _COLUMNS if column != "sentence"}, sentence=int(row["sentence"])
            )
        except (KeyError, TypeError, ValueError):
            raise InputError(f"{path}:{number}", f"expected the columns {', '.join(_COLUMNS)}") from None
        if entry.kind not in KINDS or entry.dataset not in DATASETS or entry.label not in LABELS:
            raise InputError(
                f"{path}:{number}", f"expected a kind in {KINDS}, a dataset in {DATASETS}, a label in {LABELS}"
            )
        entries.append(entry)
    return entries


def format_sample(entries: list[JudgedEntry]) -> str:
    """Entries as the TSV rows of a sample file, header first."""
    rows = ["\t".join(_COLUMNS)]
    rows += ["\t".join(str(getattr(e, column)) for column in _COLUMNS) for e in entries]
    return "\n".join(rows) + "\n"


def score_sample(
    data: Path, settings: FactsSettings, entries: list[JudgedEntry]
) -> dict[tuple[str, str], PrecisionScore]:
    """Precision per (kind, split) and per (kind, "all"): the judged entries' events are built
    again from ``data`` and each judged output is looked up among what they now give."""
    wanted = {(e.dataset, e.event) for e in entries}
    produced: set[tuple[str, str, int, str]] = set()
    for dataset, event, members in gold_events(data):
        if (dataset, event) in wanted:
            produced |= {e.key for e in event_entries(dataset, event, members, settings)}
            wanted.discard((dataset, event))
    if wanted:
        raise InputError(str(data), f"{len(wanted)} events of the sample not found, e.g. {sorted(wanted)[0]}")
    scores: dict[tuple[str, str], PrecisionScore] = {}
    for entry in entries:
        for key in ((entry.kind, entry.split), (entry.kind, "all")):
            score = scores.setdefault(key, PrecisionScore())
            if entry.key not in produced:
                score.gone += 1
            elif entry.label == "right":
                score.right += 1
            else:
                score.wrong += 1
                if key[1] == "all":
                    score.errors.append(entry)
    return scores
