"""Readers for the gold evaluation sets, read where they lie (never copied into the project).

Each reader returns storyline ``Article`` objects plus the gold label the dataset gives them:

- DUC 2006 / 2007 (TREC SGML inside ``duc2006_2007_raw.tar.gz``): ``duc_topics`` gives one
  ``DucTopic`` per topic folder (its documents as articles, in date order); ``duc_articles`` gives
  the articles of a whole year labelled with their topic, in date order.
- UCI News Aggregator sample (CSV headlines): ``uci_articles``, labelled with the gold story.
- GVA incidents (JSONL): ``gva_articles``, labelled with the gold incident; ``gva_incident_facts``
  the Archive's own record of each incident (date, place, killed, injured).
- Multi-News test sample (CSV): ``multinews_clusters`` gives each cluster's documents and
  editor summary; ``multinews_articles`` the documents as undated, untitled articles labelled
  with their cluster.
- SemEval 2022 task 8 (CSV pairs): ``semeval_pairs``, English pairs labelled same story or not.
"""

from __future__ import annotations

import ast
import csv
import gzip
import html
import json
import re
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from ..errors import InputError
from ..model import Article

DUC_TARBALL = "duc2006_2007_raw.tar.gz"
UCI_FILE = "uci_news_aggregator_first6366.csv.gz"
GVA_FILE = "gva_incidents_2013_2015.jsonl.gz"
GVA_FACTS_FILE = "gva_incident_facts_2013_2015.jsonl.gz"
MULTINEWS_FILE = "multinews_sample_test.csv.gz"
SEMEVAL_FILES = {"training": "training_set.csv.gz", "testing": "testing_set.csv.gz"}

# Topic document folders inside the tarball; DUC 2007 "update" topics reuse documents of the
# main task, so a year's articles come from its main folder only.
_DUC_DOCS = {
    "duc2006": "DUC_data/DUC2006/duc2006_docs/",
    "duc2007": "DUC_data/DUC2007/duc2007_testdocs/main/",
    "duc2007-update": "DUC_data/DUC2007/duc2007_testdocs/update/",
}
_TOPIC_FOLDER = re.compile(r"^(D0\d{3}[A-Z])(?:-([ABC]))?$")


@dataclass(frozen=True)
class LabelledArticle:
    """An article and its gold cluster."""

    article: Article
    gold: str


@dataclass
class DucTopic:
    """One DUC topic: its id (e.g. ``D0601A``) and its documents in date order.

    For DUC 2007 update topics, ``batches`` maps each article id to its batch ("A", "B", "C").
    """

    id: str
    articles: list[Article] = field(default_factory=list)
    batches: dict[str, str] = field(default_factory=dict)


def _field(sgml: str, tag: str) -> str:
    match = re.search(rf"<{tag}>(.*?)</{tag}>", sgml, re.S)
    return match.group(1) if match else ""


