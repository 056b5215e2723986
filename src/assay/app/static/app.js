// The viewer's router: one page per hash route, every state in the address bar.
//
//   #/runs?q=&sort=&order=                         runs table
//   #/run/<id>                                     report of an evaluation run
//   #/run/<id>/samples?benchmark=&subset=&status=&q=&offset=&limit=
//   #/run/<id>/sample/<benchmark>/<key>            one sample, with why it scored as it did
//   #/compare?runs=<id>,<id>&benchmark=            two or more runs on one benchmark
//   #/perf/<id>?with=<id>                          a perf run or sweep, optionally overlaid on another
//   #/sweep/<id>                                   a benchmarks × models eval sweep: its score grid
//
// Pages get (view, query parameters, render token, ...path arguments) and may return a function
// that stops their timers when another page is shown.

import { parseHash } from "./api.js";
import { errorBox, fill } from "./dom.js";
import { renderCompare } from "./compare.js";
import { beginRender } from "./nav.js";
import { renderPerf } from "./perf.js";
import { renderReport } from "./report.js";
import { renderRuns } from "./runs.js";
import { renderSample } from "./sample.js";
import { renderSamples } from "./samples.js";
import { renderSweep } from "./sweep.js";

const view = document.getElementById("view");
let cleanup = null; // stops the current page's timers

function pageFor(segments) {
  const [head, id, sub, benchmark, key] = segments;
  if (!head || head === "runs") return { page: renderRuns, nav: "runs" };
  if (head === "run" && id && !sub) return { page: renderReport, nav: "runs", args: [id] };
  if (head === "run" && id && sub === "samples") return { page: renderSamples, nav: "runs", args: [id] };
  if (head === "run" && id && sub === "sample" && benchmark && key) {
    return { page: renderSample, nav: "runs", args: [id, benchmark, key] };
  }
  if (head === "compare") return { page: renderCompare, nav: "compare" };
  if (head === "perf" && id) return { page: renderPerf, nav: "runs", args: [id] };
  if (head === "sweep" && id) return { page: renderSweep, nav: "runs", args: [id] };
  return null;
}

function render() {
  const token = beginRender(location.hash);
  if (token === null) return;
  if (cleanup) cleanup();
  cleanup = null;
  const { segments, params } = parseHash(location.hash);
  const match = pageFor(segments);
  for (const link of document.querySelectorAll("[data-nav]")) {
    link.classList.toggle("active", Boolean(match) && link.dataset.nav === match.nav);
  }
  if (!match) {
    fill(view, errorBox(`No page at ${location.hash}`));
    return;
  }
  view.replaceChildren();
  window.scrollTo(0, 0);
  const result = match.page(view, params, token, ...(match.args || []));
  if (typeof result === "function") cleanup = result;
}

window.addEventListener("hashchange", render);
window.addEventListener("popstate", render);
render();
