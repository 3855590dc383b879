"""Static SVG charts for the report, drawn in Python: no script, no font or image to fetch.

:func:`render_chart` turns the series of one census table
(:class:`~marsad.report.series.ChartData`) into an inline ``<svg class="chart">``:
a title, labelled axes with tick labels, one colour per series from the
Okabe–Ito palette (told apart with any common colour-vision deficiency), a
legend when there is more than one series, and ``role="img"`` with a
``<title>`` and ``<desc>`` for screen readers.  The root carries
``data-points`` (plotted data points), ``data-series`` and ``data-kind`` so
tests and browser checks can see that a chart has data.  Each series is a
``<g class="series" data-series="name">`` holding its ``polyline`` (line),
``path.area``, ``rect.bar`` or ``path.step-line`` (+ ``polygon.band``).

Directions: the report's own words take the language's direction; numbers and
dates are always left to right; names from the data (hashtags, clients) take
the direction of their first strong letter, as HTML's ``dir="auto"`` does.
Time and numeric axes run left to right in both languages, as in Arabic data
journalism; category charts follow the reading order, so in Arabic the first
bar is on the right and horizontal bars grow leftwards from names on the right.

Layout uses estimated text widths (no font metrics offline), so long names
are shortened with an ellipsis and given in full in a ``<title>`` tooltip.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from marsad.report.i18n import format_tick, format_value, ui
from marsad.report.markup import Html, el, join
from marsad.report.series import ChartData, Series

__all__ = ["PALETTE", "nice_ticks", "render_chart", "render_map"]

#: Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green,
#: vermillion, reddish purple, sky blue, black, yellow (last: weakest on white)
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
#: dash patterns for series past the palette, so no two lines look the same
DASHES = (None, "6 3", "2 3", "8 3 2 3")

WIDTH = 760.0
PLOT_HEIGHT = 250.0
TOP = 44.0  # room for the title
SIDE = 16.0  # outer margin
FONT = 12.0
TICK_FONT = 11.0
TITLE_FONT = 15.0
#: average advance of a glyph in ems (DejaVu Sans digits are 0.64), for estimating widths
EM = 0.62
#: series with at most this many points get a marker on each (more would hide the line)
MARKERS_UP_TO = 24
#: longer category and legend names are cut short (the full name is in a tooltip)
LABEL_CHARS = 28
#: room past the plot's right edge for half of the last date or number under the x axis
TIME_AXIS_MARGIN = 34.0

Anchor = Literal["left", "middle", "right"]
#: how a text's direction is chosen: the report language's, always LTR, or from its letters
TextKind = Literal["words", "number", "data"]


def _n(value: float) -> str:
    """A coordinate with one decimal at most."""
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def _width(text: str, size: float = FONT) -> float:
    return len(text) * size * EM


def _clip(text: str, chars: int = LABEL_CHARS) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _dash(i: int) -> str | None:
    return DASHES[(i // len(PALETTE)) % len(DASHES)]


def _first_strong_rtl(text: str) -> bool | None:
    """True if the first strongly directional letter is right-to-left, None if there is none."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return None


@dataclass(frozen=True)
class Scale:
    """Linear map of the data interval [lo, hi] onto pixels [a, b] (b < a flips it)."""

    lo: float
    hi: float
    a: float
    b: float

    def __call__(self, value: float) -> float:
        if self.hi == self.lo:
            return (self.a + self.b) / 2
        return self.a + (value - self.lo) / (self.hi - self.lo) * (self.b - self.a)


@dataclass(frozen=True)
class Ticks:
    values: tuple[float, ...]
    places: int  # decimals that write the step exactly

    @property
    def lo(self) -> float:
        return self.values[0]

    @property
    def hi(self) -> float:
        return self.values[-1]


def _flat(lo: float, hi: float) -> bool:
    return hi - lo <= 1e-9 * max(1.0, abs(lo), abs(hi))


