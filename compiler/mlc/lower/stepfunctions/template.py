"""`template.yaml`: the CloudFormation stack (SPEC 11): the state machine (its definition from
`statemachine.asl.json` through `aws cloudformation package`, ARNs through
`DefinitionSubstitutions`), one `AWS::Batch::JobDefinition` per job, CloudWatch alarms for a
canary's analysis, and the `AWS::Scheduler::Schedule` of a scheduled pipeline.

The task driver and the runtime modules are in the template once, in `Mappings`, and every job
definition's command reads them with `Fn::FindInMap`, so a job costs only its own fields.
"""

from __future__ import annotations

import math
import re

from ...plan import Plan, Resources
from ...plan.settings import StepFunctionsSettings
from ...runtime import compact_source
from .names import Names, camel

RUNTIME_KEYS = {"batch": "Driver", "run_info": "RunInfo", "items": "Items", "select": "Select",
                "gates": "Gates", "decide": "Decide"}
DEFAULT_VCPU = "1"
DEFAULT_MEMORY_MIB = 2048
MIN_ATTEMPT_S = 60           # Batch: attemptDurationSeconds is at least 60
# CloudFormation: 500 resources and 200 outputs a stack, 1 MB a template (from S3)
JOBS_PER_STACK = 150
STACK_BYTES = 700_000
JOB_OVERHEAD = 1_200         # a job definition's YAML beside its MLC_TASK, about
_UNITS = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
          "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}


