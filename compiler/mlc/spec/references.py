"""Phase 4: find, place, resolve and type every reference (SPEC 5).

Produces a `RefTable`: every reference with its field, owning step, position, what it resolves
to and, for collections, whether the consumer zips or fans in. The graph is built from it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from ..diagnostics import Diagnostic
from ..diagnostics.suggest import article, close_match
from ..record import MutableRecord, Record
from ..source import Span, find_in_scalar
from .catalog import output_dims, outputs_of, step_outputs, table_dims, table_kind
from .config import Config
from .models import THRESHOLD_KINDS
from .refgrammar import Ref, Template, parse_template
from .shell import quoting_at

CMD_CONTEXTS = frozenset({"params", "run", "foreach", "search_space", "inputs", "outputs"})
RUN_FIELDS = ("id", "date", "started_at")
ENV_VALUE_CONTEXTS = ("params", "foreach", "search_space", "run")  # exported as MLC_* variables


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Rule(Record):
    """The contexts a field accepts references from (SPEC 5.2)."""

    field: str
    contexts: frozenset[str]
    binding: bool = False  # only a binding (exactly one reference) is allowed


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Resolved(Record):
    """What a reference resolves to: its kind, type and name."""

    kind: str  # param run secret secret_key table file step_output input output foreach trial
    type: str
    name: str
    step: str | None = None
    dims: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class RefUse(Record):
    """One reference in the file, resolved, with its field and position."""

    ref: Ref
    path: tuple
    field: str
    step: str | None
    binding: bool
    line: int
    col: int
    target: Resolved
    mode: str | None = None  # "zip" or "fanin" when the target is a collection


@dataclass(eq=False, repr=False)
class RefTable(MutableRecord):
    """Every reference of a configuration, and the parsed templates by path."""

    uses: list[RefUse]
    templates: dict[tuple, Template]

    def by_step(self) -> dict[str, list[RefUse]]:
        out: dict[str, list[RefUse]] = defaultdict(list)
        for use in self.uses:
            if use.step is not None:
                out[use.step].append(use)
        return out

    def referenced(self, context: str) -> set[str]:
        return {u.ref.parts[0] for u in self.uses if u.ref.context == context}


CRED = Rule("credentials", frozenset({"secrets"}), binding=True)
# The rule of each field that takes references, made once (a rule is asked for every string)
_RULES = {
    "default": Rule("default", frozenset({"run"})),
    "command": Rule("command", CMD_CONTEXTS),
    "env": Rule("env", CMD_CONTEXTS | {"secrets"}),
    "inputs": Rule("inputs", frozenset({"params", "run", "foreach", "sources", "steps"})),
    "foreach": Rule("foreach", frozenset({"params", "steps"}), binding=True),
    "as_of": Rule("as_of", frozenset({"params", "run"})),
    "baseline": Rule("baseline", frozenset({"steps", "params", "run", "foreach"})),
    **{f: Rule(f, frozenset({"sources", "steps"}), binding=True) for f in ("entities",
                                                                           "datasets")},
    **{f: Rule(f, frozenset({"steps"}), binding=True) for f in ("model", "gate")},
    **{k: Rule(k, frozenset({"params"}), binding=True) for k in THRESHOLD_KINDS},
}


def field_rule(path: tuple) -> Rule | None:
    """Which contexts the field at `path` accepts (SPEC 5.2); None: no references at all."""
    n = len(path)
    if n == 3 and path[0] == "params" and path[2] == "default":
        return _RULES["default"]
    if n == 3 and path[0] == "sources" and path[2] == "credentials":
        return CRED
    if n < 3 or path[0] != "steps":
        return None
    f = path[2]
    if f == "command" and n in (3, 4):
        return _RULES["command"]
    if n == 4 and f in ("env", "inputs", "foreach", "datasets"):
        return _RULES[f]
    if n == 3 and f in ("entities", "model", "gate", "as_of", "baseline"):
        return _RULES[f]
    if n == 5 and f == "gates" and path[4] in THRESHOLD_KINDS:
        return _RULES[path[4]]
    if f == "strategy" and path[-1] == "credentials" and (
            path[3:] == ("canary", "analysis", "credentials")
            or (n == 9 and path[3:5] == ("canary", "steps") and path[6:8] == ("experiment",
                                                                               "platform"))):
        return CRED
    return None


# How many parts a reference of each context has (`steps.<step>.outputs.<output>`: 3)
_SHAPES = {"params": (1,), "secrets": (1, 2), "sources": (2,), "steps": (3,), "inputs": (1,),
           "outputs": (1,), "foreach": (1,), "search_space": (1,), "run": (1,)}


def iter_strings(node: Any) -> list[tuple[tuple, str, Span | None]]:
    """(path, value, span) of every string scalar holding '{' (cheap filter for templates)."""
    out: list[tuple[tuple, str, Span | None]] = []
    _braced(node, (), out)
    return out


def _braced(node: Any, path: tuple, out: list) -> None:
    # a recursive walk that appends: thousands of steps, where nested generators would pass
    # each string up through every level
    if isinstance(node, dict):
        vspans = getattr(node, "vspans", {})
        for k, v in node.items():
            if isinstance(v, str):
                if "{" in v:
                    out.append((path + (k,), v, vspans.get(k)))
            elif isinstance(v, (dict, list)):
                _braced(v, path + (k,), out)
    elif isinstance(node, list):
        ispans = getattr(node, "ispans", [])
        for i, v in enumerate(node):
            if isinstance(v, str):
                if "{" in v:
                    out.append((path + (i,), v, ispans[i] if i < len(ispans) else None))
            elif isinstance(v, (dict, list)):
                _braced(v, path + (i,), out)


class _Resolver:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.doc = cfg.doc
        self.diags: list[Diagnostic] = []
        self.uses: list[RefUse] = []
        self.templates: dict[tuple, Template] = {}
        self.step_outputs = step_outputs(cfg)
        self._jinja: dict[str, str] | None = None

    # -- positions --
    def ref_pos(self, value: str, span: Span | None, ref_text: str, start: int,
                inner: int = 0) -> tuple[int, int]:
        if span is None:
            return 1, 1
        occurrence = value[:start].count(ref_text)
        line, col = find_in_scalar(self.cfg.source.text, span, ref_text, occurrence)
        return line, col + inner

    def jinja_names(self) -> dict[str, str]:
        """Names a `{{ name }}` may mean: params, foreach dimensions, hyperparameters."""
        if self._jinja is None:
            names: dict[str, str] = {}
            for step in self.doc.steps.values():
                sweep = getattr(step, "sweep", None)
                for hp in (sweep.search_space if sweep is not None else {}):
                    names[hp] = "search_space"
                for dim in getattr(step, "foreach", None) or {}:
                    names[dim] = "foreach"
            names.update({p: "params" for p in self.doc.params or {}})
            self._jinja = names
        return self._jinja

    def error(self, code: str, message: str, pos: tuple[int, int], path: tuple,
              hint: str | None = None) -> None:
        self.diags.append(self.cfg.at(code, message, pos, hint=hint, path=path))

    # -- the walk --
    def run(self) -> RefTable:
        for path, value, span in iter_strings(self.cfg.root):
            if path and path[0] == "profiles":
                continue
            self.string(path, value, span)
        self.needs()
        if not self.diags:
            self.collections()
            self.shell_positions()
        return RefTable(self.uses, self.templates)

    def string(self, path: tuple, value: str, span: Span | None) -> None:
        template, errors = parse_template(value)
        for err in errors:
            if err.jinja_name is not None:
                context = self.jinja_names().get(err.jinja_name)
                if context is None:
                    continue  # not a name of this file: literal text (SPEC 5.1)
                err = replace(err, message=err.message.replace(
                    f"params.{err.jinja_name}", f"{context}.{err.jinja_name}"))
            token = value[err.start:err.start + 3]
            pos = self.ref_pos(value, span, token, err.start)
            self.error(err.code, err.message, pos, path, err.hint)
        if not template.refs:
            return
        self.templates[path] = template
        rule = field_rule(path)
        step = path[1] if path[0] == "steps" and len(path) > 1 else None
        for ref in template.refs:
            pos = self.ref_pos(value, span, ref.text, ref.start)
            self.one(path, value, span, template, ref, rule, step, pos)

    def one(self, path: tuple, value: str, span: Span | None, template: Template, ref: Ref,
            rule: Rule | None, step: str | None, pos: tuple[int, int]) -> None:
        if rule is None or ref.context not in rule.contexts:
            self.error("E203", _not_allowed(ref, rule, path), pos, path, _e203_hint(ref, rule, path))
            return
        if rule.binding and not template.is_binding:
            self.error("E204", f"'{rule.field}' takes exactly one reference (a binding), not text "
                       "around it", pos, path, f"write {rule.field}: \"{ref.text}\"")
            return
        target = self.resolve(ref, step, value, span, pos, path)
        if target is None:
            return
        problem = _type_problem(rule, ref, target, template.is_binding, self.doc, step)
        if problem is not None:
            code, message, hint = problem
            self.error(code, message, pos, path, hint)
            return
        self.uses.append(RefUse(ref, path, rule.field, step, template.is_binding, pos[0], pos[1],
                                target))

    # -- resolution (E201 shape, E202 dangling) --
    def resolve(self, ref: Ref, step: str | None, value: str, span: Span | None,
                pos: tuple[int, int], path: tuple) -> Resolved | None:
        parts, ctx = ref.parts, ref.context
        if len(parts) not in _SHAPES[ctx] or (ctx == "steps" and parts[1] != "outputs"):
            form = {"params": "params.<param>", "secrets": "secrets.<secret>[.<key>]",
                    "sources": "sources.<source>.<table>", "steps": "steps.<step>.outputs.<output>",
                    "run": "run.id|date|started_at"}.get(ctx, f"{ctx}.<name>")
            self.error("E201", f"'{ref.text}' is not a valid reference: expected {form}", pos,
                       path)
            return None

        doc = self.doc
        own = doc.steps.get(step) if step else None
        name = parts[0]
        if ctx == "params":
            params = doc.params or {}
            if name not in params:
                message = f"reference to unknown param '{name}'"
                return self._dangling(ref, pos, path, 0, message, params)
            return Resolved("param", params[name].type, name)
        if ctx == "run":
            if name not in RUN_FIELDS:
                return self._dangling(ref, pos, path, 0, f"unknown run field '{name}'", RUN_FIELDS)
            return Resolved("run", "string", name)
        if ctx == "secrets":
            secrets = doc.secrets or {}
            if name not in secrets:
                message = f"reference to unknown secret '{name}'"
                return self._dangling(ref, pos, path, 0, message, secrets)
            return Resolved("secret_key" if len(parts) == 2 else "secret", "secret", name)
        if ctx == "sources":
            sources = doc.sources or {}
            if name not in sources:
                message = f"reference to unknown source '{name}'"
                return self._dangling(ref, pos, path, 0, message, sources)
            tables = sources[name].tables
            if parts[1] not in tables:
                message = f"source '{name}' has no table '{parts[1]}'"
                return self._dangling(ref, pos, path, 1, message, tables)
            kind = table_kind(doc, name, parts[1])
            return Resolved(kind, kind, f"{name}.{parts[1]}",
                            dims=table_dims(tables[parts[1]]))
        if ctx == "steps":
            if name not in doc.steps:
                return self._dangling_step(ref, pos, path)
            outputs = self.step_outputs[name]
            if parts[2] not in outputs:
                what = f"step '{name}' has no output '{parts[2]}'"
                col = pos[1] + ref.offsets[3]
                match = close_match(parts[2], outputs)
                known = ", ".join(outputs) or "none"
                hint = f"did you mean '{match}'?" if match else f"its outputs: {known}"
                self.error("E202", what, (pos[0], col), path, hint)
                return None
            info = outputs[parts[2]]
            return Resolved("step_output", info.type, parts[2], step=name,
                            dims=output_dims(doc.steps[name], parts[2]))
        assert own is not None
        if ctx == "inputs":
            inputs = getattr(own, "inputs", {})
            if name not in inputs:
                message = f"step '{step}' has no input '{name}'"
                return self._dangling(ref, pos, path, 0, message, inputs)
            return Resolved("input", self._input_type(inputs[name]), name, step=step)
        if ctx == "outputs":
            outputs = self.step_outputs[step]
            if name not in outputs:
                message = f"step '{step}' has no output '{name}'"
                return self._dangling(ref, pos, path, 0, message, outputs)
            return Resolved("output", outputs[name].type, name, step=step)
        if ctx == "foreach":
            dims = getattr(own, "foreach", {})
            if name not in dims:
                message = f"step '{step}' has no foreach dimension '{name}'"
                return self._dangling(ref, pos, path, 0, message, dims)
            return Resolved("foreach", "scalar", name, step=step)
        sweep = getattr(own, "sweep", None)
        space = sweep.search_space if sweep is not None else {}
        if name not in space:
            message = f"step '{step}' has no hyperparameter '{name}'"
            return self._dangling(ref, pos, path, 0, message, space)
        return Resolved("trial", "scalar", name, step=step)

    def _dangling(self, ref: Ref, pos: tuple[int, int], path: tuple, index: int, message: str,
                  candidates) -> None:
        match = close_match(ref.parts[index], candidates)
        hint = f"did you mean '{match}'?" if match else None
        col = pos[1] + ref.offsets[index + 1]
        self.error("E202", message, (pos[0], col), path, hint)

    def _input_type(self, value: Any) -> str:
        """`table` for an input bound to a warehouse or database table (it has no text: E204
        where it is interpolated), else `input`."""
        if not isinstance(value, str):
            return "input"
        template, _ = parse_template(value)
        if not (template.is_binding and template.refs[0].context == "sources"):
            return "input"
        parts = template.refs[0].parts
        src = (self.doc.sources or {}).get(parts[0]) if parts else None
        if src is None or len(parts) < 2 or parts[1] not in src.tables:
            return "input"
        return "table" if table_kind(self.doc, parts[0], parts[1]) == "table" else "input"

    def _dangling_step(self, ref: Ref, pos: tuple[int, int], path: tuple) -> None:
        name = ref.parts[0]
        match = close_match(name, self.doc.steps)
        hint = None
        if match:
            at = self.cfg.span(("steps", match), key=True)
            hint = f"did you mean '{match}'? (defined at {at.line}:{at.col})"
        self.error("E202", f"reference to unknown step '{name}'",
                   (pos[0], pos[1] + ref.offsets[1]), path, hint)
        return None

    def needs(self) -> None:
        for name, step in self.doc.steps.items():
            for i, need in enumerate(step.needs):
                if need not in self.doc.steps:
                    match = close_match(need, self.doc.steps)
                    self.diags.append(self.cfg.diag(
                        "E202", f"step '{name}' needs unknown step '{need}'",
                        ("steps", name, "needs", i),
                        hint=f"did you mean '{match}'?" if match else None))

    # -- E205: zip or fan-in --
    def collections(self) -> None:
        doc = self.doc
        done: list[RefUse] = []
        for use in self.uses:
            dims = use.target.dims
            if not dims or use.step is None or use.target.kind not in ("step_output", "file",
                                                                        "table"):
                done.append(use)
                continue
            consumer = doc.steps[use.step]
            own = tuple(getattr(consumer, "foreach", {}) or ())
            if not own:
                done.append(_with_mode(use, "fanin"))
                continue
            if own == dims and self._bound_alike(use, consumer):
                done.append(_with_mode(use, "zip"))
                continue
            self.error("E205", _shape_message(use, dims, own), (use.line, use.col), use.path,
                       f"give {use.step} foreach {{{', '.join(dims)}}} bound like its producer's "
                       "(zip), or no foreach (fan-in)")
        self.uses = done

    def _bound_alike(self, use: RefUse, consumer: Any) -> bool:
        if use.target.kind != "step_output":
            return True  # partitioned tables zip with any binding of the column's name
        producer = self.doc.steps[use.target.step]
        if getattr(producer, "foreach", None):
            return all(_binding_key(producer.foreach[d]) == _binding_key(consumer.foreach[d])
                       for d in use.target.dims)
        expected = f"steps.{use.target.step}.outputs.partitions"
        return all(_binding_key(consumer.foreach[d]) == expected for d in use.target.dims)

    # -- E206 --
    def shell_positions(self) -> None:
        by_path: dict[tuple, list[RefUse]] = defaultdict(list)
        for use in self.uses:
            if use.field == "command" and len(use.path) == 3 and \
                    needs_env(use, self.doc, self.step_outputs):
                by_path[use.path].append(use)
        for path, uses in by_path.items():
            text = self.templates[path].source
            states = quoting_at(text, [u.ref.start for u in uses])
            for use, state in zip(uses, states):
                if state in ("heredoc", "unterminated"):
                    where = "a here-document" if state == "heredoc" else "an unterminated quote"
                    self.error("E206", f"'{use.ref.text}' is inside {where}; no safe shell "
                               "expansion exists there", (use.line, use.col), path,
                               f"read ${env_var(use.ref)} in your script, or use a list command")


def _with_mode(use: RefUse, mode: str) -> RefUse:
    return RefUse(use.ref, use.path, use.field, use.step, use.binding, use.line, use.col,
                  use.target, mode)


def _binding_key(binding: Any) -> Any:
    if isinstance(binding, str):
        template, _ = parse_template(binding)
        if template.is_binding:
            return template.refs[0].path
        return binding
    return tuple((type(v).__name__, v) for v in binding)


def _shape_message(use: RefUse, dims: tuple, own: tuple) -> str:
    what = f"{use.ref.path}"
    return (f"{what} is a collection over {{{', '.join(dims)}}}; {use.step}'s foreach "
            f"{{{', '.join(own)}}} neither zips with it nor fans it in")


def needs_env(use: RefUse, doc: Any, outputs: dict[str, dict] | None = None) -> bool:
    """Does this command reference travel as an MLC_* variable (rather than a spliced path)?
    `outputs`: each step's outputs, where the caller has them (`step_outputs`)."""
    ctx = use.ref.context
    if ctx in ENV_VALUE_CONTEXTS:
        return True
    if ctx == "inputs":
        step = doc.steps[use.step]
        return input_kind(doc, step.inputs[use.ref.parts[0]], outputs) == "value"
    return False


