"""Security and verdict tests of the bwrap sandbox: every attack fails, is classified, and harms nothing.

Each test runs real model-like code in the real sandbox (Debian's ``bubblewrap``; CI installs it),
then checks the host: files not written, processes not left, listeners not reached, and that the
next execution still runs normally.
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import signal
import socket
import subprocess
import threading
import uuid
from pathlib import Path

import pytest

from assay.errors import UserError
from assay.sandbox import Outcome, SandboxConfig, build_sandbox
from assay.sandbox.bwrap import BwrapSandbox, classify, last_exception
from assay.sandbox.types import ExecResult

REPO = Path(__file__).resolve().parents[2]

needs_bwrap = pytest.mark.skipif(
    shutil.which("bwrap") is None or os.geteuid() != 0,
    reason="needs bubblewrap (apt-get install bubblewrap) and root to drop to a sandbox uid",
)


def run(program: str, timeout_s: float = 3.0, sandbox: BwrapSandbox | None = None) -> ExecResult:
    box = sandbox or BwrapSandbox(workers=1)
    return asyncio.run(box.run(program, timeout_s=timeout_s))


def still_works(sandbox: BwrapSandbox | None = None) -> None:
    assert run("assert sum(range(4)) == 6", sandbox=sandbox).outcome is Outcome.PASSED


# ---------------------------------------------------------------------------------------------- verdicts
@needs_bwrap
@pytest.mark.parametrize(
    ("program", "outcome", "exception"),
    [
        ("assert 1 + 1 == 2", Outcome.PASSED, None),
        ("assert 1 + 1 == 3", Outcome.FAILED, "AssertionError"),
        ("1 / 0", Outcome.ERROR, "ZeroDivisionError"),
        ("def f(:\n    pass", Outcome.SYNTAX_ERROR, "SyntaxError"),
        ("def f():\nreturn 1", Outcome.SYNTAX_ERROR, "IndentationError"),
        ("import sys; sys.exit(3)", Outcome.ERROR, None),
    ],
)
def test_each_ending_has_its_class(program: str, outcome: Outcome, exception: str | None) -> None:
    result = run(program)
    assert (result.outcome, result.exception) == (outcome, exception), result


@needs_bwrap
def test_stdin_reaches_the_program_and_stdout_comes_back() -> None:
    box = BwrapSandbox(workers=1)
    result = asyncio.run(box.run("print(int(input()) * 2)", timeout_s=3, stdin="21\n"))
    assert result.outcome is Outcome.PASSED and result.stdout.strip() == "42"


@needs_bwrap
def test_files_are_written_next_to_the_program_and_bad_names_are_refused() -> None:
    box = BwrapSandbox(workers=1)
    program = "import json; data = json.load(open('tests.json')); assert data == [1, 2], data; print(len(data))"
    result = asyncio.run(box.run(program, timeout_s=3, files={"tests.json": b"[1, 2]"}))
    assert result.outcome is Outcome.PASSED and result.stdout.strip() == "2"
    for name in ("../escape.json", "main.py", "a/b"):
        with pytest.raises(ValueError, match="plain names"):
            asyncio.run(box.run("pass", timeout_s=3, files={name: b""}))


def test_classify_reads_signals_and_tracebacks() -> None:
    assert classify(None, b"", b"", 3.0, timed_out=True).outcome is Outcome.TIMEOUT
    assert classify(128 + 24, b"", b"", 1.0, timed_out=False).outcome is Outcome.TIMEOUT  # SIGXCPU
    assert classify(128 + 9, b"", b"", 1.0, timed_out=False).outcome is Outcome.KILLED
    assert classify(1, b"", b"Traceback (most recent call last):\nMemoryError\n", 1.0, timed_out=False).outcome is (
        Outcome.MEMORY
    )
    assert last_exception("no traceback here") is None


# ---------------------------------------------------------------------------------------------- attacks
@needs_bwrap
def test_no_network_a_host_listener_is_unreachable_and_only_loopback_exists() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    accepted: list[object] = []
    listener.settimeout(0.2)

    def accept() -> None:
        for _ in range(20):
            try:
                accepted.append(listener.accept())
            except OSError:
                continue

    thread = threading.Thread(target=accept)
    thread.start()
    try:
        result = run(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)")
    finally:
        thread.join()
        listener.close()
    assert result.outcome is Outcome.ERROR and result.exception == "ConnectionRefusedError"
    assert accepted == []
    interfaces = run("import socket\nprint([name for _, name in socket.if_nameindex()])")
    assert interfaces.stdout.strip() == "['lo']"
    still_works()


@needs_bwrap
@pytest.mark.parametrize("target", ["home", "etc", "outputs", "checkout", "tmp_of_host"])
def test_writes_outside_the_private_dir_fail_and_leave_the_host_unchanged(target: str, tmp_path: Path) -> None:
    name = f"assay-sandbox-escape-{uuid.uuid4().hex}"
    folder = {
        "home": Path.home(),
        "etc": Path("/etc"),
        "outputs": tmp_path,
        "checkout": REPO,
        "tmp_of_host": Path("/var/tmp"),
    }[target]
    path = folder / name
    result = run(f"open({str(path)!r}, 'w').write('pwned')")
    assert result.outcome is Outcome.ERROR and result.exception in {"PermissionError", "FileNotFoundError", "OSError"}
    assert not path.exists()
    still_works()


@needs_bwrap
def test_the_parents_secrets_are_not_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-assay-secret-canary")
    result = run(
        "import os, pathlib\n"
        "seen = repr(dict(os.environ))\n"
        "for p in pathlib.Path('/proc').glob('[0-9]*/environ'):\n"
        "    try: seen += p.read_text(errors='replace')\n"
        "    except OSError: pass\n"
        "assert 'sk-assay-secret-canary' not in seen, 'leaked'\n"
    )
    assert result.outcome is Outcome.PASSED, result


@needs_bwrap
def test_a_fork_bomb_hits_the_process_limit_and_the_run_goes_on() -> None:
    result = run("import os\nwhile True:\n    os.fork()", timeout_s=5)
    assert result.outcome in {Outcome.ERROR, Outcome.TIMEOUT}, result
    assert result.exception in {"BlockingIOError", None}
    still_works()


@needs_bwrap
def test_a_memory_bomb_is_a_memory_limit() -> None:
    result = run("x = bytearray(8 * 1024 ** 3)")
    assert result.outcome is Outcome.MEMORY and result.exception == "MemoryError"
    still_works()


@needs_bwrap
@pytest.mark.parametrize("program", ["while True:\n    pass", "import time\ntime.sleep(60)"])
def test_an_endless_program_times_out(program: str) -> None:
    result = run(program, timeout_s=1.0)
    assert result.outcome is Outcome.TIMEOUT and result.exit_code is None
    # The kill ends the execution itself, not only the process waited on: the sleeper does not
    # get to finish its 60 s (a wide margin, not a speed claim).
    assert result.wall_s < 30, result.wall_s
    still_works()


@needs_bwrap
def test_a_background_process_does_not_outlive_the_execution() -> None:
    marker = f"assay-bg-{uuid.uuid4().hex}"
    result = run(
        f"import subprocess\nsubprocess.Popen(['/usr/bin/python3', '-c', 'import time; time.sleep(120)', {marker!r}])\n"
    )
    assert result.outcome is Outcome.PASSED
    alive = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    assert alive.stdout.strip() == "", f"left running: {alive.stdout}"


@needs_bwrap
def test_killing_the_parent_does_not_reach_the_host() -> None:
    result = run("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos.kill(1, signal.SIGKILL)")
    assert result.outcome in {Outcome.ERROR, Outcome.KILLED, Outcome.PASSED}
    assert os.getppid() > 1  # this test process and its parent are alive
    still_works()


@needs_bwrap
def test_filling_the_disk_stops_at_the_file_size_limit() -> None:
    result = run("f = open('big', 'wb')\nwhile True:\n    f.write(b'x' * 1024 * 1024)", timeout_s=10)
    assert result.outcome is Outcome.ERROR and result.exception == "OSError"
    assert "File too large" in result.stderr
    still_works()


@needs_bwrap
def test_the_program_runs_as_an_unprivileged_uid_per_slot() -> None:
    result = run("import os\nprint(os.getuid(), os.getgid(), os.getgroups())")
    uid, gid, groups = result.stdout.split(maxsplit=2)
    assert int(uid) >= 61000 and uid == gid and groups.strip() == "[]"


# ---------------------------------------------------------------------------------------------- setup
def test_a_missing_bwrap_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(UserError, match="apt-get install bubblewrap"):
        build_sandbox(SandboxConfig())


def test_engine_none_warns_that_it_is_unsafe(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from assay import config as config_module

    monkeypatch.setattr(config_module, "_warned", set())
    box = build_sandbox(SandboxConfig(engine="none"))
    assert "UNSANDBOXED" in capsys.readouterr().err
    assert asyncio.run(box.run("assert 2 * 2 == 4", timeout_s=5)).outcome is Outcome.PASSED
    assert asyncio.run(box.run("while True: pass", timeout_s=0.5)).outcome is Outcome.TIMEOUT


@needs_bwrap
def test_a_program_printing_without_end_does_not_fill_the_evaluators_memory() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = run("import sys\nfor _ in range(4000):\n    sys.stdout.write('x' * 65536)", timeout_s=20)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.outcome is Outcome.PASSED and result.stdout == "x" * 2000  # the tail only
    assert grown_mb < 100, f"250 MB of output grew the evaluator by {grown_mb:.0f} MB"


@needs_bwrap
def test_a_spawner_that_died_is_started_again() -> None:
    box = BwrapSandbox(workers=1)
    still_works(box)
    spawner = box.pool.running(0)
    assert spawner is not None
    os.kill(spawner.pid, signal.SIGKILL)
    spawner._proc.wait()
    still_works(box)
    assert box.pool.running(0) is not spawner


@needs_bwrap
def test_a_cancelled_execution_leaves_the_next_one_a_clean_slot() -> None:
    """Cancelled mid-run (Ctrl-C, a cancelled scoring task): the next execution must not read its late answer."""
    box = BwrapSandbox(workers=1)

    async def cancel_then_run() -> ExecResult:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(box.run("import time\ntime.sleep(30)", timeout_s=60), 0.5)
        return await box.run("print('fresh')", timeout_s=10)

    result = asyncio.run(cancel_then_run())
    assert result.outcome is Outcome.PASSED and result.stdout.strip() == "fresh"
