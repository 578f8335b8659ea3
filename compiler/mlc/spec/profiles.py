"""Phase 3: profiles as RFC 7396 merge patches over the positioned tree (SPEC 6.8).

The merged tree keeps, for every key and value, the span of whichever text supplied it (the
patch or the base), so a profile diagnostic points at the line that supplied the value.
"""

from __future__ import annotations

from typing import Any

from ..diagnostics import Diagnostic
from ..source import Source, YMap

NOT_PATCHABLE = ("apiVersion", "profiles")


def profile_names(root: Any) -> list[str]:
    """Profile names in file order (only those that are well-formed mappings)."""
    profiles = root.get("profiles") if isinstance(root, dict) else None
    if not isinstance(profiles, dict):
        return []
    return [name for name, patch in profiles.items() if isinstance(patch, dict)]


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: maps merge, anything else replaces, null deletes. Never mutates its inputs."""
    if not isinstance(patch, dict):
        return patch
    if isinstance(target, dict):
        result = YMap(target, span=getattr(target, "span", None) or getattr(patch, "span", None))
        result.kspans.update(getattr(target, "kspans", {}))
        result.vspans.update(getattr(target, "vspans", {}))
    else:
        result = YMap(span=getattr(patch, "span", None) or getattr(target, "span", None))
    pk = getattr(patch, "kspans", {})
    pv = getattr(patch, "vspans", {})
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
            result.kspans.pop(key, None)
            result.vspans.pop(key, None)
            continue
        result[key] = merge_patch(result.get(key), value)
        if key in pk:
            result.kspans[key] = pk[key]
        if key in pv:
            result.vspans[key] = pv[key]
    return result


def apply_profile(source: Source, name: str) -> tuple[Any, list[Diagnostic]]:
    """The merged tree for profile `name`, and E101 for keys a profile may not patch."""
    root = source.root
    patch = root["profiles"][name]
    diags = []
    for key in NOT_PATCHABLE:
        if key in patch:
            span = patch.kspans[key]
            diags.append(Diagnostic("E101", f"'{key}' cannot be set by a profile", source.file,
                                    span.line, span.col, profile=name,
                                    hint="profiles patch the rest of the document only",
                                    path=("profiles", name, key)))
    clean = YMap({k: v for k, v in patch.items() if k not in NOT_PATCHABLE}, span=patch.span)
    clean.kspans.update({k: v for k, v in patch.kspans.items() if k not in NOT_PATCHABLE})
    clean.vspans.update({k: v for k, v in patch.vspans.items() if k not in NOT_PATCHABLE})
    base = YMap({k: v for k, v in root.items() if k != "profiles"}, span=root.span)
    base.kspans.update({k: v for k, v in root.kspans.items() if k != "profiles"})
    base.vspans.update({k: v for k, v in root.vspans.items() if k != "profiles"})
    return merge_patch(base, clean), diags


def base_name(project_name: str, profile: str | None) -> str:
    """Resource base name: project.name, or <project.name>-<P> with `_` -> `-`."""
    if profile is None:
        return project_name
    return f"{project_name}-{profile}".replace("_", "-")
