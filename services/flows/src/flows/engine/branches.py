"""Parallel branches of one walk: where the graph fans out, every branch is walked, and the outside steps they stop
at run together (`RunSteps`, at most `MAX_PARALLEL` per round); a node where branches merge (several incoming
edges) runs once, when no branch that may still arrive at it is open — joined, not on the first arrival.

A branch is open while one of its nodes is still to be walked in this walk, blocked (an outside step running, a
delay or retry not due) or itself waiting to join: the merge waits if any of its predecessors can be reached from
those. An `if`/`switch` outcome not taken opens nothing, so a merge after it does not wait for it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MAX_PARALLEL = 8  # outside steps run at once per execution (one round; the next walk starts the rest)


@dataclass(frozen=True)
class Graph:
    """A workflow's edges by source and the predecessors of each node with several incoming edges."""

    out: dict[str, list[dict[str, Any]]]
    joins: dict[str, set[str]]

    @classmethod
    def of(cls, edges: Iterable[dict[str, Any]]) -> Graph:
        out: dict[str, list[dict[str, Any]]] = {}
        preds: dict[str, set[str]] = {}
        for edge in edges:
            out.setdefault(edge["source"], []).append(edge)
            preds.setdefault(edge["target"], set()).add(edge["source"])
        return cls(out, {node: sources for node, sources in preds.items() if len(sources) > 1})

    def joinable(self, node_id: str, open_nodes: Iterable[str], stop_at: str | None) -> bool:
        """Whether the merge `node_id` may run now: none of its predecessors can be reached from an open node
        (walking forward, never through the merge itself or the enclosing loop)."""
        preds = self.joins.get(node_id)
        if not preds:
            return True
        seen = {n for n in open_nodes if n != node_id}
        queue = deque(seen)
        while queue:
            current = queue.popleft()
            if current in preds:
                return False
            for edge in self.out.get(current, []):
                target = edge["target"]
                if target not in seen and target not in (node_id, stop_at):
                    seen.add(target)
                    queue.append(target)
        return True