def input_kind(doc: Any, value: Any, outputs: dict[str, dict] | None = None) -> str:
    """'artifact' (a staged path), 'source' (a handle) or 'value' for a step input.
    `outputs`: each step's outputs, where the caller has them (`step_outputs`)."""
    if isinstance(value, str):
        template, _ = parse_template(value)
        if template.is_binding:
            ref = template.refs[0]
            if ref.context == "steps":
                producer = doc.steps.get(ref.parts[0])
                if producer is None:
                    info = None
                elif outputs is not None:
                    info = outputs[ref.parts[0]].get(ref.parts[2])
                else:
                    info = outputs_of(producer).get(ref.parts[2])
                if info is not None and info.is_artifact:
                    return "artifact"
            if ref.context == "sources":
                return "source"
    return "value"


def env_var(ref: Ref) -> str:
    """The MLC_* variable that carries a reference's value (SPEC 5.4)."""
    prefix = {"params": "PARAM", "foreach": "FOREACH", "search_space": "TRIAL", "run": "RUN",
              "inputs": "INPUT", "outputs": "OUTPUT"}[ref.context]
    return f"MLC_{prefix}_{ref.parts[0].upper()}"


def _not_allowed(ref: Ref, rule: Rule | None, path: tuple) -> str:
    field = rule.field if rule else next((p for p in reversed(path) if isinstance(p, str)), "")
    if rule is None:
        return f"references are not allowed in '{field}'"
    return f"{ref.context} may not be referenced in '{field}'"


