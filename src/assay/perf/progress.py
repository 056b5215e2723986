"""The live line of a run: requests done / total, request rate, and TTFT of recent requests.

Updates cost nothing per request: the display is refreshed a few times a second by the caller's
tick, and reads the list of finished records that the workers fill anyway. The TTFT shown is the
time to the first response chunk of the last :data:`RECENT` successful streamed requests (the exact
TTFT, from parsed events, is computed after the run).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from assay.perf._records import Outcome, RequestRecord

#: Requests the live TTFT median is taken over.
RECENT = 256
#: Seconds the live request rate is averaged over.
RATE_WINDOW_S = 2.0


class PerfProgress:
    """A one-line progress display for one run (silent when ``enabled`` is false)."""

    def __init__(
        self, label: str, total: int, records: Sequence[RequestRecord], *, stream: bool, enabled: bool
    ) -> None:
        self._records = records
        self._stream = stream
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[cyan]{task.fields[rate]}"),
            TextColumn("[magenta]{task.fields[ttft]}"),
            TextColumn("[red]{task.fields[failed]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            auto_refresh=False,
            disable=not enabled,
        )
        self._task = self._progress.add_task(label, total=total, rate="", ttft="", failed="")
        self._history: list[tuple[float, int]] = []
        self._failed = 0
        self._seen = 0

    def tick(self) -> None:
        """Refresh from the records finished so far (called a few times a second)."""
        records = self._records
        done = len(records)
        for record in records[self._seen : done]:
            if record.outcome is not Outcome.OK:
                self._failed += 1
        self._seen = done
        now = time.monotonic()
        self._history.append((now, done))
        while len(self._history) > 2 and now - self._history[0][0] > RATE_WINDOW_S:
            self._history.pop(0)
        then, before = self._history[0]
        rate = (done - before) / (now - then) if now > then else 0.0
        self._progress.update(
            self._task,
            completed=done,
            rate=f"{rate:,.0f} req/s",
            ttft=_recent_ttft(records, done) if self._stream else "",
            failed=f"{self._failed} failed" if self._failed else "",
        )
        self._progress.refresh()

    def __enter__(self) -> PerfProgress:
        self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.tick()
        self._progress.stop()


def _recent_ttft(records: Sequence[RequestRecord], done: int) -> str:
    firsts = sorted(
        r.chunk_ns[0] - r.start_ns
        for r in records[max(0, done - RECENT) : done]
        if r.outcome is Outcome.OK and r.chunk_ns
    )
    if not firsts:
        return ""
    return f"TTFT p50 {firsts[len(firsts) // 2] / 1e6:,.1f} ms"
