"""``perf_report.html``: one self-contained page for a sweep, readable offline.

The page fetches nothing: styles are inline and the charts are plotly figures with plotly.js embedded
in the page, so it opens from a copied folder or an air-gapped machine. It shows
throughput, TTFT, TPOT and latency against concurrency (or rate, for open-loop sweeps), the TTFT,
latency and ITL distributions of every run as CDFs, a summary table, and each run's full numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from assay.perf import _keys as K
from assay.perf._charts import Series, line_chart, plotly_script
from assay.perf._percentiles import CURVE_PERMILLE, PERCENTILES
from assay.perf.metrics import RunMetrics
from assay.perf.report_console import RunEntry, fmt, is_untrusted, load_label, pct, success_rate
from assay.perf.storage import masked_args

_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1400px;
  color:#1a1a1a;padding:0 1rem}
h1{margin-bottom:.2rem}.meta{color:#555}table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.3rem .6rem;text-align:right}th{background:#f3f5f8}
td:first-child,th:first-child{text-align:left}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:1rem}
.chart{width:100%;height:auto;border:1px solid #e3e3e3;border-radius:6px;background:#fff}
.chart text{font-size:11px;fill:#333}.chart .title{font-size:14px;font-weight:600}.chart .grid{stroke:#eee}
.alert{background:#fdecea;border:2px solid #d93025;color:#a50e0e;padding:.8rem 1rem;border-radius:6px;font-weight:600}
details{margin:.6rem 0;border:1px solid #e3e3e3;border-radius:6px;padding:.4rem .8rem}
summary{cursor:pointer;font-weight:600}.empty{color:#777}
"""


def _x_axis(runs: Sequence[RunEntry]) -> tuple[str, list[str]]:
    """Concurrency for closed-loop sweeps, rate for open-loop ones, run names otherwise."""
    labels = [load_label(m) for _, _, m in runs]
    if all(conc != "-" for conc, _ in labels):
        return "Concurrency", [conc for conc, _ in labels]
    if all(rate != "-" for _, rate in labels):
        return "Request rate (req/s)", [rate for _, rate in labels]
    return "Run", [name for name, _, _ in runs]


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _load_charts(runs: Sequence[RunEntry]) -> list[str]:
    """Throughput and latency metrics against the swept load, one point per run."""
    x_title, categories = _x_axis(runs)
    xs = [float(i) for i in range(len(runs))]
    metrics = [m for _, _, m in runs]

    def summary(name: str, key: str) -> Series:
        return Series(name, xs, [_num(m.summary.get(key)) for m in metrics])

    def percentile(name: str, column: str, label: str) -> Series:
        return Series(name, xs, [_num(pct(m, column, label)) for m in metrics])

    def chart(title: str, y_title: str, series: list[Series]) -> str:
        return line_chart(title, series, x_title=x_title, y_title=y_title, categories=categories)

    return [
        chart("Request throughput", "req/s", [summary("Req Throughput", K.REQUEST_THROUGHPUT)]),
        chart(
            "Token throughput",
            "tok/s",
            [summary("Output", K.OUTPUT_THROUGHPUT), summary("Total", K.TOTAL_THROUGHPUT)],
        ),
        chart(
            "Time to first token",
            "ms",
            [
                summary("avg", K.AVG_TTFT_MS),
                percentile("p50", K.P_TTFT_MS, "50%"),
                percentile("p99", K.P_TTFT_MS, "99%"),
            ],
        ),
        chart(
            "Time per output token",
            "ms",
            [summary("avg", K.AVG_TPOT_MS), percentile("p99", K.P_TPOT_MS, "99%")],
        ),
        chart(
            "End-to-end latency",
            "s",
            [
                summary("avg", K.AVG_LATENCY_S),
                percentile("p50", K.P_LATENCY_S, "50%"),
                percentile("p99", K.P_LATENCY_S, "99%"),
            ],
        ),
        chart("Success rate", "%", [Series("success", xs, [success_rate(m) for m in metrics])]),
    ]


def _curve(name: str, metrics: RunMetrics, column: str) -> Series:
    """A run's CDF: its 201-point quantile curve, or its 11 percentiles for a run loaded from files."""
    curve = metrics.distributions.get(column)
    if curve:
        return Series(name, curve, [p / 10 for p in CURVE_PERMILLE[: len(curve)]])
    values = metrics.percentiles.get(column, [])
    points = [(_num(v), float(p)) for v, p in zip(values, PERCENTILES, strict=False) if _num(v) is not None]
    return Series(name, [x for x, _ in points if x is not None], [p for _, p in points])


