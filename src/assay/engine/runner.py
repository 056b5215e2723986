"""The evaluation run: one asyncio loop from samples to reports.

Every (sample, repeat) is a work item. ``eval_batch_size`` worker coroutines pull work from one
shared queue and keep that many requests in flight across all benchmarks; each request is sent as
its benchmark's request kind (:mod:`assay.engine.requests`). With ``repeats`` > 1 a sample's pending
repeats are one unit, asked as ``n`` completions of one request where the backend can
(:class:`~assay.models.MultiChoiceModel`); whatever the server does not answer that way (it
ignores ``n``, or refuses it) goes back to the front of the queue as one request per repeat, and
the run asks one by one from then on. Each finished answer is journaled at
once and handed to a scoring task, so slow scoring never holds a request slot; scoring waits only
on the run's :class:`~assay.scoring.context.ScoringContext` (its worker pool and CPU threads), which
the run opens once and closes once, also on errors and Ctrl-C. Items whose prediction and review are
already in the cache cost nothing. Who sends the requests is the run's executor
(:mod:`assay.engine.executors`): these workers by default, or Ray actors; the driver alone journals
and scores.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from assay.benchmarks import BenchmarkAdapter
from assay.config import TaskConfig
from assay.engine.checks import build_model, check_task, explain_mismatch
from assay.engine.executors import build_executor
from assay.engine.images import ImageKeeper
from assay.engine.plan import (
    DatasetPlan,
    WorkItem,
    build_plans,
    find_mismatches,
    load_caches,
    reusable_prediction,
    reusable_review,
    work_items,
)
from assay.engine.progress import EvalProgress
from assay.engine.requests import check_support, send
from assay.engine.stats import DatasetStats
from assay.errors import UserError
from assay.judge.config import JudgeConfig
from assay.judge.service import JUDGE_CACHE, Judge, JudgeUsage, current_usage
from assay.models import ModelAPI, MultiChoiceModel
from assay.models._api import check_model
from assay.report.model import Report
from assay.sandbox import Sandbox, build_sandbox
from assay.scoring.context import ScoringContext
from assay.scoring.scorer import score_or_error
from assay.types import ModelOutput, RequestKind, Score, messages_json

if TYPE_CHECKING:
    from assay.engine.sweep import SweepReport

logger = logging.getLogger("assay")
T = TypeVar("T")


@dataclass
class RunState:
    """Mutable state shared by the workers of one run."""

    config: TaskConfig
    model: ModelAPI
    scoring_context: ScoringContext
    progress: EvalProgress
    stats: dict[str, DatasetStats] = field(default_factory=dict)
    scoring: set[asyncio.Task[None]] = field(default_factory=set)
    judge_usage: dict[str, JudgeUsage] = field(default_factory=dict)
    #: Whether repeats are still asked as `n` completions (False once the server ignored or refused it).
    ask_n: bool = True
    #: Keeps a copy of each image sent, for the viewer (None: ``keep_images: none``).
    images: ImageKeeper | None = None
    #: The first exception a scoring task raised (a review the disk refused): it stops the run.
    scoring_error: BaseException | None = None


async def run_task_async(config: TaskConfig, work_dir: Path, *, show_progress: bool = True) -> dict[str, Report]:
    """Run (or resume) an evaluation into ``work_dir`` and return one report per benchmark."""
    from assay.engine.outputs import save_config, write_reports

    if config.models:
        raise UserError("run_task_async runs one model; for models use assay.engine.sweep.run_sweep_async")

    model = build_model(config)  # an unknown backend or a bad option is reported before any data is read
    executor = build_executor(config)  # so is a missing optional package (Ray)

    def supported(name: str, adapter: BenchmarkAdapter) -> None:
        check_support(model, adapter.request_kind(), benchmark=name)

    plans = await asyncio.to_thread(build_plans, config, work_dir, supported)
    weights = await asyncio.to_thread(_weights_identity, model)
    load_caches(plans, resume=config.use_cache is not None)
    items = work_items(config, plans, weights)
    stale = find_mismatches(items)
    if stale:
        raise UserError(explain_mismatch(stale, work_dir, config))
    for plan in plans:
        if any(s.tools for subset in plan.subsets.values() for s in subset.samples):
            check_support(model, plan.request_kind, benchmark=plan.name, tools=True)
    judge = _build_judge(config, work_dir, plans)
    sandbox = _build_sandbox(config, plans)  # a missing bwrap is reported before any request
    save_config(config, work_dir)
    try:
        await check_model(model, config.generation_config)
        if judge is not None:
            await judge.check()
        run_start = time.perf_counter()
        async with ScoringContext() as context:
            context.judge = judge
            context.sandbox = sandbox
            with EvalProgress(plans, enabled=show_progress, repeats=config.repeats) as progress:
                state = RunState(config, model, context, progress, {p.name: DatasetStats() for p in plans})
                state.judge_usage = {p.name: JudgeUsage() for p in plans if p.judged}
                if config.keep_images != "none":
                    state.images = ImageKeeper(work_dir / "images", config.keep_images)
                pending = _reuse_cached(state, items)
                await executor.run(state, pending)
                if state.scoring:
                    await asyncio.gather(*state.scoring)
                _raise_scoring_error(state)
    finally:
        await model.aclose()
        if judge is not None:
            await judge.aclose()
        for plan in plans:
            for subset in plan.subsets.values():
                subset.predictions.close()
                subset.reviews.close()
    timings = {p.name: state.stats[p.name].timing(run_start) for p in plans}
    return write_reports(config, work_dir, plans, timings, state.judge_usage)


def _build_sandbox(config: TaskConfig, plans: list[DatasetPlan]) -> Sandbox | None:
    """The run's code sandbox when a benchmark executes model code."""
    if not any(getattr(scorer, "uses_sandbox", False) for plan in plans for scorer in plan.scorers):
        return None
    return build_sandbox(config.sandbox)


