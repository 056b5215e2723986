"""Only files inside the outputs folder are served, nothing is written, and no folder is listed.

The traversal cases go through a real uvicorn server with raw request lines (http.client sends the
path as given; a normal client would already have removed the ``..``), so they test what a hostile
client can actually send.
"""

from __future__ import annotations

import http.client
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the viewer needs the app extra: pip install 'assay[app]'")
pytest.importorskip("uvicorn", reason="the viewer needs the app extra: pip install 'assay[app]'")

import uvicorn
from starlette.testclient import TestClient

from assay.app import create_app
from tests.app.api_helpers import RUN_A, copy_run, make_outputs

SECRET = "TOP-SECRET-4417"


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``base/outputs`` (the served folder) and, beside it, files that must never be served."""
    base = tmp_path_factory.mktemp("api_security")
    outputs = make_outputs(base)
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    (outside / "secret.json").write_text(f'{{"score": 1.0, "model_name": "{SECRET}"}}')
    escaped_run = copy_run(outputs / RUN_A, outside / "run")
    report = escaped_run / "reports" / "model-a" / "gsm8k.json"
    report.write_text(report.read_text().replace('"model-a"', f'"{SECRET}"'))
    # symlinks inside the served folder that point out of it
    (outputs / "escape").symlink_to(escaped_run, target_is_directory=True)
    (outputs / "evals" / "secret.txt").symlink_to(outside / "secret.txt")
    (outputs / RUN_A / "reports" / "model-a" / "leak.json").symlink_to(outside / "secret.json")
    (outputs / RUN_A / "reviews" / "model-a" / "gsm8k_leak.jsonl").symlink_to(outside / "secret.txt")
    return base


@pytest.fixture(scope="module")
def server(layout: Path) -> Iterator[tuple[str, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(layout / "outputs"), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the viewer did not start"
        time.sleep(0.02)
    yield "127.0.0.1", port
    srv.should_exit = True
    thread.join(timeout=10)


def raw_get(server: tuple[str, int], path: str, method: str = "GET") -> tuple[int, str]:
    conn = http.client.HTTPConnection(*server, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", errors="replace")
    finally:
        conn.close()


TRAVERSALS = [
    "/api/runs/../outside/run/report",
    "/api/runs/evals/../../outside/run/report",
    "/api/runs/..%2foutside%2frun/report",
    "/api/runs/%2e%2e%2foutside%2frun/report",
    "/api/runs/%2E%2E/outside/run/report",
    "/api/runs/%252e%252e%252foutside%252frun/report",
    "/api/runs/..%5coutside%5crun/report",
    "/api/runs/%2f{base}/outside/run/report",
    "/api/runs//{base}/outside/run/report",
    "/api/runs/escape/report",
    "/api/runs/escape/samples?benchmark=gsm8k",
    "/api/runs/evals/secret.txt/report",
    "/api/perf/..%2foutside",
    "/api/perf/%2f{base}%2foutside",
    "/api/compare?runs=..%2foutside%2frun,{run_a}&benchmark=gsm8k",
    "/api/compare?runs=escape,{run_a}&benchmark=gsm8k",
    "/static/..%2f_paths.py",
    "/static/%2e%2e/%2e%2e/%2e%2e/outside/secret.txt",
    "/static/../../app/_paths.py",
    "/static/{base}/outside/secret.txt",
    "/static/%2f{base}%2foutside%2fsecret.txt",
]


@pytest.mark.parametrize("template", TRAVERSALS)
def test_traversal_variants_are_404_and_never_leak(server: tuple[str, int], layout: Path, template: str) -> None:
    path = template.format(base=str(layout).lstrip("/"), run_a=RUN_A)
    status, body = raw_get(server, path)
    assert status == 404, (path, status, body[:200])
    assert SECRET not in body and "def resolve" not in body


def test_symlinks_out_of_the_folder_are_neither_listed_nor_read(server: tuple[str, int]) -> None:
    status, body = raw_get(server, "/api/runs")
    assert status == 200 and SECRET not in body and '"escape"' not in body
    status, body = raw_get(server, f"/api/runs/{RUN_A}/report")
    assert status == 200 and SECRET not in body and "leak" not in body  # the symlinked report is skipped
    status, body = raw_get(server, f"/api/runs/{RUN_A}/samples?benchmark=gsm8k&limit=500")
    assert status == 200 and SECRET not in body and '"total":8' in body  # the symlinked journal too


def test_only_get_and_head_are_allowed(server: tuple[str, int]) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        for path in ("/api/runs", f"/api/runs/{RUN_A}/report", "/", "/static/plotly.min.js"):
            status, body = raw_get(server, path, method)
            assert status == 405 and '"error"' in body, (method, path)
    assert raw_get(server, "/api/runs", "HEAD")[0] == 200


def test_no_folder_is_listed(server: tuple[str, int]) -> None:
    for path in ("/api/runs/evals/report", "/api/runs/evals", "/static/", "/static", "/api/perf/perf", "/api/perf/"):
        status, body = raw_get(server, path)
        assert status == 404, path
        assert "20260101_120000" not in body


def test_absolute_run_ids_are_refused_even_inside_the_folder(layout: Path) -> None:
    client = TestClient(create_app(layout / "outputs"))
    inside = (layout / "outputs" / RUN_A).as_posix().lstrip("/")
    response = client.get(f"/api/runs/%2F{inside}/report")
    assert response.status_code == 404


def test_static_pages_and_plotly_are_served_offline(layout: Path) -> None:
    client = TestClient(create_app(layout / "outputs"))
    index = client.get("/")
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    plotly = client.get("/static/plotly.min.js")
    assert plotly.status_code == 200 and "javascript" in plotly.headers["content-type"]
    assert "plotly" in plotly.text[:2000].lower()
    assert client.get("/static/no-such-file.js").status_code == 404
    assert plotly.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in index.headers["content-security-policy"]


def test_a_loopback_server_refuses_foreign_host_headers(layout: Path) -> None:
    app = create_app(layout / "outputs", allowed_hosts=["127.0.0.1", "localhost", "::1"])
    for host, status in (("127.0.0.1:9000", 200), ("localhost", 200), ("[::1]:9000", 200), ("evil.example", 400)):
        response = TestClient(app, base_url=f"http://{host}").get("/api/runs")
        assert response.status_code == status, host


def test_the_server_never_writes_into_the_outputs_folder(layout: Path) -> None:
    def snapshot() -> dict[str, tuple[int, int]]:
        found = {}
        for folder, _, files in os.walk(layout / "outputs"):
            for name in files:
                stat = os.lstat(Path(folder) / name)
                found[str(Path(folder) / name)] = (stat.st_size, stat.st_mtime_ns)
        return found

    before = snapshot()
    client = TestClient(create_app(layout / "outputs"))
    client.get("/api/runs")
    client.get(f"/api/runs/{RUN_A}/samples", params={"benchmark": "gsm8k", "q": "plus"})
    client.get(f"/api/runs/{RUN_A}/samples/gsm8k/main-0%230")
    assert snapshot() == before
