"""A deploy step on SageMaker (SPEC 6.6), driven by the state machine itself.

The decision (runtime/decide.py, the same arithmetic as every target) runs as a Batch job and
a `Choice` reads it back: a blocked deploy ends the execution in a `Fail` carrying the
decision. Then: the model and an endpoint config for it; a new endpoint is created; an existing
one is shifted step by step with endpoint configs holding the current and the candidate
variant at the canary's weights (`UpdateEndpoint`, a `Wait` loop until `InService`), `Wait`
states for pauses, and after each hold a look at the CloudWatch alarms of the analysis (one
alarm per metric bound, in template.yaml). A firing alarm restores the current config and
fails. SageMaker's own blue/green guardrails cap an update at 8 hours, so the state machine
holds the steps rather than SageMaker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...plan import DeployPlan
from .asl import SAGEMAKER, SDK, Chain, fmt

if TYPE_CHECKING:
    from .machine import Machine

POLL_S = 30


def alarm_names(base: str, deploy: DeployPlan) -> list[str]:
    if deploy.analysis is None:
        return []
    out = []
    for m in deploy.analysis["metrics"]:
        for bound in ("min", "max"):
            if m.get(bound) is not None:
                out.append(f"{base}-{deploy.name}-{m['name']}-{bound}")
    return out


def alarms(base: str, deploy: DeployPlan, tags: dict[str, str]) -> dict[str, dict]:
    """CloudWatch alarms over the analysis queries (Metrics Insights), one per bound."""
    from .names import camel

    if deploy.analysis is None:
        return {}
    a = deploy.analysis
    period = _period(a["interval_s"])
    out: dict[str, dict] = {}
    for m in a["metrics"]:
        for bound, op in (("min", "LessThanThreshold"), ("max", "GreaterThanThreshold")):
            if m.get(bound) is None:
                continue
            name = f"{base}-{deploy.name}-{m['name']}-{bound}"
            out["Alarm" + camel(f"{deploy.name}_{m['name']}_{bound}")] = {
                "Type": "AWS::CloudWatch::Alarm", "Properties": {
                    "AlarmName": name,
                    "AlarmDescription": f"mlc canary analysis of {deploy.name}: {m['name']} "
                                        f"{bound} {m[bound]}",
                    "Metrics": [{"Id": "q", "Expression": m["query"], "Period": period,
                                 "ReturnData": True, "Label": m["name"]}],
                    "ComparisonOperator": op, "Threshold": m[bound],
                    "EvaluationPeriods": a["failure_limit"] + 1,
                    "DatapointsToAlarm": a["failure_limit"] + 1,
                    "TreatMissingData": "notBreaching",
                    "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}}
    return out


def _period(seconds: int) -> int:
    """CloudWatch periods: 10, 20, 30 or a multiple of 60."""
    for p in (10, 20, 30):
        if seconds <= p:
            return p
    return -(-seconds // 60) * 60


def deploy_chain(m: "Machine", d: DeployPlan) -> Chain:
    names, chain = m.names, Chain()
    ep = d.endpoint
    tags = [{"Key": k, "Value": v} for k, v in m.tags.items()]
    chain.add(names.state(f"{d.name}-decide"), m.batch(f"{d.name}-decide",
                                                       names.job(f"{d.name}-decide"), "top"))
    chain.add(names.state(f"{d.name}-decision"), {
        "Type": "Task", "Resource": SDK + "s3:getObject",
        "Parameters": {"Bucket": m.bucket, "Key.$": fmt(
            f"{m.root}runs/{{}}/steps/{d.name}/decision.json", "$.mlc.run")},
        "ResultSelector": {"decision.$": "States.StringToJson($.Body)", "text.$": "$.Body"},
        "ResultPath": "$.deploy"})
    blocked = names.state(f"{d.name}-blocked")
    chain.add(names.state(f"{d.name}-gate"), {"Type": "Choice", "Choices": [
        {"Variable": "$.deploy.decision.proceed", "BooleanEquals": True}], "Default": blocked})
    chain.side(blocked, {"Type": "Fail", "Error": "mlc.GateBlocked",
                         "CausePath": "$.deploy.text"})
    model_name = fmt(f"{ep}-{{}}", "$.mlc.tag")
    producer = m.plan.steps[d.model.producer]
    model_uri = fmt(f"s3://{m.bucket}/{m.root}runs/{{}}/steps/{producer.name}/outputs/"
                    f"{d.model.output}/", "$.mlc.run")
    chain.add(names.state(f"{d.name}-model"), {
        "Type": "Task", "Resource": SAGEMAKER + "createModel",
        "Parameters": {"ModelName.$": model_name, "ExecutionRoleArn": "${ModelRole}",
                       "PrimaryContainer": {"Image": d.image, "ModelDataSource": {
                           "S3DataSource": {"S3Uri.$": model_uri, "S3DataType": "S3Prefix",
                                            "CompressionType": "None"}}},
                       "Tags": tags},
        "ResultPath": None})
    final_config = fmt(f"{ep}-{{}}", "$.mlc.tag")
    chain.add(names.state(f"{d.name}-config"), {
        "Type": "Task", "Resource": SAGEMAKER + "createEndpointConfig",
        "Parameters": {"EndpointConfigName.$": final_config,
                       "ProductionVariants": [_variant(d, "candidate", model_name, 1)],
                       "Tags": tags},
        "ResultPath": None})
    create = names.state(f"{d.name}-create")
    chain.add(names.state(f"{d.name}-current"), {
        "Type": "Task", "Resource": SDK + "sagemaker:describeEndpoint",
        "Parameters": {"EndpointName": ep},
        "ResultSelector": {"config.$": "$.EndpointConfigName"},
        "ResultPath": "$.deploy.current",
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.deploy.missing",
                   "Next": create}]})
    # a new endpoint: nothing serves yet, so there is nothing to shift traffic from
    created = Chain()
    created.add(create, {"Type": "Task", "Resource": SAGEMAKER + "createEndpoint",
                         "Parameters": {"EndpointName": ep, "EndpointConfigName.$": final_config,
                                        "Tags": tags}, "ResultPath": None})
    _wait_in_service(created, names.state(f"{d.name}-create"), ep, None)
    chain.add(names.state(f"{d.name}-previous"), {
        "Type": "Task", "Resource": SDK + "sagemaker:describeEndpointConfig",
        "Parameters": {"EndpointConfigName.$": "$.deploy.current.config"},
        "ResultSelector": {"model.$": "$.ProductionVariants[0].ModelName"},
        "ResultPath": "$.deploy.previous"})
    rollback = names.state(f"{d.name}-rollback")
    failed = names.state(f"{d.name}-analysis-failed")
    on_alarm = rollback if "analysis_failed" in d.rollback_on else failed
    on_deploy_failure = rollback if "deploy_failed" in d.rollback_on else failed
    serving = False
    for i, step in enumerate(d.canary):
        prefix = f"{d.name}-step{i + 1}"
        kind = step["kind"]
        if kind in ("set_weight", "experiment") and step["weight"] < 100 or kind == "mirror":
            config = fmt(f"{ep}-{{}}-{i + 1}", "$.mlc.tag")
            current = {"VariantName": "current", "ModelName.$": "$.deploy.previous.model",
                       "InstanceType": d.instance_type,
                       "InitialInstanceCount": d.replicas[0]}
            params: dict = {"EndpointConfigName.$": config}
            if kind == "mirror":
                params["ProductionVariants"] = [dict(current, InitialVariantWeight=1)]
                params["ShadowProductionVariants"] = [
                    _variant(d, "candidate", model_name, step["percent"] / 100)]
            else:
                params["ProductionVariants"] = [
                    dict(current, InitialVariantWeight=100 - step["weight"]),
                    _variant(d, "candidate", model_name, step["weight"])]
            params["Tags"] = tags
            chain.add(names.state(f"{prefix}-config"), {
                "Type": "Task", "Resource": SAGEMAKER + "createEndpointConfig",
                "Parameters": params, "ResultPath": None})
            chain.add(names.state(f"{prefix}-update"), _update(ep, config))
            _wait_in_service(chain, names.state(prefix), ep, on_deploy_failure)
            serving = True
        elif kind == "set_weight":
            chain.add(names.state(f"{prefix}-update"), _update(ep, final_config))
            _wait_in_service(chain, names.state(prefix), ep, on_deploy_failure)
            serving = True
        if "duration_s" in step:
            chain.add(names.state(f"{prefix}-hold"), {"Type": "Wait",
                                                      "Seconds": max(1, step["duration_s"])})
            if serving and d.analysis is not None:
                _check_alarms(chain, names.state(f"{prefix}-check"),
                              alarm_names(m.plan.base_name, d), on_alarm)
    if d.canary and d.canary[-1]["kind"] != "set_weight":
        chain.add(names.state(f"{d.name}-promote"), _update(ep, final_config))
        _wait_in_service(chain, names.state(f"{d.name}-promote"), ep, on_deploy_failure)
    chain.add(names.state(f"{d.name}-retain"), {
        "Type": "Wait", "Comment": "rollback.retain_previous: the previous model stays",
        "Seconds": max(1, d.retain_previous_s)})
    chain.add(names.state(f"{d.name}-retire"), {
        "Type": "Task", "Resource": SDK + "sagemaker:deleteModel",
        "Parameters": {"ModelName.$": "$.deploy.previous.model"}, "ResultPath": None,
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None,
                   "Next": names.state(f"{d.name}-retired")}]})
    chain.add(names.state(f"{d.name}-retired"), {"Type": "Pass"})
    if on_alarm == rollback or on_deploy_failure == rollback:
        chain.side(rollback, {"Type": "Task", "Resource": SAGEMAKER + "updateEndpoint",
                              "Parameters": {"EndpointName": ep,
                                             "EndpointConfigName.$": "$.deploy.current.config"},
                              "ResultPath": None, "Next": failed})
    chain.side(failed, {"Type": "Fail", "Error": "mlc.RolloutFailed",
                        "Cause": f"the rollout of {d.name} to endpoint {ep} failed: an "
                                 "analysis alarm fired or the endpoint update failed"})
    open_states = chain.open
    chain.states.update(created.states)
    chain.open = open_states + created.open
    return chain


def _variant(d: DeployPlan, name: str, model_name: str, weight: float) -> dict:
    return {"VariantName": name, "ModelName.$": model_name, "InstanceType": d.instance_type,
            "InitialInstanceCount": d.replicas[0], "InitialVariantWeight": weight}


def _update(endpoint: str, config: str) -> dict:
    return {"Type": "Task", "Resource": SAGEMAKER + "updateEndpoint",
            "Parameters": {"EndpointName": endpoint, "EndpointConfigName.$": config},
            "ResultPath": None}


def _wait_in_service(chain: Chain, prefix: str, endpoint: str, on_failure: str | None) -> None:
    status, sleep = f"{prefix}-status", f"{prefix}-sleep"
    chain.add(status, {"Type": "Task", "Resource": SDK + "sagemaker:describeEndpoint",
                       "Parameters": {"EndpointName": endpoint},
                       "ResultSelector": {"status.$": "$.EndpointStatus"},
                       "ResultPath": "$.deploy.status"})
    rules: list[dict] = [{"Variable": "$.deploy.status.status", "StringEquals": "InService"}]
    if on_failure is not None:
        rules.append({"Variable": "$.deploy.status.status", "StringEquals": "Failed",
                      "Next": on_failure})
    chain.add(f"{prefix}-ready", {"Type": "Choice", "Choices": rules, "Default": sleep})
    chain.side(sleep, {"Type": "Wait", "Seconds": POLL_S, "Next": status})


def _check_alarms(chain: Chain, prefix: str, names: list[str], on_alarm: str) -> None:
    chain.add(prefix, {"Type": "Task", "Resource": SDK + "cloudwatch:describeAlarms",
                       "Parameters": {"AlarmNames": names},
                       "ResultSelector": {"firing.$": "States.ArrayContains("
                                          "$.MetricAlarms[*].StateValue, 'ALARM')"},
                       "ResultPath": "$.deploy.alarms"})
    chain.add(f"{prefix}-ok", {"Type": "Choice", "Choices": [
        {"Variable": "$.deploy.alarms.firing", "BooleanEquals": True, "Next": on_alarm}]})
