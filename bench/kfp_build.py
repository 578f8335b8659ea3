"""The peer for the kubeflow target: kfp's DSL building the same pipelines as bench/gen.py's
`data` chain (one container component per step; each step reads the previous step's dataset)
and kfp's compiler writing the IR.

Usage: python bench/kfp_build.py data N OUT.yaml
"""

from __future__ import annotations

import sys

from kfp import compiler, dsl


def build(n: int):
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


if __name__ == "__main__":
    compiler.Compiler().compile(build(int(sys.argv[2])), sys.argv[3])
