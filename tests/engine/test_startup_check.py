"""The start-up check sends what the run's requests send: a key given only in ``extra_headers`` too."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from assay import run_task
from assay.mock_server import ServerConfig, run_server_in_thread
from tests.engine.test_run_behaviour import config


def test_the_engine_checks_the_server_with_the_runs_own_headers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with run_server_in_thread(ServerConfig(api_key="k-123")) as srv:
        task = config(srv.url, tmp_path, generation_config={"extra_headers": {"Authorization": "Bearer k-123"}})
        with caplog.at_level(logging.WARNING):
            report = run_task(task, show_progress=False)["general_mcq"]
    assert report.counts.errored == 0 and report.counts.total == 12
    # Checked with the run's headers: the server accepted the check, so no "continuing without a key".
    assert "without a key" not in caplog.text and "401" not in caplog.text
