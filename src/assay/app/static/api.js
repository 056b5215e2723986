// The JSON API (see docs/app.md) and the hash routes of every page.
//
// Run ids are paths relative to the outputs folder ("demo/20261206_073054"); in a route each id,
// benchmark and sample key is one percent-encoded segment, so ids with "/" and keys with "#"
// ("example-0#0", "HumanEval/0#0") survive a round trip through the address bar.

class ApiError extends Error {}

/** GET api/<path>?<params> as JSON; a non-2xx answer throws ApiError with the server's message. */
export async function getJSON(path, params = {}) {
  const response = await fetch(`api/${path}${query(params)}`, { headers: { Accept: "application/json" } });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok || body === null) {
    const message = body && body.error ? body.error : `${response.status} ${response.statusText}`;
    throw new ApiError(`${path}: ${message}`);
  }
  return body;
}

/** A run id as URL path segments (each segment encoded, the slashes kept). */
export function runPath(id) {
  return id.split("/").map(encodeURIComponent).join("/");
}

/** "?a=1&b=2" from an object, leaving out empty values; "" when nothing is left. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === null || value === undefined || value === "") continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

const enc = encodeURIComponent;

/** The address of every page. */
export const routes = {
  runs: (params) => `#/runs${query(params)}`,
  run: (id) => `#/run/${enc(id)}`,
  samples: (id, params) => `#/run/${enc(id)}/samples${query(params)}`,
  sample: (id, benchmark, key) => `#/run/${enc(id)}/sample/${enc(benchmark)}/${enc(key)}`,
  compare: (params) => `#/compare${query(params)}`,
  perf: (id, params) => `#/perf/${enc(id)}${query(params)}`,
  sweep: (id) => `#/sweep/${enc(id)}`,
};

/** Split a location hash into decoded path segments and its query parameters. */
export function parseHash(hash) {
  const text = hash.replace(/^#\/?/, "");
  const cut = text.indexOf("?");
  const path = cut < 0 ? text : text.slice(0, cut);
  const params = new URLSearchParams(cut < 0 ? "" : text.slice(cut + 1));
  const segments = path.split("/").filter(Boolean).map(safeDecode);
  return { segments, params };
}

function safeDecode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const reportCache = new Map();

/**
 * A run's report (GET api/runs/<id>/report). The samples pages only need its benchmark and subset
 * names, so they share one fetch; the report page asks with `fresh` (a running run's report grows).
 */
export function getReport(id, { fresh = false } = {}) {
  if (fresh || !reportCache.has(id)) {
    const pending = getJSON(`runs/${runPath(id)}/report`);
    pending.catch(() => reportCache.delete(id));
    reportCache.set(id, pending);
  }
  return reportCache.get(id);
}
