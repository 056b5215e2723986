"""Helpers shared by the bench scripts: pinned processes, the test server, timing, tables.

The bench machines are small and noisy, so every script measures its baseline in the same run and
reports ratios. Two habits keep those ratios honest:

- **Pinning.** The test server runs on one core and the tool under test on another
  (``taskset -c``), so the server's CPU time never competes with the client's.
- **Nothing left behind.** Every process is started in its own session and its whole process group
  is killed when it is done or times out (EvalScope forks a child per scored item).

Example:
    >>> with start_test_server("--default-reply", "ANSWER: A", log_path=Path("/tmp/s.log")) as srv:
    ...     run = time_command(pinned([str(ASSAY_CLI), "--help"], core=0), log_path=Path("/tmp/h.log"))
    ...     print(srv.url, run.wall_s)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSAY_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
ASSAY_CLI = REPO_ROOT / ".venv" / "bin" / "assay"

#: The line the test server prints (and flushes) once its socket is bound.
_LISTENING = re.compile(r"listening on (http://\S+)")

#: How long a stopped process gets to exit after SIGTERM before it is killed, s.
_TERM_GRACE_S = 5.0


def pinned(argv: Sequence[str], core: int) -> list[str]:
    """Prefix ``argv`` with ``taskset -c CORE``; unchanged (with a warning) where that is impossible."""
    cores = os.cpu_count() or 1
    if shutil.which("taskset") is None or core >= cores:
        print(
            f"warning: cannot pin to core {core} (taskset missing or {cores} cores); running unpinned",
            file=sys.stderr,
        )
        return list(argv)
    return ["taskset", "-c", str(core), *argv]


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Stop ``proc`` and every process in its group: SIGTERM, a short grace period, then SIGKILL.

    ``proc`` must have been started with ``start_new_session=True`` so that its group holds only
    it and its children.
    """
    if proc.poll() is not None:
        _kill_group(proc.pid, signal.SIGKILL)  # orphans left by a parent that already exited
        return
    _kill_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=_TERM_GRACE_S)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid, signal.SIGKILL)
        proc.wait()
    _kill_group(proc.pid, signal.SIGKILL)


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError, PermissionError):  # already gone, or never ours
        os.killpg(pgid, sig)


@dataclass(frozen=True)
class CommandResult:
    """How one timed command ended."""

    argv: list[str]
    returncode: int | None
    """Exit status; None when it was killed for running past its timeout."""
    wall_s: float
    """Seconds from process start to exit (to the kill, on a timeout)."""
    log_path: Path
    """Where its stdout and stderr went."""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def command_line(self) -> str:
        return shlex.join(self.argv)

    def tail(self, chars: int = 2000) -> str:
        """The end of its output, for error messages."""
        return tail_text(self.log_path, chars)


