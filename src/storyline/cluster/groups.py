"""Groups that merge: a union-find parent list, shared by events and stories."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def find_root(parent: list[int], item: int) -> int:
    """The group ``item`` ended up in after merges (``parent[i] == i`` at a root); paths are
    halved on the way, so a long chain of merges is walked once."""
    while parent[item] != item:
        parent[item] = parent[parent[item]]
        item = parent[item]
    return item


def join_best(
    scores: Sequence[float],
    groups: Sequence[int],
    threshold: float,
    merge_threshold: float,
    root: Callable[[int], int],
    merge: Callable[[int, int], None],
) -> int:
    """The group an item joins: the best of ``groups`` by ``scores`` when it reaches
    ``threshold`` (else -1), after every other group scoring ``merge_threshold`` or more was
    merged into it (``merge(survivor, other)``, the older, lower group surviving)."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    if scores[order[0]] < threshold:
        return -1
    chosen = groups[order[0]]
    for n in order[1:]:
        if scores[n] < merge_threshold:
            break
        survivor, merged = sorted((root(chosen), root(groups[n])))
        if survivor != merged:
            merge(survivor, merged)
        chosen = survivor
    return root(chosen)
