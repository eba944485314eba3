"""The store's near-duplicate signatures: what ``dedup.CopyFinder`` continues from.

Every grouped article has a row in ``article_signatures`` (its MinHash values, its original) and
one row per LSH band key in ``signature_bands``, whose index finds the stored articles that share
a band with a new one. Rows are written by the grouping's commit (``insert_signatures``), in the
same transaction as the state that says those articles were grouped, and never rewritten.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection, Engine

from ..dedup import SignatureRow, StoredSignature
from .lookup import IDS_PER_LOOKUP

# The candidates' originals are joined for their arrival: when a new article copies members of
# two groups, it points to the group whose first article arrived first.
_CANDIDATES = text(
    "SELECT s.article_id, s.arrival, s.signature, s.original_id, COALESCE(o.arrival, s.arrival) AS original_arrival"
    " FROM article_signatures s LEFT JOIN article_signatures o ON o.article_id = s.original_id"
    " WHERE s.article_id IN (SELECT article_id FROM signature_bands WHERE band_key IN :keys)"
).bindparams(bindparam("keys", expanding=True))


def insert_signatures(conn: Connection, rows: Sequence[SignatureRow]) -> None:
    """Write ``rows`` (``CopyFinder.find_copies``'s) in the caller's transaction."""
    if not rows:
        return
    conn.execute(
        text(
            "INSERT INTO article_signatures (article_id, arrival, signature, original_id)"
            " VALUES (:article_id, :arrival, :signature, :original_id)"
        ),
        [
            {
                "article_id": row.article_id,
                "arrival": row.arrival,
                "signature": row.signature.astype("<u4").tobytes(),
                "original_id": row.original_id,
            }
            for row in rows
        ],
    )
    bands = [{"band_key": key, "article_id": row.article_id} for row in rows for key in row.band_keys]
    if bands:
        conn.execute(text("INSERT INTO signature_bands (band_key, article_id) VALUES (:band_key, :article_id)"), bands)


class SignatureStore:
    """Reading signatures (a mixin of ``Store``, which gives ``engine``): a ``dedup.SignatureIndex``."""

    engine: Engine

    def signature_candidates(self, band_keys: Sequence[str]) -> list[StoredSignature]:
        """The stored signatures that have at least one of ``band_keys``, each once."""
        found: dict[str, StoredSignature] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(band_keys), IDS_PER_LOOKUP):
                for row in conn.execute(_CANDIDATES, {"keys": list(band_keys[start : start + IDS_PER_LOOKUP])}):
                    found[row.article_id] = StoredSignature(
                        row.article_id,
                        row.arrival,
                        np.frombuffer(bytes(row.signature), dtype="<u4").astype(np.uint32),
                        row.original_id,
                        row.original_arrival,
                    )
        return list(found.values())