def nice_ticks(lo: float, hi: float, target: int = 5) -> Ticks:
    """Round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering [lo, hi]."""
    lo, hi = min(lo, hi), max(lo, hi)
    if _flat(lo, hi):  # one value, or a spread lost in rounding: show it against zero
        lo, hi = min(lo, 0.0), max(hi, 0.0)
        if _flat(lo, hi):
            hi = lo + 1.0
    raw = (hi - lo) / target
    exponent = math.floor(math.log10(raw))
    mantissa = next(m for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * 10.0**exponent >= raw * (1 - 1e-9))
    step = mantissa * 10.0**exponent
    places = max(0, -exponent) + (1 if mantissa == 2.5 else 0)
    first = math.floor(lo / step + 1e-9) * step
    count = math.ceil((hi - first) / step - 1e-9)
    values = tuple(round(first + i * step, places) for i in range(count + 1))
    return Ticks(values, places)


class Canvas:
    """Writes text for one chart in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.rtl = lang == "ar"

    def is_rtl(self, content: str, kind: TextKind) -> bool:
        if kind == "number":
            return False
        if kind == "data":
            found = _first_strong_rtl(content)
            return self.rtl if found is None else found
        return self.rtl

    def text(
        self,
        x: float,
        y: float,
        content: str,
        *,
        anchor: Anchor,
        cls: str,
        size: float = FONT,
        kind: TextKind = "words",
        rotate: float | None = None,
        full: str | None = None,
    ) -> Html:
        """A label whose *anchor* edge (on the page, not in reading order) sits at (x, y)."""
        rtl = self.is_rtl(content, kind)
        if anchor == "middle":
            text_anchor = "middle"
        else:
            text_anchor = "end" if (anchor == "right") != rtl else "start"
        return el(
            "text",
            el("title", full) if full and full != content else None,
            content,
            x=_n(x),
            y=_n(y),
            class_=cls,
            font_size=_n(size),
            text_anchor=text_anchor,
            direction="rtl" if rtl else "ltr",
            unicode_bidi="embed",
            transform=None if rotate is None else f"rotate({_n(rotate)} {_n(x)} {_n(y)})",
        )

    def tick(self, x: float, y: float, content: str, anchor: Anchor = "middle") -> Html:
        return self.text(x, y, content, anchor=anchor, cls="tick", size=TICK_FONT, kind="number")


def _rule(x1: float, y1: float, x2: float, y2: float, cls: str = "baseline") -> Html:
    return el("line", x1=_n(x1), y1=_n(y1), x2=_n(x2), y2=_n(y2), class_=cls)


def _path(points: Sequence[tuple[float, float]], close: bool = False) -> str:
    d = "M" + " L".join(f"{_n(x)},{_n(y)}" for x, y in points)
    return d + " Z" if close else d


# legend ------------------------------------------------------------------------


@dataclass(frozen=True)
class Legend:
    markup: Html
    height: float


def _legend(canvas: Canvas, entries: Sequence[tuple[str, Html]], top: float) -> Legend:
    """Swatch-and-name entries in reading order, wrapped into rows under the plot."""
    if not entries:
        return Legend(Html(""), 0.0)
    row_height = FONT + 8
    rows: list[list[tuple[str, str, Html, float]]] = [[]]
    used = 0.0
    for name, swatch in entries:
        label = _clip(name, 32)
        width = 18 + _width(label) + 18
        if rows[-1] and used + width > WIDTH - 2 * SIDE:
            rows.append([])
            used = 0.0
        rows[-1].append((label, name, swatch, width))
        used += width
    items = []
    for r, row in enumerate(rows):
        y = top + r * row_height
        offset = 0.0
        for label, name, swatch, width in row:
            box = WIDTH - SIDE - offset - 12 if canvas.rtl else SIDE + offset
            at: tuple[float, Anchor] = (box - 6, "right") if canvas.rtl else (box + 18, "left")
            text_x, anchor = at
            text = canvas.text(
                text_x, y, label, anchor=anchor, cls="legend-label", kind="data", full=name
            )
            place = f"translate({_n(box)} {_n(y - 10)})"
            items.append(el("g", el("g", swatch, transform=place), text, class_="legend-item"))
            offset += width
    return Legend(el("g", items, class_="legend"), len(rows) * row_height)


def _swatch(i: int) -> Html:
    return el("rect", width=12, height=12, rx=2, fill=_colour(i))


def _line_swatch(i: int) -> Html:
    dash = _dash(i)
    return el(
        "line", x1=0, y1=6, x2=12, y2=6, stroke=_colour(i), stroke_width=3, stroke_dasharray=dash
    )


def _band_swatch() -> Html:
    return el("rect", width=12, height=12, rx=2, fill="#000000", fill_opacity="0.15")


# axes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """The plot rectangle of a chart with a vertical value axis."""

    left: float
    right: float
    top: float
    bottom: float


def _value_frame(ticks: Ticks, unit: str, side: str, far_margin: float = 8.0) -> Frame:
    """The plot area left once the value axis (tick labels and name) has room on *side*."""
    widest = max(_width(format_tick(v, ticks.places, unit), TICK_FONT) for v in ticks.values)
    near = SIDE + FONT + 14 + widest
    if side == "left":
        return Frame(near, WIDTH - SIDE - far_margin, TOP, TOP + PLOT_HEIGHT)
    return Frame(SIDE + far_margin, WIDTH - near, TOP, TOP + PLOT_HEIGHT)


def _value_axis(
    canvas: Canvas, frame: Frame, ticks: Ticks, scale: Scale, data: ChartData, side: str
) -> Html:
    """Horizontal grid lines, y tick labels and the rotated y-axis name on *side*."""
    parts = []
    for value in ticks.values:
        y = scale(value)
        parts.append(_rule(frame.left, y, frame.right, y, "grid"))
        text = format_tick(value, ticks.places, data.y_unit)
        if side == "left":
            parts.append(canvas.tick(frame.left - 6, y + 4, text, "right"))
        else:
            parts.append(canvas.tick(frame.right + 6, y + 4, text, "left"))
    middle = (frame.top + frame.bottom) / 2
    x, rotate = (SIDE + 4, -90.0) if side == "left" else (WIDTH - SIDE - 4, 90.0)
    fits = int((frame.bottom - frame.top + 50) / (FONT * EM))  # may reach into the margins
    name = _clip(data.y_label, fits)
    parts.append(
        canvas.text(
            x, middle, name, anchor="middle", cls="axis-label", rotate=rotate, full=data.y_label
        )
    )
    return el("g", parts, class_="axis axis-y")


def _x_scale(data: ChartData, frame: Frame) -> Scale:
    lo, hi = min(data.positions), max(data.positions)
    if data.x_mode == "number":
        ticks = nice_ticks(lo, hi, 6)
        lo, hi = min(lo, ticks.lo), max(hi, ticks.hi)
    return Scale(lo, hi, frame.left, frame.right)


def _x_ticks(data: ChartData, scale: Scale) -> list[tuple[float, str]]:
    """(pixel, label) pairs along the x axis: round numbers, or x values that do not collide."""
    if data.x_mode == "number":
        ticks = nice_ticks(min(data.positions), max(data.positions), 6)
        inside = [v for v in ticks.values if scale.lo <= v <= scale.hi]
        return [(scale(v), format_tick(v, ticks.places, "")) for v in inside]
    texts = [_clip(data.x_text(x), 16) for x in data.xs]
    room = max(_width(t, TICK_FONT) for t in texts) + 14
    span = abs(scale.b - scale.a)
    step = max(1, math.ceil(len(texts) / max(1.0, span / room)))
    out: list[tuple[float, str]] = []
    for i in range(0, len(texts), step):
        x = scale(data.positions[i])
        if not out or abs(x - out[-1][0]) >= room:
            out.append((x, texts[i]))
    return out


def _x_axis(canvas: Canvas, frame: Frame, data: ChartData, scale: Scale) -> Html:
    kind: TextKind = "data" if data.x_mode == "category" else "number"
    parts = [_rule(frame.left, frame.bottom, frame.right, frame.bottom)]
    for x, text in _x_ticks(data, scale):
        parts.append(_rule(x, frame.bottom, x, frame.bottom + 4, "tick-mark"))
        parts.append(
            canvas.text(
                x, frame.bottom + 17, text, anchor="middle", cls="tick", size=TICK_FONT, kind=kind
            )
        )
    middle = (frame.left + frame.right) / 2
    parts.append(
        canvas.text(middle, frame.bottom + 38, data.x_label, anchor="middle", cls="axis-label")
    )
    return el("g", parts, class_="axis axis-x")


# charts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Drawing:
    """A chart's body, the legend entries it needs, and the height it takes."""

    body: Html
    legend: list[tuple[str, Html]]
    height: float


