"""Fixtures shared by the embedding and rerank tests: a private vector cache and the test server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.mock_server import ServerConfig, ServerHandle, run_server_in_thread


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test caches under its own tmp folder (the user's cache is never touched), offline."""
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def srv() -> Iterator[ServerHandle]:
    """The project's test server: deterministic ``/v1/embeddings`` and ``/v1/rerank``, one per module."""
    with run_server_in_thread(ServerConfig()) as handle:
        yield handle


def embedding_requests(srv: ServerHandle) -> int:
    """``/v1/embeddings`` requests the server has answered so far."""
    return int(srv.stats()["by_endpoint"].get("/v1/embeddings", 0))
