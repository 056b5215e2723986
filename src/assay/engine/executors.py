"""Who answers the work items of a run: the driver's own loop, or Ray actors on many machines.

An executor only turns pending work items into model answers. The driver (the process that runs
:func:`assay.engine.runner.run_task_async`) alone journals each answer and scores it, so resume,
fingerprints and reports do not depend on which executor ran.

Example:
    >>> from assay.config import TaskConfig
    >>> type(build_executor(TaskConfig(model="mock", eval_type="mock_llm", datasets=["arc"]))).__name__
    'LocalExecutor'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from assay.config import TaskConfig

if TYPE_CHECKING:
    from assay.engine.plan import WorkItem
    from assay.engine.runner import RunState


class Executor(Protocol):
    """Answers every pending work item, handing each answer to the driver as it arrives."""

    async def run(self, state: RunState, pending: list[WorkItem]) -> None:
        """Answer ``pending``; each answer goes to ``runner._record_answer`` on the driver, exactly once."""
        ...


class LocalExecutor:
    """Today's engine: ``eval_batch_size`` coroutines on the driver's own event loop."""

    async def run(self, state: RunState, pending: list[WorkItem]) -> None:
        from assay.engine.runner import _run_workers  # the runner imports this module

        await _run_workers(state, pending)


def build_executor(config: TaskConfig) -> Executor:
    """The executor ``config.executor`` names (a missing optional package is a ``UserError`` here)."""
    if config.executor == "ray":
        from assay.engine.ray_executor import RayExecutor

        return RayExecutor(config)
    return LocalExecutor()
