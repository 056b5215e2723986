"""Shared fixtures: the real benchmark data folder, a running project test server, a local Ray."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assay.mock_server import ServerConfig, ServerHandle, run_server_in_thread

#: ../shared/data beside the checkout (CI lays it there too); ASSAY_SHARED_DATA overrides.
SHARED_DATA = Path(os.environ.get("ASSAY_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def shared_data(name: str) -> Path:
    """Path of ../shared/data/<name>, or skip the test cleanly when it is absent."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real data not available: {path}")
    return path


@pytest.fixture
def server() -> Iterator[ServerHandle]:
    """A zero-latency test server answering 'ANSWER: A' unless rules say otherwise."""
    with run_server_in_thread(ServerConfig()) as handle:
        yield handle


@pytest.fixture(scope="module")
def ray_session() -> Iterator[Any]:
    """One local 2-CPU Ray for a test module: every ``--executor ray`` run in it joins this one and
    leaves it running (the executors start their own Ray only when none is connected)."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
