"""Run untrusted model-written Python in a fresh ``bwrap`` namespace, as an unprivileged uid, with limits.

Each execution gets, in this order of defence:

1. **Namespaces** (``bwrap``): new network (only an isolated, down loopback), pid, ipc, uts and
   cgroup namespaces; a new session; ``--die-with-parent``. ``bwrap`` is started by the slot's
   resident spawner (:mod:`assay.sandbox.spawner`), which also reaps what an execution leaves
   orphaned on its way out. The file system is a read-only view of
   ``/usr`` (and the ``/bin``, ``/lib`` ... links into it), a fresh ``/proc`` and ``/dev``, and two
   size-limited ``tmpfs`` (``/tmp``, and ``/sandbox``, the working directory, where the program
   and its data files are bound read-only) as the only writable places: nothing the program writes
   reaches the host's disk. Home, ``/etc``, the outputs and the project checkout are not there at
   all; the environment is cleared, so no API key can be read.
2. **An unprivileged uid** (``setpriv``): the program runs as a uid of its own per pool slot, with
   no capabilities and ``no_new_privs``; so ``RLIMIT_NPROC`` binds (it does not bind root) and two
   concurrent executions never share a process budget.
3. **Limits** (``setrlimit`` in the forked child before ``bwrap`` runs, inherited by everything
   below it, as ``prlimit`` would set them): address space, CPU seconds, processes, file size,
   open files.
4. **A wall-clock timeout** that kills the whole process group; as the program is inside its own pid
   namespace, every process it started (a background child, a fork bomb) dies with it.

5. **A pids + memory cgroup** per slot where the host lets us create one
   (:mod:`assay.sandbox.cgroups`): the execution's processes together, and the files it keeps in
   its ``tmpfs``, stay under the limits; an OOM kill is reported as ``memory_limit``.

``bwrap`` must run as root or with unprivileged user namespaces; as root (this project's CI) no
user namespace is needed and the uid drop is a real host uid.

Example:
    >>> import asyncio
    >>> sandbox = BwrapSandbox(workers=1)  # doctest: +SKIP
    >>> asyncio.run(sandbox.run("assert 1 + 1 == 2", timeout_s=5)).outcome  # doctest: +SKIP
    <Outcome.PASSED: 'passed'>
"""

from __future__ import annotations

import dataclasses
import os
import re
import resource
import shutil
import signal
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from assay.errors import UserError
from assay.sandbox.cgroups import create_slot_cgroups
from assay.sandbox.spawner import SpawnerPool
from assay.sandbox.types import TAIL_CHARS, ExecResult, Outcome

#: First uid of the pool's slots (slot i runs as ``BASE_UID + i``); far from real accounts.
BASE_UID = 61000
#: The interpreter inside the sandbox: the system's, readable by any uid (a venv under /root is not).
DEFAULT_PYTHON = "/usr/bin/python3"
#: Top-level paths bound read-only (when they exist); symlinks (merged /usr) are recreated as links.
_SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: Files of /etc the interpreter benefits from (the dynamic linker's cache); nothing secret.
_ETC_FILES = ("/etc/ld.so.cache",)
_EXCEPTION_LINE = re.compile(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception|Exit|Interrupt|Warning)|\w+)(?::|$)")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one execution (``prlimit``)."""

    address_space_mb: int = 2048
    """RLIMIT_AS: allocations beyond it fail with MemoryError."""
    processes: int = 64
    """RLIMIT_NPROC of the slot's uid: a fork bomb stops here."""
    file_size_mb: int = 64
    """RLIMIT_FSIZE: no file the program writes grows beyond it."""
    open_files: int = 64
    """RLIMIT_NOFILE."""
    scratch_mb: int = 128
    """Size of each writable ``tmpfs`` (``/tmp`` and ``/sandbox``): many files cannot fill a disk either."""


