"""The peer for the kubeflow target: kfp's DSL building the same pipelines as bench/gen.py and
kfp's compiler writing the IR.

- `data`: one container component per step; each step reads the previous step's dataset.
- `chain`: the lean chain, step i after step i-1 (`.after()`), each step its own command
  (`python step.py i`), so a component each, as mlc's output has.

Usage: python bench/kfp_build.py data|chain N OUT.yaml
(No `from __future__ import annotations`: kfp reads the annotations as types.)
"""

import sys

from kfp import compiler, dsl


def build_data(n: int):
    @dsl.container_component
    def first(out: dsl.Output[dsl.Dataset]):
        return dsl.ContainerSpec(image="python:3.12-slim", command=["/bin/sh", "-c"],
                                 args=[f"python step.py --out {out.path}"])

    @dsl.container_component
    def step(data: dsl.Input[dsl.Dataset], out: dsl.Output[dsl.Dataset]):
        return dsl.ContainerSpec(image="python:3.12-slim", command=["/bin/sh", "-c"],
                                 args=[f"python step.py --out {out.path} --in {data.path}"])

    @dsl.pipeline(name=f"bench-data-{n}")
    def pipeline():
        previous = first()
        for _ in range(n - 1):
            previous = step(data=previous.outputs["out"])

    return pipeline


def build_chain(n: int):
    def component(i: int):
        @dsl.container_component
        def step():
            return dsl.ContainerSpec(image="python:3.12-slim",
                                     command=["/bin/sh", "-c", f"python step.py {i}"])
        step.component_spec.name = f"s{i}"
        return step

    steps = [component(i) for i in range(n)]

    @dsl.pipeline(name=f"bench-chain-{n}")
    def pipeline():
        previous = None
        for s in steps:
            task = s()
            if previous is not None:
                task.after(previous)
            previous = task

    return pipeline


if __name__ == "__main__":
    shape, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    compiler.Compiler().compile({"data": build_data, "chain": build_chain}[shape](n), out)
