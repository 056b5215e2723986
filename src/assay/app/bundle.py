"""``assay app bundle``: one self-contained, offline HTML file of an eval run.

For sharing a run where the viewer cannot run (an e-mail, a ticket, an archive): every benchmark's
report (scores with standard errors per metric, category and subset; how samples ended; timing) and
its first samples (prompt, reply, extracted answer, gold, verdict). Everything is inline: the CSS,
a few lines of JavaScript to filter samples by verdict, and no chart, so no plotly. The prompt images
the run kept are inlined as ``data:`` URLs; the file names no other URL in any ``src`` or
``href``; text a model or a dataset wrote is escaped, never markup.
"""

from __future__ import annotations

import base64
import html
import math
import mimetypes
from pathlib import Path
from typing import Any

from assay.app._benchmark import BenchmarkSamples, item_of
from assay.app._eval_run import EvalRun, created_time
from assay.app._journal_index import as_dict
from assay.app._paths import OutputsRoot
from assay.app._search import prompt_text

__all__ = ["DEFAULT_SAMPLES", "write_bundle"]

DEFAULT_SAMPLES = 200

_CSS = """
.prompt-image{max-width:480px;max-height:360px;display:block;margin:.3rem 0}
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 1.5rem;color:#1d232b}
h1{font-size:1.5rem}h2{margin-top:2.5rem;border-bottom:2px solid #d8dee6;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.6rem 0}th,td{border:1px solid #d8dee6;padding:.25rem .6rem;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f2f5f8}
.big{font-size:1.8rem;font-weight:600}.muted{color:#5d6875}
details{border:1px solid #d8dee6;border-radius:6px;margin:.35rem 0;padding:.3rem .6rem}
summary{cursor:pointer}pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:.5rem;margin:.3rem 0}
.badge{display:inline-block;min-width:5.5rem;text-align:center;border-radius:4px;padding:0 .4rem;margin-right:.5rem}
.correct{background:#d7f5dd}.wrong{background:#fbdada}.excluded{background:#e6e6e6}.errored{background:#ffe4b8}
.unscored{background:#e6eefc}.filters button{margin-right:.3rem}.filters button.on{font-weight:700}
"""

_JS = """
document.querySelectorAll('.filters').forEach(function (bar) {
  bar.addEventListener('click', function (event) {
    var verdict = event.target.getAttribute('data-verdict');
    if (!verdict) return;
    bar.querySelectorAll('button').forEach(function (b) { b.classList.toggle('on', b === event.target); });
    bar.parentNode.querySelectorAll('details.sample').forEach(function (d) {
      d.hidden = verdict !== 'all' && d.getAttribute('data-verdict') !== verdict;
    });
  });
});
"""


def write_bundle(run_dir: Path, out: Path, samples_per_benchmark: int = DEFAULT_SAMPLES) -> Path:
    """Write the HTML of the eval run in ``run_dir`` to ``out``; returns ``out``.

    Example:
        >>> write_bundle(Path("outputs/20250101_120000"), Path("report.html"))  # doctest: +SKIP
    """
    root = OutputsRoot(run_dir)
    run = EvalRun(root, root.path)
    out.write_text(render_bundle(run, samples_per_benchmark), encoding="utf-8")
    return out


