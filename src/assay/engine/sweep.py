"""Benchmarks × models sweeps: one ordinary run per model, scheduled together, one output tree.

```
<root>/sweep.json                  members: model_id, model, status (ok / failed + reason), folder, scores
<root>/logs/sweep_log.log          every member's log lines
<root>/<model_id>/                 an ordinary run folder (resumable on its own with --use-cache)
```
``<root>`` is ``<work_dir>/<timestamp>`` (``work_dir`` itself with ``no_timestamp``, the cache folder
with ``use_cache``). Each member is :func:`~assay.engine.runner.run_task_async` on its own config
(:func:`assay.config_models.member_config`), up to ``sweep_parallel`` at once on one event loop.
Why that is safe in one process: a run keeps all its state in its own objects; the two process-wide
things are handled here. The log file: each member's lines go to its own ``logs/eval_log.log``
through a filter on a context variable (asyncio tasks and their threads inherit it). The progress
display: rich allows one live display per process, so bars are shown only when members run one at
a time. A member that fails (its server unreachable, a resume that does not match) is recorded as
failed with a one-line reason and the others go on; the caller exits non-zero at the end.

With ``executor: ray`` the sweep joins (or starts) Ray once before any member starts and stops a
Ray it started at the end: each member's executor then finds Ray initialised and neither starts nor
stops it, so concurrent members never race on ``ray.init`` / ``ray.shutdown``.

Example:
    >>> from assay import TaskConfig, run_task
    >>> sweep = run_task(TaskConfig(models=[{"model": "a"}, {"model": "b"}], api_url="http://127.0.0.1:8000/v1",
    ...                             datasets=["arc"], limit=10))  # doctest: +SKIP
    >>> sweep.reports["a"]["arc"].score  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import orjson
from rich.table import Table

from assay.config import TaskConfig
from assay.config_models import member_config, member_id, sweep_parallel
from assay.engine.outputs import RUN_FOLDERS, log_file_handler
from assay.errors import UserError
from assay.report.model import Report

__all__ = ["SWEEP_FILE", "SweepMember", "SweepReport", "member_configs", "run_sweep", "run_sweep_async", "sweep_table"]

logger = logging.getLogger("assay")

#: The sweep's summary at its root (perf sweeps write ``sweep_summary.json``: another file, another kind).
SWEEP_FILE = "sweep.json"
#: Which member the current task works for (None outside a sweep member).
_MEMBER: contextvars.ContextVar[str | None] = contextvars.ContextVar("assay_sweep_member", default=None)

Status = Literal["pending", "running", "ok", "failed"]


@dataclass
class SweepMember:
    """One model of a sweep: where its run lives and how it ended."""

    model_id: str
    model: str | None
    #: The member's run folder, relative to the sweep's root.
    work_dir: str
    status: Status = "pending"
    #: Why it failed, in one line (None unless failed).
    reason: str | None = None
    #: ``{benchmark: Report}`` of a finished member.
    reports: dict[str, Report] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The member's entry in ``sweep.json``: scores by benchmark and metric, counts, status."""
        scores = {
            name: {
                "score": report.score,
                "metrics": {metric.name: metric.score for metric in report.metrics},
                "num": report.counts.total,
                "errored": report.counts.errored,
            }
            for name, report in self.reports.items()
        }
        return {
            "model_id": self.model_id,
            "model": self.model,
            "status": self.status,
            "reason": self.reason,
            "work_dir": self.work_dir,
            "scores": scores,
        }


@dataclass
class SweepReport:
    """What ``run_task`` returns for a sweep: the root folder and every member, in the order given."""

    root: Path
    members: list[SweepMember]

    @property
    def reports(self) -> dict[str, dict[str, Report]]:
        """``{model_id: {benchmark: Report}}`` of the members that finished."""
        return {m.model_id: m.reports for m in self.members if m.status == "ok"}

    @property
    def failed(self) -> list[SweepMember]:
        """The members that did not finish."""
        return [m for m in self.members if m.status != "ok"]


def member_configs(config: TaskConfig, root: Path | None = None) -> list[TaskConfig]:
    """Each member's config; with ``root``, writing into ``<root>/<model_id>`` (resuming it when the
    sweep resumes and the folder exists, so a member added to a resumed sweep starts fresh)."""
    configs = []
    for entry in config.models or []:
        if root is None:
            configs.append(member_config(config, entry))
            continue
        folder = root / member_id(entry)
        resume = str(folder) if config.use_cache and folder.is_dir() else None
        configs.append(member_config(config, entry, work_dir=str(folder), no_timestamp=True, use_cache=resume))
    return configs


def prepare_sweep_dir(config: TaskConfig) -> Path:
    """Create the sweep's root folder and route the ``assay`` logger to ``logs/sweep_log.log``."""
    from assay.engine.outputs import attach_log_file

    root = config.resolve_work_dir()
    if config.use_cache and not root.is_dir():
        raise UserError(f"--use-cache folder not found: {root} (pass the root folder of an earlier sweep)")
    (root / "logs").mkdir(parents=True, exist_ok=True)
    attach_log_file(root / "logs" / "sweep_log.log", debug=config.debug)
    return root


