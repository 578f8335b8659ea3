#!/bin/sh
# make demo: validate the shipped examples and show the churn DAG.
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

step "mlc graph examples/churn/mlc.yaml --format mermaid"
mlc graph examples/churn/mlc.yaml --format mermaid

step "mlc compile examples/churn/mlc.yaml --target argo --out build   (and the prod profile)"
mlc compile examples/churn/mlc.yaml --target argo --out build
mlc compile examples/churn/mlc.yaml --target argo --profile prod --out build/prod

step "mlc compile examples/minimal/mlc.yaml --target argo   (a local source: E406, nothing written)"
mlc compile examples/minimal/mlc.yaml --target argo --out build/minimal || true

step "what a mistake looks like (max_parallel misspelt)"
tmp=$(mktemp -d)
sed 's/max_parallel: 2000/max_paralell: 2000/' examples/churn/mlc.yaml > "$tmp/mlc.yaml"
(cd "$tmp" && mlc validate mlc.yaml) || true
rm -rf "$tmp"

printf '\nDone. Argo documents: build/argo/workflow.yaml, build/prod/argo/workflow.yaml\n'
printf 'Try: mlc explain E101, mlc schema, mlc graph --format dot\n'
