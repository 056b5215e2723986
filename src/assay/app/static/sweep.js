// Sweep: several models evaluated on the same benchmarks in one command (`assay eval --model A B`).
// One page: the models × benchmarks grid of headline scores, each cell opening that model's run
// report, a samples link per cell, why a model failed, and a compare link per benchmark.

import { getJSON, routes } from "./api.js";
import { badge, breadcrumbs, errorBox, fill, formatNumber, h, table } from "./dom.js";
import { isCurrent } from "./nav.js";

const REFRESH_MS = 3000;

export function renderSweep(view, params, token, id) {
  let timer = null;
  let stopped = false;
  const box = h("div", { id: "sweep" }, h("p", { class: "muted" }, "Loading sweep…"));
  fill(view, breadcrumbs([["Runs", routes.runs()], [id]]), h("h1", null, `Sweep ${id}`), box);

  async function load() {
    let data;
    try {
      data = await getJSON(`sweeps/${id.split("/").map(encodeURIComponent).join("/")}`);
    } catch (error) {
      if (isCurrent(token)) fill(box, errorBox(error.message));
      return;
    }
    if (!isCurrent(token) || stopped) return;
    draw(box, data);
    if (data.status === "running") timer = setTimeout(load, REFRESH_MS);
  }

  load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function draw(box, data) {
  const benchmarks = data.benchmarks || [];
  const members = data.members || [];
  const finished = members.filter((m) => m.run_id && m.status === "ok");
  const header = benchmarks.map((bench) => {
    const ids = finished.filter((m) => bench in (m.metrics || {})).map((m) => m.run_id);
    const compare = ids.length >= 2 ? h("a", { href: routes.compare({ runs: ids.join(","), benchmark: bench }), class: "compare-link" }, "compare") : null;
    return h("th", { dataset: { benchmark: bench } }, bench, compare ? [" ", h("small", null, compare)] : null);
  });
  fill(
    box,
    h(
      "p",
      { class: "muted" },
      `${plural(members.length, "model")} × ${plural(benchmarks.length, "benchmark")} · `,
      badge(data.status, data.status === "complete" ? "good" : data.status === "running" ? "info" : "warn"),
    ),
    table(
      ["Model", ...header, "Status"],
      members.map((member) =>
        h(
          "tr",
          { class: "sweep-member", dataset: { model: member.model_id || "" } },
          h(
            "td",
            null,
            member.run_id ? h("a", { href: routes.run(member.run_id), class: "run-link" }, member.model_id) : member.model_id,
            member.model && member.model !== member.model_id ? h("div", { class: "id" }, member.model) : null,
          ),
          benchmarks.map((bench) => cell(member, bench)),
          h("td", { class: "status" }, badge(member.status, member.status === "ok" ? "good" : member.status === "failed" ? "bad" : "info"), member.reason ? h("div", { class: "muted reason" }, member.reason) : null),
        ),
      ),
      { id: "sweep-grid" },
    ),
  );
}

function cell(member, bench) {
  const score = (member.headline || {})[bench];
  if (!member.run_id || score === undefined) return h("td", { dataset: { benchmark: bench } }, "—");
  const metrics = Object.entries((member.metrics || {})[bench] || {});
  return h(
    "td",
    { class: "score", dataset: { benchmark: bench } },
    h("a", { href: routes.run(member.run_id) }, h("strong", null, formatNumber(score))),
    metrics.length > 1 ? h("div", { class: "muted" }, metrics.map(([name, value]) => `${name} ${formatNumber(value)}`).join(" · ")) : null,
    h("div", null, h("a", { href: routes.samples(member.run_id, { benchmark: bench }), class: "samples-link" }, "samples")),
  );
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