def memory_mib(quantity: str) -> int:
    """A Kubernetes quantity (`16Gi`, `512M`, `1e9`) in MiB, rounded up."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE]\d+)?", quantity)
    if m is None:
        return DEFAULT_MEMORY_MIB
    number, unit = float(m[1]), m[2] or ""
    if unit == "m":
        size = number / 1000
    elif unit[:1] in "eE" and unit[1:].isdigit():
        size = number * 10 ** int(unit[1:])
    else:
        size = number * _UNITS[unit]
    return max(1, math.ceil(size / 2**20))


def vcpus(cpu: str | int | float | None) -> str:
    """Batch on EC2 takes whole vCPUs: `500m` and `1.5` round up."""
    if cpu is None:
        return DEFAULT_VCPU
    text = str(cpu)
    value = float(text[:-1]) / 1000 if text.endswith("m") else float(text)
    return str(max(1, math.ceil(value)))


def resource_requirements(res: Resources) -> list[dict]:
    out = [{"Type": "VCPU", "Value": vcpus(res.cpu)},
           {"Type": "MEMORY", "Value": str(memory_mib(str(res.memory)) if res.memory is not None
                                           else DEFAULT_MEMORY_MIB)}]
    if res.gpu:
        out.append({"Type": "GPU", "Value": str(res.gpu)})
    return out


def secret_arn(store: str, key: str | None = None) -> dict:
    """Secrets Manager ARN of a secret (partial: the name, no random suffix), with a JSON key."""
    tail = f":{key}::" if key else ""
    return {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}"
                       f":secret:{store}{tail}"}


class Template:
    def __init__(self, plan: Plan, settings: StepFunctionsSettings, names: Names,
                 tags: dict[str, str]) -> None:
        self.plan = plan
        self.settings = settings
        self.names = names
        self.tags = tags
        self.resources: dict[str, dict] = {}
        self.substitutions: dict[str, object] = {"JobQueue": {"Ref": "JobQueue"}}
        self.used_modules: set[str] = {"batch"}

    def job(self, name: str, image: str, task: str, *, module: str | None = None,
            resources: Resources | None = None, timeout_s: int | None = None,
            secrets: list[dict] | None = None, gates: bool = False) -> None:
        logical = self.names.job(name)
        environment = [{"Name": "MLC_TASK", "Value": task}]
        if module is not None:
            self.used_modules.add(module)
            environment.append({"Name": "MLC_SCRIPT",
                                "Value": {"Fn::FindInMap": ["Mlc", "Runtime",
                                                            RUNTIME_KEYS[module]]}})
        if gates:
            self.used_modules.add("gates")
            environment.append({"Name": "MLC_GATES_SCRIPT",
                                "Value": {"Fn::FindInMap": ["Mlc", "Runtime", "Gates"]}})
        container: dict = {
            "Image": image,
            "Command": ["python3", "-c", {"Fn::FindInMap": ["Mlc", "Runtime", "Driver"]}],
            "ResourceRequirements": resource_requirements(resources or Resources()),
            "Environment": environment,
        }
        if secrets:
            container["Secrets"] = secrets
        container["JobRoleArn"] = {"Fn::If": ["HasJobRole", {"Ref": "JobRole"},
                                              {"Ref": "AWS::NoValue"}]}
        props: dict = {"Type": "container",
                       "JobDefinitionName": f"{self.plan.base_name}-{name}"[:128],
                       "PlatformCapabilities": ["EC2"], "ContainerProperties": container,
                       "RetryStrategy": {"Attempts": 1}}
        if timeout_s is not None:
            props["Timeout"] = {"AttemptDurationSeconds": max(MIN_ATTEMPT_S, timeout_s)}
        props["PropagateTags"] = True
        props["Tags"] = dict(self.tags)
        self.resources[logical] = {"Type": "AWS::Batch::JobDefinition", "Properties": props}
        self.substitutions[logical] = {"Ref": logical}

    def queue(self, accelerator: str) -> None:
        self.substitutions[self.names.queue(accelerator)] = self.settings.accelerators.get(
            accelerator, "")

    def files(self, alarms: dict[str, dict], deploys: bool) -> dict[str, list[dict]]:
        """template.yaml, and when the job definitions do not fit one stack (CloudFormation:
        500 resources, 200 outputs, 1 MB a template), jobs-<n>.yaml: nested stacks of at most
        JOBS_PER_STACK job definitions each, which `aws cloudformation package` uploads with
        the definition."""
        chunks = self.chunks()
        if len(chunks) <= 1:
            return {"template.yaml": [self.root(alarms, deploys, self.resources, {})]}
        out: dict[str, list[dict]] = {}
        nested: dict[str, dict] = {}
        for n, chunk in enumerate(chunks, 1):
            name, stack = f"jobs-{n}.yaml", f"Jobs{n}"
            out[name] = [self.nested(chunk, n, len(chunks))]
            nested[stack] = {"Type": "AWS::CloudFormation::Stack", "Properties": {
                "TemplateURL": name, "Parameters": {"JobRole": {"Ref": "JobRole"}},
                "Tags": [{"Key": k, "Value": v} for k, v in self.tags.items()]}}
            for logical in chunk:
                self.substitutions[logical] = {"Fn::GetAtt": [stack, f"Outputs.{logical}"]}
        return {"template.yaml": [self.root(alarms, deploys, {}, nested)], **out}

    def chunks(self) -> list[list[str]]:
        """Job definitions in order, cut where a stack would pass JOBS_PER_STACK or about
        STACK_BYTES of YAML."""
        chunks: list[list[str]] = [[]]
        size = 0
        for logical, res in sorted(self.resources.items()):
            cost = JOB_OVERHEAD + len(res["Properties"]["ContainerProperties"]["Environment"][0]
                                      ["Value"])
            if chunks[-1] and (len(chunks[-1]) >= JOBS_PER_STACK or size + cost > STACK_BYTES):
                chunks.append([])
                size = 0
            chunks[-1].append(logical)
            size += cost
        return chunks

    def runtime(self) -> dict:
        return {"Mlc": {"Runtime": {RUNTIME_KEYS[m]: compact_source(m) for m in
                                    sorted(self.used_modules, key=lambda m: RUNTIME_KEYS[m])}}}

    def nested(self, chunk: list[str], n: int, total: int) -> dict:
        return {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": f"{self.plan.project} {self.plan.version}: job definitions {n} of "
                           f"{total} of the pipeline {self.plan.base_name}, compiled by mlc",
            "Parameters": {"JobRole": {"Type": "String", "Default": "",
                                       "Description": "The role (ARN) of the jobs"}},
            "Conditions": self.conditions(),
            "Mappings": self.runtime(),
            "Resources": {k: self.resources[k] for k in chunk},
            "Outputs": {k: {"Value": {"Ref": k}} for k in chunk},
        }

    @staticmethod
    def conditions() -> dict:
        return {"HasJobRole": {"Fn::Not": [{"Fn::Equals": [{"Ref": "JobRole"}, ""]}]}}

    def root(self, alarms: dict[str, dict], deploys: bool, jobs: dict, nested: dict) -> dict:
        s = self.settings
        params: dict = {
            "JobQueue": {"Type": "String", "Default": s.job_queue or "",
                         "Description": "The AWS Batch job queue (ARN) the steps run on"},
            "StateMachineRole": {"Type": "String", "Default": s.role or "",
                                 "Description": "The role (ARN) the state machine runs as"},
            "JobRole": {"Type": "String", "Default": s.job_role or "",
                        "Description": "The role (ARN) of the jobs; empty: the queue's default"},
        }
        if self.plan.schedule is not None:
            params["SchedulerRole"] = {"Type": "String", "Default": s.scheduler_role or "",
                                       "Description": "The role (ARN) EventBridge Scheduler "
                                       "starts executions with"}
        if deploys:
            params["ModelRole"] = {"Type": "String", "Default": s.model_role or "",
                                   "Description": "The role (ARN) SageMaker models run as"}
            self.substitutions["ModelRole"] = {"Ref": "ModelRole"}
        machine: dict = {
            "StateMachineName": self.plan.base_name,
            "StateMachineType": "STANDARD",
            "DefinitionS3Location": "statemachine.asl.json",
            "DefinitionSubstitutions": dict(sorted(self.substitutions.items())),
            "RoleArn": {"Ref": "StateMachineRole"},
            "Tags": [{"Key": k, "Value": v} for k, v in self.tags.items()],
        }
        resources: dict = {"StateMachine": {"Type": "AWS::StepFunctions::StateMachine",
                                            "Properties": machine}}
        resources.update(sorted(jobs.items()))
        resources.update(nested)
        resources.update(alarms)
        if self.plan.schedule is not None:
            resources["Schedule"] = self.schedule()
        doc: dict = {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": f"{self.plan.project} {self.plan.version}: the pipeline "
                           f"{self.plan.base_name}, compiled by mlc",
            # DefinitionS3Location (and a nested stack's TemplateURL) names a local file that
            # `aws cloudformation package` uploads (SPEC 11): that is the intended use, which
            # cfn-lint's W3002 warns about
            "Metadata": {"cfn-lint": {"config": {"ignore_checks": ["W3002"]}}},
            "Parameters": params,
        }
        if jobs:
            doc["Conditions"] = self.conditions()
            doc["Mappings"] = self.runtime()
        doc["Resources"] = resources
        doc["Outputs"] = {"StateMachineArn": {"Value": {"Ref": "StateMachine"}}}
        return doc

    def schedule(self) -> dict:
        sched = self.plan.schedule
        return {"Type": "AWS::Scheduler::Schedule", "Properties": {
            "Name": self.plan.base_name[:64],
            "Description": f"{self.plan.base_name} ({sched.cron}, {sched.timezone})",
            "ScheduleExpression": f"cron({eventbridge_cron(sched.cron)})",
            "ScheduleExpressionTimezone": sched.timezone,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED",
            "Target": {"Arn": {"Ref": "StateMachine"}, "RoleArn": {"Ref": "SchedulerRole"},
                       "Input": "{}"}}}


_DOW_NAMES = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}


def eventbridge_cron(cron: str) -> str:
    """POSIX `m h dom mon dow` as EventBridge's `m h dom mon dow yr` (SPEC 6.7): `?` in the
    unrestricted day field, days of the week numbered from SUN=1."""
    minute, hour, dom, month, dow = cron.split()
    dow = _shift_dow(dow)
    if dom == "*" and dow == "*":
        dom, dow = "*", "?"
    elif dow == "*":
        dow = "?"
    else:
        dom = "?"
    return f"{minute} {hour} {dom} {month} {dow} *"


def _shift_dow(field: str) -> str:
    if field == "*":
        return field

    def one(token: str) -> str:
        if token.upper() in _DOW_NAMES or not token.isdigit():
            return token.upper()
        return str(int(token) % 7 + 1)

    out = []
    for part in field.split(","):
        step = ""
        if "/" in part:
            part, step = part.split("/", 1)
            step = "/" + step
        if "-" in part:
            lo, hi = part.split("-", 1)
            if hi == "7" or (lo.isdigit() and hi.isdigit() and int(hi) == 7):
                hi = "6"
                if lo == "0":
                    out.append("1-7" + step)
                    continue
                out.append(f"{one(lo)}-{one(hi)}" + step)
                out.append("1")
                continue
            out.append(f"{one(lo)}-{one(hi)}" + step)
        else:
            out.append(("*" if part == "*" else one(part)) + step)
    return ",".join(out)


__all__ = ["Template", "camel", "eventbridge_cron", "memory_mib", "secret_arn", "vcpus"]
