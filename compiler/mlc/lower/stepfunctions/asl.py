"""Building blocks of Amazon States Language: chains of states and the state kinds mlc uses.

A `Chain` is an ordered run of states; `then` links the last one to the next state. States are
plain dicts, keys in the order AWS documents them, so the JSON reads like hand-written ASL.
"""

from __future__ import annotations

BATCH = "arn:aws:states:::batch:submitJob.sync"
S3_GET = "arn:aws:states:::aws-sdk:s3:getObject"
S3_READER = "arn:aws:states:::s3:getObject"
SAGEMAKER = "arn:aws:states:::sagemaker:"
SDK = "arn:aws:states:::aws-sdk:"
TERMINAL = ("Succeed", "Fail")


class Chain:
    def __init__(self) -> None:
        self.states: dict[str, dict] = {}
        self.first: str | None = None
        self.open: list[dict] = []          # states whose Next is the chain's continuation

    def add(self, name: str, state: dict, *, links: bool = True) -> dict:
        """Append `state`; the open states so far go to it."""
        if name in self.states:
            raise ValueError(f"duplicate state name {name}")
        self.states[name] = state
        if self.first is None:
            self.first = name
        for prev in self.open:
            _link(prev, name)
        self.open = [state] if links and state["Type"] not in TERMINAL else []
        return state

    def side(self, name: str, state: dict) -> dict:
        """A state off the main line (a Fail, a retry loop), not linked from the last one."""
        if name in self.states:
            raise ValueError(f"duplicate state name {name}")
        self.states[name] = state
        return state

    def extend(self, other: "Chain") -> None:
        if other.first is None:
            return
        for name in other.states:
            if name in self.states:
                raise ValueError(f"duplicate state name {name}")
        self.states.update(other.states)
        if self.first is None:
            self.first = other.first
        for prev in self.open:
            _link(prev, other.first)
        self.open = other.open

    def machine(self, done: str) -> dict:
        """{StartAt, States}, the last open states ending the run (a Choice goes to a
        Succeed state named `done`)."""
        if any(s["Type"] == "Choice" for s in self.open):
            self.add(done, {"Type": "Succeed"})
        for state in self.open:
            state["End"] = True
        self.open = []
        return {"StartAt": self.first, "States": self.states}


def _link(state: dict, name: str) -> None:
    """Point `state` at `name`: a Choice's rules without a target, and its Default if unset."""
    if state["Type"] == "Choice":
        for rule in state["Choices"]:
            rule.setdefault("Next", name)
        state.setdefault("Default", name)
    else:
        state["Next"] = name


def env(name: str, value: str | None = None, path: str | None = None) -> dict:
    return {"Name": name, "Value.$": path} if path is not None else {"Name": name, "Value": value}


def retry(limit: int, interval: int, factor: float, max_delay: int | None) -> dict:
    entry = {"ErrorEquals": ["States.ALL"], "IntervalSeconds": max(1, interval),
             "MaxAttempts": limit, "BackoffRate": max(1.0, float(factor))}
    if max_delay is not None:
        entry["MaxDelaySeconds"] = max(1, max_delay)
    return entry


def fmt(template: str, *paths: str) -> str:
    """`States.Format` with literal text (single quotes and braces escaped) and paths."""
    text = template.replace("\\", "\\\\").replace("'", "\\'")
    return f"States.Format('{text}', {', '.join(paths)})" if paths else f"'{text}'"
