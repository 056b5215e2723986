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

import base64
import json
import math
import os
import pickle
import re
import resource
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from array import array
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSAY_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
ASSAY_CLI = REPO_ROOT / ".venv" / "bin" / "assay"

#: The line the test server prints (and flushes) once its socket is bound.
_LISTENING = re.compile(r"listening on (http://\S+)")

#: How long a stopped process gets to exit after SIGTERM before it is killed, s.
_TERM_GRACE_S = 5.0


def pinned(argv: Sequence[str], core: int | Sequence[int]) -> list[str]:
    """Prefix ``argv`` with ``taskset -c CORE[,CORE...]``; unchanged (with a warning) where that is impossible."""
    wanted = [core] if isinstance(core, int) else list(core)
    cores = os.cpu_count() or 1
    if shutil.which("taskset") is None or max(wanted) >= cores:
        print(
            f"warning: cannot pin to core(s) {wanted} (taskset missing or {cores} cores); running unpinned",
            file=sys.stderr,
        )
        return list(argv)
    return ["taskset", "-c", ",".join(map(str, wanted)), *argv]


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
    cpu_s: float | None = None
    """CPU seconds (user + system) it and the children it waited for used; None if killed."""

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
    cpu_before = _children_cpu_s()
    cpu_s: float | None = None
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
            cpu_s = _children_cpu_s() - cpu_before
        except subprocess.TimeoutExpired:
            wall_s = time.perf_counter() - start
            returncode = None
        finally:
            stop_process(proc)
    return CommandResult(list(argv), returncode, wall_s, log_path, cpu_s)


