"""Rich console tables for ``assay perf``, laid out like EvalScope's.

``print_run`` shows one run as EvalScope logs it (summary grouped General / Latency / Tokens, then
percentiles with one row per metric); ``print_sweep`` shows a sweep as EvalScope's closing report
(Basic Information, Performance Overview, Per-Request Metrics). Both add a table of Assay's own
numbers, and a client self-check that failed is printed in red where nobody can miss it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from assay.perf import _keys as K
from assay.perf.metrics import RunMetrics, Scalar
from assay.perf.storage import masked_args

#: An extra-summary value containing this marks the run's numbers as not trustworthy.
UNTRUSTED_MARK = "not trustworthy"

_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "General",
        (K.TEST_DURATION_S, K.CONCURRENCY, K.REQUEST_RATE, K.TOTAL_REQUESTS, K.SUCCESS_REQUESTS, K.FAILED_REQUESTS),
    ),
    ("Throughput", (K.REQUEST_THROUGHPUT, K.OUTPUT_THROUGHPUT, K.TOTAL_THROUGHPUT, K.INPUT_THROUGHPUT)),
    ("Latency", (K.AVG_LATENCY_S, K.AVG_TTFT_MS, K.AVG_TPOT_MS, K.AVG_ITL_MS)),
    ("Tokens", (K.AVG_INPUT_TOKENS, K.AVG_OUTPUT_TOKENS, K.AVG_DECODED_TOKENS_PER_ITER, K.SPEC_ACCEPT_RATE)),
)
#: Assay's own numbers shown in the summary table (under EvalScope's groups), not among the checks.
_REQUEST_GROUP = ("Request", (K.AVG_REQUEST_BYTES, K.MAX_REQUEST_BYTES, K.AVG_IMAGES_PER_REQUEST, K.TOTAL_IMAGES))

#: One run of a sweep: its folder name, its arguments, its metrics.
_HIDDEN_WHEN_ZERO = frozenset(
    {
        K.CANCELLED_REQUESTS,
        K.FAILED_HTTP_ERROR,
        K.FAILED_TIMEOUT,
        K.FAILED_BROKEN_STREAM,
        K.FAILED_MALFORMED,
        K.FAILED_CONNECT_ERROR,
        K.SUCCESS_WITHOUT_OUTPUT,
        K.TOKEN_CHECKED_REQUESTS,
        K.AVG_IMAGES_PER_REQUEST,
        K.TOTAL_IMAGES,
    }
)

RunEntry = tuple[str, BaseModel | Mapping[str, Any], RunMetrics]


def fmt(value: Any) -> str:
    """A cell: ``-`` for missing, integers as is, floats to 4 significant decimals."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:,.0f}"


def is_untrusted(extra: Mapping[str, Scalar]) -> bool:
    return any(isinstance(v, str) and UNTRUSTED_MARK in v for v in extra.values())


def summary_table(metrics: RunMetrics) -> Table:
    """EvalScope's summary keys, grouped as EvalScope groups them."""
    table = Table(title="Benchmarking summary", show_header=True, header_style="bold cyan")
    table.add_column("Metric", style="cyan")
    table.add_column("Value", justify="right")
    shown_own = {k: v for k, v in metrics.assay_summary.items() if k in _REQUEST_GROUP[1] and _shown(k, v)}
    values = {**metrics.summary, **shown_own}
    for group, keys in (*_GROUPS, _REQUEST_GROUP):
        present = [k for k in keys if k in values]
        if not present:
            continue
        table.add_section()
        table.add_row(f"── {group} ──", "", style="dim")
        for key in present:
            table.add_row(key, fmt(values[key]))
    return table


def _short(value: Any) -> str:
    """A percentile cell: 4 significant digits keep the table readable at 11 columns."""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return fmt(value)


