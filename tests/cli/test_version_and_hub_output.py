"""``assay --version``, and a failed hub load that says one thing instead of the hub client's retries (issue 15)."""

from __future__ import annotations

import logging
import subprocess
import sys
import warnings
from importlib.metadata import version
from typing import Any

import pytest

from assay.datasets import load_hub_split
from assay.errors import UserError


def test_version_prints_the_installed_package_version() -> None:
    result = subprocess.run([sys.executable, "-m", "assay", "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"assay {version('assay')}\n"
    assert result.stderr == ""


def test_failed_hub_load_keeps_the_hub_clients_retry_chatter_off_the_terminal(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    datasets = pytest.importorskip("datasets")
    own_handlers = {name: logging.getLogger(name).handlers[:] for name in ("huggingface_hub", "datasets")}

    def unreachable(*args: Any, **kwargs: Any) -> None:
        logging.getLogger("huggingface_hub.utils._http").warning("Retrying in 1s [Retry 1/5].")
        logging.getLogger("datasets.load").warning("Couldn't find a dataset script; using the cache")
        warnings.warn("the hub is slow today", UserWarning, stacklevel=1)
        raise ConnectionError("Couldn't reach 'org/data' on the Hub (LocalEntryNotFoundError)")

    monkeypatch.setattr(datasets, "load_dataset", unreachable)
    with pytest.raises(UserError, match="cannot load 'org/data'"):
        load_hub_split("org/data", None, "test")
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
    for name, handlers in own_handlers.items():  # the libraries print as before outside a load
        assert logging.getLogger(name).handlers == handlers
