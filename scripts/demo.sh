#!/bin/sh
# make demo: validate the shipped examples, run them on this machine, compile churn for Argo
# and Kubeflow and the SageMaker example for Step Functions.
# The examples' step code runs `python`: make puts .venv/bin first on PATH.
set -eu
cd "$(dirname "$0")/.."
if [ -t 1 ]; then B=$(printf '\033[1m'); N=$(printf '\033[0m'); else B=; N=; fi
step() { printf '\n%s==> %s%s\n' "$B" "$*" "$N"; }

step "mlc validate examples/minimal/mlc.yaml"
mlc validate examples/minimal/mlc.yaml

step "mlc validate examples/churn/mlc.yaml   (base + profiles dev, staging, prod; target argo)"
mlc validate examples/churn/mlc.yaml

step "mlc validate examples/churn/mlc.yaml --profile dev --target local"
mlc validate examples/churn/mlc.yaml --profile dev --target local

step "mlc run examples/minimal   (iris, scikit-learn, an accuracy gate)"
rm -rf examples/minimal/.mlc/runs/demo
(cd examples/minimal && mlc run --run-id demo 2>&1) || exit 1

step "python examples/churn/scripts/make_dev_data.py   (a small synthetic DuckDB warehouse)"
if [ -f examples/churn/data/dev/churn.duckdb ]; then
  echo "examples/churn/data/dev exists (delete it to regenerate)"
else
  (cd examples/churn && python scripts/make_dev_data.py)
fi

step "mlc run examples/churn --profile dev   (features, per-country sweeps, gates, rollout plan)"
echo "(task outputs are cached in .mlc/cache: a second make demo reuses them; --no-cache runs all)"
rm -rf examples/churn/.mlc/runs/demo
(cd examples/churn && mlc run --profile dev --run-id demo 2>&1) || exit 1
printf '\nRun folder examples/churn/.mlc/runs/demo:\n'
(cd examples/churn/.mlc/runs/demo && find . -maxdepth 3 -name 'trials' -prune -o -print | sort | head -40)
printf '\nThe release decision (steps/release/decision.json):\n'
cat examples/churn/.mlc/runs/demo/steps/release/decision.json

step "mlc graph examples/churn/mlc.yaml --format mermaid"
mlc graph examples/churn/mlc.yaml --format mermaid

step "mlc compile examples/churn/mlc.yaml --target argo --out build   (and the prod profile)"
mlc compile examples/churn/mlc.yaml --target argo --out build
mlc compile examples/churn/mlc.yaml --target argo --profile prod --out build/prod

step "mlc compile examples/churn/mlc.yaml --target kubeflow --profile kfp   (KFP v2 IR, one run within 5,000 nodes)"
mlc compile examples/churn/mlc.yaml --target kubeflow --profile kfp --out build/kfp

step "mlc validate examples/sagemaker/mlc.yaml   (iris on AWS: a sweep on Batch, a SageMaker canary)"
mlc validate examples/sagemaker/mlc.yaml

step "mlc run examples/sagemaker --profile dev   (the same DAG here: sweep, gate, rendered deploy)"
rm -rf examples/sagemaker/.mlc/runs/demo
(cd examples/sagemaker && mlc run --profile dev --run-id demo 2>&1) || exit 1

step "mlc compile examples/sagemaker/mlc.yaml --target stepfunctions   (a state machine and its CloudFormation stack)"
mlc compile examples/sagemaker/mlc.yaml --target stepfunctions --out build/sagemaker
python -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["States"]), "states:", ", ".join(list(d["States"])[:12]), "...")' \
  build/sagemaker/stepfunctions/statemachine.asl.json

step "mlc compile examples/minimal/mlc.yaml --target argo   (a local source: E406, nothing written)"
mlc compile examples/minimal/mlc.yaml --target argo --out build/minimal || true

step "mlc diff: what a change to churn does (max_partitions 250 -> 30, bigger train and evaluate steps)"
tmp=$(mktemp -d)
sed -e 's/max_partitions: 250/max_partitions: 30/' -e 's/resources: {cpu: 2, memory: 8Gi}/resources: {cpu: 4, memory: 16Gi}/' \
  examples/churn/mlc.yaml > "$tmp/mlc.yaml"
mlc diff examples/churn/mlc.yaml "$tmp/mlc.yaml"
rm -rf "$tmp"

step "what a mistake looks like (max_parallel misspelt)"
tmp=$(mktemp -d)
sed 's/max_parallel: 2000/max_paralell: 2000/' examples/churn/mlc.yaml > "$tmp/mlc.yaml"
(cd "$tmp" && mlc validate mlc.yaml) || true
rm -rf "$tmp"

printf '\nDone. Runs: examples/minimal/.mlc/runs/demo, examples/churn/.mlc/runs/demo\n'
printf 'Argo documents: build/argo/workflow.yaml, build/prod/argo/workflow.yaml\n'
printf 'Kubeflow pipeline: build/kfp/kubeflow/pipeline.yaml (kfp pipeline create -p churn build/kfp/kubeflow/pipeline.yaml)\n'
printf 'Step Functions: build/sagemaker/stepfunctions/{statemachine.asl.json,template.yaml} (docs/targets/stepfunctions.md: package, deploy)\n'
printf 'Try: mlc init my-project, mlc explain E101, mlc diff --help, mlc graph --format dot\n'
