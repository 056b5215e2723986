"""Disk full while journaling: one line, no torn record, and a resume after freeing space is exact.

A real full file system: a small tmpfs mounted for the test (root only; skipped otherwise), grown
with ``mount -o remount,size=`` to "free space" without losing what it holds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.mock_server import ServerConfig, prompt_key, run_server_in_thread
from tests.conftest import shared_data
from tests.engine.test_resume_and_faults import _arc_rules, _eval_args, _scores

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="tmpfs mounts are Linux")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount_point)]
    mounted = subprocess.run(command, capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _lines(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().split(b"\n") if line] if path.exists() else []


def test_a_full_disk_stops_the_run_with_one_line_and_a_resume_after_freeing_space_is_exact(
    small_disk: Path, tmp_path: Path
) -> None:
    root = shared_data("arc")
    rules = _arc_rules(root)
    run_dir = small_disk / "run"
    journals = [run_dir / folder / "mock-model" / "arc_ARC-Challenge.jsonl" for folder in ("predictions", "reviews")]
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:
        clean = subprocess.run(_eval_args(srv.url, root, tmp_path / "clean"), capture_output=True, text=True)
        assert clean.returncode == 0, clean.stderr
        reference = _scores(tmp_path / "clean" / "reports" / "mock-model" / "arc.json")

        full = subprocess.run(_eval_args(srv.url, root, run_dir), capture_output=True, text=True)
        assert full.returncode == 2, full.stderr
        message = full.stderr.strip()
        assert message.count("\n") == 0, message
        assert "No space left on device" in message and "--use-cache" in message and "Traceback" not in message
        written = {path: _lines(path) for path in journals}
        for lines in written.values():  # every line complete: none torn, none glued
            for line in lines:
                json.loads(line)
        done_before = {prompt_key(json.loads(line)["input"][-1]["content"]) for line in written[journals[0]]}
        assert 0 < len(done_before) < 1172, "the disk must fill midway"

        grown = subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], capture_output=True)
        assert grown.returncode == 0, grown.stderr
        srv.reset()
        resumed = subprocess.run(
            [*_eval_args(srv.url, root, run_dir), "--use-cache", str(run_dir)], capture_output=True, text=True
        )
        assert resumed.returncode == 0, resumed.stderr
        asked = srv.stats()["prompt_counts"]
    assert sum(asked.get(key, 0) for key in done_before) == 0  # journaled answers are not asked again
    assert _scores(run_dir / "reports" / "mock-model" / "arc.json") == reference


def test_a_read_only_output_folder_is_one_line_for_eval_and_perf(tmp_path: Path) -> None:
    mount_point = tmp_path / "ro"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", str(mount_point)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    examples = Path(__file__).resolve().parents[2] / "examples" / "data" / "general_mcq"
    try:
        runs = {
            "eval": [sys.executable, "-m", "assay", "eval", "--model", "mock", "--datasets", "general_mcq",
                     "--dataset-args", json.dumps({"general_mcq": {"local_path": str(examples)}}),
                     "--work-dir", str(mount_point / "run")],
            "perf": [sys.executable, "-m", "assay", "perf", "--url", "http://127.0.0.1:9/v1/chat/completions",
                     "--model", "m", "--number", "1", "--no-test-connection", "--outputs-dir", str(mount_point / "p")],
        }  # fmt: skip
        for name, argv in runs.items():
            done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
            assert done.returncode == 2, (name, done.stderr)
            message = done.stderr.strip()
            assert message.count("\n") == 0 and "Traceback" not in message, (name, message)
            assert (
                message.startswith(f"assay: error: cannot write {mount_point}") and "Read-only file system" in message
            )
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