class BwrapSandbox:
    """A pool of ``workers`` isolated execution slots (see the module docstring).

    Args:
        workers: Executions at once; default: the usable cores.
        limits: Resource limits of each execution.
        python: Interpreter run inside (must be readable by an unprivileged uid).
        cgroup: Put each slot in a pids + memory cgroup where the host allows (see
            :attr:`cgroups`); the memory limit is ``limits.address_space_mb``.

    Raises:
        UserError: ``bwrap`` (Debian/Ubuntu package ``bubblewrap``), ``setpriv`` or ``prlimit``
            (``util-linux``) is missing, or the interpreter does not exist.
    """

    def __init__(
        self,
        *,
        workers: int | None = None,
        limits: Limits | None = None,
        python: str = DEFAULT_PYTHON,
        cgroup: bool = True,
    ):
        self.bwrap = shutil.which("bwrap")
        if self.bwrap is None:
            raise UserError(
                "code benchmarks run model code in a bubblewrap sandbox, but `bwrap` is not installed: "
                "apt-get install bubblewrap (or pass sandbox engine 'none' to run it UNSAFELY without isolation)"
            )
        if not Path("/usr/bin/setpriv").exists():
            raise UserError("the code sandbox needs /usr/bin/setpriv: apt-get install util-linux")
        if not Path(python).exists():
            raise UserError(f"the code sandbox runs {python}, which does not exist: install python3, or set its path")
        self.python = python
        self.limits = limits or Limits()
        self.workers = workers or max(1, len(os.sched_getaffinity(0)))
        self._system_mounts = _system_mounts()  # looked up once, not per execution
        #: One cgroup per slot, or None where none could be created (then only the rlimits bind).
        self.cgroups = None
        if cgroup:
            memory_mb = self.limits.address_space_mb
            self.cgroups = create_slot_cgroups(self, self.workers, processes=self.limits.processes, memory_mb=memory_mb)
        #: The execution slots, each with its resident spawner (joined to the slot's cgroup).
        self.pool = SpawnerPool(self.workers, self._join)

    def _join(self, slot: int) -> Callable[[], None] | None:
        return self.cgroups[slot].join if self.cgroups else None

    async def run(
        self, program: str, *, timeout_s: float, stdin: str | None = None, files: Mapping[str, bytes] | None = None
    ) -> ExecResult:
        """Execute ``program`` (Python source) in a fresh sandbox; never raises for what the program does.

        ``files`` appear next to the program in its working directory (``/sandbox``), read-only.
        """
        async with self.pool.slot() as slot:
            return await self._run_in_slot(slot, program, timeout_s, stdin, files or {})

    async def _run_in_slot(
        self, slot: int, program: str, timeout_s: float, stdin: str | None, files: Mapping[str, bytes]
    ) -> ExecResult:
        uid = BASE_UID + slot
        workdir = Path(tempfile.mkdtemp(prefix="assay-sandbox-"))
        cgroup = self.cgroups[slot] if self.cgroups else None
        try:
            names = [path.name for path in write_workdir(workdir, program, files)]
            for name in names:
                os.chmod(workdir / name, 0o644)  # read by the slot uid through the read-only bind
            command = self._command(workdir, names, uid)
            oom_kills = cgroup.oom_kills() if cgroup is not None else 0
            data = stdin.encode() if stdin is not None else None
            rlimits = _rlimits(self.limits, timeout_s)
            spawner, ended = await self.pool.run(slot, command, stdin=data, timeout_s=timeout_s, rlimits=rlimits)
            code, out, err, timed_out, wall_s = ended
            result = classify(code, out, err, wall_s, timed_out=timed_out)
            if cgroup is None:
                return result
            await cgroup.drain(keep=spawner.pid)
            if cgroup.oom_kills() > oom_kills and not result.passed:
                return dataclasses.replace(result, outcome=Outcome.MEMORY, exception=result.exception or "OOM kill")
            return result
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _command(self, workdir: Path, names: list[str], uid: int) -> list[str]:
        assert self.bwrap is not None
        args = [
            self.bwrap,
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session",
            "--clearenv",
            "--setenv", "PATH", "/usr/bin:/bin",
            "--setenv", "HOME", "/sandbox",
            "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
            "--setenv", "PYTHONIOENCODING", "utf-8",
            "--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(self.limits.scratch_mb * 1024 * 1024), "--tmpfs", "/tmp",
            "--perms", "0777", "--size", str(self.limits.scratch_mb * 1024 * 1024), "--tmpfs", "/sandbox",
        ]  # fmt: skip
        args += self._system_mounts
        for name in names:
            args += ["--ro-bind", str(workdir / name), f"/sandbox/{name}"]
        args += ["--chdir", "/sandbox"]
        args += [
            "/usr/bin/setpriv",
            f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs",
            "--",
            # -I: isolated (no user site, no PYTHON* variables); -S: no site module (the program
            # gets the standard library only, and starts ~2 ms sooner); -B: write no .pyc.
            self.python, "-I", "-S", "-B", "main.py",
        ]  # fmt: skip
        return args


