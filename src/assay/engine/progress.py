"""A rich progress bar per benchmark, with samples/s and ETA.

Updates are cheap (a counter bump); rich redraws a few times a second on its own thread, so a fast
run is not slowed by drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

if TYPE_CHECKING:
    from assay.engine.plan import DatasetPlan


class _RateColumn(ProgressColumn):
    """Samples per second over rich's recent-speed window."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f} samples/s" if speed else "- samples/s", style="cyan")


class EvalProgress:
    """Context manager showing one bar per benchmark (nothing when disabled)."""

    def __init__(self, plans: Sequence[DatasetPlan], *, enabled: bool, repeats: int = 1) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            refresh_per_second=4,
            disable=not enabled,
        )
        self._tasks: dict[str, TaskID] = {}
        for plan in plans:
            total = sum(len(s.samples) for s in plan.subsets.values()) * repeats
            self._tasks[plan.name] = self._progress.add_task(plan.name, total=total)

    def advance(self, dataset: str) -> None:
        """Count one finished (sample, repeat)."""
        self._progress.advance(self._tasks[dataset])

    def __enter__(self) -> EvalProgress:
        self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()
