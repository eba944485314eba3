"""Groups that merge: a union-find parent list, shared by events and stories."""

from __future__ import annotations


def find_root(parent: list[int], item: int) -> int:
    """The group ``item`` ended up in after merges (``parent[i] == i`` at a root); paths are
    halved on the way, so a long chain of merges is walked once."""
    while parent[item] != item:
        parent[item] = parent[parent[item]]
        item = parent[item]
    return item
