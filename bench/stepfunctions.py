"""bench/stepfunctions: whole-process `mlc compile --target stepfunctions` (issue 12).

Goals: a 1,000-step chain in at most 0.8 s; a fan-out of churn's size (20,000 tasks: 250
partitions x 80 trials, here a foreach over a list param of 250 items with a random sweep of
80 trials) in at most 0.5 s, to at most 1 MiB of ASL. No SDK builds Step Functions pipelines
from a DAG to compare with; the anchor printed beside each row is the same spec compiled for
argo, and the ASL size at 100 items x 80 trials, which a 20,000-task fan-out must not exceed (a Map state
costs the same whatever it maps over).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from gen import chain, write
from harness import bench_python, median_seconds

SFN = ("targets:\n  stepfunctions:\n    region: eu-west-1\n"
       "    role: arn:aws:iam::123456789012:role/states\n"
       "    artifact_store: s3://bench-artifacts/\n"
       "    job_queue: arn:aws:batch:eu-west-1:123456789012:job-queue/cpu\n"
       "  argo:\n    artifact_store: \"s3://bench/artifacts/\"\n"
       "    limits: {max_nodes_per_workflow: 100000000, max_definition_bytes: 1000000000}\n")


def fanout(items: int, trials: int) -> str:
    """churn's train shape: a foreach over a list param, a random sweep in each item."""
    return f"""apiVersion: mlc/v1
project: {{name: bench-fanout, version: 1.0.0}}
params:
  segments: {{type: list, default: [s0], max_items: {items}}}
steps:
  train:
    image: python:3.12-slim
    command: python train.py --lr ${{{{ search_space.lr }}}} --out ${{{{ outputs.model }}}} --metrics ${{{{ outputs.metrics }}}}
    foreach: {{segment: "${{{{ params.segments }}}}"}}
    outputs: {{model: {{type: model}}, metrics: {{type: metrics}}}}
    sweep:
      sampling_algorithm: random
      search_space: {{lr: {{type: loguniform, min_value: 0.001, max_value: 0.3}}}}
      objective: {{primary_metric: auc, goal: maximize}}
      limits: {{max_total_trials: {trials}}}
    max_parallel: 2000
  report:
    image: python:3.12-slim
    command: python report.py ${{{{ inputs.models }}}}
    inputs: {{models: "${{{{ steps.train.outputs.model }}}}"}}
"""


def main() -> None:
    py = bench_python()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = [("chain", 10, chain(10)), ("chain", 100, chain(100)),
                 ("chain", 1000, chain(1000)), ("fan-out", 100 * 80, fanout(100, 80)),
                 ("fan-out", 250 * 80, fanout(250, 80))]
        for kind, n, text in cases:
            spec = Path(tmp) / f"{kind}-{n}.yaml"
            write(spec, text + SFN)
            runs = 5 if n >= 1000 else 9
            out = f"{tmp}/s-{kind}-{n}"
            sfn = median_seconds([py, "-m", "mlc", "compile", str(spec), "--target",
                                  "stepfunctions", "--out", out], runs)
            asl = os.path.getsize(f"{out}/stepfunctions/statemachine.asl.json")
            template = sum(p.stat().st_size for p in Path(f"{out}/stepfunctions").glob("*.yaml"))
            argo = median_seconds([py, "-m", "mlc", "compile", str(spec), "--target", "argo",
                                   "--out", f"{tmp}/a-{kind}-{n}"], runs)
            rows.append((kind, n, sfn, asl, template, argo))
    print("bench/stepfunctions (whole-process medians; mlc compile --target stepfunctions, "
          "and --target argo on the same spec)")
    print(f"{'shape':8} {'tasks':>7} {'sfn s':>7} {'ASL bytes':>10} {'template':>10} "
          f"{'argo s':>7} {'argo/sfn':>9}")
    print("(template: template.yaml and its nested jobs-<n>.yaml stacks together)")
    for kind, n, s, asl, tpl, a in rows:
        print(f"{kind:8} {n:>7,} {s:7.3f} {asl:>10,} {tpl:>10,} {a:7.3f} {a / s:8.2f}x")
    by = {(k, n): (s, asl) for k, n, s, asl, _, _ in rows}
    checks = [("1,000-step chain <= 0.8 s", by[("chain", 1000)][0] <= 0.8),
              ("20,000-task fan-out <= 0.5 s", by[("fan-out", 20000)][0] <= 0.5),
              ("20,000-task fan-out ASL <= 1 MiB", by[("fan-out", 20000)][1] <= 1024 * 1024),
              ("fan-out ASL the same size at 8,000 and 20,000 tasks",
               by[("fan-out", 20000)][1] == by[("fan-out", 8000)][1])]
    for name, ok in checks:
        print(f"goal {name}: {'met' if ok else 'NOT met'}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
