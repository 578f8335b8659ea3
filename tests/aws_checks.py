"""Checks of what `mlc compile --target stepfunctions` writes, with AWS's own tools, offline.

- `lint_asl`: statelint (@wmfs/statelint, the JavaScript port of awslabs' statelint) and
  asl-validator, both from npm (tests/aws/package.json, installed by `make test`).
- `lint_template`: cfn-lint on template.yaml, and on a copy with the ASL inlined as
  `Definition`, so that cfn-lint's state machine rules read the states too.
- `Harness`: moto's Step Functions runs the emitted state machine for real
  (`execute_state_machine`), against moto's Batch (no Docker: each job's outcome comes from a
  stub), S3, CloudWatch and Step Functions. SageMaker is not in moto's interpreter, so its
  tasks are replaced by Pass states with given results, and Wait states wait 0 seconds.
  Four moto gaps are patched here (none changes what mlc emits): parameter and result casing,
  a retried `.sync` task's stale task token, and Batch's `describe_jobs` iterating a dict that
  parallel Map iterations grow.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "tests" / "aws"
BIN = NODE_DIR / "node_modules" / ".bin"
ACCOUNT = "123456789012"


def ensure_node_tools() -> None:
    """`npm ci` in tests/aws when the linters are not there yet (make test does it first)."""
    if (BIN / "statelint").exists() and (BIN / "asl-validator").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed for the ASL linters (apt-get install npm)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=NODE_DIR, check=True)


def lint_asl(path: Path) -> list[str]:
    """Problems statelint and asl-validator find in the ASL at `path` (empty: both accept)."""
    ensure_node_tools()
    problems = []
    a = subprocess.run([str(BIN / "statelint"), str(path)], capture_output=True, text=True)
    if a.returncode != 0 or a.stdout.strip():
        problems.append("statelint: " + (a.stdout + a.stderr).strip())
    b = subprocess.run([str(BIN / "asl-validator"), "--json-path", str(path)],
                       capture_output=True, text=True)
    if b.returncode != 0:
        problems.append("asl-validator: " + (b.stdout + b.stderr).strip())
    return problems


def cfn_yaml(text: str) -> dict:
    return yaml.safe_load(text)


def lint_template(template: Path, asl: Path) -> list[str]:
    """cfn-lint's findings on the template and on a copy with the definition inlined."""
    problems = []
    cfn_lint = [str(Path(sys.executable).parent / "cfn-lint")]
    run = subprocess.run(cfn_lint + [str(template)], capture_output=True, text=True)
    if run.returncode != 0:
        problems.append("cfn-lint template.yaml: " + (run.stdout + run.stderr).strip())
    doc = cfn_yaml(template.read_text())
    props = doc["Resources"]["StateMachine"]["Properties"]
    props.pop("DefinitionS3Location")
    props["Definition"] = json.loads(asl.read_text())
    inlined = template.with_name("inlined.template.json")
    inlined.write_text(json.dumps(doc, indent=1))
    try:
        run = subprocess.run(cfn_lint + [str(inlined)], capture_output=True, text=True)
    finally:
        inlined.unlink()
    if run.returncode != 0:
        problems.append("cfn-lint, definition inlined: " + (run.stdout + run.stderr).strip())
    for nested in sorted(template.parent.glob("jobs-*.yaml")):
        run = subprocess.run(cfn_lint + [str(nested)], capture_output=True, text=True)
        if run.returncode != 0:
            problems.append(f"cfn-lint {nested.name}: " + (run.stdout + run.stderr).strip())
    return problems


# -- moto ------------------------------------------------------------------------------------
_SERVICES = {"sfn": "stepfunctions"}


