"""runtime: the generated tasks, as standard-library-only Python modules.

Each module is self-contained (no imports from mlc), so its source is embedded verbatim in
target definitions (an Argo `script` template, a Kubeflow component, a Batch command) and run on
`runtime_image`; `mlc run` imports the same modules, so a gate decides identically everywhere.
`sources.py` returns a module's text for embedding.
"""

from .sources import MODULES, compact_source, source_of

__all__ = ["MODULES", "compact_source", "source_of"]
