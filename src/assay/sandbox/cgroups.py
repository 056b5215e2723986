"""A pids + memory cgroup per sandbox slot, where the host lets this process create one.

``RLIMIT_NPROC`` and ``RLIMIT_AS`` bound one process's children and address space; a cgroup bounds
the *execution*: every process in it together, and the memory it holds outside any process's
address space (files written to its ``tmpfs`` scratch directories are charged to it). When the
memory cgroup's limit is reached the kernel's OOM killer ends the execution, and the kill is
counted, so the verdict says ``memory_limit`` rather than "killed by a signal".

Both hierarchies are supported:

* **cgroup v1** (separate ``pids`` and ``memory`` mounts under ``/sys/fs/cgroup``): a group
  ``assay-<pid>-<n>/slot<i>`` under this process's own group in each hierarchy (``n`` tells apart
  the sandboxes of one process).
* **cgroup v2** (one unified mount): the same tree under this process's group, with the ``pids``
  and ``memory`` controllers enabled for it; v2 refuses that where this process's own group holds
  processes and is not the root, and then there is no cgroup.

Creation is all or nothing and never raises: with no writable cgroup (an unprivileged user, a
read-only ``/sys/fs/cgroup``) :func:`create_slot_cgroups` returns None and the sandbox keeps its
rlimits, as docs/code.md says. Groups are removed when the sandbox is collected or the process
exits; empty groups left by a crashed run (``assay-<pid>-<n>`` of a dead pid) are removed on the
next creation.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import signal
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

CGROUP_ROOT = Path("/sys/fs/cgroup")
_CONTROLLERS = ("pids", "memory")
_SERIAL = itertools.count()


@dataclass(frozen=True)
class SlotCgroup:
    """The groups one slot's executions run in (one per controller in v1, one in v2)."""

    groups: tuple[Path, ...]
    memory: Path
    version: int

    def join(self) -> None:
        """Move the calling process into the slot's groups (run in the forked child, before exec)."""
        pid = str(os.getpid())
        for group in self.groups:
            with open(group / "cgroup.procs", "w") as handle:
                handle.write(pid)

    def oom_kills(self) -> int:
        """How many processes the OOM killer ended in this group so far (a counter; compare two reads)."""
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            text = (self.memory / name).read_text()
        except OSError:
            return 0
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        if self.version == 1:  # kernels before 4.13 have no oom_kill line; failcnt counts limit hits
            with contextlib.suppress(OSError, ValueError):
                return int((self.memory / "memory.failcnt").read_text())
        return 0

    def kill_all(self, keep: int | None = None) -> bool:
        """SIGKILL every process in the groups but ``keep`` (the slot's spawner); True when none was left.

        The pid namespace already ends every process when the execution ends, but the kernel
        finishes tearing them down a moment after ``bwrap`` exits.
        """
        empty = True
        for group in self.groups:
            with contextlib.suppress(OSError):
                for line in (group / "cgroup.procs").read_text().split():
                    if line == str(keep):
                        continue
                    empty = False
                    with contextlib.suppress(ProcessLookupError, ValueError):
                        os.kill(int(line), signal.SIGKILL)
        return empty

    async def drain(self, keep: int | None = None, limit_s: float = 2.0) -> None:
        """Wait until only ``keep`` is left in the groups (killing stragglers): the next execution starts clean."""
        deadline = time.monotonic() + limit_s
        while not self.kill_all(keep) and time.monotonic() < deadline:
            await asyncio.sleep(0.002)


def create_slot_cgroups(owner: object, slots: int, *, processes: int, memory_mb: int) -> list[SlotCgroup] | None:
    """One limited group per slot, removed when ``owner`` is collected (or at exit); None where impossible."""
    try:
        made = _create(slots, processes=processes, memory_mb=memory_mb)
    except OSError as exc:
        logger.debug("no cgroup for the sandbox: %s", exc)
        return None
    if made is None:
        return None
    cgroups, parents = made
    weakref.finalize(owner, _remove, cgroups, parents)
    return cgroups


def _create(slots: int, *, processes: int, memory_mb: int) -> tuple[list[SlotCgroup], list[Path]] | None:
    memory_bytes = str(memory_mb * 1024 * 1024)
    own = _own_groups()
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        parent = _fresh_parent(_existing(CGROUP_ROOT, own.get("", "/")), next(_SERIAL))
        try:
            (parent / "cgroup.subtree_control").write_text("+pids +memory")
            cgroups = []
            for slot in range(slots):
                group = parent / f"slot{slot}"
                group.mkdir()
                (group / "pids.max").write_text(str(processes))
                (group / "memory.max").write_text(memory_bytes)
                with contextlib.suppress(OSError):
                    (group / "memory.swap.max").write_text("0")
                cgroups.append(SlotCgroup((group,), group, 2))
        except OSError:
            _remove([], [parent])
            raise
        return cgroups, [parent]
    mounts = _v1_mounts()
    if not mounts:
        return None
    serial = next(_SERIAL)
    parents: list[Path] = []
    try:
        for name in _CONTROLLERS:
            parents.append(_fresh_parent(_existing(mounts[name], own.get(name, "/")), serial))
        cgroups = []
        for slot in range(slots):
            pids, memory = (parent / f"slot{slot}" for parent in parents)
            pids.mkdir()
            memory.mkdir()
            (pids / "pids.max").write_text(str(processes))
            (memory / "memory.limit_in_bytes").write_text(memory_bytes)
            with contextlib.suppress(OSError):  # present only with swap accounting
                (memory / "memory.memsw.limit_in_bytes").write_text(memory_bytes)
            cgroups.append(SlotCgroup((pids, memory), memory, 1))
    except OSError:
        _remove([], parents)
        raise
    return cgroups, parents


def _v1_mounts() -> dict[str, Path]:
    """The v1 hierarchies of our controllers, where both are mounted as their own directories."""
    mounts = {name: CGROUP_ROOT / name for name in _CONTROLLERS}
    ok = all((path / "cgroup.procs").exists() and os.access(path, os.W_OK) for path in mounts.values())
    return mounts if ok else {}


def _own_groups() -> dict[str, str]:
    """This process's group per controller from ``/proc/self/cgroup`` (v2's is under the key "")."""
    groups: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for name in controllers.split(","):
                groups[name] = path
    return groups


def _existing(mount: Path, relative: str) -> Path:
    """This process's group directory under ``mount``, or the mount itself where it is not visible."""
    candidate = mount / relative.lstrip("/")
    return candidate if candidate.is_dir() else mount


def _fresh_parent(base: Path, serial: int) -> Path:
    """Create ``base/assay-<pid>-<serial>`` after removing groups left by processes that no longer exist."""
    for stale in base.glob("assay-*-*"):
        with contextlib.suppress(ValueError, OSError):
            pid = int(stale.name.split("-")[1])
            if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
                _remove([], [stale])
    parent = base / f"assay-{os.getpid()}-{serial}"
    parent.mkdir()
    return parent


def _remove(cgroups: list[SlotCgroup], parents: list[Path]) -> None:
    """Remove the slot groups and their parents (a group must be empty; leftovers are killed first)."""
    deadline = time.monotonic() + 1.0
    while not all(cgroup.kill_all() for cgroup in cgroups) and time.monotonic() < deadline:
        time.sleep(0.005)
    for parent in parents:
        with contextlib.suppress(OSError):
            for group in parent.iterdir():
                if group.is_dir():
                    with contextlib.suppress(OSError):
                        group.rmdir()
        with contextlib.suppress(OSError):
            parent.rmdir()
