"""Line charts for the HTML report, drawn with plotly and embedded so the page works offline.

plotly.js is inlined once per page (``plotly_script``), not fetched from a CDN: the report must open
from a copied folder or an air-gapped machine. Each chart is a ``<div>`` plotly fills in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

#: Colour-blind-safe palette (Okabe-Ito), cycled over series.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


@dataclass(frozen=True)
class Series:
    """One line: its name (legend) and points; ``None`` y values leave a gap."""

    name: str
    xs: Sequence[float]
    ys: Sequence[float | None]


@cache
def plotly_script() -> str:
    """The plotly.js bundle as an inline ``<script>`` (about 4.5 MB), to put once in the page."""
    from plotly.offline import get_plotlyjs

    return f'<script type="text/javascript">{get_plotlyjs()}</script>'


def line_chart(
    title: str,
    series: Sequence[Series],
    *,
    x_title: str,
    y_title: str,
    categories: Sequence[str] | None = None,
    markers: bool = True,
) -> str:
    """A chart as an HTML ``<div>`` (plotly.js must be on the page; see :func:`plotly_script`).

    With ``categories``, x positions 0..n-1 are labelled with them (one point per run of a sweep).
    """
    import plotly.graph_objects as go

    figure = go.Figure()
    for i, line in enumerate(series):
        xs = [categories[int(x)] for x in line.xs] if categories is not None else list(line.xs)
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=list(line.ys),
                name=line.name,
                mode="lines+markers" if markers else "lines",
                line={"color": PALETTE[i % len(PALETTE)]},
                connectgaps=False,
            )
        )
    figure.update_layout(
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
        template="plotly_white",
        height=360,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        xaxis={"type": "category"} if categories is not None else {},
    )
    html: str = figure.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})
    return f'<div class="chart">{html}</div>'