def botocase(service: str, action: str, params: dict) -> dict:
    """`params` with each key spelled as botocore's model of the operation spells it
    (`action` in snake_case, as moto names it)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model(_SERVICES.get(service, service))
    op = next(n for n in model.operation_names
              if n.lower() == action.replace("_", "").lower())
    return _case(params, model.operation_model(op).input_shape)


def _pascal(value):
    """AWS returns an SDK integration's result with PascalCase keys, timestamps as text and
    an S3 body as a string; moto, as botocore does."""
    import datetime

    if isinstance(value, dict):
        items = list(value.items())
        value.clear()
        for key, item in items:
            value[key[:1].upper() + key[1:]] = _pascal(item)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            value[i] = _pascal(item)
    elif isinstance(value, datetime.datetime):
        return value.isoformat()
    elif hasattr(value, "read"):
        return value.read().decode("utf-8")
    return value


def patch_moto_casing():
    """moto 5.2's interpreter leaves `_normalise_parameters` and `_normalise_response` empty,
    so it would hand the ASL's PascalCase to botocore as is. Do what AWS does."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service as sts,
    )

    def params(self, parameters, boto_service_name=None, service_action_name=None):
        service = self._get_boto_service_name(boto_service_name)
        action = service_action_name or self._get_boto_service_action()
        new = botocase(service, action, parameters)
        parameters.clear()
        parameters.update(new)

    def response(self, response, boto_service_name=None, service_action_name=None):
        _pascal(response)

    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as cb,
    )

    sync = cb.StateTaskServiceCallback._eval_sync

    def eval_sync(self, env, sync_resolver, timeout_seconds, callback_endpoint,
                  heartbeat_endpoint):
        # moto 5.2 also listens for a task token on `.sync` tasks; on a retried attempt the
        # first attempt's closed token ends the new one at once as timed out. mlc uses no
        # task tokens: poll the job only, as AWS does for `.sync`.
        return sync(self, env, sync_resolver, timeout_seconds, None, heartbeat_endpoint)

    originals = (sts.StateTaskService._normalise_parameters,
                 sts.StateTaskService._normalise_response, sync)
    sts.StateTaskService._normalise_parameters = params
    sts.StateTaskService._normalise_response = response
    cb.StateTaskServiceCallback._eval_sync = eval_sync
    return originals


def unpatch_moto_casing(originals) -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service as sts,
    )

    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as cb,
    )

    (sts.StateTaskService._normalise_parameters, sts.StateTaskService._normalise_response,
     cb.StateTaskServiceCallback._eval_sync) = originals


def _case(value, shape):
    import datetime

    if isinstance(value, datetime.datetime):  # moto's $$.Execution.StartTime; AWS: text
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dict) and shape is not None and shape.type_name == "structure":
        out = {}
        for key, item in value.items():
            bare, suffix = (key[:-2], ".$") if key.endswith(".$") else (key, "")
            member = next((m for m in shape.members if m.lower() == bare.lower()), bare)
            out[member + suffix] = _case(item, shape.members.get(member))
        return out
    if isinstance(value, list) and shape is not None and shape.type_name == "list":
        return [_case(v, shape.member) for v in value]
    return value


Stub = Callable[[str, dict, "Harness"], bool]


