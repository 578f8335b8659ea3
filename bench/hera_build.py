"""The peer: hera (the Argo Python SDK) building the same workflows as bench/gen.py's specs,
one container template per step and the same DAG, written as YAML. `data` is the chain that
passes one dataset from step to step: each container has an input and an output artifact, and
each task takes its input from the previous task's output (`from`).

Usage: python bench/hera_build.py chain|fanin|data N OUT.yaml
"""

from __future__ import annotations

import sys

from hera.workflows import DAG, Artifact, Container, Task, WorkflowTemplate


def build_data(n: int) -> WorkflowTemplate:
    """The `data` chain: s0 writes a dataset, each later step reads the previous one's."""
    with WorkflowTemplate(name=f"bench-data-{n}", entrypoint="main") as wt:
        templates = []
        for i in range(n):
            cmd = "python step.py --out /tmp/out" + (" --in /tmp/in" if i else "")
            templates.append(Container(
                name=f"s{i}", image="python:3.12-slim", command=["/bin/sh", "-c", cmd],
                inputs=[Artifact(name="data", path="/tmp/in")] if i else [],
                outputs=[Artifact(name="data", path="/tmp/out")]))
        with DAG(name="main"):
            previous = None
            for t in templates:
                args = [previous.get_artifact("data")] if previous is not None else None
                task = Task(name=t.name, template=t, arguments=args)
                if previous is not None:
                    previous >> task
                previous = task
    return wt


def build(kind: str, n: int) -> WorkflowTemplate:
    if kind == "data":
        return build_data(n)
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