def percentile_table(metrics: RunMetrics, width: int = 200) -> Table:
    """One row per metric, one column per percentile (EvalScope's transposed layout).

    Below 130 columns only min, 10 %, 50 %, 90 %, 99 % and max are shown, so the table stays one
    line per metric; every percentile is always in ``benchmark_percentile.json``.
    """
    labels = [str(label) for label in metrics.percentiles.get(K.PERCENTILES, [])]
    shown = labels if width >= 130 else [lb for lb in labels if lb in ("min", "10%", "50%", "90%", "99%", "max")]
    table = Table(title="Percentile results", show_header=True, header_style="bold cyan")
    table.add_column("Metric", style="cyan", no_wrap=True)
    for label in shown:
        table.add_column(label, justify="right", no_wrap=True)
    for key, values in metrics.percentiles.items():
        if key != K.PERCENTILES:
            table.add_row(key, *(_short(values[labels.index(label)]) for label in shown))
    return table


def _shown(key: str, value: Scalar) -> bool:
    """Console rows skip what says nothing (no value, a zero failure count); the JSON keeps all."""
    return value is not None and not (value == 0 and key in _HIDDEN_WHEN_ZERO)


def _check_style(value: Scalar, key: str) -> str | None:
    if isinstance(value, str) and UNTRUSTED_MARK in value:
        return "bold red"
    return "yellow" if key.startswith("Failed: ") and isinstance(value, int) and value > 0 else None


def checks_table(metrics: RunMetrics, extra: Mapping[str, Scalar] | None = None) -> Table:
    """Assay's own numbers: failures by class, token provenance, open-loop lag, client self-check."""
    table = Table(title="Assay checks", show_header=True, header_style="bold cyan")
    table.add_column("Check", style="cyan")
    table.add_column("Value", justify="right")
    for key, value in {**metrics.assay_summary, **metrics.extra_summary, **(extra or {})}.items():
        if _shown(key, value) and key not in _REQUEST_GROUP[1]:
            table.add_row(key, fmt(value), style=_check_style(value, key))
    return table


def sweep_checks_table(runs: Sequence[RunEntry]) -> Table:
    """Assay's own numbers for every run of a sweep: one row per check, one column per run."""
    table = Table(title="Assay checks", show_header=True, header_style="bold cyan")
    table.add_column("Check", style="cyan")
    merged = [{**m.assay_summary, **m.extra_summary} for _, _, m in runs]
    for _, _, m in runs:
        conc, rate = load_label(m)
        table.add_column(f"Conc. {conc}" if conc != "-" else f"Rate {rate}", justify="right")
    keys = dict.fromkeys(k for checks in merged for k in checks)
    for key in keys:
        values = [checks.get(key) for checks in merged]
        if any(_shown(key, v) for v in values):
            style = next((s for s in (_check_style(v, key) for v in values) if s), None)
            table.add_row(key, *(fmt(v) for v in values), style=style)
    return table


def print_run(metrics: RunMetrics, console: Console | None = None, extra: Mapping[str, Scalar] | None = None) -> None:
    """Print one run: EvalScope's summary and percentile tables, then Assay's checks."""
    console = console or Console()
    console.print(summary_table(metrics))
    console.print(percentile_table(metrics, console.width))
    console.print(checks_table(metrics, extra))
    merged = {**metrics.extra_summary, **(extra or {})}
    if is_untrusted(merged):
        console.print(
            Panel(Text("The client was the bottleneck: these numbers are NOT trustworthy.", style="bold red"))
        )


def pct(metrics: RunMetrics, column: str, label: str) -> Scalar:
    values = metrics.percentiles.get(column)
    labels = metrics.percentiles.get(K.PERCENTILES, [])
    return values[labels.index(label)] if values and label in labels else None


def _num(metrics: RunMetrics, key: str) -> float:
    """A numeric summary value, 0 when absent or not a number."""
    value = metrics.summary.get(key)
    return float(value) if isinstance(value, (int, float)) else 0.0


def success_rate(metrics: RunMetrics) -> float:
    """Successful requests as a percentage of counted requests (0 for an empty run)."""
    total = _num(metrics, K.TOTAL_REQUESTS)
    return 100.0 * _num(metrics, K.SUCCESS_REQUESTS) / total if total else 0.0


def load_label(metrics: RunMetrics) -> tuple[str, str]:
    """Concurrency and rate as shown: ``-`` where the run did not set one (open loop, closed loop)."""
    conc = metrics.summary.get(K.CONCURRENCY)
    rate = metrics.summary.get(K.REQUEST_RATE)
    return (
        "-" if conc is None or conc == -1 else fmt(conc),
        "-" if rate is None or rate == -1 else fmt(rate),
    )