def _clean(fragment: str) -> str:
    """Text of an SGML fragment: tags dropped, entities decoded, hard-wrapped lines joined."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def parse_duc_document(sgml: str) -> Article:
    """One TREC SGML ``<DOC>`` as an Article: DOCNO as id, HEADLINE as title, paragraphs as text.

    The source is the wire service named by the DOCNO prefix (APW, NYT, XIE); the date comes
    from ``DATE_TIME`` (or ``DATE``), else from the DOCNO (e.g. ``NYT19990118.0373``).
    """
    docno = _clean(_field(sgml, "DOCNO"))
    if not docno:
        raise ValueError("no <DOCNO>")
    body = _field(sgml, "TEXT") or sgml
    paragraphs = [_clean(p) for p in re.findall(r"<P>(.*?)</P>", body, re.S)] or [_clean(body)]
    text = "\n\n".join(p for p in paragraphs if p)
    return Article(
        id=docno,
        text=text,
        title=_clean(_field(sgml, "HEADLINE")),
        source=re.match(r"[A-Z]+", docno).group(0) if re.match(r"[A-Z]+", docno) else "",
        published=_duc_date(_clean(_field(sgml, "DATE_TIME") or _field(sgml, "DATE")), docno),
        language="en",
    )


def _duc_date(stamp: str, docno: str) -> datetime | None:
    # Some stamps are malformed (e.g. "1998-27-06"): the DOCNO's date is then the reliable one.
    candidates = [(stamp[:16], "%Y-%m-%d %H:%M"), (stamp[:10], "%Y-%m-%d")]
    match = re.search(r"(\d{8})\.", docno)
    if match:
        candidates.append((match.group(1), "%Y%m%d"))
    for value, layout in candidates:
        try:
            return datetime.strptime(value, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _duc_tarball(data: str | Path) -> Path:
    path = Path(data)
    if path.is_dir():
        path = path / DUC_TARBALL
    if not path.is_file():
        raise InputError(str(path), f"DUC data not found (expected {DUC_TARBALL} or its folder)")
    return path


def duc_topics(data: str | Path, dataset: str = "duc2006") -> list[DucTopic]:
    """Every topic of ``dataset`` (``duc2006``, ``duc2007`` or ``duc2007-update``), sorted by id,
    read straight from the tarball in ``data`` (the tarball or the folder holding it)."""
    if dataset not in _DUC_DOCS:
        raise InputError(dataset, f"unknown DUC dataset (choose from {', '.join(_DUC_DOCS)})")
    prefix = _DUC_DOCS[dataset]
    topics: dict[str, DucTopic] = {}
    with tarfile.open(_duc_tarball(data)) as tar:
        for member in tar:
            if not member.isfile() or not member.name.startswith(prefix):
                continue
            parts = member.name[len(prefix) :].split("/")
            topic_match = _TOPIC_FOLDER.match(parts[0])
            if not topic_match or parts[-1].startswith("."):
                continue
            raw = tar.extractfile(member).read().decode("utf-8", errors="replace")
            article = parse_duc_document(raw)
            topic = topics.setdefault(topic_match.group(1), DucTopic(topic_match.group(1)))
            topic.articles.append(article)
            batch = _TOPIC_FOLDER.match(parts[1]) if len(parts) > 2 else None
            if batch and batch.group(2):
                topic.batches[article.id] = batch.group(2)
    for topic in topics.values():
        topic.articles.sort(key=time_order)
    return [topics[key] for key in sorted(topics)]


def duc_articles(data: str | Path, dataset: str = "duc2006") -> list[LabelledArticle]:
    """All articles of a DUC year in date order, each labelled with its topic folder."""
    labelled = [LabelledArticle(a, topic.id) for topic in duc_topics(data, dataset) for a in topic.articles]
    return sorted(labelled, key=lambda item: time_order(item.article))


def uci_articles(data: str | Path) -> list[LabelledArticle]:
    """The UCI News Aggregator headlines in time order, labelled with their gold STORY.

    The sample's last row is cut off; rows without a story or a timestamp are dropped.
    """
    path = _file(data, UCI_FILE, "UCI")
    labelled = []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            stamp = (row.get("TIMESTAMP") or "").strip()
            if not row.get("STORY") or not stamp.isdigit():
                continue
            article = Article(
                id=f"uci-{row['ID']}",
                text=row["TITLE"],
                title=row["TITLE"],
                url=row["URL"],
                source=row["PUBLISHER"] or row["HOSTNAME"],
                published=datetime.fromtimestamp(int(stamp) / 1000, tz=UTC),
                language="en",
            )
            labelled.append(LabelledArticle(article, row["STORY"]))
    return sorted(labelled, key=lambda item: time_order(item.article))


def gva_articles(data: str | Path) -> list[LabelledArticle]:
    """The GVA incident articles in date order, labelled with their incident. A report whose
    page was dead (empty text) is its title, as an ingest reads a headline without a body."""
    path = _file(data, GVA_FILE, "GVA")
    labelled = []
    for record in _jsonl(path):
        if not (record.get("text") or record.get("title") or "").strip():
            continue
        published = datetime.fromisoformat(record["published"]) if record.get("published") else None
        if published and published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        article = Article(
            id=record["id"],
            text=record.get("text") or record.get("title", ""),
            title=record.get("title", ""),
            source=record.get("source", ""),
            published=published,
            language="en",
        )
        labelled.append(LabelledArticle(article, str(record["incident"])))
    return sorted(labelled, key=lambda item: time_order(item.article))


@dataclass(frozen=True)
class IncidentFacts:
    """The Gun Violence Archive's record of one incident."""

    incident: str
    day: date
    city: str  # the Archive's ``city_or_county``, e.g. "Chicago", "Goleta (Isla Vista)", "Pike (county)"
    state: str
    killed: int  # the Archive counts a shooter who killed himself among them
    injured: int


