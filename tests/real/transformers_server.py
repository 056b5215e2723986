"""Run ``transformers serve`` as a real OpenAI-compatible server for tests.

The server runs offline in a subprocess from inside a Hugging Face model folder (see
:func:`assay.models.smollm2.ensure_hf_folder`), pinned to that folder as its only model, and is
ready once a real chat completion has come back. It is stopped with its whole process group.

Example:
    >>> from assay.models.smollm2 import ensure_hf_folder
    >>> with start_transformers_serve(ensure_hf_folder(), cores="1") as server:  # doctest: +SKIP
    ...     print(server.base_url, server.model_name)
    http://127.0.0.1:41234/v1 ./
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# The server is started with the model folder as its forced model "./"; it answers 400 to any
# other "model" value, and echoes "./@main" in responses.
SERVED_MODEL_NAME = "./"
_HOST = "127.0.0.1"
_POLL_INTERVAL_S = 0.25
_STOP_GRACE_S = 10.0
_PORT_ATTEMPTS = 3
_PORT_PLACEHOLDER = "<port>"  # filled in per start attempt, since port 0 means "find one"
# Loopback requests must not go through an http_proxy set in the environment.
_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServerStartError(RuntimeError):
    """``transformers serve`` exited or did not answer a chat completion in time."""


@dataclass(frozen=True)
class TransformersServer:
    """A running ``transformers serve`` process."""

    base_url: str
    """OpenAI base URL, ``http://127.0.0.1:PORT/v1``."""
    model_name: str
    """Value to send as ``"model"`` in requests (``"./"``)."""
    proc: subprocess.Popen[bytes]
    """The server process (leader of its own process group)."""
    log_path: Path
    """File receiving the server's stdout and stderr."""
    startup_s: float
    """Seconds from spawning the process to the first successful chat completion."""


@contextmanager
def start_transformers_serve(
    model_dir: Path,
    port: int = 0,
    cores: str | None = None,
    startup_timeout_s: float = 180.0,
    extra_args: Sequence[str] = (),
) -> Iterator[TransformersServer]:
    """Start ``transformers serve`` on a model folder and stop it on exit.

    Args:
        model_dir: Hugging Face model folder (config, safetensors weights, tokenizer).
        port: TCP port on 127.0.0.1; 0 picks a free one.
        cores: CPU list for ``taskset -c`` (for example ``"1"``), or None for no pinning.
        startup_timeout_s: Seconds to wait for the first chat completion (it loads the model).
        extra_args: More ``transformers serve`` options, for example ``["--continuous-batching"]``
            (which, on the CPU too, serves concurrent requests together instead of one by one).

    Yields:
        The running server.

    Raises:
        ServerStartError: the CLI is missing, the process exited, or it was not ready in time.
    """
    # Built first so that a missing CLI or taskset fails before any folder is made.
    command = [*_serve_command(cores), *extra_args]
    log_dir = Path(tempfile.mkdtemp(prefix="assay-transformers-serve-"))
    server = _start_with_port_retries(command, model_dir, port, log_dir, startup_timeout_s)
    try:
        yield server
    finally:
        _stop(server.proc)
    # Only a clean run reaches here; after a failure the logs stay for inspection.
    shutil.rmtree(log_dir, ignore_errors=True)


def transformers_cli() -> Path:
    """Return the ``transformers`` console script installed beside ``sys.executable``."""
    cli = Path(sys.executable).parent / "transformers"
    if not cli.is_file():
        raise ServerStartError(
            f"no transformers CLI at {cli}; install it with: bash scripts/install_real_model_deps.sh"
        )
    return cli


def _serve_command(cores: str | None) -> list[str]:
    command = [
        str(transformers_cli()),
        "serve",
        SERVED_MODEL_NAME,
        "--host",
        _HOST,
        "--port",
        _PORT_PLACEHOLDER,
        "--log-level",
        "warning",
    ]
    if cores is None:
        return command
    taskset = shutil.which("taskset")
    if taskset is None:
        raise ServerStartError("cores were given but taskset is not installed (Debian package util-linux)")
    return [taskset, "-c", cores, *command]


def _start_with_port_retries(
    command: list[str], model_dir: Path, port: int, log_dir: Path, startup_timeout_s: float
) -> TransformersServer:
    # A free port found by binding port 0 can be taken by someone else before the server binds it.
    attempts = _PORT_ATTEMPTS if port == 0 else 1
    for attempt in range(1, attempts + 1):
        chosen_port = port or _free_port()
        log_path = log_dir / f"serve-{attempt}.log"
        try:
            argv = [str(chosen_port) if part == _PORT_PLACEHOLDER else part for part in command]
            return _start_once(argv, model_dir, chosen_port, log_path, startup_timeout_s)
        except ServerStartError:
            port_taken = "address already in use" in log_path.read_text(errors="replace").lower()
            if not port_taken or attempt == attempts:
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def _start_once(
    command: list[str], model_dir: Path, port: int, log_path: Path, startup_timeout_s: float
) -> TransformersServer:
    started = time.perf_counter()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command,
            cwd=model_dir,
            env=_offline_env(log_path.parent),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://{_HOST}:{port}/v1"
    try:
        _wait_until_ready(proc, base_url, log_path, started + startup_timeout_s)
    except BaseException:
        _stop(proc)
        raise
    return TransformersServer(
        base_url=base_url,
        model_name=SERVED_MODEL_NAME,
        proc=proc,
        log_path=log_path,
        startup_s=time.perf_counter() - started,
    )


def _offline_env(scratch_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        # The CLI otherwise asks PyPI once a day whether a newer transformers exists.
        HF_HUB_DISABLE_UPDATE_CHECK="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        # /v1/models scans the hub cache and answers 500 when that folder does not exist.
        HF_HUB_CACHE=str(scratch_dir / "hub-cache"),
    )
    (scratch_dir / "hub-cache").mkdir(exist_ok=True)
    return env


def _wait_until_ready(proc: subprocess.Popen[bytes], base_url: str, log_path: Path, deadline: float) -> None:
    probe = json.dumps(
        {"model": SERVED_MODEL_NAME, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}
    ).encode()
    last_error = "no attempt yet"
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise ServerStartError(f"transformers serve exited with {proc.returncode}; {_log_tail(log_path)}")
        request = urllib.request.Request(
            f"{base_url}/chat/completions", data=probe, headers={"Content-Type": "application/json"}
        )
        try:
            with _NO_PROXY_OPENER.open(request, timeout=max(1.0, deadline - time.perf_counter())) as reply:
                if json.load(reply).get("choices"):
                    return
                last_error = "a reply without choices"
        # Refused while starting, HTTP errors, cut replies, bad JSON: all mean "not ready yet".
        except (OSError, http.client.HTTPException, ValueError) as error:
            last_error = str(error)
        time.sleep(_POLL_INTERVAL_S)
    raise ServerStartError(f"transformers serve not ready in time (last: {last_error}); {_log_tail(log_path)}")


def _log_tail(log_path: Path, lines: int = 20) -> str:
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    tail = "\n".join(text.splitlines()[-lines:])
    return f"log {log_path}:\n{tail}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    # The server leads its own session (taskset execs into it), so its pid is the group id and
    # the signal also reaches any helper process it started.
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=_STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        proc.wait()
