// Samples: one benchmark's (sample, repeat) pairs, paginated by the server, filtered by status
// class and subset, searched in full text. A row opens the sample view.

import { getJSON, getReport, routes, runPath } from "./api.js";
import { badge, breadcrumbs, debounce, errorBox, fill, formatValue, h } from "./dom.js";
import { isCurrent, setHash } from "./nav.js";

const STATUSES = [
  ["all", "All"],
  ["correct", "Correct"],
  ["wrong", "Wrong"],
  ["excluded", "Excluded"],
  ["errored", "Errored"],
  ["extraction_failed", "No answer extracted"],
  ["truncated", "Truncated"],
];
const PAGE_SIZES = [25, 50, 100, 200];
const MAX_PAGE = 500; // the server's largest page
export const LIST_KEY = "assay.samples.list"; // sessionStorage: the last list shown, for prev/next

export function renderSamples(view, params, token, id) {
  const state = {
    benchmark: params.get("benchmark") || "",
    subset: params.get("subset") || "",
    status: STATUSES.some(([s]) => s === params.get("status")) ? params.get("status") : "all",
    q: params.get("q") || "",
    offset: Math.max(0, Number.parseInt(params.get("offset") || "0", 10) || 0),
    limit: Math.min(MAX_PAGE, Math.max(1, Number.parseInt(params.get("limit") || "50", 10) || 50)),
  };
  let request = 0;

  const benchmarkSelect = h("select", { id: "benchmark", "aria-label": "Benchmark" });
  const subsetSelect = h("select", { id: "subset", "aria-label": "Subset" });
  const search = h("input", {
    type: "search",
    id: "sample-search",
    placeholder: "Search prompts, replies and answers",
    "aria-label": "Search samples",
    value: state.q,
  });
  const sizeSelect = h(
    "select",
    { id: "page-size", "aria-label": "Rows per page" },
    [...new Set([...PAGE_SIZES, state.limit])]
      .sort((a, b) => a - b)
      .map((n) => h("option", { value: n, selected: n === state.limit }, `${n} per page`)),
  );
  const statusButtons = STATUSES.map(([status, label]) =>
    h("button", { type: "button", class: "chip", dataset: { status }, onclick: () => update({ status, offset: 0 }) }, label),
  );
  const summary = h("p", { class: "muted", id: "samples-summary" }, "Loading…");
  const body = h("tbody");
  const prev = h("button", { type: "button", id: "prev-page", onclick: () => update({ offset: Math.max(0, state.offset - state.limit) }) }, "← Previous");
  const next = h("button", { type: "button", id: "next-page", onclick: () => update({ offset: state.offset + state.limit }) }, "Next →");
  const pageInfo = h("span", { class: "muted" });
  const message = h("div");

  fill(
    view,
    breadcrumbs([["Runs", routes.runs()], [id, routes.run(id)], ["Samples"]]),
    h("div", { class: "page-head" }, h("h1", null, "Samples"), h("span", { class: "muted", id: "samples-model" })),
    h("div", { class: "toolbar" }, benchmarkSelect, subsetSelect, search, sizeSelect),
    h("div", { class: "toolbar chips", role: "group", "aria-label": "Status" }, statusButtons),
    message,
    summary,
    h(
      "table",
      { class: "samples", id: "samples-table" },
      h("thead", null, h("tr", null, ["Sample", "Subset", "Verdict", "Extracted", "Gold", "Reply"].map((c) => h("th", null, c)))),
      body,
    ),
    h("div", { class: "pager" }, prev, pageInfo, next),
  );

  benchmarkSelect.addEventListener("change", () => update({ benchmark: benchmarkSelect.value, subset: "", offset: 0 }));
  subsetSelect.addEventListener("change", () => update({ subset: subsetSelect.value, offset: 0 }));
  sizeSelect.addEventListener("change", () => update({ limit: Number(sizeSelect.value), offset: 0 }));
  search.addEventListener(
    "input",
    debounce(() => update({ q: search.value.trim(), offset: 0 }, { replace: true }), 300),
  );

  function update(changes, { replace = false } = {}) {
    Object.assign(state, changes);
    setHash(hashOf(id, state), { replace });
    load();
  }

  function drawFilters(report) {
    const names = Object.keys((report && report.reports) || {});
    const configured = report && report.config && Array.isArray(report.config.datasets) ? report.config.datasets : [];
    for (const name of configured) if (!names.includes(name)) names.push(String(name)); // a run still going
    if (state.benchmark && !names.includes(state.benchmark)) names.push(state.benchmark);
    if (!state.benchmark && names.length) {
      state.benchmark = names[0];
      setHash(hashOf(id, state), { replace: true });
    }
    fill(benchmarkSelect, names.map((n) => h("option", { value: n, selected: n === state.benchmark }, n)));
    const subsets = subsetNames(report && report.reports && report.reports[state.benchmark]);
    if (state.subset && !subsets.includes(state.subset)) subsets.push(state.subset);
    fill(
      subsetSelect,
      h("option", { value: "" }, "All subsets"),
      subsets.map((n) => h("option", { value: n, selected: n === state.subset }, n)),
    );
    const model = document.getElementById("samples-model");
    if (model && report) model.textContent = report.model || "";
  }

  async function load() {
    const mine = ++request;
    for (const button of statusButtons) button.setAttribute("aria-pressed", String(button.dataset.status === state.status));
    let report = null;
    try {
      report = await getReport(id);
    } catch {
      report = null; // a run still starting has no report: the filters show what the address names
    }
    if (!isCurrent(token) || mine !== request) return;
    drawFilters(report);
    if (!state.benchmark) {
      fill(message, errorBox("This run has no benchmark with samples yet."));
      return;
    }
    let page;
    try {
      page = await getJSON(`runs/${runPath(id)}/samples`, {
        benchmark: state.benchmark,
        subset: state.subset,
        status: state.status === "all" ? "" : state.status,
        q: state.q,
        offset: state.offset,
        limit: state.limit,
      });
    } catch (error) {
      if (isCurrent(token) && mine === request) fill(message, errorBox(error.message));
      return;
    }
    if (!isCurrent(token) || mine !== request) return;
    fill(message);
    drawPage(page);
  }

  function drawPage(page) {
    const items = page.items || [];
    const first = items.length ? page.offset + 1 : 0;
    summary.textContent = items.length
      ? `Showing ${first}–${page.offset + items.length} of ${page.total} samples`
      : `No samples match (${page.total} in total with these filters).`;
    fill(
      body,
      items.map((item) => sampleRow(id, state.benchmark, item)),
    );
    prev.disabled = page.offset <= 0;
    next.disabled = page.offset + items.length >= page.total;
    const pages = Math.max(1, Math.ceil(page.total / state.limit));
    pageInfo.textContent = `Page ${Math.floor(page.offset / state.limit) + 1} of ${pages}`;
    sessionStorage.setItem(
      LIST_KEY,
      JSON.stringify({ run: id, benchmark: state.benchmark, hash: location.hash, keys: items.map((i) => i.key) }),
    );
  }

  load();
}

