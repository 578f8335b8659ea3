"""run/executor.py with real processes, on each way of starting them: CPython's fork_exec or
posix_spawn, each with a pidfd (Linux), and subprocess.Popen with a waiter thread (the portable
path macOS takes)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from mlc.run import executor as ex


@pytest.fixture(params=["fork_exec", "posix_spawn", "portable"])
def executor(request, monkeypatch, tmp_path):
    if request.param != "portable" and not ex.FAST:
        pytest.skip("posix_spawn or pidfd_open is missing here")
    if request.param == "fork_exec" and not ex.FORK_EXEC:
        pytest.skip("not a CPython whose fork_exec arguments mlc knows")
    monkeypatch.setattr(ex, "FAST", request.param != "portable")
    monkeypatch.setattr(ex, "FORK_EXEC", request.param == "fork_exec")
    monkeypatch.chdir(tmp_path)  # posix_spawn children start in the runner's directory
    return ex.Executor()


def test_signals_python_ignores_are_back_to_default(executor, tmp_path) -> None:
    """`yes | head -1`: yes ends on SIGPIPE, quietly, as in a shell (subprocess's
    restore_signals); with SIGPIPE ignored it would print "Broken pipe" and exit 1."""
    done = _run(executor, tmp_path, "yes | head -1; grep SigIgn /proc/self/status || true")
    assert done.status == "ok"
    assert "Broken pipe" not in (tmp_path / "stderr.log").read_text()
    ignored = (tmp_path / "stdout.log").read_text().split()
    if "SigIgn:" in ignored:  # a bit mask of the ignored signals: SIGPIPE (13) is not set
        mask = int(ignored[ignored.index("SigIgn:") + 1], 16)
        assert not mask & (1 << (13 - 1))


def test_a_nul_byte_cannot_start_and_says_so(executor, tmp_path) -> None:
    env = dict(os.environ, MLC_PARAM_X="a\0b")
    done = executor.run(["/bin/sh", "-c", "true"], env, tmp_path, tmp_path / "stdout.log",
                        tmp_path / "stderr.log", None, [])
    assert done.status == "failed" and done.message == "cannot start the command"
    assert "null byte" in (tmp_path / "stderr.log").read_text()


def test_a_program_that_cannot_run_is_an_attempt_that_failed(executor, tmp_path) -> None:
    script = tmp_path / "noexec.sh"
    script.write_text("#!/bin/sh\ntrue\n")
    script.chmod(0o644)
    done = executor.run([str(script)], dict(os.environ), tmp_path, tmp_path / "stdout.log",
                        tmp_path / "stderr.log", None, [])
    assert done.status == "failed"
    assert "Permission denied" in (tmp_path / "stderr.log").read_text()


def test_environment_values_reach_the_child_byte_for_byte(executor, tmp_path) -> None:
    """A value that is not UTF-8 (os.environ decodes it with surrogateescape) is the same
    bytes in the child, and a changed value is never served from an encoding made earlier."""
    script = 'printf "%s|%s" "$MLC_X" "$MLC_Y" | od -An -tx1'
    for value in ("caf\u00e9", "a\udcffb", "b" * 3):
        env = dict(os.environ, MLC_X=value, MLC_Y=value[::-1])
        (tmp_path / "stdout.log").unlink(missing_ok=True)
        done = executor.run(["/bin/sh", "-c", script], env, tmp_path, tmp_path / "stdout.log",
                            tmp_path / "stderr.log", None, [])
        assert done.status == "ok"
        seen = bytes.fromhex((tmp_path / "stdout.log").read_text())
        assert seen == os.fsencode(value) + b"|" + os.fsencode(value[::-1])


def test_an_illegal_variable_name_cannot_start(executor, tmp_path) -> None:
    env = dict(os.environ, **{"A=B": "x"})
    done = executor.run(["/bin/sh", "-c", "true"], env, tmp_path, tmp_path / "stdout.log",
                        tmp_path / "stderr.log", None, [])
    assert done.status == "failed"
    assert "illegal environment variable name" in (tmp_path / "stderr.log").read_text()


def test_the_command_runs_in_the_project_folder(executor, tmp_path) -> None:
    """fork_exec's child changes to the folder itself; posix_spawn's inherits the runner's,
    which must be the folder (run_local sets it for the whole run)."""
    done = executor.run(["/bin/sh", "-c", "pwd"], dict(os.environ), tmp_path,
                        tmp_path / "stdout.log", tmp_path / "stderr.log", None, [])
    assert done.status == "ok"
    assert (tmp_path / "stdout.log").read_text().strip() == str(tmp_path)


def test_a_missing_project_folder_cannot_start(monkeypatch, tmp_path) -> None:
    if not (ex.FAST and ex.FORK_EXEC):
        pytest.skip("fork_exec is not used here")
    monkeypatch.chdir(tmp_path)
    gone = tmp_path / "gone"
    done = ex.Executor().run(["/bin/sh", "-c", "true"], dict(os.environ), gone,
                             tmp_path / "stdout.log", tmp_path / "stderr.log", None, [])
    assert done.status == "failed"
    assert f"No such file or directory: '{gone}'" in (tmp_path / "stderr.log").read_text()


@pytest.mark.parametrize("way", ["fork_exec", "posix_spawn"])
def test_a_runner_started_with_its_own_stdio_closed(tmp_path, way) -> None:
    """`mlc run <&- >&-`: the logs and /dev/null may land on fds 0 and 1 of the runner, and
    each must still reach the right fd of the child."""
    if not ex.FAST or (way == "fork_exec" and not ex.FORK_EXEC):
        pytest.skip("this way of starting a process is not used here")
    import subprocess
    import sys

    script = f"""