async def run_sweep_async(config: TaskConfig, root: Path, *, show_progress: bool = True) -> SweepReport:
    """Run (or resume) every member into ``root`` and return the :class:`SweepReport`; never raises
    for a failing member (it is recorded as failed), only for the sweep itself."""
    configs = member_configs(config, root)
    parallel = sweep_parallel(config, configs)
    report = SweepReport(root, [SweepMember(c.model_id or "model", c.model, c.model_id or "model") for c in configs])
    safe_config = config.to_safe_dict()
    _write_summary(report, safe_config)
    gate = asyncio.Semaphore(parallel)
    logger.info("sweep of %d models into %s, %d at a time", len(configs), root, parallel)

    async def one(member: SweepMember, member_cfg: TaskConfig) -> None:
        async with gate:
            member.status = "running"
            _write_summary(report, safe_config)
            await _run_member(member, member_cfg, root, show_progress=show_progress and parallel == 1)
            _write_summary(report, safe_config)

    ray = _start_ray(config)
    try:
        await asyncio.gather(*(one(m, c) for m, c in zip(report.members, configs, strict=True)))
    finally:
        if ray is not None:
            ray.shutdown()
        _write_summary(report, safe_config, finished=True)
    return report


async def _run_member(member: SweepMember, config: TaskConfig, root: Path, *, show_progress: bool) -> None:
    """One member's run; its failure becomes the member's status, never the sweep's exception."""
    from assay.engine.runner import run_task_async
    from assay.engine.worklock import hold_work_dir

    folder = root / member.work_dir
    token = _MEMBER.set(member.model_id)
    try:
        for sub in RUN_FOLDERS:
            (folder / sub).mkdir(parents=True, exist_ok=True)
        with hold_work_dir(folder), _member_log(folder, member.model_id, config.debug):
            if config.eval_type in ("embedding", "rerank"):
                from assay.embed.runner import run_embedding_eval

                member.reports = await run_embedding_eval(config, folder)
            else:
                member.reports = await run_task_async(config, folder, show_progress=show_progress)
        member.status = "ok"
    except Exception as exc:  # one model's failure must not cost the others their results
        member.status = "failed"
        member.reason = " ".join(f"{exc}".split()) if isinstance(exc, UserError) else _one_line(exc)
        logger.error("sweep member %s failed: %s", member.model_id, member.reason)
        if not isinstance(exc, UserError):
            logger.debug("%s", traceback.format_exc())
    finally:
        _MEMBER.reset(token)


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:500]


class _MemberFilter(logging.Filter):
    """Passes the records logged on behalf of one member (see :data:`_MEMBER`)."""

    def __init__(self, member: str) -> None:
        super().__init__()
        self.member = member

    def filter(self, record: logging.LogRecord) -> bool:
        return _MEMBER.get() == self.member


@contextlib.contextmanager
def _member_log(folder: Path, member: str, debug: bool) -> Iterator[None]:
    """The member's own ``logs/eval_log.log`` (appended on resume), as a single run has."""
    handler = log_file_handler(folder / "logs" / "eval_log.log")
    handler.setLevel(logging.DEBUG if debug else logging.INFO)
    handler.addFilter(_MemberFilter(member))
    root_logger = logging.getLogger("assay")
    root_logger.addHandler(handler)
    try:
        yield
    finally:
        root_logger.removeHandler(handler)
        handler.close()


def _start_ray(config: TaskConfig) -> Any | None:
    """Join ``ray_address`` or start a local Ray for every member; the module when the sweep started it."""
    if config.executor != "ray":
        return None
    from assay.engine.ray_cluster import connect, import_ray

    ray = import_ray()
    return ray if connect(ray, config.ray_address) else None  # the executors' own join: same error line


def _write_summary(report: SweepReport, safe_config: dict[str, Any], *, finished: bool = False) -> None:
    """Write ``sweep.json`` whole and atomically (a reader never sees half a file)."""
    body = {
        "kind": "eval-sweep",
        "version": 1,
        "updated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "finished": finished,
        "datasets": list(safe_config.get("datasets", [])),
        "members": [member.to_json() for member in report.members],
        "config": safe_config,
    }
    path = report.root / SWEEP_FILE
    temporary = path.with_name(f".{SWEEP_FILE}.{os.getpid()}.tmp")
    temporary.write_bytes(orjson.dumps(body, option=orjson.OPT_INDENT_2))
    os.replace(temporary, path)


def run_sweep(config: TaskConfig, *, show_progress: bool = True, work_dir: Path | None = None) -> SweepReport:
    """Run a sweep from synchronous code (``run_task`` calls this for a config with ``models``)."""
    from assay.engine.checks import check_task
    from assay.engine.runner import run_blocking
    from assay.engine.worklock import hold_work_dir

    if work_dir is None:
        for member in member_configs(config):
            check_task(member)  # before the root exists: a mistake in any member leaves nothing behind
    root = work_dir or prepare_sweep_dir(config)
    with hold_work_dir(root):  # one sweep at a time per root (each member also locks its own folder)
        result: SweepReport = run_blocking(lambda: run_sweep_async(config, root, show_progress=show_progress))
        return result


def sweep_table(report: SweepReport) -> Table:
    """The console table: one row per model, one column per benchmark (headline score ± standard error)."""
    benchmarks: list[str] = []
    for member in report.members:
        benchmarks += [name for name in member.reports if name not in benchmarks]
    table = Table(title="Assay sweep results")
    table.add_column("Model")
    for name in benchmarks:
        metric = next(
            (m.reports[name].metrics[0].name for m in report.members if name in m.reports and m.reports[name].metrics),
            "",
        )
        table.add_column(f"{name}\n{metric}", justify="right")
    table.add_column("Status")
    for member in report.members:
        cells = []
        for name in benchmarks:
            result = member.reports.get(name)
            first = result.metrics[0] if result is not None and result.metrics else None
            cells.append(f"{first.score:.4f} ± {first.stderr:.4f}" if first is not None else "—")
        status = "ok" if member.status == "ok" else f"[red]{member.status}[/]: {member.reason or ''}"
        table.add_row(member.model_id, *cells, status)
    return table