def _values(series: Sequence[Series]) -> list[float]:
    return [v for s in series for v in s.values if v is not None]


def _tip(data: ChartData, series: Series, index: int, value: float) -> str:
    return f"{series.name}: {data.x_text(data.xs[index])} — {format_value(value, data.y_unit)}"


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """(index, value) of consecutive present values; a missing value breaks a line."""
    runs: list[list[tuple[int, float]]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            runs.append([])
        else:
            runs[-1].append((i, value))
    return [run for run in runs if run]


def _line(canvas: Canvas, data: ChartData) -> Drawing:
    values = _values(data.series)
    ticks = nice_ticks(min(0.0, *values), max(0.0, *values))
    frame = _value_frame(ticks, data.y_unit, "left", TIME_AXIS_MARGIN)
    sy = Scale(ticks.lo, ticks.hi, frame.bottom, frame.top)
    sx = _x_scale(data, frame)
    groups = []
    for i, series in enumerate(data.series):
        shapes: list[Html] = []
        for run in _runs(series.values):
            xy = [(sx(data.positions[j]), sy(v)) for j, v in run]
            if len(run) > 1:
                points = " ".join(f"{_n(x)},{_n(y)}" for x, y in xy)
                shapes.append(
                    el(
                        "polyline",
                        points=points,
                        fill="none",
                        stroke=_colour(i),
                        stroke_width=2,
                        stroke_linejoin="round",
                        stroke_dasharray=_dash(i),
                        class_="line",
                    )
                )
            if series.points <= MARKERS_UP_TO or len(run) == 1:
                tips = [_tip(data, series, j, v) for j, v in run]
                shapes.extend(_marker(x, y, i, tip) for (x, y), tip in zip(xy, tips, strict=True))
        groups.append(el("g", shapes, class_="series", data_series=series.name))
    body = join(
        _value_axis(canvas, frame, ticks, sy, data, "left"),
        _x_axis(canvas, frame, data, sx),
        groups,
    )
    legend = [(s.name, _line_swatch(i)) for i, s in enumerate(data.series)]
    return Drawing(body, legend if len(legend) > 1 else [], frame.bottom + 48)


def _marker(x: float, y: float, i: int, tip: str) -> Html:
    return el("circle", el("title", tip), cx=_n(x), cy=_n(y), r=3, fill=_colour(i), class_="marker")


def _area(canvas: Canvas, data: ChartData) -> Drawing:
    """Series stacked in order; a missing value counts as zero."""
    stacks = [[0.0] * len(data.xs)]
    for series in data.series:
        stacks.append([b + (v or 0.0) for b, v in zip(stacks[-1], series.values, strict=True)])
    top = max(stacks[-1])
    if data.y_unit == "percent" and 99.0 < top <= 100.5:
        top = 100.0  # shares that add up to 100 give or take rounding
    ticks = nice_ticks(0.0, top)
    frame = _value_frame(ticks, data.y_unit, "left", TIME_AXIS_MARGIN)
    sy = Scale(ticks.lo, ticks.hi, frame.bottom, frame.top)
    sx = _x_scale(data, frame)
    paths = []
    for i, series in enumerate(data.series):
        xs = [sx(x) for x in data.positions]
        upper = [(x, sy(min(v, ticks.hi))) for x, v in zip(xs, stacks[i + 1], strict=True)]
        lower = [(x, sy(min(v, ticks.hi))) for x, v in zip(xs, stacks[i], strict=True)]
        outline = _path(upper + lower[::-1], close=True)
        shape = el("path", el("title", series.name), d=outline, fill=_colour(i), class_="area")
        paths.append(el("g", shape, class_="series", data_series=series.name))
    body = join(
        _value_axis(canvas, frame, ticks, sy, data, "left"),
        paths,
        _x_axis(canvas, frame, data, sx),
    )
    legend = [(s.name, _swatch(i)) for i, s in enumerate(data.series)]
    return Drawing(body, legend if len(legend) > 1 else [], frame.bottom + 48)


def _step_corners(run: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The corners of a right-continuous step function through *run*."""
    out = [run[0]]
    for (_, y0), (x1, y1) in zip(run, run[1:], strict=False):
        out.extend([(x1, y0), (x1, y1)])
    return out


def _step(canvas: Canvas, data: ChartData) -> Drawing:
    """Survival-style curves: flat until the next x, then a drop; optional lower/upper band."""
    bands = [
        v for s in data.series for side in (s.lower, s.upper) if side for v in side if v is not None
    ]
    top = max([*_values(data.series), *bands])
    ticks = nice_ticks(0.0, 1.0 if top <= 1.0 else top)
    frame = _value_frame(ticks, data.y_unit, "left", TIME_AXIS_MARGIN)
    sy = Scale(ticks.lo, ticks.hi, frame.bottom, frame.top)
    sx = _x_scale(data, frame)
    groups = []
    has_band = False
    for i, series in enumerate(data.series):
        band = _band(series, data.positions, sx, sy, i)
        has_band = has_band or band is not None
        present = [(j, v) for j, v in enumerate(series.values) if v is not None]
        run = [(sx(data.positions[j]), sy(v)) for j, v in present]
        line = el(
            "path",
            d=_path(_step_corners(run)),
            fill="none",
            stroke=_colour(i),
            stroke_width=2,
            stroke_dasharray=_dash(i),
            class_="step-line",
        )
        lone = _marker(*run[0], i, _tip(data, series, *present[0])) if len(run) == 1 else None
        groups.append(el("g", band, line, lone, class_="series", data_series=series.name))
    body = join(
        _value_axis(canvas, frame, ticks, sy, data, "left"),
        _x_axis(canvas, frame, data, sx),
        groups,
    )
    legend = [(s.name, _line_swatch(i)) for i, s in enumerate(data.series)]
    legend = legend if len(legend) > 1 else []
    if has_band:
        legend.append((ui("band", canvas.lang), _band_swatch()))
    return Drawing(body, legend, frame.bottom + 48)


def _band(series: Series, positions: Sequence[float], sx: Scale, sy: Scale, i: int) -> Html | None:
    if series.lower is None or series.upper is None:
        return None
    triples = [
        (sx(x), sy(lo), sy(hi))
        for x, lo, hi in zip(positions, series.lower, series.upper, strict=True)
        if lo is not None and hi is not None
    ]
    if len(triples) < 2:
        return None
    upper = _step_corners([(x, hi) for x, _, hi in triples])
    lower = _step_corners([(x, lo) for x, lo, _ in triples])
    points = " ".join(f"{_n(x)},{_n(y)}" for x, y in upper + lower[::-1])
    return el("polygon", points=points, fill=_colour(i), fill_opacity="0.18", class_="band")


def _bar(canvas: Canvas, data: ChartData) -> Drawing:
    """Vertical bars, one group per category; in RTL the first category is on the right."""
    values = _values(data.series)
    ticks = nice_ticks(min(0.0, *values), max(0.0, *values))
    side = "right" if canvas.rtl else "left"
    frame = _value_frame(ticks, data.y_unit, side)
    sy = Scale(ticks.lo, ticks.hi, frame.bottom, frame.top)
    count, k = len(data.xs), len(data.series)
    band = (frame.right - frame.left) / count
    slot = band * 0.8 / k

    def centre(c: int) -> float:
        return frame.left + ((count - 1 - c) if canvas.rtl else c) * band + band / 2

    def left_of(c: int, j: int) -> float:
        return centre(c) - band * 0.4 + ((k - 1 - j) if canvas.rtl else j) * slot

    groups = []
    for j, series in enumerate(data.series):
        rects = [
            _bar_rect(left_of(c, j), slot, sy(0.0), sy(v), j, _tip(data, series, c, v))
            for c, v in enumerate(series.values)
            if v is not None
        ]
        groups.append(el("g", rects, class_="series", data_series=series.name))
    centres = [centre(c) for c in range(count)]
    labels, extra = _category_labels(canvas, data, centres, band, frame)
    middle = (frame.left + frame.right) / 2
    body = join(
        _value_axis(canvas, frame, ticks, sy, data, side),
        groups,
        _bar_values(canvas, data, centres, sy, band) if k == 1 else None,
        _rule(frame.left, sy(0.0), frame.right, sy(0.0)),
        labels,
        canvas.text(
            middle, frame.bottom + extra + 38, data.x_label, anchor="middle", cls="axis-label"
        ),
    )
    legend = [(s.name, _swatch(j)) for j, s in enumerate(data.series)]
    return Drawing(body, legend if k > 1 else [], frame.bottom + extra + 48)


def _bar_rect(x: float, width: float, zero: float, end: float, j: int, tip: str) -> Html:
    return el(
        "rect",
        el("title", tip),
        x=_n(x),
        y=_n(min(zero, end)),
        width=_n(width),
        height=_n(abs(end - zero)),
        fill=_colour(j),
        class_="bar",
    )


def _bar_values(
    canvas: Canvas, data: ChartData, centres: list[float], sy: Scale, band: float
) -> Html | None:
    """Each bar's value above it (below, if negative), when the bars are wide enough."""
    values = data.series[0].values
    texts = [format_value(v, data.y_unit) for v in values if v is not None]
    if max(_width(t, TICK_FONT) for t in texts) > band:
        return None
    labels = [
        canvas.tick(x, sy(v) - 5 if v >= 0 else sy(v) + 13, format_value(v, data.y_unit))
        for x, v in zip(centres, values, strict=True)
        if v is not None
    ]
    return el("g", labels, class_="values")


def _category_labels(
    canvas: Canvas, data: ChartData, centres: list[float], band: float, frame: Frame
) -> tuple[Html, float]:
    """Category names under the bars, slanted when they do not fit; and the height they add."""
    texts = [data.x_text(x) for x in data.xs]
    short = [_clip(t, 20) for t in texts]
    widest = max(_width(t, TICK_FONT) for t in short)
    slant = widest > band - 4
    y = frame.bottom + 15
    labels = []
    for x, text, full in zip(centres, short, texts, strict=True):
        anchor: Anchor = "middle"
        rotate = None
        if slant:  # hang from the tick, away from the value axis
            anchor, rotate = ("left", 45.0) if canvas.rtl else ("right", -45.0)
        labels.append(
            canvas.text(
                x,
                y,
                text,
                anchor=anchor,
                cls="tick",
                size=TICK_FONT,
                kind="data",
                rotate=rotate,
                full=full,
            )
        )
    extra = widest * 0.71 if slant else 0.0
    return el("g", labels, class_="axis axis-x"), extra


def _hbar(canvas: Canvas, data: ChartData) -> Drawing:
    """Horizontal bars, a row per category; in RTL the names are on the right, bars grow left."""
    values = _values(data.series)
    ticks = nice_ticks(min(0.0, *values), max(0.0, *values))
    count, k = len(data.xs), len(data.series)
    row = max(22.0, 8.0 + 12.0 * k)
    slot = (row - 8) / k
    texts = [data.x_text(x) for x in data.xs]
    short = [_clip(t) for t in texts]
    names = max(_width(t) for t in short) + 8
    room = 56.0 if k == 1 else 12.0  # for the value past the end of a bar
    top = TOP + FONT + 6
    bottom = top + count * row
    if canvas.rtl:
        near, far = WIDTH - SIDE - names - 8, SIDE + room
    else:
        near, far = SIDE + names + 8, WIDTH - SIDE - room
    sx = Scale(ticks.lo, ticks.hi, near, far)
    at: tuple[float, Anchor] = (near + 6, "left") if canvas.rtl else (near - 6, "right")
    name_x, name_anchor = at
    parts: list[Html] = []
    for value in ticks.values:
        parts.append(_rule(sx(value), top, sx(value), bottom, "grid"))
        parts.append(
            canvas.tick(sx(value), bottom + 15, format_tick(value, ticks.places, data.y_unit))
        )
    for c, (text, full) in enumerate(zip(short, texts, strict=True)):
        y = top + c * row + row / 2 + 4
        parts.append(
            canvas.text(name_x, y, text, anchor=name_anchor, cls="category", kind="data", full=full)
        )
    parts.append(canvas.text(name_x, top - 8, data.x_label, anchor=name_anchor, cls="axis-label"))
    parts.append(
        canvas.text((near + far) / 2, bottom + 36, data.y_label, anchor="middle", cls="axis-label")
    )
    for j, series in enumerate(data.series):
        bars = []
        for c, v in enumerate(series.values):
            if v is None:
                continue
            y = top + c * row + 4 + j * slot
            start, end = sx(0.0), sx(v)
            bars.append(_hbar_rect(start, end, y, slot, j, _tip(data, series, c, v)))
            if k == 1:
                leftward = end < start
                past: tuple[float, Anchor] = (end - 4, "right") if leftward else (end + 4, "left")
                x, anchor = past
                parts.append(canvas.tick(x, y + slot / 2 + 4, format_value(v, data.y_unit), anchor))
        parts.append(el("g", bars, class_="series", data_series=series.name))
    parts.append(_rule(sx(0.0), top, sx(0.0), bottom))
    legend = [(s.name, _swatch(j)) for j, s in enumerate(data.series)]
    return Drawing(el("g", parts), legend if k > 1 else [], bottom + 46)


def _hbar_rect(start: float, end: float, y: float, height: float, j: int, tip: str) -> Html:
    return el(
        "rect",
        el("title", tip),
        x=_n(min(start, end)),
        y=_n(y),
        width=_n(abs(end - start)),
        height=_n(height),
        fill=_colour(j),
        class_="bar",
    )


DRAW: dict[str, Callable[[Canvas, ChartData], Drawing]] = {
    "line": _line,
    "area": _area,
    "bar": _bar,
    "hbar": _hbar,
    "step": _step,
}


def render_chart(data: ChartData, title: str, chart_id: str, lang: str) -> Html:
    """*data* drawn as an inline ``<svg class="chart">`` titled *title*; needs a plotted point."""
    if data.points == 0:
        raise ValueError(f"chart {chart_id!r} has no value to plot; show a no-data note instead")
    canvas = Canvas(lang)
    drawing = DRAW[data.kind](canvas, data)
    legend = _legend(canvas, drawing.legend, drawing.height + 8)
    height = drawing.height + legend.height + 8
    at: tuple[float, Anchor] = (WIDTH - SIDE, "right") if canvas.rtl else (SIDE, "left")
    x, anchor = at
    desc = ui("chart_desc", lang).format(
        kind=ui(f"kind_{data.kind}", lang), series=len(data.series), points=data.points
    )
    heading = canvas.text(
        x, 24, _clip(title, 76), anchor=anchor, cls="chart-title", size=TITLE_FONT, full=title
    )
    return el(
        "svg",
        el("title", title),
        el("desc", desc),
        heading,
        drawing.body,
        legend.markup,
        id=chart_id,
        class_=f"chart chart-{data.kind}",
        role="img",
        aria_label=title,
        viewBox=f"0 0 {_n(WIDTH)} {_n(height)}",
        width=_n(WIDTH),
        height=_n(height),
        data_kind=data.kind,
        data_series=len(data.series),
        data_points=data.points,
    )


#: the community map's height (its width is the charts')
MAP_HEIGHT = 420.0
#: the largest disc's radius
MAP_RADIUS = 38.0


def render_map(rows: Sequence[dict[str, object]], title: str, chart_id: str, lang: str) -> Html:
    """A community map (:func:`marsad.network.sections.community_map`): each
    row a disc at (``x``, ``y``) in 0-1, its area ``accounts``, its colour
    from light to dark blue by ``flagged`` (percent; grey when unknown),
    joined by lines from ``links`` ("k:weight ..."), thicker for heavier.
    Drawn as an inline ``<svg class="chart chart-map">`` like the other charts."""
    if not rows:
        raise ValueError(f"map {chart_id!r} has no community to draw")
    canvas = Canvas(lang)
    pad = MAP_RADIUS + 8
    width, height = WIDTH - 2 * pad, MAP_HEIGHT - 2 * pad
    biggest = max(float(str(r["accounts"])) for r in rows) or 1.0
    at: dict[str, tuple[float, float, float]] = {}
    for r in rows:
        x = pad + float(str(r["x"])) * width
        y = TOP + pad + float(str(r["y"])) * height
        radius = max(4.0, MAP_RADIUS * math.sqrt(float(str(r["accounts"])) / biggest))
        at[str(r["community"])] = (x, y, radius)
    heaviest = max(
        (
            float(w)
            for r in rows
            for _, _, w in (p.partition(":") for p in str(r["links"]).split())
            if w
        ),
        default=1.0,
    )
    lines = []
    for r in rows:
        here = str(r["community"])
        for part in str(r["links"]).split():
            other, _, weight = part.partition(":")
            if other in at and here < other:
                (x1, y1, _), (x2, y2, _) = at[here], at[other]
                lines.append(
                    el(
                        "line",
                        x1=_n(x1),
                        y1=_n(y1),
                        x2=_n(x2),
                        y2=_n(y2),
                        class_="map-link",
                        stroke="#9aa5b1",
                        stroke_width=_n(0.5 + 5.5 * float(weight) / heaviest),
                        stroke_opacity="0.6",
                    )
                )
    discs = []
    for r in rows:
        x, y, radius = at[str(r["community"])]
        flagged = r.get("flagged")
        if isinstance(flagged, int | float):
            share = min(max(float(flagged) / 100.0, 0.0), 1.0)
            # from a light to a dark blue (Okabe-Ito blue at the dark end)
            light, dark = (0xCC, 0xE3, 0xF5), (0x00, 0x3F, 0x73)
            rgb = tuple(round(a + (b - a) * share) for a, b in zip(light, dark, strict=True))
            fill = "#{:02x}{:02x}{:02x}".format(*rgb)
        else:
            fill = "#c8ced6"
        tip = ui("map_tip", lang).format(
            community=r["community"],
            accounts=format_value(r["accounts"], "count"),
            flagged="-" if flagged is None else format_value(flagged, "percent"),
        )
        discs.append(
            el(
                "g",
                el(
                    "circle",
                    el("title", tip),
                    cx=_n(x),
                    cy=_n(y),
                    r=_n(radius),
                    fill=fill,
                    stroke="#1f2933",
                    stroke_width="0.8",
                    class_="map-community",
                ),
                canvas.text(
                    x,
                    y + 4,
                    str(r["community"]),
                    anchor="middle",
                    cls="map-label",
                    kind="number",
                    size=TICK_FONT,
                )
                if radius >= 10
                else None,
                class_="series",
                data_series=str(r["community"]),
            )
        )
    at_title: tuple[float, Anchor] = (WIDTH - SIDE, "right") if canvas.rtl else (SIDE, "left")
    heading = canvas.text(
        at_title[0],
        24,
        _clip(title, 76),
        anchor=at_title[1],
        cls="chart-title",
        size=TITLE_FONT,
        full=title,
    )
    total_height = TOP + MAP_HEIGHT
    desc = ui("map_desc", lang).format(communities=len(rows), links=len(lines))
    return el(
        "svg",
        el("title", title),
        el("desc", desc),
        heading,
        el("g", *lines, class_="map-links"),
        el("g", *discs, class_="map-communities"),
        id=chart_id,
        class_="chart chart-map",
        role="img",
        aria_label=title,
        viewBox=f"0 0 {_n(WIDTH)} {_n(total_height)}",
        width=_n(WIDTH),
        height=_n(total_height),
        data_kind="map",
        data_series=len(rows),
        data_points=len(rows),
    )
