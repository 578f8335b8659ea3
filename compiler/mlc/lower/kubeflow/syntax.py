"""Kubeflow's container syntax: placeholders, the step driver, resources.

KFP v2 resolves placeholders (`{{$.inputs.parameters['x']}}`) in a container's command and
arguments only; environment values are static in the IR (kubeflow/pipelines#10111). So every
container runs one fixed POSIX shell driver, and run-time values arrive as its arguments:
`--env NAME=VALUE` pairs are exported (`export "$2"`: the value is data, never shell code),
`--file PATH TEXT` writes the step config, `--dir PATH` creates an output directory, `--copy`
and `--result` run after the command. Then the step's own command runs, exactly as on Argo.
"""

from __future__ import annotations

from ...plan import Resources

CONFIG_PATH = "/tmp/mlc/config.json"
SCRIPT_OUT = "/tmp/mlc/out"

DRIVER = """\
set -e
T=$(printf '\\t')
copies=
result=
while [ "$#" -gt 0 ]; do
  case "$1" in
    --env) export "$2"; shift 2 ;;
    --dir) mkdir -p "$2"; shift 2 ;;
    --file) mkdir -p "$(dirname "$2")"; printf '%s' "$3" > "$2"; shift 3 ;;
    --copy) copies="$copies$2$T$3
"; shift 3 ;;
    --result) result=$2; index=$3; metrics=$4; uris=$5; shift 5 ;;
    --) shift; break ;;
    *) echo "mlc: unknown driver argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$copies$result" ]; then exec "$@"; fi
"$@"
printf '%s' "$copies" | while IFS="$T" read -r src dst; do
  mkdir -p "$(dirname "$dst")"
  if [ -d "$src" ]; then mkdir -p "$dst"; cp -R "$src/." "$dst/"; else cp "$src" "$dst"; fi
done
if [ -n "$result" ]; then
  mkdir -p "$(dirname "$result")"
  printf '{"index":%s,"metrics":%s,"uris":%s}' "$index" "$(cat "$metrics")" "$uris" > "$result"
fi
"""

COMMAND = ["/bin/sh", "-ec", DRIVER]

# The same driver without --copy and --result, for the containers that use neither (most):
# each executor repeats its command, so a pipeline of 1,000 steps is 0.9 MB smaller.
SLIM_DRIVER = """\
set -e
while [ "$#" -gt 0 ]; do
  case "$1" in
    --env) export "$2"; shift 2 ;;
    --dir) mkdir -p "$2"; shift 2 ;;
    --file) mkdir -p "$(dirname "$2")"; printf '%s' "$3" > "$2"; shift 3 ;;
    --) shift; break ;;
    *) echo "mlc: unknown driver argument $1" >&2; exit 2 ;;
  esac
done
exec "$@"
"""


def command(args: list[str]) -> list[str]:
    """The driver a container with these arguments needs (the slim one when it can)."""
    head = args[: args.index("--")] if "--" in args else args
    driver = DRIVER if "--copy" in head or "--result" in head else SLIM_DRIVER
    return ["/bin/sh", "-ec", driver]


def k8s(name: str) -> str:
    """An mlc name as a KFP task name (kfp's sanitize_k8s_name keeps `a-z0-9-`)."""
    return name.replace("_", "-")


def ident(name: str) -> str:
    """A name as a component input or output name (a Python identifier in kfp's DSL)."""
    return name.replace("-", "_").replace(".", "_").replace("/", "_")


def in_param(name: str) -> str:
    return "{{$.inputs.parameters['%s']}}" % name


def in_path(name: str) -> str:
    return "{{$.inputs.artifacts['%s'].path}}" % name


def out_path(name: str) -> str:
    return "{{$.outputs.artifacts['%s'].path}}" % name


def out_uri(name: str) -> str:
    return "{{$.outputs.artifacts['%s'].uri}}" % name


def out_file(name: str) -> str:
    return "{{$.outputs.parameters['%s'].output_file}}" % name


JOB_NAME = "{{$.pipeline_job_name}}"
CREATED = "{{$.pipeline_job_create_time_utc}}"
EXECUTOR_INPUT = "{{$}}"

# kfp's compiler_utils constants (bytes per unit, in GB as kfp writes the float field)
_UNITS = {"E": 10**18, "Ei": 1 << 60, "P": 10**15, "Pi": 1 << 50, "T": 10**12, "Ti": 1 << 40,
          "G": 10**9, "Gi": 1 << 30, "M": 10**6, "Mi": 1 << 20, "K": 10**3, "Ki": 1 << 10}


def _cpu_float(cpu: str) -> float:
    return float(cpu[:-1]) / 1000 if cpu.endswith("m") else float(cpu)


def _memory_float(memory: str) -> float:
    for suffix in sorted(_UNITS, key=len, reverse=True):
        if memory.endswith(suffix):
            return float(memory[: -len(suffix)]) * _UNITS[suffix] / 10**9
    return float(memory) / 10**9


def container_resources(res: Resources) -> dict:
    """`resources` of a PipelineContainerSpec as kfp writes it for set_cpu_request,
    set_memory_request/limit and set_accelerator_type/limit: the string fields, and the
    deprecated numeric ones older backends read. CPU is requested, memory requested and
    limited, GPUs limited, as on Argo (plan.k8s_resources)."""
    out: dict = {}
    if res.cpu is not None:
        cpu = str(res.cpu)
        out["cpuRequest"] = _cpu_float(cpu)
        out["resourceCpuRequest"] = cpu
    if res.memory is not None:
        memory = str(res.memory)
        out["memoryLimit"] = out["memoryRequest"] = _memory_float(memory)
        out["resourceMemoryLimit"] = out["resourceMemoryRequest"] = memory
    if res.gpu:
        out["accelerator"] = {"count": str(res.gpu), "resourceCount": str(res.gpu),
                              "resourceType": "nvidia.com/gpu", "type": "nvidia.com/gpu"}
    return dict(sorted(out.items()))
