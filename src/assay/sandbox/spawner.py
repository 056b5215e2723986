"""A small resident process per sandbox slot that starts each execution: cheap forks, born in the cgroup.

Starting ``bwrap`` straight from the evaluator costs twice over: Python forks the whole evaluator
process for a ``preexec_fn`` (hundreds of MB of page tables, where a plain spawn would use
``vfork``), and moving each new process into the slot's cgroup takes the kernel's global cgroup
lock, which stalls every other fork on the machine while it waits for an RCU grace period. The
spawner joins the slot's cgroup once, at start, and then forks a few-MB process per execution,
whose children are born in the cgroup. Measured on the 2-core development machine with HumanEval
programs at 2 workers: 108/s with no cgroup and 90/s with it, started from the evaluator; 116-124/s
with the cgroup, started by spawners (bench/README.md, ``code_exec.py``).

Protocol, over a ``SOCK_SEQPACKET`` socket pair (one message per packet): the evaluator sends
``{"argv", "rlimits"}`` with the execution's stdin, stdout and stderr pipe ends attached
(``SCM_RIGHTS``); the spawner forks, the child starts a new session, takes the pipes as fds 0-2,
sets the rlimits and ``exec``\\ s; the spawner answers ``{"pid"}``, waits, and answers
``{"status"}`` (``subprocess``'s convention: negative for a signal). The evaluator kills the
process group itself at its timeout. The spawner is a child subreaper, so processes of an
execution orphaned on their way out are reaped by it, not left as zombies of the host's init
(charged to the slot's pids cgroup until that init gets round to them). If the evaluator goes
away (the socket closes) the spawner kills the running execution and exits; a spawner that died
is started again for the next execution.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

#: The spawner program (standard library only; run with ``python -I -S``).
SPAWNER_SOURCE = r"""
import ctypes, json, os, resource, select, signal, socket, sys
sock = socket.socket(fileno=int(sys.argv[1]))
# A child subreaper (PR_SET_CHILD_SUBREAPER): bwrap's reaper inside the pid namespace may outlive
# bwrap by a moment; orphaned, it comes here instead of to the host's init, and is reaped at once.
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)

def reap_orphans():  # reap every exited child; True when none is left at all
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        return True
    return False