def _distribution_charts(runs: Sequence[RunEntry]) -> list[str]:
    """CDFs (x: value, y: percent of requests at or below it), one line per run."""
    charts = []
    for column, title in ((K.P_TTFT_MS, "TTFT"), (K.P_LATENCY_S, "Latency"), (K.P_ITL_MS, "Inter-token latency")):
        series = [_curve(name, m, column) for name, _, m in runs]
        if any(s.xs for s in series):
            charts.append(
                line_chart(
                    f"{title} distribution (CDF)",
                    series,
                    x_title=column,
                    y_title="% of requests ≤ x" if column != K.P_ITL_MS else "% of gaps ≤ x",
                    markers=False,
                )
            )
    return charts or ['<p class="empty">No successful requests: no distributions to draw.</p>']


def _summary_table(runs: Sequence[RunEntry]) -> str:
    head = (
        "Run",
        "Conc.",
        "Rate",
        "Requests",
        "Success",
        "RPS",
        "Gen tok/s",
        "Avg TTFT (ms)",
        "P99 TTFT (ms)",
        "Avg TPOT (ms)",
        "P99 TPOT (ms)",
        "Avg Lat. (s)",
        "P99 Lat. (s)",
        "Client check",
    )
    rows = []
    for name, _, m in runs:
        conc, rate = load_label(m)
        cells = [
            name,
            conc,
            rate,
            fmt(m.summary.get(K.TOTAL_REQUESTS)),
            f"{success_rate(m):.1f}%",
            fmt(m.summary.get(K.REQUEST_THROUGHPUT)),
            fmt(m.summary.get(K.OUTPUT_THROUGHPUT)),
            fmt(m.summary.get(K.AVG_TTFT_MS)),
            fmt(pct(m, K.P_TTFT_MS, "99%")),
            fmt(m.summary.get(K.AVG_TPOT_MS)),
            fmt(pct(m, K.P_TPOT_MS, "99%")),
            fmt(m.summary.get(K.AVG_LATENCY_S)),
            fmt(pct(m, K.P_LATENCY_S, "99%")),
            "NOT trustworthy" if is_untrusted(m.extra_summary) else ("ok" if m.extra_summary else "-"),
        ]
        rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    return _table(head, rows)


def _table(head: Sequence[str], rows: Sequence[str]) -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _run_section(name: str, metrics: RunMetrics) -> str:
    """Every number of one run: the full summary and the percentile table."""
    summary_rows = [
        f"<tr><td>{escape(k)}</td><td>{escape(fmt(v))}</td></tr>" for k, v in metrics.full_summary().items()
    ]
    labels = [str(label) for label in metrics.percentiles.get(K.PERCENTILES, [])]
    pct_rows = [
        f"<tr><td>{escape(k)}</td>" + "".join(f"<td>{escape(fmt(v))}</td>" for v in values) + "</tr>"
        for k, values in metrics.percentiles.items()
        if k != K.PERCENTILES
    ]
    return (
        f"<details><summary>{escape(name)}</summary>"
        + _table(("Metric", "Value"), summary_rows)
        + _table(("Metric", *labels), pct_rows)
        + "</details>"
    )


def _header(runs: Sequence[RunEntry]) -> str:
    from assay import __version__

    args = masked_args(runs[0][1]) if runs else {}
    facts = " · ".join(
        f"{label}: {escape(str(args.get(key)))}"
        for label, key in (("Model", "model"), ("API", "api"), ("Dataset", "dataset"), ("Endpoint", "url"))
        if args.get(key) is not None
    )
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    alert = ""
    bad = [name for name, _, m in runs if is_untrusted(m.extra_summary)]
    if bad:
        alert = (
            '<p class="alert">The client was the bottleneck in '
            + escape(", ".join(bad))
            + ": those numbers measure the client, not the server, and are NOT trustworthy.</p>"
        )
    return (
        f'<h1>Assay perf report</h1><p class="meta">{facts}<br>{len(runs)} run(s) · generated {when} · '
        f"Assay {escape(__version__)}</p>{alert}"
    )


def render_html(runs: Sequence[RunEntry]) -> str:
    """The whole report page as one string (no external resources)."""
    charts = "".join(_load_charts(runs)) if runs else ""
    distributions = "".join(_distribution_charts(runs))
    sections = "".join(_run_section(name, m) for name, _, m in runs)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Assay perf report</title><style>{_CSS}</style>{plotly_script()}</head><body>"
        f"{_header(runs)}<h2>Summary</h2>{_summary_table(runs)}"
        f'<h2>Load sweep</h2><div class="charts">{charts}</div>'
        f'<h2>Distributions</h2><div class="charts">{distributions}</div>'
        f"<h2>Runs</h2>{sections}</body></html>\n"
    )
