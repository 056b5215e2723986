// DOM building and number formatting shared by every page.
//
// Everything that reaches the page from a run (prompts, replies, file names) goes through
// text nodes: `h` never parses HTML, so a reply containing "<script>" shows as text.

/**
 * Make an element: h("a", {href: "#/runs", class: "x"}, "text", child, [more, children]).
 * Attributes starting with "on" are event listeners; null/undefined/false children are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A table: `columns` are header labels (strings or nodes), `rows` arrays of cells or <tr> nodes. */
export function table(columns, rows, attrs = {}) {
  const head = h("thead", null, h("tr", null, columns.map((c) => (c instanceof Node ? c : h("th", null, c)))));
  const body = h(
    "tbody",
    null,
    rows.map((row) => (row instanceof Node ? row : h("tr", null, row.map((cell) => cellNode(cell))))),
  );
  return h("table", attrs, head, body);
}

function cellNode(cell) {
  if (cell instanceof Node && (cell.tagName === "TD" || cell.tagName === "TH")) return cell;
  return h("td", null, cell);
}

/** A two-column key/value table for a plain object (nested values as JSON). */
export function kvTable(entries, attrs = { class: "kv" }) {
  const rows = entries
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [h("th", { scope: "row" }, k), v instanceof Node ? v : formatValue(v)]);
  return h("table", attrs, h("tbody", null, rows.map((r) => h("tr", null, r[0], cellNode(r[1])))));
}

/** A value as text: numbers rounded for reading, objects as JSON. */
export function formatValue(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** Integers as they are; other numbers to 4 significant decimals. */
export function formatNumber(v, digits = 4) {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return v.toExponential(2);
  return v.toFixed(digits);
}

/** A score with its standard error: "0.7500 ± 0.0433". */
export function scoreText(score, stderr) {
  if (score === null || score === undefined) return "—";
  return stderr ? `${formatNumber(score)} ± ${formatNumber(stderr)}` : formatNumber(score);
}

/** A share as a percentage: "41.7%"; "—" when the denominator is 0. */
export function percent(part, whole) {
  if (!whole) return "—";
  return `${((100 * part) / whole).toFixed(1)}%`;
}

/** A p-value that stays readable when tiny. */
export function pValue(p) {
  if (p === null || p === undefined) return "—";
  return p < 1e-4 ? "< 0.0001" : p.toFixed(4);
}

/** An ISO time as "2026-12-06 07:30". */
export function formatDate(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A coloured label. */
export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}`.trim() }, text);
}

/** "Runs › id › ..." with links on every part but the last. */
export function breadcrumbs(parts) {
  const items = parts.map(([label, href], i) =>
    h("li", null, href && i < parts.length - 1 ? h("a", { href }, label) : h("span", { "aria-current": "page" }, label)),
  );
  return h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("ol", null, items));
}

/** A box saying what went wrong, shown instead of a page's content. */
export function errorBox(message) {
  return h("div", { class: "error", role: "alert" }, message);
}

/** Call `fn` once typing has paused for `ms`. */
export function debounce(fn, ms = 250) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