import os, sys
from pathlib import Path
os.close(0); os.close(1)
from mlc.run import executor as ex
ex.FORK_EXEC = {way == "fork_exec"}
d = Path({str(tmp_path)!r})
os.chdir(d)
done = ex.Executor().run(["/bin/sh", "-c", "cat; echo out; echo err >&2"], dict(os.environ), d,
                         d / "stdout.log", d / "stderr.log", None, [])
sys.stderr.write(done.status)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.stderr == "ok"
    assert (tmp_path / "stdout.log").read_text() == "out\n"
    assert (tmp_path / "stderr.log").read_text() == "err\n"


def test_fork_exec_with_other_arguments_falls_back_to_posix_spawn(monkeypatch, tmp_path) -> None:
    """A CPython whose fork_exec takes other arguments raises TypeError before it forks: the
    run goes on with posix_spawn."""
    if not (ex.FAST and ex.FORK_EXEC):
        pytest.skip("fork_exec is not used here")
    monkeypatch.chdir(tmp_path)
    real = ex._posixsubprocess.fork_exec

    class OtherCPython:  # the real call, one argument short, as in a CPython that dropped one
        @staticmethod
        def fork_exec(*args):
            return real(*args[:-1])

    monkeypatch.setattr(ex, "_posixsubprocess", OtherCPython)
    monkeypatch.setattr(ex, "FORK_EXEC", True)
    executor = ex.Executor()
    assert _run(executor, tmp_path, "echo started").status == "ok"
    assert ex.FORK_EXEC is False
    assert (tmp_path / "stdout.log").read_text() == "started\n"


def _run(executor, tmp_path: Path, script: str, timeout_s=None, mask=()):
    return executor.run(["/bin/sh", "-c", script], dict(os.environ), tmp_path,
                        tmp_path / "stdout.log", tmp_path / "stderr.log", timeout_s, list(mask))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_exit_codes_and_logs(executor, tmp_path) -> None:
    ok = _run(executor, tmp_path, "echo out; echo err >&2")
    assert (ok.status, ok.returncode) == ("ok", 0)
    failed = _run(executor, tmp_path, "echo again; exit 3")
    assert (failed.status, failed.returncode, failed.message) == ("failed", 3, "exit code 3")
    assert (tmp_path / "stdout.log").read_text() == "out\nagain\n"  # appended, not replaced
    assert (tmp_path / "stderr.log").read_text() == "err\n"


def test_stdin_is_empty(executor, tmp_path) -> None:
    assert _run(executor, tmp_path, "cat > got").status == "ok"
    assert (tmp_path / "got").read_bytes() == b""


def test_secrets_are_masked_in_both_streams(executor, tmp_path) -> None:
    secret = "hunter2-XYZ"
    script = (f"echo 'a {secret} b'; echo '{secret}' >&2; "
              f"i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done; "
              f"printf 'tail {secret}'")
    done = _run(executor, tmp_path, script, mask=[secret, ""])
    assert done.status == "ok"
    out = (tmp_path / "stdout.log").read_text()
    assert out.startswith("a *** b\n") and out.endswith("line1999\ntail ***")
    assert (tmp_path / "stderr.log").read_text() == "***\n"
    assert secret not in out


def test_a_multiline_secret_is_masked_whole_and_by_its_lines(executor, tmp_path) -> None:
    secret = "first-line\nsecond-line"
    done = _run(executor, tmp_path, "printf 'first-line\\nsecond-line\\n'; sleep 0.1; "
                "echo 'then second-line alone'", mask=[secret])
    assert done.status == "ok"
    assert (tmp_path / "stdout.log").read_text() == "***\nthen *** alone\n"


