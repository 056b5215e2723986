"""``sandbox: {engine: none}``: model code as a plain subprocess, with a timeout and nothing else.

For machines without bubblewrap where the user accepts the risk (the config prints a warning). It
keeps the timeout, the process-group kill and the capped output reading, so a hang or a flood of
output still cannot stall or swamp a run, but the program has the user's network, files and rights.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from assay.sandbox.bwrap import classify, write_workdir
from assay.sandbox.spawner import SpawnerPool
from assay.sandbox.types import ExecResult


class UnsafeLocalRunner:
    """Runs each program with ``python -I`` in a temp dir, ``workers`` at a time, no isolation."""

    def __init__(self, *, workers: int | None = None, python: str = "/usr/bin/python3") -> None:
        self.python = python if Path(python).exists() else shutil.which("python3") or "python3"
        self.workers = workers or max(1, len(os.sched_getaffinity(0)))
        self.pool = SpawnerPool(self.workers)

    async def run(
        self, program: str, *, timeout_s: float, stdin: str | None = None, files: Mapping[str, bytes] | None = None
    ) -> ExecResult:
        async with self.pool.slot() as slot:
            workdir = Path(tempfile.mkdtemp(prefix="assay-unsafe-"))
            try:
                write_workdir(workdir, program, files or {})
                argv = [self.python, "-I", "-B", "main.py"]
                data = stdin.encode() if stdin is not None else None
                _, ended = await self.pool.run(slot, argv, stdin=data, timeout_s=timeout_s, cwd=str(workdir))
                code, out, err, timed_out, wall_s = ended
                return classify(code, out, err, wall_s, timed_out=timed_out)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