def _build_judge(config: TaskConfig, work_dir: Path, plans: list[DatasetPlan]) -> Judge | None:
    """The run's judge when a benchmark is judged (its cache journal resumes with the run)."""
    if not any(plan.judged for plan in plans):
        return None
    return Judge(config.judge or JudgeConfig(), cache_path=work_dir / JUDGE_CACHE, resume=config.use_cache is not None)


def _weights_identity(model: ModelAPI) -> dict[str, Any] | None:
    """What a backend says it really loads, when that is not what its name says (else None)."""
    describe = getattr(model, "weights_identity", None)
    return describe() if callable(describe) else None


def _reuse_cached(state: RunState, items: list[WorkItem]) -> list[WorkItem]:
    """Take every finished record from the cache; return the items that need the model."""
    pending = []
    for item in items:
        prediction = reusable_prediction(item)
        if prediction is None:
            pending.append(item)
            continue
        review = reusable_review(item, state.config.rerun_review)
        if review is not None:
            item.dataset.reviews[item.key] = review
            state.progress.advance(item.dataset.name)
        else:
            output = ModelOutput.model_validate(prediction["output"])
            _schedule_scoring(state, item, output)
    return pending


async def _run_workers(state: RunState, pending: list[WorkItem]) -> None:
    """Keep ``eval_batch_size`` requests in flight until every pending item is answered."""
    units = _work_units(state, pending)
    workers = [asyncio.ensure_future(_worker(state, units)) for _ in range(state.config.eval_batch_size or 1)]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        for worker in workers:
            worker.cancel()
        for task in state.scoring:
            task.cancel()
        raise


def _work_units(state: RunState, pending: list[WorkItem]) -> deque[list[WorkItem]]:
    """The queue of work: one item each, or a sample's pending repeats together when they can go as ``n``."""
    config, model = state.config, state.model
    if config.repeats == 1 or not config.repeats_as_n or not isinstance(model, MultiChoiceModel):
        state.ask_n = False
        return deque([item] for item in pending)
    units: dict[object, list[WorkItem]] = {}  # a sample's repeats share a key; other items keep their own
    for position, item in enumerate(pending):
        groupable = item.dataset.request_kind is RequestKind.GENERATE and not item.sample.tools
        key = (item.dataset.name, item.subset.name, item.sample.id) if groupable else position
        units.setdefault(key, []).append(item)
    return deque(units.values())


