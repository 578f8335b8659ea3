"""Reference templates of one step resolved into plan Text: slots, staged paths, literal text;
source URIs and SPEC 6.2 source handles."""

from __future__ import annotations

from typing import Any

from ..spec.catalog import is_database_file, table_kind
from ..graph import PipelineGraph
from ..spec.config import Config
from ..spec.models import ARTIFACT_TYPES, CONNECTION_FIELDS, Local
from ..spec.references import RefUse
from ..spec.refgrammar import Ref, Template, parse_template
from .model import Credentials, PathKind, PathSlot, Slot, SlotKind, StrText, Text
from .values import canonical


class Resolver:
    """Turns reference templates into Text (slots, paths, literal text) for one step."""

    def __init__(self, cfg: Config, graph: PipelineGraph, name: str, step: Any,
                 uses: list[RefUse]) -> None:
        self.cfg = cfg
        self.doc = cfg.doc
        self.graph = graph
        self.name = name
        self.step = step
        self.uses = uses
        self.by_ref = {(u.path, u.ref.start): u for u in uses}
        self.input_kinds: dict[str, str] = {}

    def template(self, path: tuple, value: Any) -> Template:
        found = self.cfg.refs.templates.get(path)
        if found is not None:
            return found
        return parse_template(value)[0] if isinstance(value, str) else Template(str(value), ())

    def use(self, path: tuple, ref: Ref) -> RefUse:
        return self.by_ref[(path, ref.start)]

    def text(self, path: tuple, value: Any) -> Text:
        """A value template as Text (for env values, exec arguments, value handles)."""
        if not isinstance(value, str):
            return (canonical(value),)
        template = self.template(path, value)
        out: list = []
        for piece in template.pieces:
            out.append(piece if isinstance(piece, str) else self.ref_text(self.use(path, piece)))
        return flatten(out)

    def ref_text(self, use: RefUse) -> Any:
        ref, target = use.ref, use.target
        ctx = ref.context
        if ctx == "params":
            return Slot(SlotKind.PARAM, ref.parts[0])
        if ctx == "run":
            return Slot(SlotKind.RUN, ref.parts[0])
        if ctx == "foreach":
            return Slot(SlotKind.FOREACH, ref.parts[0])
        if ctx == "search_space":
            return Slot(SlotKind.TRIAL, ref.parts[0])
        if ctx == "outputs":
            return PathSlot(PathKind.OUTPUT, ref.parts[0])
        if ctx == "inputs":
            return self.input_text(ref.parts[0])
        if ctx == "sources":
            return source_uri(self.doc, *ref.parts[:2])
        if ctx == "steps":
            return Slot(SlotKind.OUTPUT, target.name, target.step)
        raise AssertionError(f"no text for {ref.path}")

    def input_text(self, name: str) -> Any:
        value = self.step.inputs[name]
        kind = self.input_kinds.get(name) or self.input_kind(name, value)
        if kind == "artifact":
            return PathSlot(PathKind.INPUT, name)
        if kind == "source":
            template = self.template(("steps", self.name, "inputs", name), value)
            ref = template.refs[0]
            return source_uri(self.doc, *ref.parts[:2])
        return self.text(("steps", self.name, "inputs", name), value)

    def input_kind(self, name: str, value: Any) -> str:
        path = ("steps", self.name, "inputs", name)
        kind = "value"
        if isinstance(value, str):
            template = self.template(path, value)
            if template.is_binding:
                use = self.use(path, template.refs[0])
                if use.target.kind == "step_output" and (use.target.type in ARTIFACT_TYPES
                                                         or use.target.dims):
                    kind = "artifact"
                elif use.target.kind in ("file", "table"):
                    kind = "source"
        self.input_kinds[name] = kind
        return kind


def flatten(pieces: list) -> Text:
    out: list = []
    for p in pieces:
        if isinstance(p, tuple):
            out.extend(p)
        else:
            out.append(p)
    merged: list = []
    for p in out:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        elif p != "":
            merged.append(p)
    return tuple(merged)


def source_uri(doc: Any, source: str, table: str) -> Any:
    """SPEC 5.3: file sources interpolate as their URI (absolute path when local)."""
    src = doc.sources[source]
    tab = src.tables[table]
    if src.type in ("s3", "gcs"):
        scheme = "s3" if src.type == "s3" else "gs"
        prefix = (src.prefix or "").strip("/")
        parts = [p for p in (prefix, (tab.path or "").lstrip("/")) if p]
        return f"{scheme}://{src.bucket}/" + "/".join(parts)
    if isinstance(src, Local):
        return Slot(SlotKind.LOCAL_PATH, _join_local(src.path, tab.path or ""))
    return f"{source}.{table}"


def _join_local(base: str, rel: str) -> str:
    if not rel:
        return base
    return base.rstrip("/") + "/" + rel.lstrip("/")


def source_handle(doc: Any, source: str, table: str, partition: Any = None) -> dict:
    """SPEC 6.2 source handle (credentials as a marker rendered per target)."""
    src = doc.sources[source]
    tab = src.tables[table]
    kind = table_kind(doc, source, table)
    connection = {f: getattr(src, "schema_" if f == "schema" else f)
                  for f in CONNECTION_FIELDS[src.type]}
    if isinstance(src, Local):
        connection = {"path": Slot(SlotKind.LOCAL_PATH, src.path)}
    uri = source_uri(doc, source, table) if kind == "file" else None
    credentials = None
    if src.credentials is not None:
        secret = parse_template(src.credentials)[0].refs[0].parts[0]
        credentials = Credentials(secret, doc.secrets[secret])
    return {"kind": "source", "source": source, "table": table, "type": src.type,
            "connection": connection, "identifier": tab.identifier, "query": tab.query,
            "path": tab.path, "uri": StrText((uri,)) if isinstance(uri, Slot) else uri,
            "format": tab.file_format if tab.path is not None and not (
                isinstance(src, Local) and is_database_file(src.path)) else None,
            "timestamp_field": tab.timestamp_field, "partition_by": tab.partition_by,
            "partition": partition, "holdout": tab.holdout, "credentials": credentials}