def time_command(
    argv: Sequence[str],
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout_s: float = 900.0,
) -> CommandResult:
    """Run ``argv`` to completion and measure its wall time, process start to exit.

    Output goes to ``log_path`` (never to a pipe, which a chatty child could fill and block on).
    On a timeout, or if this process is interrupted, the command's whole process group is killed.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
        returncode: int | None
        try:
            returncode = proc.wait(timeout=timeout_s)
            wall_s = time.perf_counter() - start
        except subprocess.TimeoutExpired:
            wall_s = time.perf_counter() - start
            returncode = None
        finally:
            stop_process(proc)
    return CommandResult(list(argv), returncode, wall_s, log_path)


@dataclass(frozen=True)
class RunningServer:
    """A running ``assay.testing.server``."""

    url: str
    """OpenAI base URL, ending in ``/v1``."""
    argv: list[str]

    @property
    def root(self) -> str:
        return self.url.removesuffix("/v1")

    def stats(self) -> dict[str, Any]:
        """``GET /admin/stats``: requests served, by endpoint and outcome."""
        with urllib.request.urlopen(f"{self.root}/admin/stats", timeout=10) as resp:
            data: dict[str, Any] = json.load(resp)
        return data

    def reset(self) -> None:
        """``POST /admin/reset``: zero the counters between runs."""
        request = urllib.request.Request(f"{self.root}/admin/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass


@contextmanager
def start_test_server(
    *server_args: str, log_path: Path, core: int = 1, startup_timeout_s: float = 60.0
) -> Iterator[RunningServer]:
    """Run ``python -m assay.testing.server --port 0 *server_args`` pinned to ``core``; stop it on exit.

    Waits for its ``listening on URL`` line; raises ``RuntimeError`` (with its output) if the
    server exits or stays silent for ``startup_timeout_s``.
    """
    argv = pinned([str(ASSAY_PYTHON), "-m", "assay.testing.server", "--port", "0", *server_args], core)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            url = _wait_for_listening(proc, log_path, startup_timeout_s)
            yield RunningServer(url, argv)
        finally:
            stop_process(proc)


def _wait_for_listening(proc: subprocess.Popen[bytes], log_path: Path, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        match = _LISTENING.search(log_path.read_text(errors="replace"))
        if match:
            return match.group(1)
        if proc.poll() is not None:
            raise RuntimeError(f"test server exited with {proc.returncode}:\n{tail_text(log_path)}")
        time.sleep(0.02)
    raise RuntimeError(f"test server printed no 'listening on' line in {timeout_s:.0f} s:\n{tail_text(log_path)}")


_PROBE_QUESTION = (
    "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes "
    "muffins for her friends every day with four. How much does she make every day?"
)


def drive_server(
    url: str, requests: int, *, concurrency: int, core: int, log_path: Path, model: str = "mock-model"
) -> dict[str, float]:
    """The baseline client: ``requests`` chat completions from a bare aiohttp + uvloop loop.

    Runs in a child pinned to ``core`` (like the tool it is compared with), ``concurrency`` requests
    in flight, no prompts, scoring or files. Returns ``{"requests_per_s", "mean_latency_s"}``;
    raises ``RuntimeError`` with its output if it fails.
    """
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import _common; "
        f"_common._drive({url!r}, {requests}, {concurrency}, {model!r})"
    )
    run = time_command(pinned([str(ASSAY_PYTHON), "-c", code], core), log_path=log_path, timeout_s=600)
    lines = run.tail(500).strip().splitlines()
    if not run.ok or not lines:
        raise RuntimeError(f"bare client exited {run.returncode}:\n{run.tail()}")
    result: dict[str, float] = json.loads(lines[-1])
    return result


def _drive(url: str, requests: int, concurrency: int, model: str) -> None:
    """The body of :func:`drive_server`'s child: print its result as one JSON line."""
    import asyncio

    import aiohttp

    body = json.dumps({"model": model, "messages": [{"role": "user", "content": _PROBE_QUESTION}]}).encode()
    pending = iter(range(requests))
    latencies: list[float] = []

    async def worker(session: aiohttp.ClientSession) -> None:
        for _ in pending:  # one shared iterator: `requests` requests in all
            start = time.perf_counter()
            async with session.post(
                f"{url}/chat/completions", data=body, headers={"Content-Type": "application/json"}
            ) as resp:
                resp.raise_for_status()
                await resp.read()
            latencies.append(time.perf_counter() - start)

    async def main() -> float:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
            start = time.perf_counter()
            await asyncio.gather(*(worker(session) for _ in range(concurrency)))
            return requests / (time.perf_counter() - start)

    run: Any = asyncio.run
    try:
        import uvloop

        run = uvloop.run
    except ImportError:  # the tools fall back to asyncio's loop too
        pass
    rate = run(main())
    print(json.dumps({"requests_per_s": rate, "mean_latency_s": sum(latencies) / len(latencies)}))


def tail_text(path: Path, chars: int = 2000) -> str:
    """The last ``chars`` characters of a text file ('' if it is missing)."""
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain aligned text table (no dependencies, so it prints the same in any venv or log)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in (headers, *rows)
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
