"""The example diagnostics of SPEC 9.5: (edit, command args, expected text lines).

Each edit is applied to examples/churn/mlc.yaml. Expected lines are verbatim from SPEC 9.5,
except E902's note position: SPEC 9.5 prints `49:61`, which is the `30d` inside `churned_30d`;
the label_horizon value is at 49:81 (reported in the issue note).
"""

CHURN_EDITS = [
    # (name, [(line, old, new)], extra args, expected lines)
    ("E101", [(86, "max_parallel", "max_paralell")], [],
     ["mlc.yaml:86:5: error[E101]: unknown key 'max_paralell' in steps.train",
      "    help: did you mean 'max_parallel'?"]),
    ("E100-flow", [(104, '"${{ params.min_auc }}"', "${{ params.min_auc }}")], [],
     ["mlc.yaml:104:50: error[E100]: unquoted ${{ }} inside a flow mapping is a YAML parse error",
      '    help: quote it: min: "${{ params.min_auc }}"']),
    ("E101-foreign", [(130, "set_weight", "setWeight")], [],
     ["mlc.yaml:130:13: error[E101]: unknown key 'setWeight' in steps.release.strategy.canary.steps[1]",
      "    help: did you mean 'set_weight'? (Argo Rollouts spells it setWeight)"]),
    ("E202", [(71, "steps.features", "steps.feature")], [],
     ["mlc.yaml:71:24: error[E202]: reference to unknown step 'feature'",
      "    help: did you mean 'features'? (defined at 36:3)"]),
    ("E200", [(64, "${{ foreach.country }}", "${item.country}")], [],
     ["mlc.yaml:64:17: error[E200]: '${item.country}' is DVC syntax; write ${{ foreach.country }}"]),
    ("E301", [(72, "${{ steps.features.outputs.validation }}", "${{ steps.evaluate.outputs.report }}")], [],
     ["mlc.yaml:72:19: error[E301]: dependency cycle: train -> evaluate -> train",
      "mlc.yaml:72:19: note: train reads steps.evaluate.outputs.report",
      "mlc.yaml:97:12: note: evaluate reads steps.train.outputs.model"]),
    ("E102", [(91, "evaluate:", "train:")], [],
     ["mlc.yaml:91:3: error[E102]: duplicate step name 'train' (first defined at 59:3)"]),
    ("E203", [(69, "${{ outputs.metrics }}", "${{ outputs.metrics }} --key ${{ secrets.statsig }}")], [],
     ["mlc.yaml:69:79: error[E203]: secrets may not be referenced in 'command'",
      '    help: bind it in env: {STATSIG_KEY: "${{ secrets.statsig.key }}"}']),
    ("E601", [(26, "${{ secrets.snowflake }}", '"svc_churn:Sup3rS3cret!"')], [],
     ['mlc.yaml:26:18: error[E601]: sources.dwh.credentials must be a secret reference ("svc_******************")']),
    ("E901", [(72, "${{ steps.features.outputs.validation }}", "${{ steps.features.outputs.test }}")], [],
     ["mlc.yaml:72:19: error[E901]: steps.train reads the 'test' split; only evaluate steps may"]),
    ("E902", [(53, "gap: 30d", "gap: 7d")], [],
     ["mlc.yaml:53:12: error[E902]: split.gap (7d) is shorter than point_in_time.label_horizon (30d, at 49:81)"]),
    ("E801", [(112, None, None)], [],
     ["mlc.yaml:109:3: error[E801]: deploy step 'release' has no gate"]),
    ("E702", [(142, '"0 2 1 * *"', '"0 2 1 * 1"')], ["--target", "stepfunctions"],
     ['mlc.yaml:142:18: error[E702]: [target stepfunctions] cron "0 2 1 * 1" restricts day-of-month and day-of-week']),
    ("E401", [(151, 'need Argo 3.7', 'need Argo 3.7\n  kubeflow: {namespace: ml-churn, mesh: istio, scheduler_timezone: Europe/Berlin}')],
     ["--target", "kubeflow"],
     ["mlc.yaml:59:3: error[E401]: [target kubeflow] steps.train expands to 75251 nodes in one run; limit 5000",
      "    note: 250 (partition.max_partitions, 54:30) x 100 trials x 3 attempts + 250 select-best + 1"]),
    ("E805-sfn", [(151, 'need Argo 3.7', 'need Argo 3.7\n  stepfunctions: {region: eu-central-1, role: arn:aws:iam::1:role/sfn, artifact_store: \"s3://acme/churn/\", job_queue: churn, scheduler_role: arn:aws:iam::1:role/sch, model_role: arn:aws:iam::1:role/sm}')],
     ["--target", "stepfunctions"],
     ["mlc.yaml:114:13: error[E805]: [target stepfunctions] server 'kserve' is not available on stepfunctions (sagemaker is)",
      "    note: with server: sagemaker, route_by (117:15) and provider 'prometheus' (123:21) would be E805 as well"]),
    ("E805-mesh", [(149, None, None)], [],
     ["mlc.yaml:129:13: error[E805]: [target argo] 'mirror' on kserve needs targets.argo.mesh: istio"]),
    ("E406", [], ["--target", "local"],
     ["mlc.yaml:20:11: error[E406]: [target local] source 'dwh' has type 'snowflake'; mlc run reads local sources only",
      "    help: mlc run --profile dev",
      "mlc.yaml:30:11: error[E406]: [target local] source 'lake' has type 's3'; mlc run reads local sources only"]),
    ("W106", [(164, '"NO"', "NO")], [],
     ['mlc.yaml:164:36: warning[W106]: [profile dev] unquoted \'NO\' is "NO" in YAML 1.2 but false in YAML 1.1']),
    ("E103-profile", [(166, "random", "gird")], [],
     ["mlc.yaml:166:37: error[E103]: [profile dev] 'gird' is not one of: grid, random",
      "    help: did you mean 'grid'?"]),
]


def apply_edits(text: str, edits) -> str:
    lines = text.split("\n")
    for line, old, new in sorted(edits, key=lambda e: -e[0]):
        if old is None:
            del lines[line - 1]
            continue
        assert old in lines[line - 1], (line, old, lines[line - 1])
        lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return "\n".join(lines)


def billion_laughs() -> str:
    """SPEC 9.5: a0 = 9 strings; aN: &aN [*aN-1 x 9] for N = 1..9 (line N+1)."""
    out = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    for n in range(1, 10):
        out.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]")
    return "\n".join(out) + "\n"