def write_workdir(workdir: Path, program: str, files: Mapping[str, bytes]) -> list[Path]:
    """Write ``main.py`` and ``files`` (plain names only) into ``workdir``; return the paths written.

    Raises:
        ValueError: a file name is not a plain name (a path, ``..``, or ``main.py`` itself).
    """
    written = [workdir / "main.py"]
    written[0].write_text(program, encoding="utf-8")
    for name, content in files.items():
        if not name or "/" in name or name in (".", "..", "main.py"):
            raise ValueError(f"sandbox file names must be plain names other than main.py, got {name!r}")
        path = workdir / name
        path.write_bytes(content)
        written.append(path)
    return written


def _system_mounts() -> list[str]:
    """``bwrap`` arguments mounting the system read-only: directories bound, merged-/usr links recreated."""
    args: list[str] = []
    for path in _SYSTEM_PATHS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in _ETC_FILES:
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    return args


def _rlimits(limits: Limits, timeout_s: float) -> list[tuple[int, int]]:
    """The limits set in the forked child before ``bwrap`` is executed, inherited by everything below it.

    The same limits ``prlimit`` would set, without the extra exec. ``RLIMIT_NPROC`` does not bind
    root (``bwrap`` itself); it binds the slot uid ``setpriv`` switches to.
    """
    mb = 1024 * 1024
    return [
        (resource.RLIMIT_AS, limits.address_space_mb * mb),
        (resource.RLIMIT_CPU, max(1, int(timeout_s) + 1)),
        (resource.RLIMIT_NPROC, limits.processes),
        (resource.RLIMIT_FSIZE, limits.file_size_mb * mb),
        (resource.RLIMIT_NOFILE, limits.open_files),
    ]


def classify(returncode: int | None, out: bytes, err: bytes, wall_s: float, *, timed_out: bool) -> ExecResult:
    """The outcome of one execution from its exit status and stderr (pure; unit-tested).

    ``bwrap`` reports a child killed by signal N as exit status 128 + N.
    """
    stdout = out.decode("utf-8", "replace")[-TAIL_CHARS:]
    stderr = err.decode("utf-8", "replace")[-TAIL_CHARS:]

    def result(outcome: Outcome, exception: str | None = None) -> ExecResult:
        return ExecResult(outcome, None if timed_out else returncode, wall_s, exception, stdout, stderr)

    if timed_out:
        return result(Outcome.TIMEOUT)
    if returncode == 0:
        return result(Outcome.PASSED)
    signum = -returncode if returncode is not None and returncode < 0 else (returncode or 0) - 128
    if signum in (signal.SIGXCPU, signal.SIGKILL) and "MemoryError" not in stderr:
        return result(Outcome.TIMEOUT if signum == signal.SIGXCPU else Outcome.KILLED)
    if signum > 0 and returncode is not None and (returncode < 0 or returncode > 128) and not stderr.strip():
        return result(Outcome.KILLED, signal.Signals(signum).name if signum in signal.valid_signals() else None)
    exception = last_exception(stderr)
    if exception == "AssertionError":
        return result(Outcome.FAILED, exception)
    if exception in {"SyntaxError", "IndentationError", "TabError"}:
        return result(Outcome.SYNTAX_ERROR, exception)
    if exception == "MemoryError":
        return result(Outcome.MEMORY, exception)
    return result(Outcome.ERROR, exception)


def last_exception(stderr: str) -> str | None:
    """The type name of the exception a Python traceback in ``stderr`` ends with (None: no traceback).

    Example:
        >>> last_exception('Traceback (most recent call last):\\n  File "x", line 1\\nZeroDivisionError: by zero')
        'ZeroDivisionError'
    """
    if "Traceback (most recent call last)" not in stderr and "Error" not in stderr:
        return None
    for line in reversed(stderr.strip().splitlines()):
        if line.startswith((" ", "\t")) or not line.strip():
            continue
        match = _EXCEPTION_LINE.match(line.strip())
        if match:
            return match.group(1)
    return None
