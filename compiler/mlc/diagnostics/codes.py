"""The code registry: every diagnostic code of SPEC 9.4 with a name and an explanation.

`mlc explain CODE` prints an entry; `docs/diagnostics.md` is generated from this table
(`python -m mlc.diagnostics.docs`), and a test fails when the two drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..record import Record


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Code(Record):
    """One diagnostic code of the catalogue (SPEC 9.3)."""

    code: str
    name: str
    summary: str
    why: str
    example: str
    fix: str
    phase: str

    @property
    def severity(self) -> str:
        return "warning" if self.code.startswith("W") else "error"

    def explain(self) -> str:
        """The text `mlc explain` prints (markdown-ish, readable in a terminal)."""
        return (
            f"{self.code} {self.name} ({self.severity}, phase: {self.phase})\n\n"
            f"## What it catches\n{self.summary}\n\n"
            f"## Why\n{self.why}\n\n"
            f"## Example\n{_indent(self.example)}\n\n"
            f"## Fix\n{self.fix}\n"
        )


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else "" for line in text.strip("\n").split("\n"))


_CODES = [
    Code("E100", "yaml-syntax",
         "The file is not acceptable YAML: a syntax error, a tab used for indentation, an unquoted "
         "`${{ }}` inside a flow collection, or hostile input (too large, not UTF-8, a NUL byte, "
         "more than one document, a `%YAML` other than 1.2, `%TAG`, a tag outside the core schema, "
         "a merge key `<<`, over 100,000 nodes after alias expansion, nesting deeper than 64, a "
         "recursive or undefined alias).",
         "mlc reads YAML 1.2 with the core schema and constructs nothing from tags, so a file "
         "means the same thing everywhere. Limits keep a malicious or generated file from "
         "exhausting memory before a single check runs (the 'billion laughs' attack).",
         "min: ${{ params.min_auc }}   # inside { ... }\n"
         "a1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]",
         "Fix the syntax at the reported position. Quote references inside `{...}` and `[...]`: "
         "`min: \"${{ params.min_auc }}\"`. Indent with spaces. Write the repeated structure out "
         "instead of through aliases.",
         "parse"),
    Code("E101", "unknown-key",
         "A key that the mlc/v1 language does not define at that position (the language is a "
         "closed world). Also `apiVersion` or `profiles` inside a profile, which are not patchable.",
         "A misspelt key would otherwise be ignored silently: `max_paralell: 8` would leave a step "
         "unbounded. Keys spelt the way another tool spells them are recognised and translated.",
         "steps:\n  train:\n    max_paralell: 8",
         "Use the key the hint suggests, or remove it. `mlc schema` prints every valid key.",
         "schema"),
    Code("E102", "duplicate-key",
         "The same key twice in one mapping, including two steps with the same name.",
         "YAML parsers disagree on duplicates (most keep the last one silently), so the file "
         "would not mean what it says.",
         "steps:\n  train: {...}\n  train: {...}",
         "Rename or merge one of the two.",
         "parse"),
    Code("E103", "wrong-type",
         "A value of the wrong type, a value outside its enumeration or range, a mapping key that "
         "is not a string, an integer beyond 64 bits, or `.inf`/`.nan`.",
         "Targets need exact types: an integer where a number is expected, a list where a mapping "
         "is expected, would be rejected late, by the engine, or misread.",
         "sweep: {sampling_algorithm: gird}",
         "Give a value of the expected type; the message lists the allowed values.",
         "schema"),
    Code("E104", "missing-or-disallowed-field",
         "A required field is missing (reported at the key of the mapping that lacks it), two "
         "exclusive fields are both given or neither is, or a field is not allowed here (for "
         "example `cache` or `foreach` on a deploy step, a kserve deploy without exactly one of "
         "`model_format`/`image`, a target field that `compile` requires).",
         "mlc checks completeness up front so that nothing fails half-way through a run.",
         "steps:\n  train:\n    command: python train.py   # no image",
         "Add the missing field or remove the disallowed one, as the message says.",
         "schema"),
    Code("E105", "malformed-value",
         "A value whose shape is wrong: a Kubernetes quantity (`16GB`), a duration (`1.5h`), a "
         "name, a label, an environment variable name, an `env` name using the reserved "
         "`MLC_` prefix, or (on argo) a step named as a word of Argo's expression language "
         "(`in`, `matches`, `if`...) or as a task mlc generates (`mlc_run`, `a__items`).",
         "Quantities, durations and names are copied into several targets, each with its own "
         "grammar; mlc accepts the one form all of them understand.",
         "resources: {memory: 16GB}\ntimeout: 1.5h",
         "Quantities use Kubernetes suffixes (`16Gi`, `500m`); durations are an integer and one of "
         "`s m h d` (`90m`); names match `^[a-z][a-z0-9_]{0,39}$`; on argo rename a step called "
         "`matches` to `matches_step`.",
         "schema"),
    Code("W106", "yaml11-boolean",
         "A plain (unquoted) scalar value that YAML 1.1 reads as a boolean: `yes`, `no`, `on`, "
         "`off`, `y`, `n` in any case. mlc (YAML 1.2) reads it as a string.",
         "The same file read by a YAML 1.1 tool (PyYAML, many CI systems) turns the country code "
         "`NO` into `false`: quote it so every reader agrees.",
         "partition: {only: [DE, FR, NO]}",
         "Quote the value: `\"NO\"`.",
         "parse"),
    Code("E200", "foreign-template-syntax",
         "Template syntax of another tool that names something of mlc's: `${item}` (DVC), "
         "`{{inputs.parameters.x}}`, `{{workflow.name}}`, `{{item}}` (Argo), `{{ var }}` (Jinja) "
         "where `var` is a param, foreach dimension or hyperparameter. Any other `{{` (a Go "
         "template such as `{{.Id}}`) is literal text and reaches the process unchanged.",
         "Only `${{ context.path }}` is resolved by mlc; any other syntax would reach the target "
         "verbatim and be expanded there, or not at all.",
         "command: python train.py --country ${item.country}",
         "Write an mlc reference: `${{ foreach.country }}`.",
         "references"),
    Code("E201", "malformed-reference",
         "A `${{` that does not start a valid reference: an unknown context, a bad name, a "
         "missing `}}`, or a path of the wrong length for its context.",
         "A reference that cannot be parsed cannot be resolved or checked.",
         "command: python x.py ${{ param.lr }}",
         "Use `${{ <context>.<name> }}` with a context of params, secrets, sources, steps, inputs, "
         "outputs, foreach, search_space, run. Write `$${{` for a literal `${{`.",
         "references"),
    Code("E202", "dangling-reference",
         "A reference to something that does not exist: an unknown param, secret, source or "
         "table, step or output, own input or output, foreach dimension, hyperparameter, or run "
         "field.",
         "Dangling references would fail at run time, possibly hours into a pipeline.",
         "train: ${{ steps.feature.outputs.train }}",
         "Use the name the hint suggests or declare what is referenced.",
         "references"),
    Code("E203", "context-not-allowed",
         "A reference in a field that does not accept that context (SPEC 5.2), for example a "
         "secret in `command` or any reference in `targets`.",
         "Each field is resolved at a definite moment and place; a secret in a command line would "
         "be visible in process listings and in the target's UI.",
         "command: python x.py --key ${{ secrets.statsig }}",
         "Move the reference to a field that accepts it; secrets go in `env` as "
         "`${{ secrets.<s>.<key> }}`.",
         "references"),
    Code("E204", "type-mismatch",
         "A binding whose type does not fit the field (a string param bound to a gate threshold, "
         "a non-list bound to `foreach`), or the interpolation of a warehouse table into text.",
         "A binding keeps its type; mismatches would be caught only by the engine, if at all.",
         "gates: [{metric: auc, dataset: test, min: \"${{ params.name }}\"}]",
         "Bind a value of the right type, or declare the param with the right `type`.",
         "references"),
    Code("E205", "collection-shape",
         "A step consumes a collection (the outputs of a `foreach` step) with a `foreach` that "
         "neither matches the producer's dimensions (zip) nor is absent (fan-in).",
         "mlc must know, statically, whether a consumer gets one element or the whole collection.",
         "evaluate:\n  foreach: {region: [eu, us]}\n  model: ${{ steps.train.outputs.model }}  # train has foreach country",
         "Give the consumer the same `foreach` as the producer, bound the same way, or none.",
         "references"),
    Code("E206", "unquotable-shell-position",
         "A reference inside a here-document or an unterminated quote of a string command, where "
         "no safe shell expansion exists.",
         "Values never enter shell text: mlc passes them as `MLC_*` environment variables and "
         "expands them with shell syntax, which a here-document or broken quote would defeat.",
         "command: |\n  cat <<EOF\n  ${{ params.name }}\n  EOF",
         "Read the value from its environment variable in the script, or use a list command.",
         "references"),
    Code("E301", "dependency-cycle",
         "Steps that depend on each other in a cycle, through `steps.*` references or `needs`. "
         "Every edge of the cycle is located.",
         "A pipeline is a directed acyclic graph; no engine can schedule a cycle.",
         "train reads steps.evaluate.outputs.report; evaluate reads steps.train.outputs.model",
         "Break one of the edges named in the notes.",
         "graph"),
    Code("W302", "unused",
         "A param, secret or source referenced nowhere, or a declared output of a `run` step that "
         "no step consumes and that its own `command` and `env` never reference.",
         "Unused declarations are usually a typo elsewhere, and unused outputs are never written.",
         "params:\n  learning_rate: {type: number, default: 0.1}   # never referenced",
         "Reference it or delete it.",
         "graph"),
    Code("E401", "fan-out-over-limit",
         "A step expands to more nodes than the target allows in one run (SPEC 10): items x "
         "trials x attempts (+ select-best) + 1.",
         "Workflow objects live in etcd (about 1 MB); Argo and Kubeflow slow down and fail well "
         "before very large runs. On Argo mlc first splits the largest fan-outs into child "
         "Workflows; what still exceeds is this error.",
         "train: 250 partitions x 100 trials x 3 attempts on kubeflow",
         "Reduce `max_partitions`, the sweep or retries, raise `targets.<t>.limits`, or use argo.",
         "target"),
    Code("W407", "argo-version-feature",
         "A field the chosen Argo version cannot express (`targets.argo.version`, default 3.6, "
         "the oldest mlc supports): `retries.backoff.max_duration` needs `backoff.cap`, Argo "
         "3.7.",
         "Argo 3.6 rejects fields it does not know (`argo lint`, `argo template create`), or "
         "drops them silently when applied with kubectl; mlc writes only what the version knows "
         "and says what is lost.",
         "retries: {limit: 3, backoff: {duration: 10s, max_duration: 5m}}   # on Argo 3.6",
         "Set `targets.argo.version` to the cluster's Argo (3.7 or later), or accept uncapped "
         "delays.",
         "target"),
    Code("E402", "unbounded-fan-out",
         "A `foreach` over a dynamic list (a list param or list output) with no static bound "
         "(`max_items` or `partition.max_partitions`).",
         "Every fan-out must be bounded before the run starts so that target limits can be checked.",
         "params:\n  regions: {type: list}\nsteps:\n  s: {foreach: {region: \"${{ params.regions }}\"}}",
         "Add `max_items` to the param or output.",
         "semantics"),
    Code("E403", "invalid-sweep",
         "A sweep that cannot run: grid over a non-choice hyperparameter, random without "
         "`limits.max_total_trials`, bounds out of order, not exactly one `metrics` output.",
         "Trials are drawn at compile time so that every target runs the same ones.",
         "sweep: {sampling_algorithm: grid, search_space: {lr: {type: uniform, min_value: 0, max_value: 1}}}",
         "Use choice lists for grid or switch to random with a trial limit.",
         "semantics"),
    Code("E404", "name-too-long",
         "A name the target builds from the project, profile or step exceeds its limit "
         "(Kubernetes 63, CronWorkflow 52, Step Functions 80/64).",
         "The engine would reject the object at submission time.",
         "project: {name: a-very-long-project-name-that-goes-on-and-on}",
         "Shorten the project, profile or step name.",
         "target"),
    Code("E405", "definition-too-large",
         "A compiled object exceeds `max_definition_bytes` (1 MiB by default).",
         "etcd and Step Functions both reject larger definitions.",
         "thousands of literal foreach items",
         "Move large lists to a step output or reduce the pipeline.",
         "target"),
    Code("E406", "source-unavailable-on-target",
         "A `type: local` source on argo, kubeflow or stepfunctions, or any non-local source for "
         "`mlc run`.",
         "Cluster pods cannot read your laptop, and `mlc run` never talks to a warehouse.",
         "sources: {dwh: {type: snowflake, ...}}   # mlc run",
         "Select a profile that swaps the source: `mlc run --profile dev`.",
         "target"),
    Code("E501", "accelerator-not-placed",
         "A step uses an accelerator that `targets.<t>.accelerators` does not map to nodes or a "
         "job queue.",
         "Without placement the GPU request would never schedule, or land on the wrong hardware.",
         "resources: {gpu: 1, accelerator: nvidia-a100-80gb}",
         "Add the accelerator under `targets.<t>.accelerators`.",
         "target"),
    Code("E502", "gpu-accelerator-mismatch",
         "`accelerator` without `gpu > 0`, or `gpu > 0` without `accelerator`.",
         "A GPU count without a model is ambiguous across clouds; a model without a count "
         "requests nothing.",
         "resources: {gpu: 2}",
         "Give both: `resources: {gpu: 2, accelerator: nvidia-l4}`.",
         "semantics"),
    Code("E601", "literal-credential",
         "A literal where a credential belongs: `credentials` that is not a secret reference, a "
         "literal `env` value whose name contains PASSWORD, PASSWD, TOKEN, SECRET, API_KEY, "
         "PRIVATE_KEY or ACCESS_KEY, or `user:pass@` in a URI.",
         "Files are committed; secrets in them leak. mlc masks the value in the message.",
         "credentials: \"svc_churn:Sup3rS3cret!\"",
         "Declare a secret and reference it: `credentials: ${{ secrets.snowflake }}`.",
         "semantics"),
    Code("E602", "secret-shaped-literal",
         "A literal that looks like a secret: an AWS access key id (`AKIA...`), a PEM private "
         "key, a GitHub token (`ghp_...`), a Slack token (`xoxb-`/`xoxp-`), a JWT.",
         "Such strings are live credentials far more often than not.",
         "env: {KEY_ID: AKIAIOSFODNN7EXAMPLE}",
         "Revoke it, then use a secret reference.",
         "semantics"),
    Code("E603", "bad-secret-name",
         "A `secrets.<s>` store name that is not a DNS-1123 subdomain.",
         "The name is used as a Kubernetes Secret or AWS Secrets Manager name.",
         "secrets: {db: Churn_DB}",
         "Use lower-case letters, digits, `-` and `.`.",
         "semantics"),
    Code("E701", "cron-syntax",
         "A `schedule.cron` that is not a valid 5-field POSIX cron expression.",
         "Each target translates the expression; only the portable subset can be translated.",
         "schedule: {cron: \"0 2 * *\"}",
         "Write five fields: minute hour day-of-month month day-of-week.",
         "semantics"),
    Code("E702", "schedule-not-representable",
         "A schedule a target cannot express: both day fields on stepfunctions, `replace` on "
         "kubeflow or stepfunctions, a time zone other than the Kubeflow cluster's.",
         "mlc never degrades a schedule silently.",
         "schedule: {cron: \"0 2 1 * 1\"}   # --target stepfunctions",
         "Restrict one day field, or change the concurrency or time zone.",
         "target"),
    Code("E703", "unknown-time-zone",
         "A `schedule.timezone` that is not an IANA time zone name.",
         "Targets need the IANA name; abbreviations like CET are ambiguous.",
         "schedule: {cron: \"0 2 * * *\", timezone: CEST}",
         "Use a name like `Europe/Berlin`.",
         "semantics"),
    Code("E801", "deploy-without-gate",
         "A deploy step without `gate`.",
         "Deploys are gated by an evaluation, always: safe by default.",
         "release: {type: deploy, model: ..., endpoint: x}",
         "Add `gate: ${{ steps.<evaluate>.outputs.passed }}`.",
         "semantics"),
    Code("E802", "gate-not-evaluate-passed",
         "A deploy `gate` that is not an evaluate step's `passed` output.",
         "Only mlc's own gate decision is identical on every target.",
         "gate: ${{ steps.train.outputs.metrics }}",
         "Bind `gate` to `${{ steps.<evaluate>.outputs.passed }}`.",
         "semantics"),
    Code("E803", "invalid-gate",
         "A gate that names a metric or dataset the evaluate step does not declare, has no "
         "threshold, or uses a change condition without a `baseline`.",
         "A gate that cannot be decided would silently pass or fail.",
         "gates: [{metric: auc, dataset: test, min_absolute_change: 0}]   # no baseline",
         "Declare the metric/dataset, add a threshold, or add `baseline`.",
         "semantics"),
    Code("E804", "bad-canary-plan",
         "A canary plan whose weights decrease, leave 0-100 (experiment 1-99), do not end at "
         "`set_weight: 100`, or that uses `analysis`/`experiment` without "
         "`strategy.canary.analysis`.",
         "A rollout must end with the new model serving everything, step by step upward.",
         "steps: [{set_weight: 50}, {set_weight: 20}]",
         "Order the weights upward and end with `set_weight: 100`.",
         "semantics"),
    Code("E805", "not-expressible",
         "A deploy construct the chosen server or target cannot express (SPEC 6.6): kserve on "
         "stepfunctions, `route_by` on sagemaker, `mirror` without Istio, a foreign analysis "
         "provider, scale to zero on sagemaker, `resources`/`instance_type` on the wrong server.",
         "mlc never degrades a rollout silently.",
         "server: kserve   # --target stepfunctions",
         "Use the server and providers the target supports, or another target.",
         "target"),
    Code("E806", "collection-without-route-by",
         "A deploy of a collection model (one model per item) without `route_by`.",
         "Several models behind one endpoint need a request field to choose between them.",
         "model: ${{ steps.train.outputs.model }}   # train has foreach country",
         "Add `route_by: country`.",
         "semantics"),
    Code("E901", "test-split-outside-evaluate",
         "A step other than `evaluate` reads the `test` split of a features step.",
         "Training on test data leaks it into the model; the metric no longer means anything.",
         "train: {inputs: {validation: \"${{ steps.features.outputs.test }}\"}}",
         "Read `train`/`validation`; leave `test` to evaluate steps.",
         "semantics"),
    Code("E902", "gap-shorter-than-horizon",
         "`split.gap` is shorter than `point_in_time.label_horizon`.",
         "Labels observed after the gap would leak future information into training.",
         "point_in_time: {label_horizon: 30d}\nsplit: {by: time, gap: 7d}",
         "Make the gap at least the label horizon (the default).",
         "semantics"),
    Code("E903", "holdout-outside-evaluate",
         "A step other than `evaluate` reads a table marked `holdout: true`.",
         "Holdout data is for the final, unbiased evaluation only.",
         "inputs: {golden: \"${{ sources.lake.golden }}\"}   # in a run step",
         "Read it in an evaluate step's `datasets`.",
         "semantics"),
    Code("E904", "label-as-feature",
         "The label column (`point_in_time.label`) is requested as a feature.",
         "The model would learn the answer.",
         "features: [customer:churned_30d]   # label: churned_30d",
         "Remove the label from the feature list.",
         "semantics"),
    Code("W905", "random-split-with-point-in-time",
         "`split.by: random` together with `point_in_time`.",
         "Time-dependent data split at random leaks the future into training.",
         "split: {by: random, ratios: {train: 0.8, test: 0.2}}",
         "Split by time (the default choice for point-in-time data).",
         "semantics"),
    Code("W910", "cache-with-mutable-image",
         "Caching is on (explicitly or by default) for a step whose image is mutable (`:latest` "
         "or untagged). Located at the `image` value.",
         "The cache key includes the image reference, not its content: a changed image would "
         "reuse stale results.",
         "image: ghcr.io/acme/churn:latest",
         "Pin a version or digest, or set `cache: false`.",
         "semantics"),
]

REGISTRY: dict[str, Code] = {c.code: c for c in _CODES}


def lookup(code: str) -> Code | None:
    """The registry entry for a code, accepting any case (`e202`) and the number alone
    (`805`) where one code has it (no number is both an error and a warning)."""
    text = code.strip().upper()
    if text.isdigit():
        found = [entry for key, entry in REGISTRY.items() if key[1:] == text]
        return found[0] if len(found) == 1 else None
    return REGISTRY.get(text)
