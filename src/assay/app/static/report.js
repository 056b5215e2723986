// Report: per benchmark, the scores per category and subset with standard errors, a bar chart,
// how every sample ended (scored / excluded / errored, extraction failures, truncations), code
// execution outcomes, the judge's work and cost, and timing. Counts link to the matching samples.

import { getReport, routes } from "./api.js";
import { breadcrumbs, errorBox, fill, formatNumber, h, kvTable, percent, scoreText, table } from "./dom.js";
import { isCurrent } from "./nav.js";
import { chart } from "./plots.js";

export function renderReport(view, params, token, id) {
  fill(view, h("p", { class: "muted" }, "Loading report…"));
  getReport(id, { fresh: true })
    .then((data) => {
      if (!isCurrent(token)) return;
      const benches = Object.entries(data.reports || {});
      const first = benches.length ? benches[0][0] : "";
      fill(
        view,
        breadcrumbs([["Runs", routes.runs()], [id]]),
        h(
          "div",
          { class: "page-head" },
          h("h1", null, data.model || id),
          h("span", { class: "muted id" }, id),
        ),
        h(
          "div",
          { class: "toolbar" },
          h("a", { class: "button", href: routes.samples(id, { benchmark: first }) }, "Browse samples"),
          h("a", { class: "button", href: routes.compare({ runs: id, benchmark: first }) }, "Compare with another run"),
          benches.length > 1
            ? benches.map(([name]) =>
                h("button", { type: "button", class: "chip", onclick: () => scrollToBench(name) }, name),
              )
            : null,
        ),
        benches.length ? benches.map(([name, report]) => benchSection(id, name, report)) : errorBox("This run has no report yet."),
        data.config
          ? h("details", { class: "config" }, h("summary", null, "Run configuration"), h("pre", null, JSON.stringify(data.config, null, 2)))
          : null,
      );
    })
    .catch((error) => {
      if (isCurrent(token)) fill(view, breadcrumbs([["Runs", routes.runs()], [id]]), errorBox(error.message));
    });
}

function scrollToBench(name) {
  const section = document.querySelector(`section.bench[data-benchmark="${CSS.escape(name)}"]`);
  if (section) section.scrollIntoView({ behavior: "smooth" });
}

function benchSection(id, name, report) {
  const headlineMetric = report.metrics && report.metrics[0];
  return h(
    "section",
    { class: "bench", dataset: { benchmark: name } },
    h(
      "h2",
      null,
      report.dataset_pretty_name || name,
      " ",
      h("span", { class: "headline" }, scoreText(report.score, headlineMetric && headlineMetric.stderr)),
      headlineMetric ? h("span", { class: "muted" }, ` ${headlineMetric.name}`) : null,
    ),
    h("p", { class: "muted" }, describe(report)),
    h(
      "div",
      { class: "toolbar" },
      h("a", { class: "button", href: routes.samples(id, { benchmark: name }) }, "All samples"),
      h("a", { class: "button", href: routes.samples(id, { benchmark: name, status: "wrong" }) }, "Wrong answers"),
    ),
    statusCards(id, name, report),
    h(
      "div",
      { class: "two-col" },
      h("div", null, h("h3", null, "Scores"), metricsTable(id, name, report.metrics || [])),
      h("div", null, scoreChart(report.metrics || [])),
    ),
    h(
      "div",
      { class: "facts" },
      reasons("Excluded, by reason", report.counts && report.counts.excluded_reasons, report.counts),
      reasons("Errored, by reason", report.counts && report.counts.error_reasons, report.counts),
      executionOutcomes(report.counts),
      judgeCost(report.judge),
      timing(report.timing),
    ),
  );
}

