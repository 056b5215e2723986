// Perf: a perf run or sweep: throughput and TTFT / ITL / latency percentiles against concurrency
// (or request rate, for open-loop runs), one table per run with EvalScope's metric names, the
// client's self-check warnings, and a second sweep overlaid for comparison (?with=<id>).

import { getJSON, routes, runPath } from "./api.js";
import { badge, breadcrumbs, errorBox, fill, formatValue, h, kvTable, table } from "./dom.js";
import { isCurrent } from "./nav.js";
import { chart } from "./plots.js";

// EvalScope's names (assay/perf/_keys.py), read exactly as benchmark_summary.json spells them.
const K = {
  concurrency: "Concurrency",
  rate: "Request Rate (req/s)",
  reqThroughput: "Req Throughput (req/s)",
  outThroughput: "Output Throughput (tok/s)",
  percentiles: "Percentiles",
};
const SUMMARY_COLUMNS = [
  "Req Throughput (req/s)",
  "Output Throughput (tok/s)",
  "Avg Latency (s)",
  "Avg TTFT (ms)",
  "Avg TPOT (ms)",
  "Avg ITL (ms)",
  "Success Requests",
  "Failed Requests",
  "Client Verdict",
];
const LATENCY_CHARTS = [
  ["TTFT", "Time to first token"],
  ["ITL", "Inter-token latency"],
  ["Latency", "Request latency"],
];
const SHOWN_PERCENTILES = ["50%", "90%", "99%"];
const PERCENTILE_COLOURS = { "50%": "#1f77b4", "90%": "#ff7f0e", "99%": "#d62728" };
const SWEEP_COLOURS = ["#1f77b4", "#ff7f0e"];
const CHART_HEIGHT = 360;
const MARGIN = { l: 60, r: 20, t: 40, b: 100 };

export function renderPerf(view, params, token, id) {
  const other = params.get("with") || "";
  fill(view, breadcrumbs([["Runs", routes.runs()], [id]]), h("p", { class: "muted" }, "Loading perf results…"));
  const wanted = [getJSON(`perf/${runPath(id)}`), other ? getJSON(`perf/${runPath(other)}`) : Promise.resolve(null)];
  Promise.all([Promise.all(wanted), getJSON("runs").catch(() => ({ runs: [] }))])
    .then(([[main, overlay], list]) => {
      if (!isCurrent(token)) return;
      const perfRuns = (list.runs || []).filter((run) => run.kind === "perf" && run.id !== id);
      const sweeps = [{ label: id, data: main, dash: "solid" }];
      if (overlay) sweeps.push({ label: other, data: overlay, dash: "dash" });
      fill(
        view,
        breadcrumbs([["Runs", routes.runs()], [id]]),
        h("div", { class: "page-head" }, h("h1", null, `Perf ${main.kind === "sweep" ? "sweep" : "run"}`), h("span", { class: "muted id" }, id)),
        overlayPicker(id, other, perfRuns),
        warnings(sweeps),
        charts(sweeps),
        sweeps.map((sweep) => runTables(sweep)),
      );
    })
    .catch((error) => {
      if (isCurrent(token)) fill(view, breadcrumbs([["Runs", routes.runs()], [id]]), errorBox(error.message));
    });
}

function overlayPicker(id, other, perfRuns) {
  if (!perfRuns.length) return null;
  const select = h(
    "select",
    { id: "perf-overlay", "aria-label": "Compare with another perf run" },
    h("option", { value: "" }, "(none)"),
    perfRuns.map((run) => h("option", { value: run.id, selected: run.id === other }, `${run.model || ""} ${run.id}`)),
  );
  select.addEventListener("change", () => {
    location.hash = routes.perf(id, { with: select.value });
  });
  return h("div", { class: "toolbar" }, h("label", { for: "perf-overlay" }, "Overlay another perf run: "), select);
}

function warnings(sweeps) {
  const items = [];
  for (const sweep of sweeps) {
    // the server lists every run whose self-check verdict is not "ok"; older servers only the summaries say
    const listed = Array.isArray(sweep.data.warnings)
      ? sweep.data.warnings
      : (sweep.data.runs || [])
          .filter((run) => ((run.summary || {})["Client Verdict"] || "ok") !== "ok")
          .map((run) => `${run.name}: ${run.summary["Client Verdict"]}`);
    for (const warning of listed) items.push(`${sweep.label}: ${warning}`);
  }
  if (!items.length) {
    return h("p", { class: "selfcheck ok", id: "perf-warnings" }, badge("ok", "good"), " Client self-check: the load generator kept up in every run.");
  }
  return h(
    "div",
    { class: "selfcheck warn", id: "perf-warnings", role: "alert" },
    h("strong", null, "Client self-check warnings: these numbers may measure the client, not the server."),
    h("ul", null, [...new Set(items)].map((text) => h("li", null, text))),
  );
}