while True:
    # Until the next request arrives, keep reaping what the last execution left on its way out.
    while not reap_orphans() and not select.select([sock], [], [], 0.002)[0]:
        pass
    try:
        message, fds, _, _ = socket.recv_fds(sock, 1 << 16, 3)
    except OSError:
        break
    if not message:
        break
    request = json.loads(message)
    reap_orphans()
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            with open("/proc/self/oom_score_adj", "w") as adj:  # the spawner's -1000 is not inherited
                adj.write("0")
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
            os.closerange(3, 1 << 16)
            if request.get("cwd"):
                os.chdir(request["cwd"])
            for name, limit in request["rlimits"]:
                resource.setrlimit(name, (limit, limit))
            os.execv(request["argv"][0], request["argv"])
        finally:
            os._exit(127)
    for fd in fds:
        os.close(fd)
    sock.send(json.dumps({"pid": pid}).encode())
    watch = os.pidfd_open(pid)
    ready, _, _ = select.select([watch, sock], [], [])
    if sock in ready and watch not in ready:  # the evaluator is gone: end the execution, then stop
        os.killpg(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(watch)
    reap_orphans()
    try:
        sock.send(json.dumps({"status": os.waitstatus_to_exitcode(status)}).encode())
    except OSError:
        break
"""

#: Bytes of stdout / stderr kept per execution while reading (more than the verdict's tail needs):
#: a program printing without end cannot fill the evaluator's memory.
KEEP_BYTES = 64 * 1024


class SpawnerGone(Exception):
    """The spawner process ended; a new one is started for the next execution."""


class Spawner:
    """One resident spawner process, started in ``join``'s cgroup (see the module docstring).

    Args:
        join: Run in the spawner's process before it starts (moves it into the slot's cgroup).
        python: The interpreter running the spawner (trusted; runs as the evaluator's user).
    """

    def __init__(self, join: Callable[[], None] | None = None, python: str = sys.executable) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._sock = ours
        self._proc = subprocess.Popen(
            [python, "-I", "-S", "-c", SPAWNER_SOURCE, str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            preexec_fn=functools.partial(_prepare, join),
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        ours.setblocking(False)

    def close(self) -> None:
        """Stop the spawner (it sees the socket close, ends any running execution, and exits)."""
        self._sock.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=2)
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def _abandon(self) -> None:
        """Drop this spawner without waiting: it and what it runs are killed, reaped by :meth:`close` later."""
        self._sock.close()
        with contextlib.suppress(ProcessLookupError):
            self._proc.kill()

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None and self._sock.fileno() >= 0

    @property
    def pid(self) -> int:
        return self._proc.pid

    async def run(
        self,
        argv: Sequence[str],
        *,
        stdin: bytes | None,
        timeout_s: float,
        rlimits: Sequence[tuple[int, int]] = (),
        cwd: str | None = None,
    ) -> tuple[int | None, bytes, bytes, bool, float]:
        """Run ``argv``; return (exit status or None when killed at the timeout, stdout, stderr, timed out, wall s).

        Raises:
            SpawnerGone: the spawner died before or during the execution.
        """
        loop = asyncio.get_running_loop()
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        request = json.dumps({"argv": list(argv), "rlimits": [list(limit) for limit in rlimits], "cwd": cwd}).encode()
        start = time.perf_counter()
        try:
            socket.send_fds(self._sock, [request], [in_r, out_w, err_w])
        except OSError as exc:
            for fd in (in_r, in_w, out_r, out_w, err_r, err_w):
                os.close(fd)
            raise SpawnerGone(str(exc)) from None
        for fd in (in_r, out_w, err_w):
            os.close(fd)
        reads = [asyncio.ensure_future(_read_tail(out_r)), asyncio.ensure_future(_read_tail(err_r))]
        feeding = asyncio.ensure_future(_feed(in_w, stdin or b""))
        try:
            reply = await loop.sock_recv(self._sock, 4096)
            if not reply:
                raise SpawnerGone("the spawner closed its socket")
            pid = int(json.loads(reply)["pid"])
            timed_out = False
            try:
                status = await asyncio.wait_for(self._status(), timeout_s)
            except asyncio.TimeoutError:
                timed_out = True
                _kill_group(pid)
                status = await self._status()
            except BaseException:
                _kill_group(pid)
                raise
            out, err = await asyncio.gather(*reads)
            return (None if timed_out else status), out, err, timed_out, time.perf_counter() - start
        except BaseException:
            # Cancelled (or failed) mid-conversation: an answer may still be on its way, which the
            # next execution would misread. This spawner is done; the pool starts a fresh one.
            self._abandon()
            raise
        finally:
            feeding.cancel()
            for task in reads:
                task.cancel()

    async def _status(self) -> int:
        reply = await asyncio.get_running_loop().sock_recv(self._sock, 4096)
        if not reply:
            raise SpawnerGone("the spawner closed its socket during an execution")
        return int(json.loads(reply)["status"])


class SpawnerPool:
    """``workers`` execution slots, each with its resident spawner, handed out one execution at a time.

    Args:
        workers: Slots (executions at once).
        join: For slot ``i``, what its spawner runs before starting (joining the slot's cgroup).
    """

    def __init__(self, workers: int, join: Callable[[int], Callable[[], None] | None] = lambda slot: None) -> None:
        self.workers = workers
        self._join = join
        self._spawners: list[Spawner | None] = [None] * workers
        self._slots: asyncio.Queue[int] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        weakref.finalize(self, _close_all, self._spawners)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[int]:
        """Wait for a free slot and hold it for one execution."""
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:  # queues belong to one event loop
            self._loop, self._slots = loop, asyncio.Queue()
            for slot in range(self.workers):
                self._slots.put_nowait(slot)
        slots = self._slots
        slot = await slots.get()
        try:
            yield slot
        finally:
            slots.put_nowait(slot)

    def running(self, slot: int) -> Spawner | None:
        """The slot's spawner as it is now (None before the slot's first execution)."""
        return self._spawners[slot]

    def spawner(self, slot: int) -> Spawner:
        """The slot's spawner, started (again) when it is not running."""
        spawner = self._spawners[slot]
        if spawner is None or not spawner.alive:
            if spawner is not None:
                spawner.close()
            spawner = self._spawners[slot] = Spawner(self._join(slot))
        return spawner

    async def run(
        self, slot: int, argv: Sequence[str], **options: Any
    ) -> tuple[Spawner, tuple[int | None, bytes, bytes, bool, float]]:
        """:meth:`Spawner.run` on the slot's spawner, started again once if it died; with the spawner used."""
        for attempt in (1, 2):
            spawner = self.spawner(slot)
            try:
                return spawner, await spawner.run(argv, **options)
            except SpawnerGone:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def _close_all(spawners: list[Spawner | None]) -> None:
    for spawner in spawners:
        if spawner is not None:
            spawner.close()


def _prepare(join: Callable[[], None] | None) -> None:
    """In the spawner's process before it starts: join the slot's cgroup, and be the OOM killer's last pick."""
    if join is not None:
        join()
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as adj:
        adj.write("-1000")


async def _feed(fd: int, data: bytes) -> None:
    """Write ``data`` to the execution's stdin and close it (a program that never reads just stops it)."""
    os.set_blocking(fd, False)
    view = memoryview(data)
    try:
        while view:
            try:
                written = os.write(fd, view)
            except BlockingIOError:
                await _ready(fd, write=True)
                continue
            except BrokenPipeError:
                return
            view = view[written:]
    finally:
        os.close(fd)


async def _read_tail(fd: int) -> bytes:
    """Read ``fd`` to its end, keeping only the last :data:`KEEP_BYTES`."""
    os.set_blocking(fd, False)
    kept = bytearray()
    try:
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                await _ready(fd, write=False)
                continue
            if not chunk:
                return bytes(kept)
            kept += chunk
            if len(kept) > KEEP_BYTES:
                del kept[: len(kept) - KEEP_BYTES]
    finally:
        os.close(fd)


async def _ready(fd: int, *, write: bool) -> None:
    """Wait until the loop reports ``fd`` writable (or readable)."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    (loop.add_writer if write else loop.add_reader)(fd, _resolve, ready)
    try:
        await ready
    finally:
        (loop.remove_writer if write else loop.remove_reader)(fd)


def _resolve(ready: asyncio.Future[None]) -> None:
    if not ready.done():  # the loop may report the fd ready again before the waiter runs
        ready.set_result(None)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
