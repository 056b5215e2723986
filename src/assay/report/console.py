"""The table printed at the end of a run (one row per metric and subset, EvalScope-style)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from assay.report.model import Report


def report_table(reports: Sequence[Report]) -> Table:
    """A rich table: model, dataset, metric, subset, num, score ± stderr, plus honesty columns."""
    table = Table(title="Assay results", show_lines=False)
    with_ci = any(m.ci_low is not None for r in reports for m in r.metrics)
    columns = ("Model", "Dataset", "Metric", "Subset", "Num", "Score", "± SE") + (("90% CI",) if with_ci else ())
    for column in columns:
        table.add_column(column, justify="left" if column in {"Model", "Dataset", "Metric", "Subset"} else "right")
    for report in reports:
        for metric in report.metrics:
            subsets = [s for c in metric.categories for s in c.subsets]
            for subset in subsets:
                table.add_row(
                    report.model_name,
                    report.dataset_name,
                    metric.name,
                    subset.name,
                    str(subset.num),
                    f"{subset.score:.4f}",
                    f"{subset.stderr:.4f}",
                    *_ci(subset.ci_low, subset.ci_high, with_ci),
                )
            if len(subsets) > 1:
                table.add_row(
                    report.model_name,
                    report.dataset_name,
                    metric.name,
                    "OVERALL",
                    str(metric.num),
                    f"{metric.score:.4f}",
                    f"{metric.stderr:.4f}",
                    *_ci(metric.ci_low, metric.ci_high, with_ci),
                    style="bold",
                )
    return table


def _ci(low: float | None, high: float | None, shown: bool) -> tuple[str, ...]:
    if not shown:
        return ()
    return (f"[{low:.4f}, {high:.4f}]" if low is not None and high is not None else "",)


def print_reports(reports: Sequence[Report], console: Console | None = None) -> None:
    """Print the score table and one line of counts per benchmark."""
    console = console or Console()
    console.print(report_table(reports))
    for r in reports:
        c = r.counts
        console.print(
            f"[bold]{r.dataset_name}[/]: {c.scored} scored, {c.excluded} excluded, {c.errored} errored; "
            f"no answer extracted in {r.extraction_failure_rate:.1%}; {c.truncated} truncated; "
            f"{r.timing.samples_per_s:.1f} samples/s"
        )
        for reason, n in {**c.excluded_reasons, **c.error_reasons}.items():
            console.print(f"  {n} × {reason}")
        if c.execution_outcomes:
            console.print("  executions: " + ", ".join(f"{n} {outcome}" for outcome, n in c.execution_outcomes.items()))
        if r.judge is not None:
            j = r.judge
            console.print(
                f"  judge {', '.join(j.judges)} ({j.strategy}): {j.requests} requests, {j.cached} from cache, "
                f"{j.prompt_tokens}+{j.completion_tokens} tokens, {j.parse_errors} unparseable, "
                f"{j.transport_errors} failed"
                + (f", judges agree on {j.agreement:.1%}" if j.agreement is not None else "")
            )