def render_bundle(run: EvalRun, samples_per_benchmark: int) -> str:
    """The bundle of ``run`` as one HTML string."""
    model = run.model() or "unknown model"
    reports = run.reports()
    title = f"{model}: {', '.join(run.benchmarks())}"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(model)}</h1>",
        f'<p class="muted">Run {_e(run.path.name)}, started {_e(created_time(run.root, run.path) or "?")}. '
        "Written by <code>assay app bundle</code>.</p>",
        _overview(run.benchmarks(), reports),
    ]
    for bench in run.benchmarks():
        parts.append(f'<h2 id="{_e(bench)}">{_e(bench)}</h2>')
        report = reports.get(bench)
        parts.append(_report(report) if report else '<p class="muted">No report yet (the run did not finish).</p>')
        samples = run.samples(bench)
        if samples is not None:
            parts.append(_samples(run, samples, samples_per_benchmark))
    config = run.config()
    if config:
        import yaml

        parts.append("<h2>Configuration</h2>")
        parts.append(f"<pre>{_e(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))}</pre>")
    parts.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(parts)


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: Any, digits: int = 4) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "" if value is None else _e(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "n/a"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(cell: str) -> str:
    """A cell already escaped; numbers (and blanks) right-aligned."""
    numeric = cell.replace(".", "", 1).replace("-", "", 1).isdigit() or cell in ("", "n/a")
    return f'<td class="n">{cell}</td>' if numeric else f"<td>{cell}</td>"


def _overview(benchmarks: list[str], reports: dict[str, dict[str, Any]]) -> str:
    rows = []
    for bench in benchmarks:
        report = reports.get(bench) or {}
        metric = (report.get("metrics") or [{}])[0]
        counts = report.get("counts") or {}
        rows.append(
            [
                f'<a href="#{_e(bench)}">{_e(bench)}</a>',
                _e(metric.get("name", "")),
                _num(report.get("score")),
                _num(metric.get("stderr")),
                *(_num(counts.get(k)) for k in ("total", "scored", "excluded", "errored")),
            ]
        )
    return _table(["benchmark", "metric", "score", "stderr", "total", "scored", "excluded", "errored"], rows)


def _report(report: dict[str, Any]) -> str:
    metrics = report.get("metrics") or []
    first = metrics[0] if metrics else {}
    parts = [
        f'<p><span class="big">{_num(report.get("score"))}</span> '
        f'<span class="muted">{_e(first.get("name", ""))} ± {_num(first.get("stderr"))} (standard error), '
        f"n = {_num(first.get('num'))}</span></p>"
    ]
    rows = []
    for metric in metrics:
        rows.append([f"<b>{_e(metric.get('name'))}</b>", "", *_score_cells(metric)])
        for category in metric.get("categories") or []:
            label = "/".join(map(str, category.get("name") or []))
            rows.append(["", f"category {_e(label)}", *_score_cells(category)])
            subsets = category.get("subsets") or []
            rows.extend(["", f"&nbsp;&nbsp;{_e(s.get('name'))}", *_score_cells(s)] for s in subsets)
    parts.append(_table(["metric", "group", "score", "stderr", "n"], rows))
    counts = report.get("counts") or {}
    keys = ("total", "scored", "excluded", "errored", "extraction_failures", "truncated")
    parts.append(_table(list(keys), [[_num(counts.get(k)) for k in keys]]))
    for label, key in (("Excluded because", "excluded_reasons"), ("Errors", "error_reasons")):
        reasons = counts.get(key) or {}
        if reasons:
            rows = [[_e(reason), _num(n)] for reason, n in reasons.items()]
            parts.append(f"<p>{label}:</p>" + _table(["reason", "samples"], rows))
    timing = report.get("timing") or {}
    if timing:
        parts.append(_table(list(timing), [[_num(v, 3) for v in timing.values()]]))
    return "\n".join(parts)


def _score_cells(group: dict[str, Any]) -> list[str]:
    return [_num(group.get("score")), _num(group.get("stderr")), _num(group.get("num"))]


def _samples(run: EvalRun, bench: BenchmarkSamples, limit: int) -> str:
    table = bench.table()
    shown = min(limit, len(table))
    parts = [
        f"<h3>Samples: the first {shown} of {len(table)}</h3>",
        '<div><p class="filters">'
        + "".join(
            f'<button type="button" data-verdict="{v}"{" class=on" if v == "all" else ""}>{v}</button>'
            for v in ("all", "correct", "wrong", "unscored", "excluded", "errored")
        )
        + "</p>",
    ]
    rows = list(range(shown))
    for row, review in zip(rows, table.records(rows), strict=True):
        if review is None:
            continue
        item = item_of(review, float(table.value[row]), int(table.status[row]))
        prediction = bench.prediction(str(review.get("key"))) or {}
        parts.append(_sample(item, review, prediction, _images(run, prediction)))
    parts.append("</div>")
    return "\n".join(parts)


def _images(run: EvalRun, prediction: dict[str, Any]) -> str:
    """The prompt's images the run kept, inline as data: URLs (thumbnails: tens of KB each)."""
    tags = []
    for sha256, path in run.kept_images(prediction).items():
        mime = mimetypes.guess_type(path.name)[0] or "image/png"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        tags.append(f'<img class="prompt-image" alt="image {sha256[:12]}" src="data:{mime};base64,{data}">')
    return "".join(tags)


def _sample(item: dict[str, Any], review: dict[str, Any], prediction: dict[str, Any], images: str = "") -> str:
    score = as_dict(review.get("score"))
    if item["status"] != "scored":
        verdict = item["status"]
    else:
        verdict = {True: "correct", False: "wrong", None: "unscored"}[item["correct"]]
    output = as_dict(prediction.get("output"))
    reply = review.get("prediction") or output.get("text") or ""
    detail = [
        ("Prompt", prompt_text(prediction.get("input"))),
        ("Reasoning", output.get("reasoning")),
        ("Reply", reply),
        ("Extracted", score.get("extracted")),
        ("Gold", review.get("target")),
        ("Verdict", _verdict_text(score)),
    ]
    body = "".join(f"<p><b>{label}</b></p><pre>{_e(text)}</pre>" for label, text in detail if text not in (None, ""))
    if images:
        body = f"<p><b>Images in the prompt</b></p>{images}{body}"
    flags = " (truncated)" if item["truncated"] else ""
    extracted = _e(score.get("extracted")) or "(none)"
    return (
        f'<details class="sample" data-verdict="{verdict}"><summary><span class="badge {verdict}">{verdict}</span>'
        f"{_e(item['key'])}{flags} · extracted {extracted} · gold {_e(review.get('target'))}"
        f"</summary>{body}</details>"
    )


def _verdict_text(score: dict[str, Any]) -> str:
    lines = [f"status: {score.get('status', 'scored')}"]
    for key in ("value", "reason", "explanation"):
        if score.get(key) not in (None, {}, ""):
            lines.append(f"{key}: {score[key]}")
    return "\n".join(lines)
