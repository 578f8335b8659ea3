"""`mlc run`: validate for target local, then run the plan on this machine (SPEC 12)."""

from __future__ import annotations

import os

from ..source import Limits
from .validation import UsageError, validate


def run(path: str, *, profile: str | None = None, params: list[str] = (),  # noqa: C901
        run_id: str | None = None, parallel: int | None = None, no_cache: bool = False,
        secrets_dir: str | None = None, limits: Limits = Limits(), stream=None):
    """Validate for target local (base 1-6, the selected configuration 1-7), then run.

    Returns (diagnostics, outcome): outcome is None when validation found errors.
    UsageError for a bad --param, --run-id or --parallel (exit 2).
    """
    import sys
    from pathlib import Path

    from ..plan.build import build_plan
    from ..run import run_fields, run_local, typed_params
    from ..run.folders import RUN_ID

    if run_id is not None and not RUN_ID.match(run_id):
        raise UsageError(f"--run-id '{run_id}' must match ^[A-Za-z0-9][A-Za-z0-9._-]{{0,62}}$")
    if parallel is not None and parallel < 1:
        raise UsageError("--parallel must be at least 1")
    given = {}
    for text in params:
        name, sep, value = text.partition("=")
        if not sep or not name:
            raise UsageError(f"--param '{text}' is not NAME=VALUE")
        given[name] = value
    result = validate(path, profiles=[profile] if profile else None, targets=["local"],
                      limits=limits, phase7="selected")
    if not result.ok:
        return result.diagnostics, None
    cfg, graph = result.configs[profile], result.graphs[profile]
    plan = build_plan(cfg, graph, "local")
    timezone = cfg.doc.schedule.timezone if cfg.doc.schedule is not None else "UTC"
    fields = run_fields(run_id, timezone)
    try:
        values = typed_params(plan, given, fields)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    project = Path(os.path.abspath(path)).parent
    used = UsageError(f"run id '{fields['id']}' was already used in {project / '.mlc/runs'}")
    if (project / ".mlc" / "runs" / fields["id"]).exists():
        raise used
    for folder in [project / ".mlc" / "runs"] + ([] if no_cache else [project / ".mlc" / "cache"]):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise UsageError(f"cannot create {folder}: a file is in the way") from None
        except OSError as exc:
            raise UsageError(f"cannot create {folder}: {exc.strerror or exc}") from None
        try:  # writable (a read-only mount, a full disk): say so before anything runs
            probe = folder / f".mlc-probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise UsageError(f"cannot write in {folder}: {exc.strerror or exc}"
                             + ("" if folder.name == "runs" else " (or run with --no-cache)")
                             ) from None
    try:  # claim the run folder: of two runs given the same --run-id at once, one gets it
        (project / ".mlc" / "runs" / fields["id"]).mkdir()
    except FileExistsError:
        raise used from None
    except OSError as exc:
        raise UsageError(f"cannot create {project / '.mlc/runs' / fields['id']}: "
                         f"{exc.strerror or exc}") from None
    secrets = Path(secrets_dir).expanduser() if secrets_dir else \
        Path("~/.config/mlc/secrets").expanduser()
    outcome = run_local(plan, project, params=values, run=fields,
                        parallel=parallel or os.cpu_count() or 1, no_cache=no_cache,
                        secrets_dir=secrets, stream=stream or sys.stderr)
    return result.diagnostics, outcome
