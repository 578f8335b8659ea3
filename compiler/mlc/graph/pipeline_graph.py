"""PipelineGraph: steps as nodes, data and `needs` dependencies as edges (networkx).

The `networkx.DiGraph` is built on first use: `import networkx` costs about 0.14 s, more than
the rest of `mlc validate`, so an acyclic pipeline is first confirmed with the standard
library's `graphlib` and networkx is loaded only to order, query or report cycles.
"""

from __future__ import annotations

import graphlib
import heapq
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from ..record import Record
from ..spec.config import Config
from ..spec.models import Document, Step
from ..spec.references import RefUse

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Edge(Record):
    """Why `consumer` depends on `producer`: a reference (with its position) or a `needs`."""

    producer: str
    consumer: str
    use: RefUse | None
    needs_index: int | None = None


class PipelineGraph:
    """The DAG of one validated configuration. Edges point from producer to consumer."""

    def __init__(self, cfg: Config) -> None:
        assert cfg.refs is not None, "phase 4 must run before the graph is built"
        self.cfg = cfg
        self.doc: Document = cfg.doc
        self.position = {name: i for i, name in enumerate(self.doc.steps)}
        self.preds: dict[str, set[str]] = {name: set() for name in self.doc.steps}
        self.edges: dict[tuple[str, str], list[Edge]] = {}
        for use in cfg.refs.uses:
            if use.target.kind == "step_output" and use.step is not None:
                self._add(Edge(use.target.step, use.step, use))
        for name, step in self.doc.steps.items():
            for i, need in enumerate(step.needs):
                if need in self.doc.steps:
                    self._add(Edge(need, name, None, i))

    def _add(self, edge: Edge) -> None:
        self.preds[edge.consumer].add(edge.producer)
        self.edges.setdefault((edge.producer, edge.consumer), []).append(edge)

    @cached_property
    def g(self) -> nx.DiGraph:
        """The networkx graph (producer -> consumer), nodes in file order."""
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from(self.doc.steps)
        g.add_edges_from(sorted(self.edges, key=lambda e: (self.position[e[0]],
                                                           self.position[e[1]])))
        return g

    def is_acyclic(self) -> bool:
        try:
            graphlib.TopologicalSorter(self.preds).prepare()
        except graphlib.CycleError:
            return False
        return True

    def step(self, name: str) -> Step:
        return self.doc.steps[name]

    def order(self) -> list[str]:
        """Topological order, ties broken by name: outputs do not depend on the order of keys
        in the file (diagnostics, which point into the file, use file positions instead).

        The same order as `nx.lexicographical_topological_sort(self.g)` (a property test holds
        them equal), computed without importing networkx, which `mlc run` would pay 0.14 s for.
        """
        indegree = {name: len(preds) for name, preds in self.preds.items()}
        successors: dict[str, list[str]] = {name: [] for name in self.preds}
        for producer, consumer in self.edges:
            successors[producer].append(consumer)
        ready = [name for name, n in indegree.items() if n == 0]
        heapq.heapify(ready)
        out = []
        while ready:
            name = heapq.heappop(ready)
            out.append(name)
            for nxt in successors[name]:
                indegree[nxt] -= 1
                if indegree[nxt] == 0:
                    heapq.heappush(ready, nxt)
        return out

    def upstream(self, name: str) -> list[str]:
        return sorted(self.preds[name])

    def downstream(self, name: str) -> list[str]:
        return sorted(self.g.successors(name))

    def first_edge(self, producer: str, consumer: str) -> Edge:
        """The edge whose reference comes first in the file."""
        def key(e: Edge) -> tuple:
            if e.use is not None:
                return (e.use.line, e.use.col)
            span = self.cfg.span(("steps", e.consumer, "needs", e.needs_index))
            return (span.line, span.col)
        return min(self.edges[(producer, consumer)], key=key)

    def cycles(self) -> list[list[str]]:
        """One cycle per strongly connected component, in 'reads' order (consumer -> producer),
        starting at the step that comes first in the file."""
        if self.is_acyclic():
            return []
        import networkx as nx

        reads = self.g.reverse(copy=False)
        out = []
        for component in nx.strongly_connected_components(reads):
            members = sorted(component, key=self.position.__getitem__)
            first = members[0]
            if len(members) == 1 and not reads.has_edge(first, first):
                continue
            sub = reads.subgraph(component)
            path = _cycle_from(sub, first, self.position)
            out.append(path)
        return sorted(out, key=lambda c: self.position[c[0]])


def _cycle_from(sub: nx.DiGraph, start: str, position: dict[str, int]) -> list[str]:
    """A shortest cycle through `start`, preferring earlier steps (deterministic)."""
    import networkx as nx

    if sub.has_edge(start, start):
        return [start, start]
    best: list[str] | None = None
    for nxt in sorted(sub.successors(start), key=position.__getitem__):
        try:
            back = nx.shortest_path(sub, nxt, start)
        except nx.NetworkXNoPath:
            continue
        cand = [start] + back
        if best is None or len(cand) < len(best):
            best = cand
    assert best is not None
    return best
