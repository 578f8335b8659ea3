"""Did-you-mean (SPEC 9.2): foreign spellings, then relocation, then close matches."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

# Keys as other tools spell them -> (mlc key, the tool that spells it that way).
FOREIGN: dict[str, tuple[str, str]] = {
    "retryStrategy": ("retries", "Argo spells it retryStrategy"),
    "retry": ("retries", "Kubeflow spells it retry"),
    "memoize": ("cache", "Argo spells it memoize"),
    "parallelism": ("max_parallel", "Argo spells it parallelism"),
    "max_concurrency": ("max_parallel", "Step Functions spells it MaxConcurrency"),
    "withItems": ("foreach", "Argo spells it withItems"),
    "withParam": ("foreach", "Argo spells it withParam"),
    "matrix": ("foreach", "GitHub Actions and DVC spell it matrix"),
    "activeDeadlineSeconds": ("timeout", "Argo spells it activeDeadlineSeconds"),
    "timeout-minutes": ("timeout", "GitHub Actions spells it timeout-minutes"),
    "setWeight": ("set_weight", "Argo Rollouts spells it setWeight"),
    "setCanaryScale": ("set_weight", "Argo Rollouts spells it setCanaryScale"),
    "validation_criteria": ("gates", "Vertex AI spells it validation_criteria"),
    "validation_thresholds": ("gates", "MLflow spells it validation_thresholds"),
    "kfp": ("kubeflow", "the Kubeflow SDK is called kfp"),
    "sfn": ("stepfunctions", "AWS abbreviates Step Functions as sfn"),
    "argo_workflows": ("argo", "mlc calls the target argo"),
    "dependsOn": ("needs", "Argo and Azure ML spell it dependsOn"),
    "depends_on": ("needs", "Docker Compose spells it depends_on"),
    "dependencies": ("needs", "Argo spells it dependencies"),
    "depends": ("needs", "Argo spells it depends"),
    "nodeSelector": ("accelerators", "Kubernetes spells it nodeSelector"),
    "samplingAlgorithm": ("sampling_algorithm", "Azure ML spells it samplingAlgorithm"),
    "searchSpace": ("search_space", "Azure ML spells it searchSpace"),
    "primaryMetric": ("primary_metric", "Azure ML spells it primaryMetric"),
    "maxTotalTrials": ("max_total_trials", "Azure ML spells it max_total_trials"),
    "failureLimit": ("failure_limit", "Argo Rollouts spells it failureLimit"),
    "serviceAccountName": ("service_account", "Kubernetes spells it serviceAccountName"),
    "concurrencyPolicy": ("concurrency", "Argo spells it concurrencyPolicy"),
    "schedules": ("cron", "Argo CronWorkflow spells it schedules"),
    "container": ("image", "Argo puts the image under container"),
    "args": ("command", "Kubernetes splits command and args"),
}


def _norm(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


def close_match(word: str, candidates: Iterable[str]) -> str | None:
    """difflib close match (n=1, cutoff=0.7) on names lowercased without `-`/`_`."""
    by_norm: dict[str, str] = {}
    for c in candidates:
        by_norm.setdefault(_norm(c), c)
    if _norm(word) in by_norm:
        return by_norm[_norm(word)]
    found = difflib.get_close_matches(_norm(word), list(by_norm), n=1, cutoff=0.7)
    return by_norm[found[0]] if found else None


def did_you_mean(word: str, valid: Iterable[str],
                 relocations: Mapping[str, str] | None = None) -> str | None:
    """A `help:` text for an unknown `word` where `valid` keys are allowed, or None.

    `relocations` maps a key that is valid one level down to its dotted place (`gpu` ->
    `resources.gpu`).
    """
    valid = list(valid)
    foreign = FOREIGN.get(word)
    if foreign and foreign[0] in valid:
        return f"did you mean '{foreign[0]}'? ({foreign[1]})"
    if relocations:
        if word in relocations:
            return f"did you mean '{relocations[word]}'?"
        if foreign and foreign[0] in relocations:
            return f"did you mean '{relocations[foreign[0]]}'? ({foreign[1]})"
    match = close_match(word, valid)
    if match is not None and match != word:
        return f"did you mean '{match}'?"
    return None


def article(word: str) -> str:
    """`an integer`, `a number`: the word with its indefinite article, for messages."""
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word