class Harness:
    """One moto world: a bucket, a Batch queue, the template's job definitions, the machine."""

    def __init__(self, out: Path, *, sagemaker: dict | None = None) -> None:
        self.out = out
        self.template = cfn_yaml((out / "template.yaml").read_text())
        self.definition = json.loads((out / "statemachine.asl.json").read_text())
        self.sagemaker = sagemaker or {}
        self.jobs: list[tuple[str, dict]] = []
        self.stubs: dict[str, Stub] = {}
        self.default: Stub | None = None
        self.attempts: dict[str, int] = {}

    def __enter__(self) -> "Harness":
        import boto3
        from moto import mock_aws
        from moto.batch_simple.models import BatchSimpleBackend

        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.setdefault(key, "testing")
        self.mock = mock_aws(config={"batch": {"use_docker": False},
                                     "stepfunctions": {"execute_state_machine": True}})
        self.mock.start()
        harness = self
        self._original = BatchSimpleBackend._mark_job_as_finished

        def finished(backend, include_start_attempt, job):
            backend.backend._jobs[job.job_id] = job
            import datetime

            job.job_started_at = datetime.datetime.now()
            job.log_stream_name = job._stream_name
            if include_start_attempt:
                job._start_attempt()
            overrides = job.container_overrides or {}
            env = {e.get("name", e.get("Name")): e.get("value", e.get("Value"))
                   for e in overrides.get("environment", overrides.get("Environment", []))}
            job._mark_stopped(success=harness.job(job.job_name, env))

        BatchSimpleBackend._mark_job_as_finished = finished
        self._casing = patch_moto_casing()
        from moto.batch.models import BatchBackend

        self._describe_jobs = BatchBackend.describe_jobs

        def describe_jobs(backend, jobs):
            # moto iterates its job dict while the Map's other iterations add to it
            # ("dictionary changed size during iteration" under load): read a snapshot
            wanted = set(jobs or ())
            return [job.describe() for key, job in list(backend._jobs.items())
                    if not wanted or key in wanted or job.arn in wanted]

        BatchBackend.describe_jobs = describe_jobs
        # an exception inside moto's interpreter becomes a bare States.Runtime: keep its
        # traceback, printed by execute() (pytest shows it when a test fails)
        from moto.stepfunctions.parser.asl.component.state.exec import execute_state

        self._from_error = execute_state.ExecutionState._from_error
        self.runtime_errors: list[str] = []
        original_from_error = self._from_error

        def from_error(state, env, ex):
            import traceback

            if type(ex).__name__ != "FailureEventException":
                harness.runtime_errors.append("".join(traceback.format_exception(ex)))
            return original_from_error(state, env, ex)

        execute_state.ExecutionState._from_error = from_error
        region = os.environ["AWS_DEFAULT_REGION"]
        self.s3 = boto3.client("s3", region_name=region)
        self.sfn = boto3.client("stepfunctions", region_name=region)
        self.batch = boto3.client("batch", region_name=region)
        self.cloudwatch = boto3.client("cloudwatch", region_name=region)
        self.setup()
        return self

    def __exit__(self, *exc) -> None:
        from moto.batch_simple.models import BatchSimpleBackend

        BatchSimpleBackend._mark_job_as_finished = self._original
        unpatch_moto_casing(self._casing)
        from moto.batch.models import BatchBackend

        BatchBackend.describe_jobs = self._describe_jobs
        from moto.stepfunctions.parser.asl.component.state.exec import execute_state

        execute_state.ExecutionState._from_error = self._from_error
        self.mock.stop()

    # the world ---------------------------------------------------------------------------------
    def setup(self) -> None:
        asl = json.dumps(self.definition)
        m = re.search(r'"Bucket": "([^"]+)"', asl)
        self.bucket = m[1] if m else "mlc-artifacts"
        self.s3.create_bucket(Bucket=self.bucket)
        iam = __import__("boto3").client("iam", region_name="us-east-1")
        role = iam.create_role(RoleName="mlc-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        env = self.batch.create_compute_environment(
            computeEnvironmentName="mlc", type="UNMANAGED", state="ENABLED",
            serviceRole=role)
        queue = self.batch.create_job_queue(
            jobQueueName="mlc", state="ENABLED", priority=1,
            computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env["computeEnvironmentArn"]}])
        values = {"JobQueue": queue["jobQueueArn"], "ModelRole": role}
        for logical, res in self.template["Resources"].items():
            if res["Type"] != "AWS::Batch::JobDefinition":
                continue
            props = res["Properties"]
            arn = self.batch.register_job_definition(
                jobDefinitionName=props["JobDefinitionName"], type="container",
                containerProperties={"image": props["ContainerProperties"]["Image"],
                                     "command": ["true"],
                                     "resourceRequirements": [
                                         {"type": r["Type"], "value": r["Value"]}
                                         for r in props["ContainerProperties"]
                                         ["ResourceRequirements"]]})["jobDefinitionArn"]
            values[logical] = arn
        subs = self.template["Resources"]["StateMachine"]["Properties"]["DefinitionSubstitutions"]
        for key in subs:
            if key.startswith("JobQueue"):
                values.setdefault(key, queue["jobQueueArn"])
        text = re.sub(r"\$\{(\w+)\}", lambda m: values[m[1]], json.dumps(self.definition))
        self.machine_definition = self.stub_states(json.loads(text))
        self.machine_arn = self.sfn.create_state_machine(
            name="mlc-test", definition=json.dumps(self.machine_definition),
            roleArn=role)["stateMachineArn"]
        for res in self.template["Resources"].values():
            if res["Type"] == "AWS::CloudWatch::Alarm":
                p = res["Properties"]
                self.cloudwatch.put_metric_alarm(
                    AlarmName=p["AlarmName"], ComparisonOperator=p["ComparisonOperator"],
                    EvaluationPeriods=p["EvaluationPeriods"], Threshold=p["Threshold"],
                    Metrics=[{"Id": q["Id"], "Expression": q["Expression"],
                              "Period": q["Period"], "ReturnData": q["ReturnData"]}
                             for q in p["Metrics"]])

    def stub_states(self, definition: dict) -> dict:
        """SageMaker tasks become Pass states with the given results; Waits take 0 s."""
        def walk(states: dict) -> None:
            for name, state in list(states.items()):
                if state["Type"] == "Wait":
                    state.pop("Seconds", None)
                    state["Seconds"] = 0
                if state["Type"] == "Task" and "sagemaker" in state["Resource"]:
                    result = self.sagemaker.get(name, {})
                    new = {"Type": "Pass", "Result": result,
                           "ResultPath": state.get("ResultPath", "$")}
                    if result == "raise":
                        new = {"Type": "Pass", "Result": {"Error": "ResourceNotFound"},
                               "ResultPath": state["Catch"][0]["ResultPath"],
                               "Next": state["Catch"][0]["Next"]}
                    else:
                        if result and "ResultSelector" in state:
                            new["Result"] = result
                        for key in ("Next", "End"):
                            if key in state:
                                new[key] = state[key]
                    states[name] = new
                for key in ("Branches",):
                    for branch in state.get(key, []):
                        walk(branch["States"])
                if "ItemProcessor" in state:
                    walk(state["ItemProcessor"]["States"])
        definition = copy.deepcopy(definition)
        walk(definition["States"])
        return definition

    # jobs ----------------------------------------------------------------------------------------
    def job(self, name: str, env: dict) -> bool:
        self.jobs.append((name, env))
        self.attempts[name] = self.attempts.get(name, 0) + 1
        stub = self.stubs.get(name, self.default)
        return True if stub is None else bool(stub(name, env, self))

    def put(self, key: str, body: str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body.encode("utf-8"))

    def execute(self, payload: dict | None = None, name: str = "run-1",
                timeout: float = 60) -> dict:
        arn = self.sfn.start_execution(stateMachineArn=self.machine_arn, name=name,
                                       input=json.dumps(payload or {}))["executionArn"]
        deadline = time.monotonic() + timeout
        while True:
            desc = self.sfn.describe_execution(executionArn=arn)
            if desc["status"] != "RUNNING":
                for error in self.runtime_errors:
                    print("moto interpreter error:\n" + error)
                return desc
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution still running after {timeout} s")
            time.sleep(0.05)

    def names(self) -> list[str]:
        return [n for n, _ in self.jobs]

    def entered(self, execution: dict) -> list[str]:
        """The states the execution entered, in order."""
        events = self.sfn.get_execution_history(executionArn=execution["executionArn"],
                                                maxResults=1000)["events"]
        return [e["stateEnteredEventDetails"]["name"] for e in events
                if "stateEnteredEventDetails" in e]