async def _worker(state: RunState, units: deque[list[WorkItem]]) -> None:
    # One queue shared by all workers on one loop: each unit is taken exactly once.
    while units:
        _raise_scoring_error(state)  # a review that could not be written stops the run: ask nothing more
        unit = units.popleft()
        if len(unit) > 1 and state.ask_n:
            await _ask_repeats(state, unit, units)
            continue
        if len(unit) > 1:  # asked one by one now: the others go back to the front for other workers
            units.extendleft([item] for item in reversed(unit[1:]))
        item = unit[0]
        _start_clock(state, item)
        plan = item.dataset
        output = await send(state.model, plan.request_kind, item.sample, plan.generate_config)
        _record_answer(state, item, output)


async def _ask_repeats(state: RunState, unit: list[WorkItem], units: deque[list[WorkItem]]) -> None:
    """Ask a sample's repeats as ``n`` completions of one request; requeue what did not come back."""
    first = unit[0]
    _start_clock(state, first)
    assert isinstance(state.model, MultiChoiceModel)
    outputs = await state.model.generate_n(first.sample.input, first.dataset.generate_config, len(unit))
    if outputs[0].error is not None:
        # A server may refuse `n` (or this request failed for another reason): ask one by one, from now on.
        if state.ask_n:
            logger.warning("asking repeats as n=%d failed (%s); asking each on its own", len(unit), outputs[0].error)
        state.ask_n = False
        outputs = []
    elif len(outputs) < len(unit):
        if state.ask_n:
            logger.info("the server answered %d of n=%d completions; asking each on its own", len(outputs), len(unit))
        state.ask_n = False
    for item, output in zip(unit, outputs, strict=False):
        _record_answer(state, item, output)
    units.extendleft([item] for item in reversed(unit[len(outputs) :]))


def _start_clock(state: RunState, item: WorkItem) -> None:
    stats = state.stats[item.dataset.name]
    if stats.first_start is None:
        stats.first_start = time.perf_counter()


def _record_answer(state: RunState, item: WorkItem, output: ModelOutput, score: Score | None = None) -> None:
    """Journal one answer at once, then score it in its own task (``score``: already scored by a Ray actor)."""
    state.stats[item.dataset.name].add_output(output)
    item.subset.predictions.append(_prediction_record(state.config, item, output))
    _schedule_scoring(state, item, output, score)


def _schedule_scoring(state: RunState, item: WorkItem, output: ModelOutput, score: Score | None = None) -> None:
    task = asyncio.ensure_future(_score(state, item, output, score))
    state.scoring.add(task)
    task.add_done_callback(lambda done: _scoring_done(state, done))


def _scoring_done(state: RunState, task: asyncio.Task[None]) -> None:
    """Forget a finished scoring task, keeping the first exception it raised for the run to raise.

    Why: a task that is only discarded takes its exception with it ("Task exception was never
    retrieved" at exit), and the run would finish with that review missing.
    """
    state.scoring.discard(task)
    if not task.cancelled() and task.exception() is not None and state.scoring_error is None:
        state.scoring_error = task.exception()


def _raise_scoring_error(state: RunState) -> None:
    if state.scoring_error is not None:
        raise state.scoring_error


async def _score(state: RunState, item: WorkItem, output: ModelOutput, score: Score | None = None) -> None:
    plan: DatasetPlan = item.dataset
    current_usage.set(state.judge_usage.get(plan.name))  # this task's own context: judge cost by benchmark
    if state.images is not None and state.images.wanted(item.sample.input):
        await asyncio.to_thread(state.images.keep, item.sample.input)
    if score is None:
        score = await score_or_error(
            f"{plan.name} {item.key}", plan.scorers, plan.adapter.filters, item.sample, output, state.scoring_context
        )
    record = _review_record(item, output, score)
    item.subset.reviews.append(record)
    item.dataset.reviews[item.key] = record
    stats = state.stats[item.dataset.name]
    stats.finished += 1
    stats.last_end = time.perf_counter()
    state.progress.advance(item.dataset.name)