function describe(report) {
  const parts = [
    `benchmark ${report.dataset_name} v${report.benchmark_version}`,
    report.dataset_id ? `data ${report.dataset_id}${report.dataset_revision ? `@${report.dataset_revision.slice(0, 10)}` : ""}` : null,
    `aggregation ${report.aggregation}`,
    report.repeats > 1 ? `${report.repeats} repeats` : null,
  ];
  return parts.filter(Boolean).join(" · ");
}

function statusCards(id, name, report) {
  const c = report.counts || {};
  const link = (status) => routes.samples(id, { benchmark: name, status });
  const card = (label, value, detail, href, kind = "") =>
    h(
      "a",
      { class: `stat ${kind}`.trim(), href, dataset: { stat: label.toLowerCase() } },
      h("span", { class: "stat-value" }, String(value ?? 0)),
      h("span", { class: "stat-label" }, label),
      detail ? h("span", { class: "stat-detail" }, detail) : null,
    );
  return h(
    "div",
    { class: "stats" },
    card("Total", c.total, null, link("all")),
    card("Scored", c.scored, percent(c.scored, c.total), link("all")),
    card("Excluded", c.excluded, percent(c.excluded, c.total), link("excluded"), c.excluded ? "warn" : ""),
    card("Errored", c.errored, percent(c.errored, c.total), link("errored"), c.errored ? "bad" : ""),
    card(
      "Extraction failures",
      c.extraction_failures,
      `${percent(c.extraction_failures, c.scored)} of scored`,
      link("extraction_failed"),
      c.extraction_failures ? "warn" : "",
    ),
    card("Truncated", c.truncated, `${percent(c.truncated, c.total)} of all`, link("truncated"), c.truncated ? "warn" : ""),
  );
}

function ciText(item) {
  if (item.ci_low === undefined || item.ci_low === null) return "";
  return `[${formatNumber(item.ci_low)}, ${formatNumber(item.ci_high)}]`;
}

function metricsTable(id, bench, metrics) {
  const rows = [];
  for (const metric of metrics) {
    rows.push(
      h(
        "tr",
        { class: "metric-row" },
        h("th", { scope: "row" }, metric.name),
        h("td", null, "all"),
        h("td", null, "all"),
        h("td", { class: "num" }, String(metric.num)),
        h("td", { class: "num" }, formatNumber(metric.score)),
        h("td", { class: "num" }, formatNumber(metric.stderr)),
        h("td", { class: "num" }, formatNumber(metric.macro_score)),
        h("td", { class: "num" }, ciText(metric)),
      ),
    );
    const categories = metric.categories || [];
    const showCategories = categories.length > 1 || (categories[0] && categories[0].name.join("/") !== "default");
    for (const category of categories) {
      const categoryName = category.name.join(" / ");
      if (showCategories) {
        rows.push(
          h(
            "tr",
            { class: "category-row" },
            h("td", null, ""),
            h("td", null, categoryName),
            h("td", null, "all"),
            h("td", { class: "num" }, String(category.num)),
            h("td", { class: "num" }, formatNumber(category.score)),
            h("td", { class: "num" }, formatNumber(category.stderr)),
            h("td", { class: "num" }, formatNumber(category.macro_score)),
            h("td", { class: "num" }, ciText(category)),
          ),
        );
      }
      for (const subset of category.subsets || []) {
        rows.push(
          h(
            "tr",
            { class: "subset-row", dataset: { subset: subset.name } },
            h("td", null, ""),
            h("td", null, showCategories ? "" : categoryName),
            h("td", null, h("a", { href: routes.samples(id, { benchmark: bench, subset: subset.name }) }, subset.name)),
            h("td", { class: "num" }, String(subset.num)),
            h("td", { class: "num" }, formatNumber(subset.score)),
            h("td", { class: "num" }, formatNumber(subset.stderr)),
            h("td", null, ""),
            h("td", { class: "num" }, ciText(subset)),
          ),
        );
      }
    }
  }
  return table(["Metric", "Category", "Subset", "N", "Score", "Std. error", "Macro", "CI"], rows, {
    class: "scores-table",
  });
}

