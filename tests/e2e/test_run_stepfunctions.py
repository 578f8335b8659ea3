"""The control flow of compiled state machines, executed by moto's Step Functions
(tests/aws_checks.py): Batch jobs are stubs that succeed, fail or write a given gate report,
or run the real task driver (runtime/batch.py) against moto's S3; SageMaker tasks are Pass
states with given results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, run_cli

pytest.importorskip("moto")

SFN = ROOT / "tests" / "golden" / "stepfunctions"
EXAMPLE = EXAMPLES / "sagemaker" / "mlc.yaml"
RUN = "run-1"


def compiled(spec: Path, out: Path) -> Path:
    done = run_cli("compile", str(spec), "--target", "stepfunctions", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out / "stepfunctions"


def gate_report(passed: bool) -> str:
    return json.dumps({"passed": passed, "gates": [{"metric": "accuracy", "dataset": "test",
                                                    "status": "pass" if passed else "fail"}]})


def chain_stubs(h, failing_items: tuple[int, ...] = ()):
    """evaluate writes its gate report where the ASL reads it (per inline item, by index)."""
    def evaluate(name, env, h):
        index = int(env["MLC_ITEM_INDEX"])
        h.put(f"chain/runs/{env['MLC_RUN_ID']}/steps/evaluate/at/{index}/gates.json",
              gate_report(index not in failing_items))
        return True
    h.stubs["evaluate"] = evaluate


def test_gate_passes(tmp_path) -> None:
    from tests.aws_checks import Harness

    with Harness(compiled(SFN / "chain" / "mlc.yaml", tmp_path)) as h:
        chain_stubs(h)
        done = h.execute(name=RUN)
        assert done["status"] == "SUCCEEDED", done.get("cause")
        names = h.names()
        assert names[0] == "mlc-run" and names[-1] == "report"
        assert sorted(names[1:3]) == ["prep", "train-items"]


def test_map_runs_one_job_per_item(tmp_path) -> None:
    from tests.aws_checks import Harness

    with Harness(compiled(SFN / "chain" / "mlc.yaml", tmp_path)) as h:
        chain_stubs(h)
        assert h.execute(name=RUN)["status"] == "SUCCEEDED"
        assert h.names().count("train") == 3
        assert sorted(env["MLC_ITEM_INDEX"] for n, env in h.jobs if n == "train") == \
            ["0", "1", "2"]


def test_gate_fails_with_its_report(tmp_path) -> None:
    from tests.aws_checks import Harness

    with Harness(compiled(SFN / "chain" / "mlc.yaml", tmp_path)) as h:
        chain_stubs(h, failing_items=(1,))
        done = h.execute(name=RUN)
        assert done["status"] == "FAILED"
        assert done["error"] == "mlc.GateFailed"
        assert json.loads(done["cause"])["passed"] is False
        assert "report" not in h.names()


def test_retry_succeeds_on_the_second_attempt(tmp_path) -> None:
    from tests.aws_checks import Harness

    with Harness(compiled(SFN / "chain" / "mlc.yaml", tmp_path)) as h:
        chain_stubs(h)
        h.stubs["prep"] = lambda name, env, h: h.attempts["prep"] >= 2
        done = h.execute(name=RUN)
        assert done["status"] == "SUCCEEDED", done.get("cause")
        assert h.attempts["prep"] == 2


def test_failed_step_stops_the_execution(tmp_path) -> None:
    from tests.aws_checks import Harness

    with Harness(compiled(SFN / "chain" / "mlc.yaml", tmp_path)) as h:
        chain_stubs(h)
        h.stubs["prep"] = lambda name, env, h: False
        done = h.execute(name=RUN)
        assert done["status"] == "FAILED"
        assert h.attempts["prep"] == 3          # retries: {limit: 2}
        assert not {"train", "evaluate", "report"} & set(h.names())


def test_distributed_map_reads_items_from_s3(tmp_path) -> None:
    from tests.aws_checks import Harness

    with Harness(compiled(SFN / "distributed" / "mlc.yaml", tmp_path)) as h:
        def items(name, env, h):
            entries = [{"key": f"shard=s{i}", "json": json.dumps({"shard": f"s{i}"})}
                       for i in range(5)]
            h.put(f"pipelines/shards/runs/{env['MLC_RUN_ID']}/groups/score/items.json",
                  json.dumps(entries))
            return True
        h.stubs["score-items"] = items
        done = h.execute(name=RUN)
        assert done["status"] == "SUCCEEDED", done.get("cause")
        keys = sorted(env["MLC_ITEM_KEY"] for n, env in h.jobs if n == "score")
        assert keys == [f"shard=s{i}" for i in range(5)]
        assert h.names().count("check") == 5 and h.names()[-1] == "merge"


# -- deploys ------------------------------------------------------------------------------------
SAGEMAKER = {"release-current": {"config": "iris-scorer-old"},
             "release-previous": {"model": "iris-scorer-old"},
             **{f"release-step{i}-status": {"status": "InService"} for i in range(1, 6)},
             "release-create-status": {"status": "InService"}}


def decision(proceed: bool):
    def decide(name, env, h):
        h.put(f"pipelines/iris-canary/runs/{env['MLC_RUN_ID']}/steps/release/decision.json",
              json.dumps({"items": 1, "passed": int(proceed), "proceed": proceed}))
        return True
    return decide


def test_blocked_deploy_never_starts(tmp_path) -> None:
    from tests.aws_checks import Harness

    with Harness(compiled(EXAMPLE, tmp_path), sagemaker=SAGEMAKER) as h:
        h.stubs["release-decide"] = decision(False)
        done = h.execute({"params": {"min_accuracy": 0.99}}, name=RUN)
        assert done["status"] == "FAILED" and done["error"] == "mlc.GateBlocked"
        assert json.loads(done["cause"])["proceed"] is False
        assert not [s for s in h.entered(done) if s.startswith("release-model")]


def test_canary_shifts_weights_and_promotes(tmp_path) -> None:
    from tests.aws_checks import Harness

    with Harness(compiled(EXAMPLE, tmp_path), sagemaker=SAGEMAKER) as h:
        h.stubs["release-decide"] = decision(True)
        done = h.execute(name=RUN)
        assert done["status"] == "SUCCEEDED", done.get("cause")
        entered = h.entered(done)
        assert entered.index("release-step1-update") < entered.index("release-step3-update") \
            < entered.index("release-step5-update") < entered.index("release-retire")
        assert "release-rollback" not in entered and "release-create" not in entered
        assert h.names().count("train-trial") == 3


def test_alarm_rolls_back(tmp_path) -> None:
    from tests.aws_checks import Harness

    with Harness(compiled(EXAMPLE, tmp_path), sagemaker=SAGEMAKER) as h:
        h.stubs["release-decide"] = decision(True)
        h.cloudwatch.set_alarm_state(AlarmName="iris-canary-release-errors-max",
                                     StateValue="ALARM", StateReason="test")
        done = h.execute(name=RUN)
        assert done["status"] == "FAILED" and done["error"] == "mlc.RolloutFailed"
        entered = h.entered(done)
        assert "release-rollback" in entered and "release-step3-update" not in entered


def test_new_endpoint_is_created(tmp_path) -> None:
    from tests.aws_checks import Harness

    with Harness(compiled(EXAMPLE, tmp_path), sagemaker=dict(SAGEMAKER, **{
            "release-current": "raise"})) as h:
        h.stubs["release-decide"] = decision(True)
        done = h.execute(name=RUN)
        assert done["status"] == "SUCCEEDED", done.get("cause")
        entered = h.entered(done)
        assert "release-create" in entered and "release-step1-update" not in entered


def test_concurrency_guard(tmp_path) -> None:
    """concurrency: forbid: with another execution running, a new one ends Succeeded at once."""
    from tests.aws_checks import Harness

    with Harness(compiled(EXAMPLE, tmp_path), sagemaker=SAGEMAKER) as h:
        h.stubs["release-decide"] = decision(True)
        import threading

        started = threading.Event()
        release = threading.Event()

        def slow(name, env, h):
            started.set()
            release.wait(30)
            return True
        h.stubs["mlc-run"] = slow
        first = h.sfn.start_execution(stateMachineArn=h.machine_arn, name="first",
                                      input="{}")["executionArn"]
        assert started.wait(30)
        second = h.execute(name="second")
        release.set()
        assert second["status"] == "SUCCEEDED"
        assert "mlc-already-running" in h.entered(second)
        assert h.names().count("mlc-run") == 1
        del first


# -- the real task driver ---------------------------------------------------------------------------
def s3_text(h, key: str) -> str:
    return h.s3.get_object(Bucket=h.bucket, Key=key)["Body"].read().decode()


def test_driver_runs_the_chain(tmp_path) -> None:
    """Every job runs runtime/batch.py for real: run info, items, the commands with their
    values, zipped and fanned-in inputs from S3, the gate check; the state machine reads
    the gate reports the driver wrote."""
    from tests.aws_checks import Harness, run_driver

    with Harness(compiled(SFN / "chain" / "mlc.yaml", tmp_path / "out")) as h:
        h.default = run_driver(h, tmp_path / "jobs")
        done = h.execute({"params": {"rows": 7}}, name=RUN)
        assert done["status"] == "SUCCEEDED", done.get("cause")
        run = json.loads(s3_text(h, f"chain/runs/{RUN}/run.json"))
        assert run["params"] == {"accuracy": 0.95, "rows": 7} and run["run"]["id"] == RUN
        steps = f"chain/runs/{RUN}/steps"
        assert s3_text(h, f"{steps}/prep/outputs/n") == "7"
        assert s3_text(h, f"{steps}/prep/outputs/data/part.csv") == "x\n7\n"
        assert s3_text(h, f"{steps}/train/items/region=us/outputs/model/model.txt") == "us:7"
        gates = json.loads(s3_text(h, f"{steps}/evaluate/items/region=ap/gates.json"))
        assert gates["passed"] is True
        assert s3_text(h, f"{steps}/evaluate/items/region=ap/outputs/passed") == "true"
        index = json.loads(s3_text(h, f"{steps}/report/outputs/summary"))
        assert [e["path"] for e in index] == ["region=ap", "region=eu", "region=us"]


def test_driver_gate_failure_fails_the_execution(tmp_path) -> None:
    from tests.aws_checks import Harness, run_driver

    with Harness(compiled(SFN / "chain" / "mlc.yaml", tmp_path / "out")) as h:
        h.default = run_driver(h, tmp_path / "jobs")
        done = h.execute({"params": {"accuracy": 0.5}}, name=RUN)
        assert done["status"] == "FAILED" and done["error"] == "mlc.GateFailed"
        report = json.loads(done["cause"])
        assert report["gates"][0]["candidate"] == 0.5 and report["passed"] is False
        assert "report" not in h.names()


def test_driver_rejects_a_bad_param(tmp_path) -> None:
    from tests.aws_checks import Harness, run_driver

    with Harness(compiled(SFN / "chain" / "mlc.yaml", tmp_path / "out")) as h:
        h.default = run_driver(h, tmp_path / "jobs")
        done = h.execute({"params": {"rows": "many"}}, name=RUN)
        assert done["status"] == "FAILED"
        assert h.names() == ["mlc-run"]


def test_driver_sweeps_and_decides(tmp_path) -> None:
    """A sweep per item (select-best, promote), the decision over a collection gate with
    min_pass_rate, then the SageMaker states."""
    from tests.aws_checks import Harness, run_driver

    sagemaker = {"release-current": "raise", "release-create-status": {"status": "InService"}}
    with Harness(compiled(SFN / "segments" / "mlc.yaml", tmp_path / "out"),
                 sagemaker=sagemaker) as h:
        h.default = run_driver(h, tmp_path / "jobs")
        done = h.execute(name=RUN)
        assert done["status"] == "SUCCEEDED", done.get("cause")
        steps = f"segments/runs/{RUN}/steps"
        best = json.loads(s3_text(h, f"{steps}/tune/items/segment=retail/outputs/best_params"))
        assert best == {"depth": 4}
        assert s3_text(h, f"{steps}/tune/items/segment=retail/outputs/model/depth") == "4"
        decision = json.loads(s3_text(h, f"{steps}/release/decision.json"))
        assert decision["items"] == 2 and decision["proceed"] is True
        assert h.names().count("tune-trial") == 4
        assert "release-create" in h.entered(done)


# -- the stack -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["chain", "segments", "example-sagemaker"])
def test_stack_deploys_in_moto(tmp_path, name: str) -> None:
    """template.yaml deploys in moto's CloudFormation, and the state machine comes out with
    every substitution applied. moto reads neither DefinitionS3Location (what `aws
    cloudformation package` fills in) nor DefinitionSubstitutions, only DefinitionString: the
    test hands it the ASL through `Fn::Sub` with the same substitutions, which is what AWS
    does with the two. moto has no AWS::Scheduler::Schedule and no AWS::CloudWatch::Alarm:
    those are left out (docs/targets/stepfunctions.md)."""
    import boto3
    import yaml
    from moto import mock_aws

    spec = EXAMPLE if name == "example-sagemaker" else SFN / name / "mlc.yaml"
    out = compiled(spec, tmp_path)
    doc = yaml.safe_load((out / "template.yaml").read_text())
    skipped = {k for k, r in doc["Resources"].items()
               if r["Type"] in ("AWS::Scheduler::Schedule", "AWS::CloudWatch::Alarm")}
    for key in skipped:
        del doc["Resources"][key]
    props = doc["Resources"]["StateMachine"]["Properties"]
    assert props.pop("DefinitionS3Location") == "statemachine.asl.json"
    props["DefinitionString"] = {"Fn::Sub": [(out / "statemachine.asl.json").read_text(),
                                             props.pop("DefinitionSubstitutions")]}
    with mock_aws():
        cfn = boto3.client("cloudformation", region_name="us-east-1")
        cfn.create_stack(StackName="mlc", TemplateBody=json.dumps(doc))
        stack = cfn.describe_stacks(StackName="mlc")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        types = {r["ResourceType"] for r in
                 cfn.list_stack_resources(StackName="mlc")["StackResourceSummaries"]}
        assert types == {"AWS::StepFunctions::StateMachine", "AWS::Batch::JobDefinition"}
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = next(o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] ==
                   "StateMachineArn")
        definition = sfn.describe_state_machine(stateMachineArn=arn)["definition"]
        assert "${" not in definition
        assert "arn:aws:batch:" in definition
        batch = boto3.client("batch", region_name="us-east-1")
        jobs = batch.describe_job_definitions()["jobDefinitions"]
        assert len(jobs) == sum(1 for r in doc["Resources"].values()
                                if r["Type"] == "AWS::Batch::JobDefinition")


def test_nested_job_stacks_deploy_in_moto(tmp_path) -> None:
    """The jobs-<n>.yaml stacks deploy, and the root with their outputs. moto cannot resolve
    `Fn::GetAtt` on a nested stack's outputs, so the test creates each job stack itself and
    hands the root their outputs in place of the GetAtt (what CloudFormation does)."""
    import boto3
    import yaml
    from moto import mock_aws

    from tests.e2e.test_compile_stepfunctions import chain_spec

    (tmp_path / "mlc.yaml").write_text(chain_spec(160))
    out = compiled(tmp_path / "mlc.yaml", tmp_path / "out")
    doc = yaml.safe_load((out / "template.yaml").read_text())
    with mock_aws():
        cfn = boto3.client("cloudformation", region_name="us-east-1")
        outputs = {}
        for key, res in list(doc["Resources"].items()):
            if res["Type"] != "AWS::CloudFormation::Stack":
                continue
            name = res["Properties"]["TemplateURL"]
            cfn.create_stack(StackName=key, TemplateBody=(out / name).read_text(),
                             Parameters=[{"ParameterKey": "JobRole", "ParameterValue": ""}])
            stack = cfn.describe_stacks(StackName=key)["Stacks"][0]
            assert stack["StackStatus"] == "CREATE_COMPLETE"
            outputs[key] = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
            del doc["Resources"][key]
        props = doc["Resources"]["StateMachine"]["Properties"]
        props.pop("DefinitionS3Location")
        subs = {k: outputs[v["Fn::GetAtt"][0]][v["Fn::GetAtt"][1].split(".", 1)[1]]
                if "Fn::GetAtt" in v else v
                for k, v in props.pop("DefinitionSubstitutions").items()}
        props["DefinitionString"] = {"Fn::Sub": [(out / "statemachine.asl.json").read_text(),
                                                 subs]}
        cfn.create_stack(StackName="mlc", TemplateBody=json.dumps(doc))
        stack = cfn.describe_stacks(StackName="mlc")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        jobs = boto3.client("batch", region_name="us-east-1").describe_job_definitions(
            maxResults=1000)["jobDefinitions"]
        assert len(jobs) == 161
        arn = stack["Outputs"][0]["OutputValue"]
        definition = boto3.client("stepfunctions", region_name="us-east-1").describe_state_machine(
            stateMachineArn=arn)["definition"]
        assert "${" not in definition and definition.count("job-definition/long-s") == 160


def test_driver_partitions_and_the_cache(tmp_path, monkeypatch) -> None:
    """A partitioned features output: a Map over its `partitions` list, each item reading its
    own partition, a fan-in of all of them with index.json; a second run hits the S3 cache
    (the command does not run again) and still leaves every output in place."""
    from tests.aws_checks import Harness, run_driver

    marker = tmp_path / "runs.txt"
    monkeypatch.setenv("CACHE_MARKER", str(marker))
    with Harness(compiled(SFN / "partitions" / "mlc.yaml", tmp_path / "out")) as h:
        h.default = run_driver(h, tmp_path / "jobs")
        first = h.execute(name="run-1")
        assert first["status"] == "SUCCEEDED", first.get("cause")
        steps = "partitions/runs/run-1/steps"
        assert s3_text(h, f"{steps}/fit/items/country=FR/outputs/model/model.txt") == \
            "train FR\n"
        index = json.loads(s3_text(h, f"{steps}/report/outputs/summary"))
        assert index == [{"key": {"country": "DE"}, "path": "country=DE"},
                         {"key": {"country": "FR"}, "path": "country=FR"}]
        assert marker.read_text() == "run\nrun\n"
        second = h.execute(name="run-2")
        assert second["status"] == "SUCCEEDED", second.get("cause")
        assert marker.read_text() == "run\nrun\n"      # both items: cache hits
        assert s3_text(h, "partitions/runs/run-2/steps/fit/items/country=DE/outputs/model/"
                          "model.txt") == "train DE\n"
