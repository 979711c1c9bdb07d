"""Server-rendered SVG charts: small pure functions, no JavaScript, nothing from a CDN.

Inputs are lists of (label, value); every label goes through `format_html`, so a school name
can never inject markup. Each chart is `role="img"` with a <title> and a <desc>; the page puts a
data table next to it for those who cannot see it.
"""

import math
from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# Horizontal bars: label column, bar area (the full scale), room for the value after a bar.
LABEL_WIDTH = 240
BAR_AREA = 400
VALUE_WIDTH = 64
ROW_HEIGHT = 24
BAR_HEIGHT = 16
AXIS_HEIGHT = 24
LABEL_CHARS = 34

# Line chart.
LINE_WIDTH = 720
LINE_HEIGHT = 280
MARGIN_LEFT = 64
MARGIN_RIGHT = 16
MARGIN_TOP = 16
MARGIN_BOTTOM = 48


def _join(parts: Sequence[SafeString]) -> SafeString:
    return format_html_join("\n", "{}", ((part,) for part in parts))


def _num(value: float) -> str:
    """Coordinates with one decimal: stable text for tests, small files."""
    return f"{value:.1f}"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _frame(
    *, chart_id: str, title: str, description: str, width: int, height: int, body
) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" role="img" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'aria-labelledby="{id}-title {id}-desc">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        id=chart_id,
        w=width,
        h=height,
        title=title,
        desc=description,
        body=body,
    )


def bar_chart_svg(
    rows: Sequence[tuple[str, float | None]],
    *,
    chart_id: str,
    title: str,
    description: str,
    maximum: float = 100.0,
    unit: str = " %",
) -> SafeString:
    """One horizontal bar per row, on a 0…`maximum` scale (a rate in % by default).

    A row whose value is None (nothing to measure) still gets its bar, of width 0, and a dash.
    """
    height = AXIS_HEIGHT + ROW_HEIGHT * len(rows) + 4
    width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
    parts = []
    for tick in range(5):
        x = LABEL_WIDTH + BAR_AREA * tick / 4
        parts.append(
            format_html(
                '<line class="grid" x1="{x}" y1="{top}" x2="{x}" y2="{bottom}"/>'
                '<text class="tick" x="{x}" y="{label_y}" text-anchor="middle">'
                "{value}{unit}</text>",
                x=_num(x),
                top=AXIS_HEIGHT - 4,
                bottom=height - 4,
                label_y=AXIS_HEIGHT - 8,
                value=f"{maximum * tick / 4:g}",
                unit=unit,
            )
        )
    for index, (label, value) in enumerate(rows):
        y = AXIS_HEIGHT + ROW_HEIGHT * index
        clamped = 0.0 if value is None else min(max(value, 0.0), maximum)
        bar = BAR_AREA * clamped / maximum if maximum else 0.0
        shown = "—" if value is None else f"{value:.0f}{unit}"
        parts.append(
            format_html(
                '<g class="row"><title>{label} — {shown}</title>'
                '<text class="label" x="{label_x}" y="{text_y}" text-anchor="end">{short}</text>'
                '<rect class="bar" x="{x}" y="{bar_y}" width="{bar}" height="{bar_h}"/>'
                '<text class="value" x="{value_x}" y="{text_y}">{shown}</text></g>',
                label=label,
                shown=shown,
                short=_short(label),
                label_x=LABEL_WIDTH - 8,
                text_y=_num(y + ROW_HEIGHT / 2 + 4),
                x=LABEL_WIDTH,
                bar_y=_num(y + (ROW_HEIGHT - BAR_HEIGHT) / 2),
                bar=_num(bar),
                bar_h=BAR_HEIGHT,
                value_x=_num(LABEL_WIDTH + bar + 6),
            )
        )
    return _frame(
        chart_id=chart_id,
        title=title,
        description=description,
        width=width,
        height=height,
        body=_join(parts),
    )


def nice_step(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times 10^n at least `value`, never below 1 (counts are whole)."""
    if value <= 1:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    steps = (1, 2, 2.5, 5, 10) if magnitude >= 10 else (1, 2, 5, 10)
    return float(next(step * magnitude for step in steps if value <= step * magnitude))


def axis_top(value: float, ticks: int = 4) -> float:
    """The top of a 0-based axis with `ticks` whole, readable steps that reaches `value`."""
    return ticks * nice_step(value / ticks)


def line_chart_svg(
    points: Sequence[tuple[str, float]],
    *,
    chart_id: str,
    title: str,
    description: str,
    label_every: int = 2,
) -> SafeString:
    """A line through the points, left to right, on a 0-based whole scale; a dot per point.

    X labels are written every `label_every` points (the last always) so they never overlap.
    """
    plot_w = LINE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = LINE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    top = axis_top(max((value for _label, value in points), default=0))
    step_x = plot_w / (len(points) - 1) if len(points) > 1 else 0.0
    parts = []
    for tick in range(5):
        value = top * tick / 4
        y = MARGIN_TOP + plot_h - plot_h * tick / 4
        parts.append(
            format_html(
                '<line class="grid" x1="{x1}" y1="{y}" x2="{x2}" y2="{y}"/>'
                '<text class="tick" x="{tx}" y="{ty}" text-anchor="end">{value}</text>',
                x1=MARGIN_LEFT,
                x2=LINE_WIDTH - MARGIN_RIGHT,
                y=_num(y),
                tx=MARGIN_LEFT - 6,
                ty=_num(y + 4),
                value=f"{value:.0f}",
            )
        )
    coordinates = []
    for index, (label, value) in enumerate(points):
        x = MARGIN_LEFT + step_x * index
        y = MARGIN_TOP + plot_h - plot_h * value / top
        coordinates.append(f"{_num(x)},{_num(y)}")
        parts.append(
            format_html(
                '<circle class="point" cx="{x}" cy="{y}" r="3.5"><title>{label} — {value}</title>'
                "</circle>",
                x=_num(x),
                y=_num(y),
                label=label,
                value=f"{value:g}",
            )
        )
        if index % label_every == (len(points) - 1) % label_every:
            parts.append(
                format_html(
                    '<text class="tick" x="{x}" y="{y}" text-anchor="{anchor}">{label}</text>',
                    x=_num(x),
                    y=LINE_HEIGHT - MARGIN_BOTTOM + 18,
                    # The last label ends at its point, so it stays inside the frame.
                    anchor="end" if index == len(points) - 1 else "middle",
                    label=label,
                )
            )
    if coordinates:
        parts.insert(5, format_html('<polyline class="line" points="{}"/>', " ".join(coordinates)))
    return _frame(
        chart_id=chart_id,
        title=title,
        description=description,
        width=LINE_WIDTH,
        height=LINE_HEIGHT,
        body=_join(parts),
    )
