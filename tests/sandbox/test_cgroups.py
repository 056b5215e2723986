"""The sandbox's per-slot pids + memory cgroups, and its size-limited scratch file systems.

What the cgroup adds over the rlimits is shown by what the rlimits alone let through: files kept in
the ``tmpfs`` (RAM) and several processes that each stay under ``RLIMIT_AS`` but together do not.
Those tests need a writable cgroup hierarchy (root on this project's CI machine) and skip where
the host offers none; the scratch-size tests need only bwrap.
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import time
from pathlib import Path

import pytest

from assay.sandbox import Outcome
from assay.sandbox import cgroups as cgroups_module
from assay.sandbox.bwrap import BwrapSandbox, Limits
from assay.sandbox.types import ExecResult

needs_bwrap = pytest.mark.skipif(
    shutil.which("bwrap") is None or os.geteuid() != 0,
    reason="needs bubblewrap (apt-get install bubblewrap) and root to drop to a sandbox uid",
)


def _cgroups_writable() -> bool:
    if shutil.which("bwrap") is None or os.geteuid() != 0:
        return False
    return BwrapSandbox(workers=1).cgroups is not None


needs_cgroups = pytest.mark.skipif(not _cgroups_writable(), reason="no writable pids/memory cgroup on this host")

#: 8 files of 40 MiB: 320 MiB of RAM in /tmp, beyond a 192 MiB memory limit, each file under RLIMIT_FSIZE.
FILL_TMPFS = "for i in range(8):\n    open(f'/tmp/f{i}', 'wb').write(b'x' * (40 * 1024 * 1024))\nprint('kept')"
#: Four processes of 100 MiB each: every one is under RLIMIT_AS (192 MiB), together they are not.
MANY_PROCESSES = """
import os, time
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = bytearray(100 * 1024 * 1024)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(3)
        os._exit(0)
    children.append(pid)
for pid in children:
    _, status = os.waitpid(pid, 0)
    assert status == 0, status
"""


def run(box: BwrapSandbox, program: str, timeout_s: float = 10.0) -> ExecResult:
    return asyncio.run(box.run(program, timeout_s=timeout_s))


@needs_cgroups
@pytest.mark.parametrize("program", [FILL_TMPFS, MANY_PROCESSES], ids=["tmpfs-files", "four-processes"])
def test_memory_held_together_beyond_the_limit_is_a_memory_limit(program: str) -> None:
    box = BwrapSandbox(workers=1, limits=Limits(address_space_mb=192, scratch_mb=1024, file_size_mb=64))
    result = run(box, program)
    assert result.outcome is Outcome.MEMORY, result
    assert run(box, "assert sum(range(4)) == 6").outcome is Outcome.PASSED


@needs_cgroups
def test_without_the_cgroup_the_same_programs_get_through() -> None:
    """The control: the rlimits alone let both programs finish, which is why the cgroup exists."""
    box = BwrapSandbox(workers=1, limits=Limits(address_space_mb=192, scratch_mb=1024), cgroup=False)
    assert box.cgroups is None
    for program in (FILL_TMPFS, MANY_PROCESSES):
        assert run(box, program).outcome is Outcome.PASSED


@needs_cgroups
def test_groups_are_empty_after_each_execution_and_removed_with_the_sandbox() -> None:
    box = BwrapSandbox(workers=2)
    assert box.cgroups is not None
    groups = [group for cgroup in box.cgroups for group in cgroup.groups]
    assert all((group / "cgroup.procs").exists() for group in groups)
    pids_group = next(group for group in groups if (group / "pids.max").exists())
    assert (pids_group / "pids.max").read_text().strip() == "64"
    run(box, "import subprocess\nsubprocess.Popen(['sleep', '60'])\nprint('left a child behind')")
    # Only the slot's resident spawner is left (see assay.sandbox.spawner).
    spawner = box.pool.running(0)
    assert spawner is not None
    assert all((group / "cgroup.procs").read_text().split() == [str(spawner.pid)] for group in box.cgroups[0].groups)
    parents = {group.parent for group in groups}
    del box
    gc.collect()
    assert not any(parent.exists() for parent in parents)


@needs_cgroups
def test_a_burst_of_executions_leaves_no_process_charged_to_a_slot() -> None:
    """No exited process may stay charged (a zombie waiting for the host's init counts against pids.max)."""
    box = BwrapSandbox(workers=2)
    assert box.cgroups is not None

    async def burst() -> list[ExecResult]:
        return await asyncio.gather(*(box.run("assert True", timeout_s=5) for _ in range(150)))

    results = asyncio.run(burst())
    assert [r.outcome for r in results] == [Outcome.PASSED] * 150, {r.stderr for r in results if not r.passed}
    time.sleep(0.1)  # the spawner reaps the last execution's leftovers while it waits for the next
    for cgroup in box.cgroups:
        pids = next(group for group in cgroup.groups if (group / "pids.current").exists())
        assert (pids / "pids.current").read_text().strip() == "1"  # the resident spawner alone


def test_no_writable_cgroup_means_rlimits_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(cgroups_module, "CGROUP_ROOT", tmp_path / "absent")
    assert cgroups_module.create_slot_cgroups(object(), 2, processes=8, memory_mb=64) is None


@needs_bwrap
def test_many_files_cannot_fill_a_disk_the_scratch_space_is_bounded() -> None:
    box = BwrapSandbox(workers=1, limits=Limits(scratch_mb=16), cgroup=False)
    for folder in ("/tmp", "/sandbox"):
        program = f"for i in range(100):\n    open(f'{folder}/f{{i}}', 'wb').write(b'x' * (1024 * 1024))"
        result = run(box, program)
        assert result.outcome is Outcome.ERROR and "No space left on device" in result.stderr, result


@needs_bwrap
def test_the_program_and_its_files_are_read_only() -> None:
    box = BwrapSandbox(workers=1, cgroup=False)
    for name in ("main.py", "tests.json"):
        program = f"open({name!r}, 'a').write('# changed')"
        result = asyncio.run(box.run(program, timeout_s=5, files={"tests.json": b"[]"}))
        assert result.outcome is Outcome.ERROR and result.exception == "PermissionError", result
