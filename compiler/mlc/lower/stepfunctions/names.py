"""Names on AWS: state names (at most 80 characters, SPEC 10), CloudFormation logical IDs
(alphanumeric), `DefinitionSubstitutions` keys, and Distributed Map labels (at most 40)."""

from __future__ import annotations

import hashlib

STATE_MAX = 80
LABEL_MAX = 40


def camel(name: str) -> str:
    """`train_model-select` -> `TrainModelSelect`."""
    parts = name.replace("-", "_").split("_")
    return "".join(p[:1].upper() + p[1:] for p in parts if p)


def _short(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return name[: limit - 9] + "-" + digest


class Names:
    def __init__(self) -> None:
        self.jobs: dict[str, str] = {}         # job name -> logical ID
        self.taken: set[str] = set()

    def job(self, name: str) -> str:
        """The logical ID of a job definition (also its DefinitionSubstitutions key)."""
        if name not in self.jobs:
            base = "Job" + camel(name)
            logical = base
            if logical in self.taken:
                logical = base + hashlib.sha256(name.encode()).hexdigest()[:6].upper()
            self.taken.add(logical)
            self.jobs[name] = logical
        return self.jobs[name]

    @staticmethod
    def queue(accelerator: str) -> str:
        return "JobQueue" + camel(accelerator.replace("-", "_"))

    @staticmethod
    def state(name: str) -> str:
        return _short(name, STATE_MAX)

    @staticmethod
    def label(name: str) -> str:
        """A Distributed Map's Label: letters, digits, `-` and `_`, at most 40."""
        return _short(name, LABEL_MAX)