def _children_cpu_s() -> float:
    """User + system CPU seconds of every child this process has waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class RunningServer:
    """A running ``assay.mock_server``."""

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
    """Run ``python -m assay.mock_server --port 0 *server_args`` pinned to ``core``; stop it on exit.

    Waits for its ``listening on URL`` line; raises ``RuntimeError`` (with its output) if the
    server exits or stays silent for ``startup_timeout_s``.
    """
    argv = pinned([str(ASSAY_PYTHON), "-m", "assay.mock_server", "--port", "0", *server_args], core)
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


# ---------------------------------------------------------------------------------------------
# Perf benches: the test server's own timing record, percentiles, a bare streaming client
# ---------------------------------------------------------------------------------------------

DEFAULT_EVALSCOPE_PYTHON = "/root/.venvs/evalscope/bin/python"

#: The test server's reply in the perf benches: 16 words, so 16 tokens (one SSE chunk each).
SIXTEEN_TOKEN_REPLY = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"

#: The ``id`` the test server puts in every chunk of one streamed reply (``chatcmpl-mock-<n>``).
_CHUNK_ID = re.compile(rb'"id":"([^"]+)"')
#: An SSE event whose delta carries output (the assistant-role chunk has ``"content":""``).
_HAS_OUTPUT = re.compile(rb'"(?:content|reasoning_content|text)":"[^"]')


def find_evalscope(python: str, *, skip: bool, perf: bool = False) -> str | None:
    """The ``evalscope`` CLI next to ``python`` (EvalScope's own venv), or None with a message.

    With ``perf``, also check that ``evalscope perf`` can start: it needs the ``evalscope[perf]``
    extras (uvicorn, fastapi, sse_starlette), which a plain ``pip install evalscope`` lacks.
    """
    if skip:
        return None
    cli = Path(python).parent / "evalscope"
    if not (Path(python).exists() and cli.exists()):
        print("EvalScope not installed: skipped", flush=True)
        return None
    if perf:
        check = subprocess.run([python, "-c", "import evalscope.perf.main"], capture_output=True, text=True)
        if check.returncode != 0:
            last = (check.stderr.strip().splitlines() or ["?"])[-1]
            print(f"EvalScope's perf extras are missing ({last}; pip install 'evalscope[perf]'): skipped", flush=True)
            return None
    return str(cli)


@dataclass(frozen=True)
class ServerTrace:
    """One line of the test server's ``--record`` file: what it did for one answered request.

    Times are the server's ``time.perf_counter_ns()``: CLOCK_MONOTONIC, the same clock as any
    client's ``perf_counter`` on this machine, so client and server times can be subtracted.
    """

    request_id: str
    """The ``id`` of every chunk of the reply (``chatcmpl-mock-<n>``)."""
    arrival_ns: int
    """When its handler started: headers parsed, body not yet read."""
    first_byte_ns: int
    """When the first token's chunk (with the assistant-role chunk) was written to the socket."""
    last_byte_ns: int
    """When the last chunk was written."""
    chunks: int

    @property
    def ttft_ns(self) -> int:
        """The server's own time to first token: first token written minus arrival."""
        return self.first_byte_ns - self.arrival_ns


def read_server_traces(path: Path) -> dict[str, ServerTrace]:
    """The answered (``ok``) requests of a ``--record`` file, keyed by their reply ``id``."""
    traces: dict[str, ServerTrace] = {}
    if not path.exists():
        return traces
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        first, chunk_ns = row.get("first_byte_ns"), row.get("chunk_ns") or []
        if row.get("outcome") != "ok" or not row.get("request_id") or first is None or not chunk_ns:
            continue
        rid = row["request_id"]
        traces[rid] = ServerTrace(rid, row["arrival_ns"], first, chunk_ns[-1], len(chunk_ns))
    return traces


def chunk_reply_id(data: bytes) -> str | None:
    """The reply ``id`` in the first chunk of a streamed chat completion, if there is one."""
    match = _CHUNK_ID.search(data)
    return match.group(1).decode() if match else None


def first_output_index(chunks: Sequence[bytes]) -> int | None:
    """Index of the socket read that completed the first SSE event carrying output text.

    Reads are joined and split into events at blank lines; an event belongs to the read in which
    its terminating blank line arrived (a client can only parse it then).
    """
    buffer = b""
    for index, chunk in enumerate(chunks):
        buffer += chunk.replace(b"\r\n", b"\n")
        *events, buffer = buffer.split(b"\n\n")
        if any(_HAS_OUTPUT.search(event) for event in events):
            return index
    return None


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation between closest ranks (numpy's default).

    An empty sequence gives NaN: a missing statistic must not look like a measured zero.
    """
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def nearest_rank(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile by nearest rank (value at 1-based rank ceil(q/100 * n)), as both tools compute it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * q / 100)) - 1]


def drive_stream(
    url: str,
    prompts: Sequence[str],
    requests: int,
    *,
    concurrency: int,
    core: int | None,
    log_path: Path,
    max_tokens: int = 16,
    records_path: Path | None = None,
    model: str = "mock-model",
    timeout_s: float = 600.0,
) -> dict[str, float]:
    """The baseline streaming client: ``requests`` streamed chat completions, a bare aiohttp + uvloop loop.

    Runs in a child (pinned to ``core`` unless None), ``concurrency`` in flight, the prompts cycled,
    every socket read stamped with ``perf_counter_ns`` and nothing parsed until the reply is done.
    With ``records_path`` it writes one JSON line per request: ``{"id", "start_ns", "sent_ns",
    "first_ns", "end_ns"}`` (``sent_ns``: the request body handed to the socket, from aiohttp's
    ``on_request_chunk_sent`` trace; ``first_ns``: the read that completed the first event with
    output). Returns
    ``{"requests_per_s", "requests"}`` (rate over first start to last end); raises ``RuntimeError``
    with its output if it fails.
    """
    job = log_path.with_suffix(".job.json")
    job.write_text(
        json.dumps(
            {
                "url": url,
                "prompts": list(prompts),
                "requests": requests,
                "concurrency": concurrency,
                "max_tokens": max_tokens,
                "model": model,
                "records_path": str(records_path) if records_path else None,
            }
        )
    )
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import _common; "
        f"_common._drive_stream({str(job)!r})"
    )
    argv = [str(ASSAY_PYTHON), "-c", code]
    run = time_command(argv if core is None else pinned(argv, core), log_path=log_path, timeout_s=timeout_s)
    lines = run.tail(500).strip().splitlines()
    if not run.ok or not lines:
        raise RuntimeError(f"bare streaming client exited {run.returncode}:\n{run.tail()}")
    result: dict[str, float] = json.loads(lines[-1])
    return result


def _drive_stream(job_path: str) -> None:
    """The body of :func:`drive_stream`'s child: print its result as one JSON line."""
    import asyncio

    import aiohttp

    job = json.loads(Path(job_path).read_text())
    bodies = [
        json.dumps(
            {
                "model": job["model"],
                "messages": [{"role": "user", "content": prompt}],
                "max_tokens": job["max_tokens"],
                "stream": True,
                "stream_options": {"include_usage": True},
            }
        ).encode()
        for prompt in job["prompts"]
    ]
    pending = iter(range(job["requests"]))
    done: list[tuple[int, int | None, int, list[int], list[bytes]]] = []
    headers = {"Content-Type": "application/json"}
    record_sent = job["records_path"] is not None

    async def on_sent(session: Any, context: Any, params: Any) -> None:
        context.trace_request_ctx["sent_ns"] = time.perf_counter_ns()

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in pending:  # one shared iterator: `requests` requests in all
            body = bodies[i % len(bodies)]
            stamps: list[int] = []
            reads: list[bytes] = []
            trace: dict[str, int] = {}
            start = time.perf_counter_ns()
            async with session.post(job["url"], data=body, headers=headers, trace_request_ctx=trace) as resp:
                resp.raise_for_status()
                async for data in resp.content.iter_any():
                    stamps.append(time.perf_counter_ns())
                    reads.append(data)
            done.append((start, trace.get("sent_ns"), time.perf_counter_ns(), stamps, reads))

    async def main() -> None:
        tracing = aiohttp.TraceConfig()
        tracing.on_request_chunk_sent.append(on_sent)
        connector = aiohttp.TCPConnector(limit=job["concurrency"])
        async with aiohttp.ClientSession(
            connector=connector, trace_configs=[tracing] if record_sent else []
        ) as session:
            await asyncio.gather(*(worker(session) for _ in range(job["concurrency"])))

    run: Any = asyncio.run
    try:
        import uvloop

        run = uvloop.run
    except ImportError:  # the tools fall back to asyncio's loop too
        pass
    run(main())
    if job["records_path"]:
        with open(job["records_path"], "w") as out:
            for start, sent, end, stamps, reads in done:
                index = first_output_index(reads)
                record = {
                    "id": chunk_reply_id(reads[0]) if reads else None,
                    "start_ns": start,
                    "sent_ns": sent,
                    "first_ns": None if index is None else stamps[index],
                    "end_ns": end,
                }
                out.write(json.dumps(record) + "\n")
    span_s = (max(item[2] for item in done) - min(item[0] for item in done)) / 1e9
    print(json.dumps({"requests_per_s": len(done) / span_s, "requests": len(done)}))


# ---------------------------------------------------------------------------------------------
# Perf benches: reading the per-request records and run files of `assay perf` and `evalscope perf`
# ---------------------------------------------------------------------------------------------


def load_prompts(path: Path) -> list[str]:
    """The prompts ``line_by_line`` makes of a text file: every non-blank line, stripped."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass(frozen=True)
class ClientRequest:
    """One successful request as a client stored it (times: perf_counter_ns)."""

    reply_id: str | None
    start_ns: int
    ttft_ns: float
    """The TTFT the client reports for this request."""
    prompt: str
    sent_ns: int | None = None
    """Bare client only: when aiohttp handed the request body to the socket."""
    intended_ns: int | None = None
    """Assay open loop only: when its schedule said to send."""


def read_evalscope_db(db: Path) -> list[ClientRequest]:
    """EvalScope's ``benchmark_data.db``: ``start_time`` and ``first_chunk_latency`` are perf_counter seconds.

    ``response_messages`` is its base64 pickle of the parsed chunk dicts (plain dicts, so the
    standard library unpickles them without EvalScope); their ``id`` is the server's reply id.
    """
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT start_time, first_chunk_latency, response_messages, request FROM result WHERE success = 1"
        ).fetchall()
    requests = []
    for start_s, ttft_s, messages_b64, request in rows:
        if ttft_s is None:
            continue
        messages = pickle.loads(base64.b64decode(messages_b64))  # our own run's file
        reply_id = messages[0].get("id") if messages and isinstance(messages[0], dict) else None
        prompt = json.loads(request)["messages"][-1]["content"]
        requests.append(ClientRequest(reply_id, round(start_s * 1e9), ttft_s * 1e9, prompt))
    return requests


def read_assay_db(db: Path) -> list[ClientRequest]:
    """Assay's ``benchmark_data.db`` (``records`` + ``prompts``, see ``assay/perf/storage.py``).

    The TTFT is recomputed from the raw record as Assay defines it (arrival of the socket read that
    completed the first event with output, minus ``start_ns``); the report compares its p50/p99
    with Assay's own percentile file.
    """
    with sqlite3.connect(db) as con:
        columns = {row[1] for row in con.execute("PRAGMA table_info(records)")}
        needed = {"start_ns", "intended_ns", "outcome", "warmup", "chunk_deltas_ns", "chunk_sizes", "chunk_bytes"}
        if not needed <= columns:
            raise RuntimeError(f"unknown benchmark_data.db layout: records has {sorted(columns)}")
        rows = con.execute(
            "SELECT r.start_ns, r.intended_ns, r.chunk_deltas_ns, r.chunk_sizes, r.chunk_bytes, p.text FROM records r"
            " LEFT JOIN prompts p ON p.digest = r.prompt_digest WHERE r.outcome = 'ok' AND r.warmup = 0"
        ).fetchall()
    requests = []
    for start_ns, intended_ns, deltas, sizes, body, prompt in rows:
        chunk_ns = list(accumulate(_int_array("q", deltas), initial=start_ns))[1:]
        offsets = [0, *accumulate(_int_array("i", sizes))]
        chunks = [body[a:b] for a, b in pairwise(offsets)]
        index = first_output_index(chunks)
        if index is None:
            continue
        reply_id = chunk_reply_id(chunks[0])
        requests.append(ClientRequest(reply_id, start_ns, chunk_ns[index] - start_ns, prompt or "", None, intended_ns))
    return requests


def _int_array(typecode: str, blob: bytes) -> list[int]:
    values = array(typecode)
    values.frombytes(blob)
    if sys.byteorder == "big":  # stored little-endian
        values.byteswap()
    return list(values)


def run_folder(outputs: Path) -> Path | None:
    """The one run folder (``.../parallel_<P>_number_<N>/``) under a ``perf`` outputs dir, if any.

    Found by its ``benchmark_summary.json``, so the name (open-loop runs name it differently, and
    each tool in its own way) does not matter. More than one is an error: each bench run is one run.
    """
    found = sorted(path.parent for path in outputs.rglob("benchmark_summary.json"))
    if len(found) > 1:
        raise RuntimeError(f"several run folders under {outputs}: {[str(p) for p in found]}")
    return found[0] if found else None


def read_run_files(folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A run folder's ``benchmark_summary.json`` and ``benchmark_percentile.json`` (EvalScope's names)."""
    summary: dict[str, Any] = json.loads((folder / "benchmark_summary.json").read_text())
    rows: list[dict[str, Any]] = json.loads((folder / "benchmark_percentile.json").read_text())
    return summary, rows


def percentile_value(rows: Sequence[dict[str, Any]], column: str, label: str) -> float | None:
    """One cell of a percentile file: ``column`` (e.g. ``TTFT (ms)``) at ``label`` (``50%``, ``99%``)."""
    for row in rows:
        if str(row.get("Percentiles")) == label and row.get(column) is not None:
            return float(row[column])
    return None


def summarize_ms(values_ns: Sequence[float]) -> dict[str, float]:
    """p1, p50, p90, p99, mean and max of nanosecond values, in ms (4 decimals); {} when there are none."""
    if not values_ns:
        return {}  # no NaN: it is not valid JSON, and a missing statistic must not look measured
    ms = [v / 1e6 for v in values_ns]
    stats = {f"p{q}": percentile(ms, q) for q in (1, 50, 90, 99)}
    stats["mean"] = sum(ms) / len(ms)
    stats["max"] = max(ms)
    return {k: round(v, 4) for k, v in stats.items()}
