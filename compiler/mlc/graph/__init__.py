"""graph: the typed Pipeline as a networkx DAG; cycles, unused declarations, fan-out sizes."""

from .checks import check_graph, check_fanout_bounds
from .expansion import DimBound, Expansion, expansion
from .pipeline_graph import PipelineGraph

__all__ = ["DimBound", "Expansion", "PipelineGraph", "check_fanout_bounds", "check_graph",
           "expansion"]