function hashOf(id, state) {
  return routes.samples(id, {
    benchmark: state.benchmark,
    subset: state.subset,
    status: state.status === "all" ? "" : state.status,
    q: state.q,
    offset: state.offset || "",
    limit: state.limit === 50 ? "" : state.limit,
  });
}

function subsetNames(report) {
  const names = [];
  for (const metric of (report && report.metrics ? report.metrics.slice(0, 1) : [])) {
    for (const category of metric.categories || []) {
      for (const subset of category.subsets || []) if (!names.includes(subset.name)) names.push(subset.name);
    }
  }
  return names;
}

function sampleRow(id, benchmark, item) {
  const href = routes.sample(id, benchmark, item.key);
  const row = h(
    "tr",
    {
      class: `sample-row verdict-${verdictOf(item)}`,
      dataset: { key: item.key },
      onclick: (event) => {
        if (!event.target.closest("a")) location.hash = href;
      },
    },
    h("td", null, h("a", { href }, item.key)),
    h("td", { class: "subset" }, item.subset),
    h("td", { class: "verdict" }, verdictBadges(item)),
    h("td", { class: "answer" }, item.extracted === null || item.extracted === undefined ? h("span", { class: "muted" }, "—") : item.extracted),
    h("td", { class: "answer" }, formatTarget(item.target)),
    h("td", { class: "reply" }, h("div", { class: "clamp" }, item.prediction || "")),
  );
  return row;
}

/** correct / wrong / partial / excluded / errored, from a list item or a review. */
function verdictOf(item) {
  if (item.status === "errored" || item.status === "excluded") return item.status;
  if (item.correct === true) return "correct";
  if (item.correct === false) return "wrong";
  return "scored";
}

function verdictBadges(item) {
  const verdict = verdictOf(item);
  const kind = { correct: "good", wrong: "bad", errored: "bad", excluded: "warn" }[verdict] || "";
  // a partial score (F1, a judge's 0.7) is shown as the number, not rounded to right or wrong
  const values = Object.values(item.value || {});
  const partial = values.length && values[0] > 0 && values[0] < 1;
  const label = partial || verdict === "scored" ? `score ${formatValue(values[0])}` : verdict;
  return [
    badge(label, kind),
    item.status === "scored" && (item.extracted === null || item.extracted === undefined) ? badge("no answer", "warn") : null,
    item.truncated ? badge("truncated", "warn") : null,
  ];
}

/** A gold answer: a string, or a list of accepted answers. */
export function formatTarget(target) {
  if (Array.isArray(target)) return target.join(" | ");
  if (target === null || target === undefined) return "—";
  return typeof target === "object" ? JSON.stringify(target) : String(target);
}
