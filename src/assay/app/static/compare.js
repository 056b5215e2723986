// Compare: two or more evaluation runs on one benchmark: their scores, a paired test per pair
// (McNemar's exact p, the difference with its 95% interval) and every sample they disagree on,
// each linking to that sample in each run.

import { getJSON, routes } from "./api.js";
import { badge, breadcrumbs, errorBox, fill, formatNumber, h, pValue, table } from "./dom.js";
import { isCurrent } from "./nav.js";

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

export function renderCompare(view, params, token) {
  const chosen = (params.get("runs") || "").split(",").filter(Boolean);
  const benchmark = params.get("benchmark") || "";
  const picker = h("form", { class: "picker", id: "compare-form" }, h("p", { class: "muted" }, "Loading runs…"));
  const results = h("div", { id: "compare-results" });
  fill(view, breadcrumbs([["Runs", routes.runs()], ["Compare"]]), h("h1", null, "Compare runs"), picker, results);

  getJSON("runs")
    .then((data) => {
      if (!isCurrent(token)) return;
      const evalRuns = (data.runs || []).filter((run) => run.kind === "eval");
      drawPicker(picker, evalRuns, chosen, benchmark);
    })
    .catch((error) => isCurrent(token) && fill(picker, errorBox(error.message)));

  if (chosen.length < 2 || !benchmark) {
    fill(results, h("p", { class: "muted" }, "Choose a benchmark and tick two or more runs that evaluated it."));
    return;
  }
  fill(results, h("p", { class: "muted" }, "Comparing…"));
  getJSON("compare", { runs: chosen.join(","), benchmark })
    .then((data) => isCurrent(token) && drawResults(results, data))
    .catch((error) => isCurrent(token) && fill(results, errorBox(error.message)));
}

function drawPicker(form, runs, chosen, benchmark) {
  const benchmarks = [...new Set(runs.flatMap((run) => run.benchmarks || []))].sort();
  let current = benchmark || (runs.find((r) => chosen.includes(r.id)) || {}).benchmarks?.[0] || benchmarks[0] || "";
  const select = h(
    "select",
    { id: "compare-benchmark", name: "benchmark", "aria-label": "Benchmark" },
    benchmarks.map((name) => h("option", { value: name, selected: name === current }, name)),
  );
  const list = h("div", { class: "run-choices", id: "compare-runs" });
  const drawChoices = () => {
    const fitting = runs.filter((run) => (run.benchmarks || []).includes(current));
    fill(
      list,
      fitting.length
        ? fitting.map((run) =>
            h(
              "label",
              { class: "run-choice" },
              h("input", { type: "checkbox", name: "run", value: run.id, checked: chosen.includes(run.id) }),
              h("strong", null, run.model || "?"),
              " ",
              h("span", { class: "muted" }, run.id),
              run.headline && run.headline[current] !== undefined ? h("span", null, ` ${formatNumber(run.headline[current])}`) : null,
            ),
          )
        : h("p", { class: "muted" }, "No evaluation run has this benchmark."),
    );
  };
  select.addEventListener("change", () => {
    current = select.value;
    drawChoices();
  });
  drawChoices();
  fill(
    form,
    h("label", null, "Benchmark ", select),
    list,
    h("button", { type: "submit", id: "compare-go" }, "Compare"),
  );
  form.onsubmit = (event) => {
    event.preventDefault();
    const ids = [...form.querySelectorAll('input[name="run"]:checked')].map((input) => input.value);
    location.hash = routes.compare({ runs: ids.join(","), benchmark: current });
  };
}

function drawResults(box, data) {
  const runs = data.runs || [];
  const letter = new Map(runs.map((run, i) => [run.id, LETTERS[i] || String(i + 1)]));
  const label = (id) => {
    const run = runs.find((r) => r.id === id) || { model: "?" };
    return `${letter.get(id)}: ${run.model}`;
  };
  fill(
    box,
    h("h2", null, `Scores on ${data.benchmark}`),
    table(
      ["", "Run", "Model", "Score", "Samples"],
      runs.map((run) => [
        h("strong", null, letter.get(run.id)),
        h("a", { href: routes.run(run.id) }, run.id),
        run.model,
        formatNumber(run.score),
        String(run.n ?? "—"),
      ]),
      { id: "compare-scores" },
    ),
    h("h2", null, "Paired comparison"),
    h(
      "p",
      { class: "muted" },
      "On the samples both runs scored: how many each got right alone, the difference in accuracy with its 95% interval, and McNemar's test (a small p means the difference is unlikely to be chance).",
    ),
    table(
      ["Run X", "Run Y", "Only X right", "Only Y right", "Both right", "Both wrong", "Δ (X − Y)", "95% CI", "McNemar p"],
      (data.pairs || []).map((pair) => [
        label(pair.a),
        label(pair.b),
        String(pair.a_only_correct),
        String(pair.b_only_correct),
        String(pair.both),
        String(pair.neither),
        formatNumber(pair.diff),
        pair.diff_ci95 ? `[${formatNumber(pair.diff_ci95[0])}, ${formatNumber(pair.diff_ci95[1])}]` : "—",
        pValue(pair.mcnemar_p),
      ]),
      { id: "compare-pairs" },
    ),
    disagreements(data, runs, label),
  );
}

function disagreements(data, runs, label) {
  const items = data.disagreements || [];
  const heading = h("h2", null, `Samples they disagree on (${items.length})`);
  if (!items.length) return [heading, h("p", { class: "muted" }, "None: every sample was right or wrong in every run alike.")];
  const link = (runId, item, text) => h("a", { href: routes.sample(runId, data.benchmark, item.key) }, text);
  if (runs.length === 2) {
    const [a, b] = runs;
    const group = (right, wrong, groupId) => {
      const rows = items.filter((item) => item.correct[right.id] === true && item.correct[wrong.id] === false);
      return h(
        "div",
        { class: "disagreement-group", id: groupId },
        h("h3", null, `${label(right.id)} right, ${label(wrong.id)} wrong (${rows.length})`),
        table(
          ["Sample", "Subset", "Open"],
          rows.map((item) =>
            h(
              "tr",
              { class: "disagreement", dataset: { key: item.key } },
              h("td", null, item.key),
              h("td", null, item.subset || ""),
              h("td", null, link(right.id, item, `in ${label(right.id)}`), " · ", link(wrong.id, item, `in ${label(wrong.id)}`)),
            ),
          ),
        ),
      );
    };
    return [heading, h("div", { class: "two-col" }, group(a, b, "a-right-b-wrong"), group(b, a, "b-right-a-wrong"))];
  }
  return [
    heading,
    table(
      ["Sample", "Subset", ...runs.map((run) => label(run.id))],
      items.map((item) =>
        h(
          "tr",
          { class: "disagreement", dataset: { key: item.key } },
          h("td", null, item.key),
          h("td", null, item.subset || ""),
          runs.map((run) => {
            const verdict = item.correct[run.id];
            const mark = verdict === true ? badge("right", "good") : verdict === false ? badge("wrong", "bad") : badge("—");
            return h("td", null, link(run.id, item, mark));
          }),
        ),
      ),
      { id: "compare-disagreements" },
    ),
  ];
}
