"""Shared fixtures: the real benchmark data folder and a running project test server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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