def overview_table(runs: Sequence[RunEntry]) -> Table:
    """EvalScope's Performance Overview: one row per run, plus the client verdict when there is one."""
    with_check = any(m.extra_summary for _, _, m in runs)
    table = Table(title="Performance Overview", show_header=True, header_style="bold cyan")
    for column in ("Conc.", "Rate", "Num", "RPS", "Gen/s", "Success", *(("Client",) if with_check else ())):
        table.add_column(column, justify="right")
    for _, _, m in runs:
        conc, rate = load_label(m)
        rate_pct = success_rate(m)
        row = [
            conc,
            rate,
            fmt(m.summary.get(K.TOTAL_REQUESTS)),
            fmt(m.summary.get(K.REQUEST_THROUGHPUT)),
            fmt(m.summary.get(K.OUTPUT_THROUGHPUT)),
            f"{rate_pct:.1f}%",
        ]
        if with_check:
            row.append("NOT trustworthy" if is_untrusted(m.extra_summary) else "ok")
        style = "red" if is_untrusted(m.extra_summary) or rate_pct < 80 else "yellow" if rate_pct < 95 else "green"
        table.add_row(*row, style=style)
    return table


def per_request_table(runs: Sequence[RunEntry]) -> Table:
    """EvalScope's Per-Request Metrics: avg, p50, p99, max of each latency and token metric per run."""
    table = Table(title="Per-Request Metrics", show_header=True, header_style="bold cyan")
    for column in ("Conc.", "Rate", "Metric", "avg", "p50", "p99", "max"):
        table.add_column(column, justify="left" if column == "Metric" else "right")
    rows = (
        (K.P_LATENCY_S, K.AVG_LATENCY_S),
        (K.P_TTFT_MS, K.AVG_TTFT_MS),
        (K.P_TPOT_MS, K.AVG_TPOT_MS),
        (K.P_INPUT_TOKENS, K.AVG_INPUT_TOKENS),
        (K.P_OUTPUT_TOKENS, K.AVG_OUTPUT_TOKENS),
    )
    for index, (_, _, m) in enumerate(runs):
        if index:
            table.add_section()
        conc, rate = load_label(m)
        for position, (column, avg_key) in enumerate(rows):
            label = (conc, rate) if position == 0 else ("", "")
            cells = (_short(pct(m, column, p)) for p in ("50%", "99%", "max"))
            table.add_row(*label, column, _short(m.summary.get(avg_key)), *cells)
    return table


def basic_info_table(runs: Sequence[RunEntry]) -> Table:
    """Model, API, dataset, endpoint (credentials masked), generated tokens and total time."""
    args = masked_args(runs[0][1]) if runs else {}
    generated = sum(_num(m, K.AVG_OUTPUT_TOKENS) * _num(m, K.SUCCESS_REQUESTS) for _, _, m in runs)
    seconds = sum(_num(m, K.TEST_DURATION_S) for _, _, m in runs)
    table = Table(show_header=False, title="Basic Information")
    table.add_column("Name", style="cyan")
    table.add_column("Value", style="green")
    for name, value in (
        ("Model", args.get("model")),
        ("Test Dataset", args.get("dataset")),
        ("API Type", args.get("api")),
        ("Endpoint", args.get("url")),
        ("Total Generated", f"{generated:,.0f} tokens"),
        ("Avg Output Rate", f"{generated / seconds:,.2f} tok/s" if seconds else "-"),
        ("Total Test Time", f"{seconds:,.2f} s"),
    ):
        table.add_row(name, fmt(value))
    return table


def print_sweep(runs: Sequence[RunEntry], console: Console | None = None) -> None:
    """Print a sweep's closing report (EvalScope's layout), then Assay's checks for every run."""
    console = console or Console()
    console.print(Panel(Text("Performance Test Summary Report", style="bold")))
    console.print(basic_info_table(runs))
    console.print(overview_table(runs))
    console.print(per_request_table(runs))
    console.print(sweep_checks_table(runs))