def _e203_hint(ref: Ref, rule: Rule | None, path: tuple) -> str | None:
    if ref.context == "secrets" and rule is not None and rule.field in ("command",):
        name = ref.parts[0]
        key = ref.parts[1] if len(ref.parts) > 1 else "key"
        return f'bind it in env: {{{name.upper()}_{key.upper()}: "${{{{ secrets.{name}.{key} }}}}"}}'
    if rule is None:
        if path and path[0] in ("sources", "schedule", "targets"):
            return f"{path[0]} take literal values; use a profile to vary them"
        return None
    return "allowed here: " + ", ".join(sorted(rule.contexts))


def _type_problem(rule: Rule, ref: Ref, target: Resolved, binding: bool, doc: Any,
                  step: str | None) -> tuple[str, str, str | None] | None:
    f, kind, typ = rule.field, target.kind, target.type
    if kind == "table" and not binding:
        return ("E204", f"{ref.path} is a warehouse or database table and cannot be "
                "interpolated into text", "bind it as a whole input: inputs: {x: \"" + ref.text
                + "\"}")
    if kind == "input" and typ == "table" and (f in ("command", "env") or not binding):
        return ("E204", f"{ref.path} binds a warehouse or database table, which has no text to "
                "interpolate", f"read the table's handle from $MLC_STEP_CONFIG "
                f"(config inputs.{ref.parts[0]}: connection, identifier, query)")
    if kind == "secret_key" and (f != "env" or not binding):
        return ("E203", "a secret key may only be the whole value of an env variable",
                f'env: {{{ref.parts[0].upper()}_{ref.parts[1].upper()}: "{ref.text}"}}')
    if kind == "secret" and f != "credentials":
        return ("E204", f"{ref.path} is a whole secret; env takes one key of it",
                f"write ${{{{ {ref.path}.<key> }}}}")
    if f == "credentials" and kind != "secret":
        return ("E204", "credentials must bind a whole secret: ${{ secrets.<secret> }}", None)
    if f == "foreach" and typ != "list":
        return ("E204", f"foreach must bind a list, but {ref.path} is {article(typ)}", None)
    if f in THRESHOLD_KINDS and typ not in ("number", "integer"):
        return ("E204", f"gate threshold '{f}' must bind a number, but {ref.path} is {article(typ)}",
                None)
    if f == "model" and typ != "model":
        return ("E204", f"model must bind a model output, but {ref.path} is {article(typ)}", None)
    if f in ("entities", "datasets") and kind not in ("table", "file") and typ not in (
            "dataset", "file"):
        return ("E204", f"{f} must bind a source table or a dataset, but {ref.path} is "
                f"{article(typ)}", None)
    if f == "baseline" and ref.context == "steps" and (not binding or typ != "model"):
        return ("E204", "baseline binds a model output, or interpolates params, run or foreach",
                None)
    if f in ("as_of", "default") and binding and typ != "string":
        return ("E204", f"{f} needs a string, but {ref.path} is {article(typ)}", None)
    return None


def check_references(cfg: Config) -> tuple[RefTable, list[Diagnostic]]:
    """Phase 4 on one configuration."""
    resolver = _Resolver(cfg)
    table = resolver.run()
    return table, resolver.diags


