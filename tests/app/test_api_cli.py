"""``assay app`` as a user runs it: it serves, warns when exposed, and says one line for each mistake."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.app.api_helpers import RUN_A, make_outputs

pytest.importorskip("uvicorn", reason="the viewer needs the app extra: pip install 'assay[app]'")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_outputs(tmp_path_factory.mktemp("api_cli"))


def assay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assay", *args], capture_output=True, text=True, timeout=120)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def serve(outputs: Path, *flags: str) -> tuple[subprocess.Popen[str], str]:
    """Start ``assay app`` on a free port; returns the process and the URL it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "assay", "app", "--outputs", str(outputs), "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    line = process.stdout.readline()
    assert "serving" in line, (line, process.stderr.read() if process.poll() is not None else "")
    url = line.split(" at ", 1)[1].split(" ", 1)[0]
    return process, url


def stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    try:
        _, err = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return err


def test_serves_the_api_on_loopback_without_a_warning(outputs: Path) -> None:
    process, url = serve(outputs)
    try:
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "api/runs", timeout=10) as response:
            ids = {run["id"] for run in json.loads(response.read())["runs"]}
        assert RUN_A in ids
    finally:
        err = stop(process)
    assert "warning" not in err


def test_binding_every_interface_warns_that_results_become_visible(outputs: Path) -> None:
    process, url = serve(outputs, "--host", "0.0.0.0")
    try:
        port = url.rsplit(":", 1)[1].rstrip("/")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/runs", timeout=10) as response:
            assert response.status == 200
    finally:
        err = stop(process)
    assert "warning: binding 0.0.0.0" in err and "visible" in err


def test_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    assert_one_line_error(assay("app", "--outputs", str(tmp_path / "nope")), "outputs folder not found")


def test_a_run_folder_given_as_outputs_is_one_line_naming_its_parent(outputs: Path) -> None:
    assert_one_line_error(assay("app", "--outputs", str(outputs / RUN_A)), "is one run", str(outputs / "evals"))


def test_a_port_in_use_is_one_line(outputs: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert_one_line_error(assay("app", "--outputs", str(outputs), "--port", str(port)), "cannot listen")


def test_a_missing_extra_is_one_line_naming_it(outputs: Path) -> None:
    code = (
        "import sys; sys.modules['starlette'] = None; sys.modules['uvicorn'] = None\n"
        "from assay.cli.main import main\n"
        f"sys.exit(main(['app', '--outputs', {str(outputs)!r}]))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert_one_line_error(result, "pip install 'assay[app]'")


def test_importing_assay_and_the_command_stays_light() -> None:
    code = (
        "import sys\n"
        "import assay, assay.app, assay.cli.app_cmd\n"
        "print([m for m in ('starlette', 'uvicorn', 'numpy', 'orjson') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_help_lists_evalscopes_flags_and_bundle() -> None:
    text = assay("app", "--help").stdout
    for flag in ("--outputs", "--host", "--port", "bundle"):
        assert flag in text
    assert "--samples" in assay("app", "bundle", "--help").stdout