function xAxis(sweeps) {
  const runs = sweeps.flatMap((sweep) => sweep.data.runs || []);
  const openLoop = runs.length > 0 && runs.every((run) => ((run.summary || {})[K.rate] ?? -1) > 0);
  return openLoop
    ? { title: "Request rate (req/s)", value: (run) => run.summary[K.rate] }
    : { title: "Concurrency", value: (run) => run.parallel ?? (run.summary || {})[K.concurrency] };
}

function sortedRuns(sweep, x) {
  return [...(sweep.data.runs || [])].sort((a, b) => (x.value(a) ?? 0) - (x.value(b) ?? 0));
}

/** The percentile column named `name (unit)`, as EvalScope spells it ("TTFT (ms)", "Latency (s)"). */
function percentileColumn(rows, name) {
  const keys = rows.length ? Object.keys(rows[0]) : [];
  return keys.find((key) => key.startsWith(`${name} (`)) || null;
}

/** The x axis: the sweep's own values as ticks, on a log scale when they span a factor of 10 or more. */
function xLayout(sweeps, x) {
  const values = [...new Set(sweeps.flatMap((sweep) => (sweep.data.runs || []).map(x.value)))]
    .filter((v) => typeof v === "number" && v > 0)
    .sort((a, b) => a - b);
  const log = values.length > 1 && values[values.length - 1] / values[0] >= 10;
  return { title: { text: x.title }, type: log ? "log" : "linear", tickmode: "array", tickvals: values };
}

function charts(sweeps) {
  const x = xAxis(sweeps);
  const xaxis = xLayout(sweeps, x);
  const many = sweeps.length > 1;
  const legend = { orientation: "h", y: -0.28, yanchor: "top" };
  const lineOf = (sweep, name, y, runs, colour) => ({
    type: "scatter",
    mode: "lines+markers",
    name: many ? `${name} · ${sweep.label}` : name,
    x: runs.map((run) => x.value(run)),
    y,
    line: { dash: sweep.dash, color: colour },
  });
  const throughput = (key, title) =>
    chart(
      sweeps.map((sweep, i) => {
        const runs = sortedRuns(sweep, x);
        return lineOf(sweep, key, runs.map((run) => (run.summary || {})[key] ?? null), runs, SWEEP_COLOURS[i]);
      }),
      { title, xaxis, yaxis: { title: { text: key }, rangemode: "tozero" }, showlegend: many, legend, margin: MARGIN },
      { label: title, height: CHART_HEIGHT },
    );
  const latency = ([name, long]) => {
    let unit = "";
    const traces = [];
    for (const sweep of sweeps) {
      const runs = sortedRuns(sweep, x);
      for (const percentile of SHOWN_PERCENTILES) {
        const y = runs.map((run) => {
          const rows = run.percentiles || [];
          const column = percentileColumn(rows, name);
          if (column) unit = column;
          const row = rows.find((r) => r[K.percentiles] === percentile);
          return row && column ? row[column] : null;
        });
        traces.push(lineOf(sweep, `p${percentile.replace("%", "")}`, y, runs, PERCENTILE_COLOURS[percentile]));
      }
    }
    const title = `${long} percentiles vs ${x.title.toLowerCase()}`;
    const layout = { title, xaxis, yaxis: { title: { text: unit || name }, rangemode: "tozero" }, legend, margin: MARGIN };
    return chart(traces, layout, { label: title, height: CHART_HEIGHT });
  };
  return h(
    "section",
    { class: "charts", id: "perf-charts" },
    throughput(K.reqThroughput, `Request throughput vs ${x.title.toLowerCase()}`),
    throughput(K.outThroughput, `Output token throughput vs ${x.title.toLowerCase()}`),
    LATENCY_CHARTS.map(latency),
  );
}

function runTables(sweep) {
  const x = xAxis([sweep]);
  const runs = sortedRuns(sweep, x);
  return h(
    "section",
    { class: "perf-runs", dataset: { perf: sweep.label } },
    h("h2", null, `Runs of ${sweep.label}`),
    table(
      ["Run", x.title, ...SUMMARY_COLUMNS],
      runs.map((run) => [run.name, formatValue(x.value(run)), ...SUMMARY_COLUMNS.map((key) => formatValue((run.summary || {})[key]))]),
      { class: "perf-summary" },
    ),
    runs.map((run) =>
      h(
        "details",
        { class: "perf-run", dataset: { run: run.name } },
        h("summary", null, `${run.name}: every metric`),
        h(
          "div",
          { class: "two-col" },
          h("div", null, h("h3", null, "benchmark_summary.json"), kvTable(Object.entries(run.summary || {}))),
          h("div", null, h("h3", null, "benchmark_percentile.json"), percentileTable(run.percentiles || [])),
        ),
        run.args ? h("details", null, h("summary", null, "benchmark_args.json"), h("pre", null, JSON.stringify(run.args, null, 2))) : null,
      ),
    ),
  );
}

function percentileTable(rows) {
  if (!rows.length) return h("p", { class: "muted" }, "No percentiles (no successful request).");
  const columns = Object.keys(rows[0]);
  return table(
    columns,
    rows.map((row) => columns.map((column) => formatValue(row[column]))),
    { class: "percentiles" },
  );
}