def gva_incident_facts(data: str | Path) -> dict[str, IncidentFacts]:
    """The Archive's record of each incident it has one for, by incident id (``data``: the GVA
    folder or the facts file itself)."""
    return {
        str(record["incident"]): IncidentFacts(
            incident=str(record["incident"]),
            day=date.fromisoformat(record["date"]),
            city=record.get("city_or_county") or "",
            state=record.get("state") or "",
            killed=int(record.get("num_killed") or 0),
            injured=int(record.get("num_injured") or 0),
        )
        for record in _jsonl(_file(data, GVA_FACTS_FILE, "GVA incident facts"))
    }


def multinews_clusters(data: str | Path) -> list[tuple[list[str], str]]:
    """The Multi-News test sample in file order: each cluster's non-empty documents (2-7 scraped
    articles, boilerplate left in) and its editor summary (the leading en dash removed)."""
    csv.field_size_limit(sys.maxsize)
    clusters = []
    with gzip.open(_file(data, MULTINEWS_FILE, "Multi-News"), "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            documents = [text for text in ast.literal_eval(row["documents"]) if text.strip()]
            clusters.append((documents, row["summary"].lstrip("–- ").strip()))
    return clusters


def multinews_articles(data: str | Path) -> list[LabelledArticle]:
    """Every Multi-News document as an article with no title, date or outlet (the sample gives
    none), labelled with its cluster number, in file order."""
    return [
        LabelledArticle(Article(id=f"mn{number}-{k}", text=text.strip()), str(number))
        for number, (documents, _) in enumerate(multinews_clusters(data))
        for k, text in enumerate(documents)
    ]


def semeval_pairs(data: str | Path, part: str = "training") -> list[tuple[Article, Article, bool]]:
    """The English-English pairs of a SemEval 2022 task 8 file, labelled True when the annotators
    judged them the same story (``Overall`` at most 1.5 on its 1-4 scale) and False when they
    judged them different (2.5 or more); pairs in between, and machine-translated copies (ids
    with a language suffix), are left out. A text's first line is its title."""
    csv.field_size_limit(sys.maxsize)
    pairs = []
    with gzip.open(_file(data, SEMEVAL_FILES[part], "SemEval"), "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            ids = row["pair_id"].split("_")
            overall = float(row["Overall"])
            if row["lang1"] != "en" or row["lang2"] != "en" or not all(i.isdigit() for i in ids):
                continue
            if 1.5 < overall < 2.5:
                continue
            first, second = (
                _semeval_article(i, text) for i, text in zip(ids, (row["text1"], row["text2"]), strict=True)
            )
            pairs.append((first, second, overall <= 1.5))
    return pairs


def _semeval_article(number: str, text: str) -> Article:
    title, _, body = text.strip().partition("\n")
    return Article(id=f"semeval-{number}", text=body.strip() or title.strip(), title=title.strip(), language="en")


def _file(data: str | Path, name: str, what: str) -> Path:
    """``data`` itself, or ``name`` inside the folder ``data``; an ``InputError`` if missing."""
    path = Path(data)
    path = path / name if path.is_dir() else path
    if not path.is_file():
        raise InputError(str(path), f"{what} data not found (expected {name})")
    return path


def _jsonl(path: Path) -> Iterator[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def time_order(article: Article) -> tuple[str, str]:
    return (article.published.isoformat() if article.published else "", article.id)
