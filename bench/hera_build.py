"""The peer: hera (the Argo Python SDK) building the same workflows as bench/gen.py's specs,
one container template per step and the same DAG, written as YAML.

Usage: python bench/hera_build.py chain|fanin N OUT.yaml
"""

from __future__ import annotations

import sys

from hera.workflows import DAG, Container, Task, WorkflowTemplate


def build(kind: str, n: int) -> WorkflowTemplate:
    with WorkflowTemplate(name=f"bench-{kind}-{n}", entrypoint="main") as wt:
        templates = [Container(name=f"s{i}", image="python:3.12-slim",
                               command=["/bin/sh", "-c", f"python step.py {i}"])
                     for i in range(n - (1 if kind == "fanin" else 0))]
        join = Container(name="join", image="python:3.12-slim",
                         command=["/bin/sh", "-c", "python join.py"]) if kind == "fanin" else None
        with DAG(name="main"):
            tasks = [Task(name=t.name, template=t) for t in templates]
            if kind == "chain":
                for a, b in zip(tasks, tasks[1:]):
                    a >> b
            else:
                tasks >> Task(name="join", template=join)
    return wt


if __name__ == "__main__":
    kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(build(kind, n).to_yaml())
