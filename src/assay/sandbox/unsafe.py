"""``sandbox: {engine: none}``: model code as a plain subprocess, with a timeout and nothing else.

For machines without bubblewrap where the user accepts the risk (the config prints a warning). It
keeps the timeout and the process-group kill, so a hang still cannot stall a run, but the program
has the user's network, files and rights.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from assay.sandbox.bwrap import execute, write_workdir
from assay.sandbox.types import ExecResult


class UnsafeLocalRunner:
    """Runs each program with ``python -I`` in a temp dir, ``workers`` at a time, no isolation."""

    def __init__(self, *, workers: int | None = None, python: str = "/usr/bin/python3") -> None:
        self.python = python if Path(python).exists() else shutil.which("python3") or "python3"
        self.workers = workers or max(1, len(os.sched_getaffinity(0)))
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(
        self, program: str, *, timeout_s: float, stdin: str | None = None, files: Mapping[str, bytes] | None = None
    ) -> ExecResult:
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._loop is not loop:
            self._semaphore, self._loop = asyncio.Semaphore(self.workers), loop
        async with self._semaphore:
            workdir = Path(tempfile.mkdtemp(prefix="assay-unsafe-"))
            try:
                write_workdir(workdir, program, files or {})
                argv = [self.python, "-I", "-B", "main.py"]
                return await execute(argv, stdin=stdin, timeout_s=timeout_s, cwd=workdir)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
