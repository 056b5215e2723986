"""``sandbox: {engine: none}``: model code as a plain subprocess, with a timeout and nothing else.

For machines without bubblewrap where the user accepts the risk (the config prints a warning). It
keeps the timeout and the process-group kill, so a hang still cannot stall a run, but the program
has the user's network, files and rights.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

from assay.sandbox.bwrap import classify
from assay.sandbox.types import ExecResult


class UnsafeLocalRunner:
    """Runs each program with ``python -I`` in a temp dir, ``workers`` at a time, no isolation."""

    def __init__(self, *, workers: int | None = None, python: str = "/usr/bin/python3") -> None:
        self.python = python if Path(python).exists() else shutil.which("python3") or "python3"
        self.workers = workers or max(1, len(os.sched_getaffinity(0)))
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self, program: str, *, timeout_s: float, stdin: str | None = None) -> ExecResult:
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._loop is not loop:
            self._semaphore, self._loop = asyncio.Semaphore(self.workers), loop
        async with self._semaphore:
            workdir = Path(tempfile.mkdtemp(prefix="assay-unsafe-"))
            try:
                (workdir / "main.py").write_text(program, encoding="utf-8")
                start = time.perf_counter()
                proc = await asyncio.create_subprocess_exec(
                    self.python, "-I", "-B", "main.py",
                    cwd=workdir,
                    stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                    start_new_session=True,
                )  # fmt: skip
                timed_out = False
                try:
                    out, err = await asyncio.wait_for(
                        proc.communicate(stdin.encode() if stdin is not None else None), timeout_s
                    )
                except asyncio.TimeoutError:
                    timed_out = True
                    os.killpg(proc.pid, signal.SIGKILL)
                    out, err = await proc.communicate()
                return classify(proc.returncode, out, err, time.perf_counter() - start, timed_out=timed_out)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
