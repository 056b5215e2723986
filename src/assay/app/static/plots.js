// Charts with plotly.js, which the server ships from the installed plotly package (no CDN).
// The script is large (about 4 MB), so it is loaded the first time a page draws a chart.

import { h } from "./dom.js";

let loading = null;

/** Load plotly.js once; resolves to window.Plotly. */
export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = "static/plotly.min.js";
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        loading = null;
        reject(new Error("could not load static/plotly.min.js"));
      };
      document.head.appendChild(script);
    });
  }
  return loading;
}

const BASE_LAYOUT = {
  margin: { l: 60, r: 20, t: 40, b: 50 },
  font: { family: "system-ui, sans-serif", size: 12 },
  paper_bgcolor: "rgba(0,0,0,0)",
  plot_bgcolor: "rgba(0,0,0,0)",
  legend: { orientation: "h", y: -0.2 },
  hovermode: "closest",
};

/**
 * A chart box: returns the element at once and draws into it when plotly has loaded.
 * `layout` is merged over a plain shared layout.
 */
export function chart(traces, layout, { height = 320, label = "" } = {}) {
  const box = h("div", { class: "chart", style: `height:${height}px`, "aria-label": label || layout.title || "chart" });
  loadPlotly()
    .then((Plotly) => {
      const title = typeof layout.title === "string" ? { text: layout.title, font: { size: 14 } } : layout.title;
      Plotly.newPlot(box, traces, { ...BASE_LAYOUT, ...layout, title, height }, {
        displaylogo: false,
        responsive: true,
        modeBarButtonsToRemove: ["lasso2d", "select2d"],
      });
    })
    .catch((error) => box.replaceChildren(h("p", { class: "muted" }, `Chart not drawn: ${error.message}`)));
  return box;
}