# -- the task driver, run for real inside moto's Batch -----------------------------------------
class BotoS3:
    """runtime/batch.py's S3 interface over a boto3 client (moto in-process)."""

    def __init__(self, client) -> None:
        self.client = client

    def get(self, bucket, key):
        try:
            return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def head(self, bucket, key):
        try:
            head = self.client.head_object(Bucket=bucket, Key=key)
        except Exception:
            return None
        return {"Last-Modified": head["LastModified"].strftime("%a, %d %b %Y %H:%M:%S GMT")}

    def put(self, bucket, key, body):
        self.client.put_object(Bucket=bucket, Key=key, Body=body)

    def copy(self, bucket, src, dst):
        self.client.copy_object(Bucket=bucket, Key=dst, CopySource={"Bucket": bucket, "Key": src})

    def list(self, bucket, prefix):
        keys = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                           Prefix=prefix):
            keys += [o["Key"] for o in page.get("Contents", [])]
        return keys


def job_environment(template: dict, job_name: str) -> dict:
    """A job definition's environment with its Fn::FindInMap values resolved."""
    runtime = template["Mappings"]["Mlc"]["Runtime"]
    for res in template["Resources"].values():
        if res["Type"] == "AWS::Batch::JobDefinition" and \
                res["Properties"]["JobDefinitionName"].endswith("-" + job_name):
            env = {}
            for e in res["Properties"]["ContainerProperties"]["Environment"]:
                value = e["Value"]
                env[e["Name"]] = runtime[value["Fn::FindInMap"][2]] if isinstance(value, dict) \
                    else value
            return env
    raise KeyError(job_name)


def run_driver(harness: "Harness", workdir: Path) -> Stub:
    """A stub that runs each job's task driver (runtime/batch.py) for real: inputs from and
    outputs to moto's S3, the command as a real process."""
    from mlc.runtime.batch import Failure, Task

    counter = [0]

    def stub(name: str, overrides: dict, h: "Harness") -> bool:
        job = name[:-len("-trial")] if name.endswith("-trial") else name
        env = dict(os.environ)
        env.update(job_environment(h.template, job))
        env.update({k: v for k, v in overrides.items() if k != "MANAGED_BY_AWS"})
        counter[0] += 1
        env["MLC_DATA_DIR"] = str(workdir / f"job-{counter[0]}")
        spec = json.loads(env["MLC_TASK"])
        try:
            return Task(spec, env, s3=BotoS3(h.s3)).execute() == 0
        except Failure as exc:
            print(f"mlc: {exc}")
            return False

    return stub
