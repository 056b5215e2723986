"""Load one split of a dataset from the Hugging Face hub or ModelScope.

``datasets`` and ``modelscope`` are imported only when a hub load actually happens, so listing
benchmarks or reading local files never pays for them. The result says which dataset id and
revision were asked for and, where the hub tells us, which commit was actually read: that is what a
report needs to be reproducible.
"""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from assay.datasets.spool import spool_cells
from assay.errors import UserError, did_you_mean

#: Hubs a user may name with ``--dataset-hub``.
HUBS: tuple[str, ...] = ("huggingface", "modelscope", "local")

_COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")

#: Loggers of the hub client stack; their retry notices and warnings go to Assay's log, not the terminal.
_HUB_LOGGERS = ("huggingface_hub", "datasets", "fsspec", "filelock", "urllib3", "httpx", "httpcore")

logger = logging.getLogger("assay.datasets.hub")


@dataclass(frozen=True)
class HubSplit:
    """Records of one split and where they came from."""

    records: list[dict[str, Any]] = field(repr=False)
    hub: str
    dataset_id: str
    subset: str | None
    split: str
    revision: str | None = None
    """Revision that was asked for (None = the hub's default branch)."""
    resolved_revision: str | None = None
    """Commit the hub served, when it can be read back from the download (best effort)."""


def check_hub(hub: str) -> str:
    """Return ``hub`` if it is one we know, else raise a UserError with a suggestion."""
    if hub not in HUBS:
        raise UserError(f"unknown dataset hub {hub!r}{did_you_mean(hub, HUBS)}; choose one of {', '.join(HUBS)}")
    return hub


def load_hub_split(
    dataset_id: str,
    subset: str | None,
    split: str,
    *,
    hub: str = "huggingface",
    revision: str | None = None,
    cache_dir: str | None = None,
) -> HubSplit:
    """Download (or reuse the cached copy of) one split and return its records in dataset order.

    Args:
        dataset_id: Hub id (``openai/gsm8k``) or a local folder ``datasets.load_dataset`` accepts.
        subset: Hub configuration name (``main``); None or ``"default"`` for datasets without one.
        split: Split name (``test``).
        hub: ``"huggingface"`` or ``"modelscope"``.
        revision: Commit, tag or branch to pin; None reads the default branch.
        cache_dir: Where the hub library caches files; None uses its default.

    Raises:
        UserError: The hub is unreachable, the dataset/subset/split does not exist, or ModelScope
            was asked for without the ``modelscope`` package installed.
    """
    config_name = None if subset in (None, "default") else subset
    if check_hub(hub) == "modelscope":
        dataset = _load_modelscope(dataset_id, config_name, split, revision, cache_dir)
    elif hub == "huggingface":
        dataset = _load_huggingface(dataset_id, config_name, split, revision, cache_dir)
    else:
        raise UserError(
            f"dataset hub 'local' needs local files: set local_path in dataset_args or --dataset-dir "
            f"(no local copy was found for {dataset_id!r})"
        )
    records = _records(dataset)
    return HubSplit(
        records=records,
        hub=hub,
        dataset_id=dataset_id,
        subset=config_name,
        split=split,
        revision=revision,
        resolved_revision=_resolved_commit(dataset),
    )


def _records(dataset: Any) -> list[dict[str, Any]]:
    """The split's rows, raw (image columns undecoded) and a batch at a time, their image bytes
    spooled to disk (:mod:`assay.datasets.spool`); ``to_list`` would hold every image at once."""
    if not hasattr(dataset, "with_format"):
        return [spool_cells(row) for row in dataset.to_list()]
    rows: list[dict[str, Any]] = []
    for batch in dataset.with_format("arrow").iter(batch_size=64):
        rows.extend(spool_cells(row) for row in batch.to_pylist())
    return rows


def _load_huggingface(
    dataset_id: str, config_name: str | None, split: str, revision: str | None, cache_dir: str | None
) -> Any:
    import datasets  # heavy (pyarrow, fsspec); only for an actual hub load

    try:
        with _hub_chatter_to_log():
            return datasets.load_dataset(
                dataset_id, name=config_name, split=split, revision=revision, cache_dir=cache_dir
            )
    except (ConnectionError, OSError) as exc:
        raise UserError(
            f"cannot load {dataset_id!r} (subset {config_name!r}, split {split!r}) from the Hugging Face "
            f"hub: {_first_line(exc)}. If you are offline, point local_path in dataset_args (or "
            f"--dataset-dir) at a local copy"
        ) from exc
    except ValueError as exc:  # unknown split or config
        raise UserError(
            f"{dataset_id!r} has no subset {config_name!r} / split {split!r} on the Hugging Face hub: "
            f"{_first_line(exc)}"
        ) from exc


class _ToDebugLog(logging.Handler):
    """Re-log a hub library's record on Assay's logger at debug level (the log file, never the terminal)."""

    def emit(self, record: logging.LogRecord) -> None:
        logger.debug("%s: %s", record.name, record.getMessage())


@contextlib.contextmanager
def _hub_chatter_to_log() -> Iterator[None]:
    """Keep the hub libraries' own output (retry notices, warnings) off the terminal while they load.

    ``huggingface_hub`` and ``datasets`` print to stderr through handlers of their own, so an
    unreachable hub showed pages of "Retrying in 1s" before the one line that says what failed.
    Their records and warnings are kept in the run's log at debug level instead.
    """
    saved = [(lib, lib.handlers, lib.propagate) for lib in map(logging.getLogger, _HUB_LOGGERS)]
    for lib, _, _ in saved:
        lib.handlers, lib.propagate = [_ToDebugLog()], False
    try:
        with warnings.catch_warnings(record=True) as caught:
            yield
    finally:
        for lib, handlers, propagate in saved:
            lib.handlers, lib.propagate = handlers, propagate
        for warning in caught:
            logger.debug("%s: %s", warning.category.__name__, warning.message)


def _load_modelscope(
    dataset_id: str, config_name: str | None, split: str, revision: str | None, cache_dir: str | None
) -> Any:
    try:
        from modelscope import MsDataset  # optional dependency
    except ImportError as exc:
        raise UserError(
            "dataset_hub 'modelscope' needs the modelscope package: pip install modelscope "
            "(or use the default Hugging Face hub)"
        ) from exc
    kwargs: dict[str, Any] = {"subset_name": config_name, "split": split}
    if revision:
        kwargs["version"] = revision
    if cache_dir:
        kwargs["cache_dir"] = cache_dir
    try:
        dataset = MsDataset.load(dataset_id, **kwargs)
    except Exception as exc:  # the SDK raises many unrelated types for "not found" and network errors
        raise UserError(
            f"cannot load {dataset_id!r} (subset {config_name!r}, split {split!r}) from ModelScope: {_first_line(exc)}"
        ) from exc
    return dataset if hasattr(dataset, "to_list") else dataset.to_hf_dataset()


def _resolved_commit(dataset: Any) -> str | None:
    """The hub commit a downloaded split came from, read from its cache path; None if unknown.

    ``datasets`` caches a hub split under ``.../<config>/<version>/<commit sha>/``; that path is the
    only place the served commit is recorded without another network call.
    """
    for cache_file in getattr(dataset, "cache_files", None) or []:
        for part in str(cache_file.get("filename", "")).split("/"):
            if _COMMIT_RE.match(part):
                return part
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
