"""The project's own metadata, read from the installed package (`[project.urls]` of
pyproject.toml is the one place the project's home is written)."""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def project_urls() -> dict[str, str]:
    """`[project.urls]` by label; empty when mlc runs from a tree without metadata."""
    from importlib import metadata

    try:
        entries = metadata.metadata("mlc").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return {}
    out = {}
    for entry in entries:
        label, _, url = entry.partition(",")
        out[label.strip()] = url.strip()
    return out
