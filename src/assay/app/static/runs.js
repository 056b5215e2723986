// Runs: every evaluation and perf run under the outputs folder, sortable and filterable,
// refreshed every few seconds while one is still running. Ticking two runs opens Compare.

import { getJSON, routes } from "./api.js";
import { badge, debounce, errorBox, fill, formatDate, formatNumber, h } from "./dom.js";
import { isCurrent, setHash } from "./nav.js";

const REFRESH_MS = 3000;
const SORTS = { model: "asc", created: "desc", score: "desc" }; // column -> first order on click

export function renderRuns(view, params, token) {
  const state = {
    q: params.get("q") || "",
    sort: SORTS[params.get("sort")] ? params.get("sort") : "created",
    order: params.get("order") === "asc" ? "asc" : params.get("order") === "desc" ? "desc" : null,
  };
  const selected = new Set();
  let runs = [];
  let timer = null;
  let stopped = false;

  const filter = h("input", {
    type: "search",
    id: "runs-filter",
    placeholder: "Filter by model, benchmark or run id",
    "aria-label": "Filter runs",
    value: state.q,
  });
  const compareButton = h("button", { type: "button", id: "compare-selected", disabled: true }, "Compare selected");
  const summary = h("span", { class: "muted", id: "runs-count" });
  const head = h("thead");
  const body = h("tbody");
  const message = h("div");
  fill(
    view,
    h("div", { class: "page-head" }, h("h1", null, "Runs"), summary),
    h("div", { class: "toolbar" }, filter, compareButton),
    message,
    h("table", { class: "runs", id: "runs-table" }, head, body),
  );

  const writeHash = () => setHash(routes.runs({ q: state.q, sort: state.sort, order: state.order }), { replace: true });

  filter.addEventListener(
    "input",
    debounce(() => {
      state.q = filter.value.trim();
      writeHash();
      load();
    }),
  );
  compareButton.addEventListener("click", () => {
    // oldest first: the earlier run is A, the baseline the others are compared with
    const chosen = runs
      .filter((run) => selected.has(run.id))
      .sort((a, b) => String(a.created || "").localeCompare(String(b.created || "")));
    const shared = sharedBenchmarks(chosen);
    if (chosen.length >= 2 && shared.length) {
      location.hash = routes.compare({ runs: chosen.map((r) => r.id).join(","), benchmark: shared[0] });
    }
  });

  function sortHeader(label, column) {
    const active = state.sort === column;
    const order = active ? state.order || SORTS[column] : null;
    const arrow = active ? (order === "asc" ? " ▲" : " ▼") : "";
    return h(
      "th",
      { class: "sortable", "aria-sort": active ? (order === "asc" ? "ascending" : "descending") : "none" },
      h(
        "button",
        {
          type: "button",
          class: "link",
          dataset: { sort: column },
          onclick: () => {
            state.order = active ? (order === "asc" ? "desc" : "asc") : SORTS[column];
            state.sort = column;
            writeHash();
            load();
          },
        },
        label + arrow,
      ),
    );
  }

  function drawHead() {
    fill(
      head,
      h(
        "tr",
        null,
        h("th", null, h("span", { class: "sr-only" }, "Select")),
        sortHeader("Model", "model"),
        h("th", null, "Kind"),
        h("th", null, "Benchmarks"),
        sortHeader("Created", "created"),
        sortHeader("Scores", "score"),
        h("th", null, "Samples"),
        h("th", null, "Status"),
      ),
    );
  }

  function updateCompareButton() {
    const chosen = runs.filter((run) => selected.has(run.id));
    const shared = sharedBenchmarks(chosen);
    compareButton.disabled = !(chosen.length >= 2 && shared.length);
    compareButton.title =
      chosen.length < 2 ? "Tick two or more evaluation runs" : shared.length ? "" : "The ticked runs share no benchmark";
  }

  function row(run) {
    const href =
      run.kind === "perf"
        ? routes.perf(run.id)
        : run.kind === "eval-sweep"
          ? routes.sweep(run.id)
          : routes.run(run.id);
    const box = h("input", {
      type: "checkbox",
      "aria-label": `Select ${run.id}`,
      checked: selected.has(run.id),
      disabled: run.kind !== "eval",
      onchange: (event) => {
        if (event.target.checked) selected.add(run.id);
        else selected.delete(run.id);
        updateCompareButton();
      },
    });
    return h(
      "tr",
      { dataset: { id: run.id }, class: `status-${run.status}` },
      h("td", null, box),
      h("td", null, h("a", { href, class: "run-link" }, run.model || "(unknown model)"), h("div", { class: "id" }, run.id)),
      h("td", null, run.kind),
      h("td", null, (run.benchmarks || []).join(", ")),
      h("td", { class: "nowrap" }, formatDate(run.created)),
      h("td", { class: "scores" }, headline(run)),
      h("td", null, run.kind === "perf" ? requestsCell(run.counts) : countsCell(run.counts)),
      h("td", { class: "status" }, badge(run.status, statusKind(run.status))),
    );
  }

  async function load() {
    clearTimeout(timer);
    let data;
    try {
      data = await getJSON("runs", { q: state.q, sort: state.sort, order: state.order });
    } catch (error) {
      if (isCurrent(token)) fill(message, errorBox(error.message));
      return;
    }
    if (!isCurrent(token) || stopped) return;
    fill(message);
    runs = data.runs || [];
    drawHead();
    fill(body, runs.length ? runs.map(row) : h("tr", null, h("td", { colspan: 8, class: "empty" }, emptyText(state.q))));
    const running = runs.filter((run) => run.status === "running").length;
    summary.textContent = `${runs.length} run${runs.length === 1 ? "" : "s"}${running ? ` · ${running} running, refreshing` : ""}`;
    updateCompareButton();
    if (running) timer = setTimeout(load, REFRESH_MS);
  }

  drawHead();
  load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function headline(run) {
  const entries = Object.entries(run.headline || {});
  if (run.kind === "eval-sweep") return h("span", { class: "muted" }, `${(run.models || []).length} models: open the grid`);
  if (!entries.length) return run.kind === "perf" ? h("span", { class: "muted" }, "perf") : "—";
  return entries.map(([bench, score]) =>
    h("div", null, h("span", { class: "muted" }, `${bench} `), h("strong", null, formatNumber(score))),
  );
}

function countsCell(counts) {
  if (!counts) return "—";
  return h(
    "span",
    { class: "counts" },
    `${counts.total ?? 0} total · ${counts.scored ?? 0} scored `,
    counts.excluded ? badge(`${counts.excluded} excluded`, "warn") : null,
    counts.errored ? badge(`${counts.errored} errored`, "bad") : null,
  );
}

/** A perf run's counts are requests: scored = succeeded, errored = failed. */
function requestsCell(counts) {
  if (!counts) return "—";
  return h(
    "span",
    { class: "counts" },
    `${counts.total ?? 0} requests `,
    counts.errored ? badge(`${counts.errored} failed`, "bad") : null,
  );
}

function statusKind(status) {
  return status === "complete" ? "good" : status === "running" ? "info" : "warn";
}

function emptyText(q) {
  return q ? `No run matches "${q}".` : "No runs in this outputs folder yet: run `assay eval` or `assay perf` into it.";
}

function sharedBenchmarks(runs) {
  if (!runs.length) return [];
  return runs
    .map((run) => run.benchmarks || [])
    .reduce((shared, benchmarks) => shared.filter((name) => benchmarks.includes(name)));
}
