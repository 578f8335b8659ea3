"""Runtime modules ship alone into generated tasks, so SPEC 5.3's canonical text exists in more
than one of them; every copy must give the same text as the compiler's."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mlc.plan import canonical
from mlc.runtime import batch, cachekey, items, run_info

values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(),
                                st.floats(allow_nan=False, allow_infinity=False)),
                      lambda inner: st.lists(inner, max_size=4), max_leaves=10)


@given(values)
def test_every_copy_of_canonical_agrees(value) -> None:
    assert items.canonical(value) == run_info.canonical(value) == batch.canonical(value) == \
        canonical(value)


@given(st.one_of(st.text(), st.integers(), st.booleans(),
                 st.floats(allow_nan=False, allow_infinity=False)))
def test_every_copy_of_item_key_encoding_agrees(value) -> None:
    """The Batch driver names S3 prefixes by item key: the items task's keys, exactly."""
    assert batch.enc(value) == items.enc(value)


def test_every_copy_of_tree_digest_agrees(tmp_path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "a.txt").write_text("a")
    (tmp_path / "d" / "sub" / "b.bin").write_bytes(b"\0\1")
    (tmp_path / "f").write_text("file")
    for path in (tmp_path / "d", tmp_path / "f"):
        assert batch.tree_digest(str(path)) == cachekey.tree_digest(str(path))


def test_canonical_examples() -> None:
    assert [canonical(v) for v in ("a b", True, 3, 0.1, [1, "x"])] == \
        ["a b", "true", "3", "0.1", '[1,"x"]']


def test_select_and_promote_read_payload_files(tmp_path) -> None:
    """Lists reach select-best and promote as files: a 2,000-trial payload is far above the
    128 KiB Linux allows one environment string, and the scripts start and read it."""
    import json
    import os
    import subprocess
    import sys

    from mlc.runtime import compact_source

    trials = [{"index": str(i), "json": json.dumps({"index": i, "values": {"lr": i / 1000,
                                                                          "pad": "x" * 60}})}
              for i in range(2000)]
    results = [{"index": str(i), "metrics": json.dumps({"auc": (i * 7919 % 2000) / 2000})}
               for i in range(2000)]
    (tmp_path / "trials.json").write_text(json.dumps(trials))
    (tmp_path / "results.json").write_text(json.dumps(results))
    assert (tmp_path / "trials.json").stat().st_size > 128 * 1024
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLC_")}
    env.update(MLC_OUT=str(tmp_path / "out"), MLC_TRIALS_FILE=str(tmp_path / "trials.json"),
               MLC_RESULTS_FILE=str(tmp_path / "results.json"),
               MLC_OBJECTIVE='{"primary_metric": "auc", "goal": "maximize"}')
    done = subprocess.run([sys.executable, "-c", compact_source("select")], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    best = int((tmp_path / "out" / "best").read_text())
    assert best == max(range(2000), key=lambda i: ((i * 7919 % 2000), -i))
    summary = tmp_path / "out" / "trials"
    assert len(json.loads(summary.read_text())) == 2000
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLC_")}
    env.update(MLC_PROMOTE="[]", MLC_BEST_PARAMS='{"lr": 0.1}',
               MLC_TRIALS_SUMMARY_FILE=str(summary),
               MLC_BEST_PARAMS_PATH=str(tmp_path / "p" / "best_params"),
               MLC_TRIALS_PATH=str(tmp_path / "p" / "trials"))
    done = subprocess.run([sys.executable, "-c", compact_source("promote")], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "p" / "trials").read_text() == summary.read_text()
