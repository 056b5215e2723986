"""One run per output folder: a live holder refuses a second run at once; a dead one's lock is taken over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from assay import run_task
from assay.engine.worklock import LOCK_NAME
from assay.errors import UserError
from assay.mock_server import ServerConfig, ServerHandle, run_server_in_thread
from tests.engine.test_run_behaviour import MCQ_ARGS, config

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX; Windows runs are unlocked")

_HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from assay.engine.worklock import hold_work_dir
    with hold_work_dir(Path(sys.argv[1])):
        print("held", flush=True)
        time.sleep(120)
    """
)


@pytest.fixture(scope="module")
def srv() -> Iterator[ServerHandle]:
    with run_server_in_thread(ServerConfig()) as handle:
        yield handle


def hold(folder: Path) -> subprocess.Popen[str]:
    """Another process holding ``folder``'s lock, once it has printed ``held``."""
    folder.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(folder)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_run_into_a_folder_in_use_is_refused_naming_the_holder(srv: ServerHandle, tmp_path: Path) -> None:
    holder = hold(tmp_path)
    try:
        before = srv.stats()["requests_total"]
        with pytest.raises(UserError) as caught:
            run_task(config(srv.url, tmp_path), show_progress=False)
        message = str(caught.value)
        assert message.startswith(f"{tmp_path} is in use by another assay run (pid {holder.pid} on ")
        assert message.endswith("wait for it to end, or pass another --work-dir")
        assert srv.stats()["requests_total"] == before  # refused before a single request
        assert not list((tmp_path / "predictions").rglob("*.jsonl"))

        cli = subprocess.run(
            [sys.executable, "-m", "assay", "eval", "--model", "mock-model", "--api-url", srv.url,
             "--datasets", "general_mcq", "--dataset-args", json.dumps(MCQ_ARGS),
             "--use-cache", str(tmp_path), "--no-progress"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert cli.returncode == 2, cli.stderr
        assert cli.stderr.strip().count("\n") == 0 and f"pid {holder.pid}" in cli.stderr
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_of_a_killed_run_is_taken_over_and_said_in_the_log(srv: ServerHandle, tmp_path: Path) -> None:
    holder = hold(tmp_path)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert f'"pid": {holder.pid}' in (tmp_path / LOCK_NAME).read_text()  # the dead run's record stays
    report = run_task(config(srv.url, tmp_path), show_progress=False)["general_mcq"]
    assert report.counts.total == 12
    log = (tmp_path / "logs" / "eval_log.log").read_text()
    assert f"took over the lock of pid {holder.pid} on " in log
    assert (tmp_path / LOCK_NAME).read_text() == ""  # a clean end empties the record


def test_runs_one_after_another_in_one_process_do_not_block_each_other(srv: ServerHandle, tmp_path: Path) -> None:
    first = run_task(config(srv.url, tmp_path), show_progress=False)["general_mcq"]
    again = run_task(config(srv.url, tmp_path, use_cache=str(tmp_path)), show_progress=False)["general_mcq"]
    assert again.score == first.score