def test_timeout_ends_the_whole_group(executor, tmp_path) -> None:
    start = time.monotonic()
    done = _run(executor, tmp_path, "sleep 60 & echo $! > child; sleep 60", timeout_s=1)
    assert done.status == "timeout" and "timed out after 1s" in done.message
    assert time.monotonic() - start < 15
    time.sleep(0.2)
    assert not _alive(int((tmp_path / "child").read_text()))


def test_a_missing_program_is_a_failed_attempt(executor, tmp_path) -> None:
    done = executor.run(["no-such-program-mlc"], {"PATH": "/nonexistent"}, tmp_path,
                        tmp_path / "stdout.log", tmp_path / "stderr.log", None, [])
    assert done.status == "failed" and done.returncode is None
    assert "no-such-program-mlc" in (tmp_path / "stderr.log").read_text()


def test_stop_all_ends_running_attempts(executor, tmp_path) -> None:
    results = []
    worker = threading.Thread(target=lambda: results.append(
        _run(executor, tmp_path, "sleep 60 & echo $! > child; wait")))
    worker.start()
    deadline = time.monotonic() + 10
    while not (tmp_path / "child").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    executor.stop_all()
    worker.join(timeout=15)
    assert not worker.is_alive() and results[0].status == "interrupted"
    assert not _alive(int((tmp_path / "child").read_text()))
    assert _run(executor, tmp_path, "true").status == "interrupted"  # nothing new starts


@pytest.mark.parametrize("seam", ["FORK_EXEC_SPAWN", "SPAWN"])
def test_a_child_it_cannot_wait_for_is_ended(monkeypatch, tmp_path, seam) -> None:
    if not ex.FAST or (seam == "FORK_EXEC_SPAWN" and not ex.FORK_EXEC):
        pytest.skip("this way of starting a process is not used here")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(ex, "FORK_EXEC", seam == "FORK_EXEC_SPAWN")
    spawned = []
    real_spawn = getattr(ex, seam)

    def spawn(*args, **kwargs):
        spawned.append(real_spawn(*args, **kwargs))
        return spawned[-1]

    def no_pidfd(pid):
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(ex, seam, spawn)
    monkeypatch.setattr(os, "pidfd_open", no_pidfd)
    done = _run(ex.Executor(), tmp_path, "sleep 60", timeout_s=120)  # a deadline: a pidfd
    assert done.status == "failed"
    assert "cannot wait for the command" in (tmp_path / "stderr.log").read_text()
    assert spawned and not _alive(spawned[0])


# --- secret masking (issue 13: quadratic on long lines) --------------------------------------

def _masked_output(tmp_path, secrets, chunks) -> bytes:
    sink = os.open(tmp_path / "log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    masked = ex._Masked(sink, ex._mask_list(secrets))
    for chunk in chunks:
        masked.feed(chunk)
    masked.feed(b"")
    return (tmp_path / "log").read_bytes()


def test_masking_is_the_same_however_the_stream_is_cut(tmp_path) -> None:
    import random

    rng = random.Random(7)
    secrets = ["s3cr3t", "hunter2hunter2", "ab"]
    for _ in range(200):
        parts = [rng.choice(secrets + ["x", "\\r", "\\n", "é", "s3cr", "hunt"])
                 for _ in range(rng.randint(0, 40))]
        data = "".join(parts).encode("utf-8") + bytes([0xff])  # not UTF-8 at the end
        expected = data
        for s in sorted(secrets, key=len, reverse=True):
            expected = expected.replace(s.encode(), b"***")
        cuts = sorted(rng.sample(range(len(data) + 1), k=min(len(data) + 1, rng.randint(0, 6))))
        chunks = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)]) if data[a:b]]
        assert _masked_output(tmp_path, secrets, chunks) == expected, (data, chunks)


def test_masking_a_huge_line_is_linear(tmp_path) -> None:
    """25 MB of tqdm-like output without a newline, in 64 KiB reads: it used to take seconds
    (quadratic); now about as long as copying it. Not a timed assertion: the work is counted."""
    line = (b"\\r 42%|####      | 420/1000 [00:01<00:02] token=s3cr3t " * 10000)
    chunk = 65536
    data = line * (25_000_000 // len(line))
    copies = []
    original = ex._Masked._write

    def counting_write(self, piece: bytes) -> None:
        copies.append(len(piece))
        original(self, piece)

    ex._Masked._write = counting_write
    try:
        out = _masked_output(tmp_path, ["s3cr3t"],
                             [data[i:i + chunk] for i in range(0, len(data), chunk)])
    finally:
        ex._Masked._write = original
    assert b"s3cr3t" not in out and out.count(b"token=***") == data.count(b"token=s3cr3t")
    assert sum(copies) == len(data)  # every byte written once
    assert max(copies) <= chunk + 16  # nothing accumulates: memory stays bounded