def _prediction_record(config: TaskConfig, item: WorkItem, output: ModelOutput) -> dict[str, Any]:
    return {
        "key": item.key,
        "sample_id": item.sample.id,
        "repeat": item.repeat,
        "subset": item.subset.name,
        "fingerprint": item.fingerprint,
        "model": config.model_id,
        "input": messages_json(item.sample.input),
        "target": item.sample.target,
        "output": output.model_dump(mode="json", exclude_none=True),
        "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
    }


def _review_record(item: WorkItem, output: ModelOutput, score: Score) -> dict[str, Any]:
    record = {
        "key": item.key,
        "sample_id": item.sample.id,
        "repeat": item.repeat,
        "subset": item.subset.name,
        "fingerprint": item.fingerprint,
        "scoring_fingerprint": item.dataset.scoring_fingerprint,
        "target": item.sample.target,
        "prediction": output.text,
        "score": score.model_dump(mode="json", exclude_none=True),
    }
    if output.option_scores is not None:
        record["option_scores"] = [option.model_dump(mode="json") for option in output.option_scores]
    return record


def run_task(
    config: TaskConfig | dict[str, Any] | str, *, show_progress: bool = True, work_dir: Path | None = None
) -> dict[str, Report] | SweepReport:
    """Run an evaluation and return ``{benchmark: Report}``; works inside a running event loop too.

    Without ``work_dir`` the output folder is made here, after :func:`check_task` (a caller that
    passes its own folder runs that check first, as ``assay eval`` does). A config with ``models``
    (two or more) is a sweep: one run per model, and the answer is a
    :class:`~assay.engine.sweep.SweepReport` (``.reports`` is ``{model_id: {benchmark: Report}}``).

    Example:
        >>> from assay import TaskConfig, run_task
        >>> reports = run_task(TaskConfig(model="mock", datasets=["general_mcq"], ...))  # doctest: +SKIP
    """
    from assay.engine.outputs import discard_if_unused, prepare_work_dir

    task = TaskConfig.from_any(config)
    if task.models:
        from assay.engine.sweep import run_sweep

        return run_sweep(task, show_progress=show_progress, work_dir=work_dir)
    if work_dir is None:
        check_task(task)  # before the output folder exists: a mistake leaves nothing behind
    out = work_dir or prepare_work_dir(task)
    coro_factory: Callable[[], Coroutine[Any, Any, dict[str, Report]]]
    coro_factory = lambda: run_task_async(task, out, show_progress=show_progress)  # noqa: E731
    if task.eval_type in ("embedding", "rerank"):  # scored over all queries at once by assay.embed, not by this engine
        from assay.embed.runner import run_embedding_eval

        coro_factory = lambda: run_embedding_eval(task, out)  # noqa: E731
    from assay.engine.worklock import hold_work_dir

    try:
        with hold_work_dir(out):  # one run at a time per folder; a dead holder's lock is taken over
            return run_blocking(coro_factory)
    except UserError:
        discard_if_unused(out)  # a folder made for this run that holds no answer: nothing to keep
        raise


def run_blocking(coro_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to its end from synchronous code, also when called inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_fresh_loop(coro_factory)
    # Called from a running loop (Jupyter): run on a private loop in a helper thread.
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_run_fresh_loop, coro_factory).result()


def _run_fresh_loop(coro_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run on a new loop (uvloop when available: less per-request overhead)."""
    loop_factory: Callable[[], asyncio.AbstractEventLoop]
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:  # Windows, or uvloop not installed
        loop_factory = asyncio.new_event_loop
    if sys.version_info < (3, 11):
        return asyncio.run(coro_factory())
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(coro_factory())
