"""Generated mlc specs for benchmarks: chains and fan-ins of N steps (deterministic).

SPEC 9.3 caps a document at 100,000 YAML nodes, so a 10,000-step spec must average under 10
nodes per step: the `lean` shapes use `needs` edges (9 nodes a step); the `data` shapes pass a
dataset between steps (15 nodes a step) and fit up to about 6,000 steps.
"""

from __future__ import annotations

HEADER = "apiVersion: mlc/v1\nproject: {{name: bench-{kind}-{n}, version: 1.0.0}}\nsteps:\n"
IMAGE = "python:3.12-slim"


def chain(n: int) -> str:
    """s0 -> s1 -> ... -> s(n-1) through `needs` (lean)."""
    out = [HEADER.format(kind="chain", n=n)]
    for i in range(n):
        needs = f", needs: [s{i - 1}]" if i else ""
        out.append(f"  s{i}: {{image: {IMAGE}, command: python step.py {i}{needs}}}\n")
    return "".join(out)


def fanin(n: int) -> str:
    """n - 1 independent steps and one step that needs all of them (lean)."""
    out = [HEADER.format(kind="fanin", n=n)]
    for i in range(n - 1):
        out.append(f"  s{i}: {{image: {IMAGE}, command: python step.py {i}}}\n")
    needs = ", ".join(f"s{i}" for i in range(n - 1))
    out.append(f"  join: {{image: {IMAGE}, command: python join.py, needs: [{needs}]}}\n")
    return "".join(out)


def data_chain(n: int) -> str:
    """A chain passing a dataset from step to step (references, inputs, outputs)."""
    out = [HEADER.format(kind="data", n=n)]
    for i in range(n):
        cmd = "python step.py --out ${{ outputs.data }}" + (" --in ${{ inputs.data }}" if i else "")
        inputs = f", inputs: {{data: \"${{{{ steps.s{i - 1}.outputs.data }}}}\"}}" if i else ""
        out.append(f"  s{i}: {{image: {IMAGE}, command: \"{cmd}\"{inputs}, "
                   "outputs: {data: {type: dataset}}}\n")
    return "".join(out)


SHAPES = {"chain": chain, "fanin": fanin, "data": data_chain}


def write(path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
