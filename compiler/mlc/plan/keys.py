"""The artifact key layout, the same on every target that keeps artifacts in an object store
(docs/targets/argo.md, "Artifacts"): keys are tuples of literal segments and `KeyPart`s that a
target renders in its own syntax (Argo: input parameters; Step Functions: state paths).

    <run>/<step>/<output>[/<item key>]                      an output (of one item)
    <run>/<step>/<output>/index.json                        a collection's index (SPEC 6.2)
    <run>/<step>/trials/[<item key>/]trial=<n>/<output>     a sweep trial's output
    <run>/<step>/metrics[/<item key>]                       an evaluate step's metrics
    <run>/<step>/gates/[<item key>/]gates.json              its gate decision
    <run>/<step>/passed[/<item key>]                        its `passed`
    <run>/<deploy>/decision.json                            a deploy step's decision
    <run>/<step>/mlc-chunks/<n>.json                        one child run's items (SPEC 10)

(`mlc-chunks` cannot be an output: output names have no `-`.)
"""

from __future__ import annotations

import enum
from typing import Union

from .model import ArtifactInput, Mode


class KeyPart(str, enum.Enum):
    RUN = "run"          # the run's id
    ITEM = "item"        # the item's key (SPEC 6.1)
    TRIAL = "trial"      # the trial's index, as `trial=<n>`
    BEST = "best"        # the best trial's index, as `trial=<n>`


Key = tuple  # tuple[Union[str, KeyPart], ...], joined with "/"
Segment = Union[str, KeyPart]


def output_key(step: str, output: str, item: bool, trial: bool = False) -> Key:
    """Where a step writes an output: of the step, of one item, or of one trial."""
    if trial:
        return (KeyPart.RUN, step, "trials") + ((KeyPart.ITEM,) if item else ()) + \
            (KeyPart.TRIAL, output)
    return (KeyPart.RUN, step, output) + ((KeyPart.ITEM,) if item else ())


def best_trial_key(step: str, output: str, item: bool) -> Key:
    """The best trial's output, which promote copies to the item's own."""
    return (KeyPart.RUN, step, "trials") + ((KeyPart.ITEM,) if item else ()) + \
        (KeyPart.BEST, output)


def input_key(art: ArtifactInput) -> Key:
    """Where a consumer reads an input: one item's element (zip), the whole collection (fan-in:
    the prefix, with its index.json) or the one output."""
    return (KeyPart.RUN, art.producer, art.output) + \
        ((KeyPart.ITEM,) if art.mode is Mode.ZIP else ())


def index_key(step: str, output: str) -> Key:
    return (KeyPart.RUN, step, output, "index.json")


def prefix_key(step: str, output: str) -> Key:
    """The prefix of a collection (ends with `/`)."""
    return (KeyPart.RUN, step, output, "")


def metrics_key(step: str, item: bool) -> Key:
    return (KeyPart.RUN, step, "metrics") + ((KeyPart.ITEM,) if item else ())


def gates_key(step: str, item: bool) -> Key:
    return (KeyPart.RUN, step, "gates") + ((KeyPart.ITEM,) if item else ()) + ("gates.json",)


def passed_key(step: str, item: bool) -> Key:
    return (KeyPart.RUN, step, "passed") + ((KeyPart.ITEM,) if item else ())


def chunks_key(step: str) -> Key:
    """The prefix of a split step's chunk files (`<n>.json`, one per child run)."""
    return (KeyPart.RUN, step, "mlc-chunks")


def decision_key(deploy: str) -> Key:
    return (KeyPart.RUN, deploy, "decision.json")
