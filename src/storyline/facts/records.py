"""Facts as JSON-ready dicts and back: one shape for the store, the CLI's JSON and the API."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..model import Disagreement, EntityGroup, Event, Figure, TimelineEntry
from .analysis import ArticleFacts
from .figures import Claim


def entity_as_dict(group: EntityGroup) -> dict[str, Any]:
    return {
        "name": group.name,
        "label": group.label,
        "mentions": group.mentions,
        "variants": [{"name": name, "count": count} for name, count in group.variants],
    }


def figure_as_dict(figure: Figure) -> dict[str, Any]:
    return {
        "value": figure.value,
        "qualifier": figure.qualifier,
        "counts": figure.counts,
        "text": figure.text,
        "said_by": figure.said_by,
        "sentence": figure.sentence,
        "article_id": figure.article_id,
        "source": figure.source,
        "published": figure.published.isoformat() if figure.published else None,
        "key": figure.key,
    }


def disagreement_as_dict(disagreement: Disagreement) -> dict[str, Any]:
    return {"quantity": disagreement.quantity, "figures": [figure_as_dict(f) for f in disagreement.figures]}


def entity_from_dict(record: dict[str, Any]) -> EntityGroup:
    return EntityGroup(
        name=record["name"],
        label=record["label"],
        variants=tuple((v["name"], int(v["count"])) for v in record["variants"]),
    )


def figure_from_dict(record: dict[str, Any]) -> Figure:
    published = record.get("published")
    return Figure(
        value=float(record["value"]),
        qualifier=record["qualifier"],
        counts=record["counts"],
        text=record["text"],
        sentence=record["sentence"],
        article_id=record["article_id"],
        source=record.get("source", ""),
        published=datetime.fromisoformat(published) if published else None,
        said_by=record.get("said_by", ""),
        key=record.get("key", ""),
    )


def facts_to_json(event: Event) -> str:
    """The entities, figures and disagreements of an event as one JSON text (for the store)."""
    return json.dumps(
        {
            "entities": [entity_as_dict(g) for g in event.entities],
            "figures": [figure_as_dict(f) for f in event.figures],
            "disagreements": [disagreement_as_dict(d) for d in event.disagreements],
        },
        ensure_ascii=False,
    )


def facts_from_json(text: str) -> tuple[list[EntityGroup], list[Figure], list[Disagreement]]:
    """The inverse of ``facts_to_json``."""
    record = json.loads(text)
    disagreements = [
        Disagreement(quantity=d["quantity"], figures=tuple(figure_from_dict(f) for f in d["figures"]))
        for d in record.get("disagreements", [])
    ]
    return (
        [entity_from_dict(g) for g in record.get("entities", [])],
        [figure_from_dict(f) for f in record.get("figures", [])],
        disagreements,
    )


def _claim_as_dict(claim: Claim) -> dict[str, Any]:
    return {
        "figure": figure_as_dict(claim.figure),
        "low": claim.low,
        "high": claim.high,
        "vague": claim.vague,
        "partial": claim.partial,
        "context": sorted(claim.context),
        "dates": sorted(claim.dates),
        "places": sorted(claim.places),
    }


def _claim_from_dict(record: dict[str, Any]) -> Claim:
    return Claim(
        figure=figure_from_dict(record["figure"]),
        low=float(record["low"]),
        high=float(record["high"]),
        vague=bool(record["vague"]),
        partial=bool(record["partial"]),
        context=frozenset(record["context"]),
        dates=frozenset(record["dates"]),
        places=frozenset(record["places"]),
    )


def article_facts_to_json(found: ArticleFacts) -> str:
    """An article's analysis as one JSON text (for the store). Unbounded figures ("at least 15")
    keep an infinite upper bound, which Python's json writes as ``Infinity``."""
    return json.dumps(
        {
            "mentions": found.mentions,
            "acronyms": found.acronyms,
            "claims": [_claim_as_dict(c) for c in found.claims],
            "dates": [
                {"date": d.date.isoformat(), "text": d.text, "resolution": d.resolution, "article_id": d.article_id}
                for d in found.dates
            ],
        },
        ensure_ascii=False,
    )


def article_facts_from_json(article_id: str, text: str) -> ArticleFacts:
    """The inverse of ``article_facts_to_json``."""
    record = json.loads(text)
    return ArticleFacts(
        article_id=article_id,
        mentions=tuple((name, label, int(index)) for name, label, index in record["mentions"]),
        acronyms=tuple((acronym, expansion) for acronym, expansion in record["acronyms"]),
        claims=tuple(_claim_from_dict(c) for c in record["claims"]),
        dates=tuple(
            TimelineEntry(
                date=datetime.fromisoformat(d["date"]),
                text=d["text"],
                article_id=d["article_id"],
                resolution=d["resolution"],
            )
            for d in record["dates"]
        ),
    )