function scoreChart(metrics) {
  if (!metrics.length) return null;
  const subsetsOf = (metric) => (metric.categories || []).flatMap((category) => category.subsets || []);
  const manySubsets = subsetsOf(metrics[0]).length > 1;
  const traces = manySubsets
    ? metrics.slice(0, 6).map((metric) => {
        const subsets = subsetsOf(metric);
        return {
          type: "bar",
          name: metric.name,
          x: subsets.map((s) => s.name),
          y: subsets.map((s) => s.score),
          error_y: { type: "data", array: subsets.map((s) => s.stderr), visible: true },
          hovertemplate: "%{x}: %{y:.4f} ± %{error_y.array:.4f}<extra>%{fullData.name}</extra>",
        };
      })
    : [
        {
          type: "bar",
          name: "score",
          x: metrics.map((m) => m.name),
          y: metrics.map((m) => m.score),
          error_y: { type: "data", array: metrics.map((m) => m.stderr), visible: true },
          hovertemplate: "%{x}: %{y:.4f} ± %{error_y.array:.4f}<extra></extra>",
        },
      ];
  return chart(
    traces,
    {
      title: manySubsets ? "Score per subset (± 1 standard error)" : "Score per metric (± 1 standard error)",
      barmode: "group",
      yaxis: { rangemode: "tozero" },
      showlegend: traces.length > 1,
    },
    { height: 300 },
  );
}

function reasons(title, byReason, counts) {
  const entries = Object.entries(byReason || {});
  if (!entries.length) return null;
  const total = counts ? counts.total : 0;
  return h(
    "div",
    { class: "reasons" },
    h("h3", null, title),
    table(
      ["Reason", "Samples", "Share"],
      entries.sort((a, b) => b[1] - a[1]).map(([reason, n]) => [reason, String(n), percent(n, total)]),
    ),
  );
}

function executionOutcomes(counts) {
  const outcomes = counts && counts.execution_outcomes;
  if (!outcomes) return null;
  const total = Object.values(outcomes).reduce((a, b) => a + b, 0);
  return h(
    "div",
    { class: "execution" },
    h("h3", null, "Code execution outcomes"),
    table(
      ["Outcome", "Samples", "Share"],
      Object.entries(outcomes)
        .sort((a, b) => b[1] - a[1])
        .map(([outcome, n]) => [outcome, String(n), percent(n, total)]),
      { class: "outcomes" },
    ),
  );
}

function judgeCost(judge) {
  if (!judge) return null;
  return h(
    "div",
    { class: "judge" },
    h("h3", null, "Judge"),
    kvTable([
      ["Judges", (judge.judges || []).join(", ")],
      ["Strategy", judge.strategy],
      ["Requests", judge.requests],
      ["From the judge cache", judge.cached],
      ["Transport errors", judge.transport_errors],
      ["Unreadable verdicts", judge.parse_errors],
      ["Prompt tokens", judge.prompt_tokens],
      ["Completion tokens", judge.completion_tokens],
      ["Mean latency (s)", judge.mean_latency_s],
      ["Judging wall time (s)", judge.wall_s],
      ["Requests per second", judge.requests_per_s],
      ["Panel agreement", judge.agreement === null || judge.agreement === undefined ? undefined : percent(judge.agreement, 1)],
    ]),
  );
}

function timing(t) {
  if (!t) return null;
  return h(
    "div",
    { class: "timing" },
    h("h3", null, "Timing"),
    kvTable([
      ["Wall time (s)", t.wall_s],
      ["Model requests", t.requests],
      ["Samples per second", t.samples_per_s],
      ["Mean latency (s)", t.mean_latency_s],
      ["Mean time to first token (s)", t.mean_ttft_s === null ? undefined : t.mean_ttft_s],
      ["Prompt tokens", t.prompt_tokens],
      ["Completion tokens", t.completion_tokens],
    ]),
  );
}
