"""The local cache (run/cache.py): a lookup sees a whole entry or none."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import mlc.run.cache as cache_module
from mlc.run.cache import Cache

KEY = "ab" + "0" * 62


def outputs(tmp_path: Path, text: str) -> Path:
    out = tmp_path / f"outputs-{text}"
    (out / "model").mkdir(parents=True)
    (out / "model" / "weights").write_text(text)
    (out / "metrics").write_text('{"auc": 0.9}')
    return out


def test_a_stored_entry_is_found_whole(tmp_path) -> None:
    cache = Cache(tmp_path / "cache", enabled=True)
    task = tmp_path / "task" / "outputs"
    assert cache.lookup(KEY, None) is None and not cache.fetch(KEY, None, task)
    cache.store(KEY, outputs(tmp_path, "v1"), "train")
    found = cache.lookup(KEY, None)
    assert found is not None and (found / "model" / "weights").read_text() == "v1"
    assert sorted(p.name for p in (tmp_path / "cache" / "ab").iterdir()) == [KEY]
    (task / "stale").mkdir(parents=True)  # what a failed attempt left: replaced
    assert cache.fetch(KEY, None, task)
    assert sorted(str(p.relative_to(task)) for p in task.rglob("*")) == \
        ["metrics", "model", "model/weights"]
    assert (task / "model" / "weights").read_text() == "v1"


def test_an_entry_replaced_while_it_is_read_is_a_miss(tmp_path, monkeypatch) -> None:
    """Another run replaces the (expired) entry while this one copies it: this one must not
    keep what it copied, a mix of the two or a part of one, and runs the task instead."""
    cache = Cache(tmp_path / "cache", enabled=True)
    cache.store(KEY, outputs(tmp_path, "v1"), "train")
    newer = outputs(tmp_path, "v2")
    copy, calls = cache_module._copy, []

    def copy_while_another_run_stores(src: str, dst: str) -> None:
        if not calls:
            time.sleep(0.01)  # a later `created`
            Cache(tmp_path / "cache", enabled=True).store(KEY, newer, "train")
        calls.append(src)
        copy(src, dst)

    monkeypatch.setattr(cache_module, "_copy", copy_while_another_run_stores)
    task = tmp_path / "task" / "outputs"
    assert not cache.fetch(KEY, None, task)
    assert calls and not task.exists()
    monkeypatch.setattr(cache_module, "_copy", copy)
    assert cache.fetch(KEY, None, task)  # the other run's entry, whole
    assert (task / "model" / "weights").read_text() == "v2"


def test_what_a_killed_run_leaves_is_never_trusted(tmp_path) -> None:
    cache = Cache(tmp_path / "cache", enabled=True)
    entry = tmp_path / "cache" / "ab" / KEY
    # killed while copying, before the rename: only a temporary directory
    tmp = entry.with_name(f"{KEY}.tmp999-1")
    (tmp / "outputs").mkdir(parents=True)
    (tmp / "meta.json").write_text(json.dumps({"created": time.time(), "step": "s"}))
    assert cache.lookup(KEY, None) is None
    # an entry without its meta.json (not written by mlc), or with a broken one
    (entry / "outputs").mkdir(parents=True)
    assert cache.lookup(KEY, None) is None
    for broken in ("", "{", "[]", '{"created": "yesterday"}', '{"step": "s"}'):
        (entry / "meta.json").write_text(broken)
        assert cache.lookup(KEY, None) is None, broken
    # meta.json but no outputs folder
    (entry / "outputs").rmdir()
    (entry / "meta.json").write_text(json.dumps({"created": time.time(), "step": "s"}))
    assert cache.lookup(KEY, None) is None


def test_an_expired_entry_is_a_miss_and_is_replaced_whole(tmp_path) -> None:
    cache = Cache(tmp_path / "cache", enabled=True)
    cache.store(KEY, outputs(tmp_path, "v1"), "train")
    meta = tmp_path / "cache" / "ab" / KEY / "meta.json"
    meta.write_text(json.dumps({"created": time.time() - 3600, "step": "train"}))
    assert cache.lookup(KEY, 60) is None
    assert cache.lookup(KEY, None) is not None  # no max_age: still good
    # leftovers of an earlier run of this process id and thread are cleared, not tripped on
    mine = f"{os.getpid()}-{threading.get_ident()}"
    for what in ("tmp", "old"):
        (meta.parent.with_name(f"{KEY}.{what}{mine}") / "outputs").mkdir(parents=True)
    cache.store(KEY, outputs(tmp_path, "v2"), "train")
    found = cache.lookup(KEY, 60)
    assert found is not None and (found / "model" / "weights").read_text() == "v2"
    assert sorted(p.name for p in meta.parent.parent.iterdir()) == [KEY]


def test_a_disabled_cache_neither_finds_nor_stores(tmp_path) -> None:
    cache = Cache(tmp_path / "cache", enabled=False)
    cache.store(KEY, outputs(tmp_path, "v1"), "train")
    assert not (tmp_path / "cache").exists()
    assert cache.lookup(KEY, None) is None
