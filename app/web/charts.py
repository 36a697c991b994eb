"""Charts as inline SVG, pure: plain numbers in, a `Markup` string out. No JavaScript, no external resource.

Every label is escaped. Each chart is an `<svg role="img">` with an `aria-label` and a `<title>`, and a `<desc>`
that says the figures in words for screen readers. Colours are presentation attributes (so the SVG reads without
any stylesheet, and a strict CSP that blocks `<style>` changes nothing) in mid tones that read on a light and on
a dark background; text is `currentColor`. Every shape also carries a class (`chart-series-N`, `chart-key-KEY`,
`chart-baseline`, `chart-band`, `chart-grid`, `chart-axis`) so a page's CSS can restyle it: CSS wins over
presentation attributes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

# Mid-tone colours: at least 3:1 against white and against #111.
PALETTE = ("#3e7bfa", "#e38a1c", "#9b59d0", "#1e9e8f", "#d6457a", "#7a8a2e", "#5a6acf", "#b0682f")
KEY_COLOURS = {"negative": "#e5484d", "neutral": "#8b8d98", "positive": "#30a46c"}
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"'
Number = float | int


def _fmt(value: float) -> str:
    """A compact number: 12, 12.5, 1.2k, 3.4M."""
    if not math.isfinite(value):
        return "–"
    size = abs(value)
    if size >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if size >= 10_000:
        return f"{value / 1000:.0f}k"
    if size >= 1000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    if float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.2f}".rstrip("0") if size < 1 else f"{value:.1f}"


def _num(value: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def _clean(values: Sequence[Number | None]) -> list[float | None]:
    """Finite floats, None for gaps (None, NaN, infinities)."""
    return [float(v) if v is not None and math.isfinite(v) else None for v in values]


def _colour(key: str, index: int) -> str:
    return KEY_COLOURS.get(key, PALETTE[index % len(PALETTE)])


def _slug(key: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", key.lower()).strip("-") or "key"


def nice_ticks(low: float, high: float, count: int = 4, *, min_step: float = 0) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 × 10^k steps, at least `min_step`: 1 for counts) covering [low, high];
    never divides by zero."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        high = low + 1 if math.isfinite(low) else 1.0
        low = low if math.isfinite(low) else 0.0
    raw = max((high - low) / max(count, 1), min_step)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if min_step >= 1 and step != int(step):  # whole numbers only: 2.5 → 5
        step = next(m * power for m in (5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = [first]
    while ticks[-1] < high - 1e-9 * step:
        ticks.append(ticks[-1] + step)
    return [round(t, 10) for t in ticks]


def _svg(width: int, height: int, label: str, desc: str, body: list[str], css: str = "chart") -> Markup:
    text = escape(label)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" role="img" aria-label="{text}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" {FONT} font-size="11">'
        f"<title>{text}</title><desc>{escape(desc)}</desc>{''.join(body)}</svg>"
    )


def _empty(width: int, height: int, label: str, empty: str) -> Markup:
    body = [
        f'<text class="chart-empty" x="{_num(width / 2)}" y="{_num(height / 2)}" text-anchor="middle" '
        f'dominant-baseline="middle" fill="currentColor" opacity="0.7">{escape(empty)}</text>'
    ]
    return _svg(width, height, label, empty, body)


def _path(points: list[tuple[float, float] | None]) -> str:
    """An SVG path through the points, lifting the pen over gaps (None)."""
    parts, pen_down = [], False
    for point in points:
        if point is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{_num(point[0])} {_num(point[1])}")
        pen_down = True
    return " ".join(parts)


class _Frame:
    """Maps indices and values onto a plot area [left, right] × [top, bottom]."""

    def __init__(self, n: int, low: float, high: float, box: tuple[float, float, float, float]) -> None:
        self.n, self.low, self.high = n, low, high if high > low else low + 1
        self.left, self.top, self.right, self.bottom = box

    def x(self, i: int) -> float:
        if self.n <= 1:
            return (self.left + self.right) / 2  # a single point sits in the middle
        return self.left + (self.right - self.left) * i / (self.n - 1)

    def y(self, value: float) -> float:
        return self.bottom - (self.bottom - self.top) * (value - self.low) / (self.high - self.low)

    def points(self, values: list[float | None]) -> list[tuple[float, float] | None]:
        return [None if v is None else (self.x(i), self.y(v)) for i, v in enumerate(values)]


def _band(frame: _Frame, low: list[float | None], high: list[float | None]) -> str:
    """A shaded area between two series (the expected range), skipping indices where either is missing."""
    pairs = [
        (i, lo, hi) for i, (lo, hi) in enumerate(zip(low, high, strict=False)) if lo is not None and hi is not None
    ]
    if not pairs:
        return ""
    upper = [f"{_num(frame.x(i))} {_num(frame.y(hi))}" for i, _, hi in pairs]
    lower = [f"{_num(frame.x(i))} {_num(frame.y(lo))}" for i, lo, _ in reversed(pairs)]
    if len(pairs) == 1:  # one point: a short vertical bar is still visible
        x = frame.x(pairs[0][0])
        upper = [f"{_num(x - 3)} {upper[0].split()[1]}", f"{_num(x + 3)} {upper[0].split()[1]}"]
        lower = [f"{_num(x + 3)} {lower[0].split()[1]}", f"{_num(x - 3)} {lower[0].split()[1]}"]
    return f'<path class="chart-band" d="M{" L".join(upper + lower)} Z" fill="#8b8d98" fill-opacity="0.22"/>'


def _baseline(frame: _Frame, values: list[float | None]) -> str:
    points = frame.points(values)
    if len([p for p in points if p]) == 1:
        x, y = next(p for p in points if p)
        points = [(x - 6, y), (x + 6, y)]
    d = _path(points)
    return (
        f'<path class="chart-baseline" d="{d}" fill="none" stroke="#8b8d98" stroke-width="1.5" stroke-dasharray="4 3"/>'
        if d
        else ""
    )


def _series_path(frame: _Frame, values: list[float | None], index: int, key: str, width: float) -> str:
    points = frame.points(values)
    colour = _colour(key, index)
    css = f"chart-series chart-series-{index}"
    out = (
        f'<path class="{css}" d="{_path(points)}" fill="none" stroke="{colour}" stroke-width="{_num(width)}" '
        'stroke-linejoin="round" stroke-linecap="round"/>'
    )
    lonely = [
        p
        for i, p in enumerate(points)
        if p and (i == 0 or not points[i - 1]) and (i + 1 == len(points) or not points[i + 1])
    ]
    for x, y in lonely:  # a point with no neighbour draws no line: mark it
        out += f'<circle class="{css}" cx="{_num(x)}" cy="{_num(y)}" r="{_num(width + 1)}" fill="{colour}"/>'
    return out


def _describe(values: list[float | None], fmt: Callable[[float], str]) -> str:
    seen = [v for v in values if v is not None]
    if not seen:
        return "–"
    return f"{fmt(seen[0])} → {fmt(seen[-1])}; min {fmt(min(seen))}, max {fmt(max(seen))}"


def sparkline(
    values: Sequence[Number | None],
    *,
    baseline: Sequence[Number | None] | None = None,
    band: tuple[Sequence[Number | None], Sequence[Number | None]] | None = None,
    width: int = 120,
    height: int = 28,
    label: str,
) -> Markup:
    """A small volume line, with the expected baseline as a dashed line and/or the expected range as a band."""
    data = _clean(values)
    base = _clean(baseline) if baseline is not None else []
    lows, highs = (_clean(band[0]), _clean(band[1])) if band is not None else ([], [])
    everything = [v for v in data + base + lows + highs if v is not None]
    if not everything:
        return _svg(width, height, label, "–", [_flat(width, height)], css="chart sparkline")
    low, high = min(0.0, *everything), max(everything)
    frame = _Frame(max(len(data), len(base), len(lows), 1), low, high, (2, 2, width - 2, height - 2))
    body = [_band(frame, lows, highs)] if band is not None else []
    body += [_baseline(frame, base)] if base else []
    body.append(_series_path(frame, data, 0, "volume", 1.5))
    return _svg(width, height, label, _describe(data, _fmt), body, css="chart sparkline")


def _flat(width: int, height: int) -> str:
    y = _num(height - 2)
    return f'<path class="chart-axis" d="M2 {y} L{width - 2} {y}" stroke="#8b8d98" stroke-width="1"/>'


def _y_axis(frame: _Frame, ticks: list[float], fmt: Callable[[float], str]) -> list[str]:
    out = []
    for tick in ticks:
        y = _num(frame.y(tick))
        out.append(
            f'<line class="chart-grid" x1="{_num(frame.left)}" x2="{_num(frame.right)}" y1="{y}" y2="{y}" '
            f'stroke="#8b8d98" stroke-opacity="0.35" stroke-width="1"/>'
            f'<text class="chart-axis" x="{_num(frame.left - 6)}" y="{y}" text-anchor="end" '
            f'dominant-baseline="middle" fill="currentColor">{escape(fmt(tick))}</text>'
        )
    return out


def _x_labels(frame: _Frame, labels: Sequence[str], max_labels: int) -> list[str]:
    if not labels:
        return []
    step = max(1, math.ceil(len(labels) / max_labels))
    last = len(labels) - 1 if frame.n > 1 else -1  # the rightmost label ends at the edge instead of overflowing it
    return [
        f'<text class="chart-axis" x="{_num(frame.x(i))}" y="{_num(frame.bottom + 16)}" '
        f'text-anchor="{"end" if i == last else "middle"}" fill="currentColor">{escape(label)}</text>'
        for i, label in enumerate(labels)
        if i % step == 0
    ]


def _legend(names: list[str], keys: list[str], x: float, y: float, width: float) -> list[str]:
    """Swatches and names on one or more rows, left to right."""
    out, cx, cy = [], x, y
    for i, (name, key) in enumerate(zip(names, keys, strict=False)):
        room = 18 + 6.5 * len(name) + 14
        if cx + room > x + width and cx > x:
            cx, cy = x, cy + 16
        slug = _slug(key)
        out.append(
            f'<rect class="chart-key-{slug} chart-series-{i}" x="{_num(cx)}" y="{_num(cy - 9)}" width="12" '
            f'height="10" rx="2" fill="{_colour(key, i)}"/>'
            f'<text x="{_num(cx + 16)}" y="{_num(cy)}" fill="currentColor">{escape(name)}</text>'
        )
        cx += room
    return out


def line_chart(
    series: Sequence[tuple[str, Sequence[Number | None]]],
    *,
    labels: Sequence[str],
    baseline: Sequence[Number | None] | None = None,
    band: tuple[Sequence[Number | None], Sequence[Number | None]] | None = None,
    width: int = 640,
    height: int = 200,
    title: str,
    y_format: Callable[[float], str] = _fmt,
    empty: str = "No data",
    baseline_label: str = "Expected",
    y_min_step: float = 0,
) -> Markup:
    """Several named lines over the same x labels, with y ticks (`y_min_step=1` for counts: no 0.25 tick), a
    legend (more than one series), and the expected baseline (dashed) and/or range (band)."""
    data = [(name, _clean(values)) for name, values in series]
    base = _clean(baseline) if baseline is not None else []
    lows, highs = (_clean(band[0]), _clean(band[1])) if band is not None else ([], [])
    everything = [v for _, values in data for v in values if v is not None] + [
        v for v in base + lows + highs if v is not None
    ]
    if not everything:
        return _empty(width, height, title, empty)
    ticks = nice_ticks(min(0.0, *everything), max(everything), min_step=y_min_step)
    legend_rows = 1 if len(data) > 1 or base else 0
    top = 8 + 18 * legend_rows
    n = max([len(values) for _, values in data] + [len(labels), len(base), len(lows)])
    left = 14 + 7 * max(len(y_format(t)) for t in ticks)
    frame = _Frame(n, ticks[0], ticks[-1], (left, top, width - 12, height - 24))
    body = _y_axis(frame, ticks, y_format) + _x_labels(frame, labels, max(2, int((width - left) // 70)))
    if band is not None:
        body.append(_band(frame, lows, highs))
    if base:
        body.append(_baseline(frame, base))
    body += [_series_path(frame, values, i, name, 2) for i, (name, values) in enumerate(data)]
    if legend_rows:
        names = [name for name, _ in data]
        room = 24 + 6.5 * len(baseline_label) if base else 0  # the baseline's key sits at the right end
        body += _legend(names, names, left, 14, width - left - room)
        if base:
            x = width - 8 - room
            body.append(
                f'<path class="chart-baseline" d="M{_num(x)} 10 L{_num(x + 14)} 10" stroke="#8b8d98" '
                f'stroke-width="1.5" stroke-dasharray="4 3"/><text x="{_num(x + 18)}" y="14" '
                f'fill="currentColor">{escape(baseline_label)}</text>'
            )
    desc = "; ".join(f"{name}: {_describe(values, y_format)}" for name, values in data)
    return _svg(width, height, title, desc, body)


def stacked_bars(
    rows: Sequence[tuple[str, dict[str, Number]]],
    *,
    keys: Sequence[str],
    key_labels: dict[str, str] | None = None,
    title: str,
    width: int = 640,
    bar_height: int = 18,
    normalize: bool = False,
    value_format: Callable[[float], str] = _fmt,
    empty: str = "No data",
) -> Markup:
    """One horizontal bar per row (e.g. a brand or a day) split by key (e.g. negative / neutral / positive),
    total at the end. `normalize` draws every bar full width (the split in %)."""
    if not rows:
        return _empty(width, 60, title, empty)
    names = [key_labels.get(k, k) if key_labels else k for k in keys]
    label_width = min(width * 0.35, 12 + 6.5 * max(len(name) for name, _ in rows))
    left, right = label_width, width - 48
    totals = [sum(max(float(parts.get(k, 0) or 0), 0) for k in keys) for _, parts in rows]
    scale_max = max(totals) or 1.0  # all-zero rows draw empty bars, no division by zero
    gap, top = 8, 30
    height = int(top + len(rows) * (bar_height + gap) + 4)
    body = _legend(names, list(keys), left, 14, right - left)
    for r, ((name, parts), total) in enumerate(zip(rows, totals, strict=False)):
        y = top + r * (bar_height + gap)
        full = (total or 1.0) if normalize else scale_max
        x = left
        body.append(
            f'<text x="{_num(left - 6)}" y="{_num(y + bar_height / 2)}" text-anchor="end" dominant-baseline="middle" '
            f'fill="currentColor">{escape(name)}</text>'
        )
        for k, key in enumerate(keys):
            value = max(float(parts.get(key, 0) or 0), 0)
            w = (right - left) * value / full
            if w > 0:
                body.append(
                    f'<rect class="chart-key-{_slug(key)} chart-series-{k}" x="{_num(x)}" y="{_num(y)}" '
                    f'width="{_num(w)}" height="{bar_height}" fill="{_colour(key, k)}">'
                    f"<title>{escape(name)} · {escape(names[k])}: {escape(value_format(value))}</title></rect>"
                )
            x += w
        body.append(
            f'<text x="{_num(x + 6)}" y="{_num(y + bar_height / 2)}" dominant-baseline="middle" '
            f'fill="currentColor">{escape(value_format(total))}</text>'
        )
    desc = "; ".join(
        f"{name}: "
        + ", ".join(f"{names[k]} {value_format(float(parts.get(key, 0) or 0))}" for k, key in enumerate(keys))
        for name, parts in rows
    )
    return _svg(width, height, title, desc, body)


def share_bars(
    items: Sequence[tuple[str, Number]],
    *,
    title: str,
    highlight: Sequence[str] = (),
    width: int = 640,
    bar_height: int = 16,
    empty: str = "No data",
    percent_format: Callable[[float], str] = lambda share: f"{share * 100:.1f}%",
) -> Markup:
    """Share of voice: one horizontal bar per name, its length and label its share of the sum. Names in
    `highlight` (the workspace's own brands) use the first colour, the others (competitors) the second."""
    total = sum(max(float(v or 0), 0) for _, v in items)
    if not items:
        return _empty(width, 60, title, empty)
    label_width = min(width * 0.35, 12 + 6.5 * max(len(name) for name, _ in items))
    left, right, gap = label_width, width - 56, 6
    height = int(len(items) * (bar_height + gap) + 8)
    body, parts = [], []
    for r, (name, value) in enumerate(items):
        part = max(float(value or 0), 0) / total if total else 0.0
        y = 4 + r * (bar_height + gap)
        own = name in highlight
        css = "chart-own" if own else "chart-other"
        w = (right - left) * part
        body.append(
            f'<text x="{_num(left - 6)}" y="{_num(y + bar_height / 2)}" text-anchor="end" dominant-baseline="middle" '
            f'fill="currentColor">{escape(name)}</text>'
            f'<rect class="chart-track" x="{_num(left)}" y="{_num(y)}" width="{_num(right - left)}" '
            f'height="{bar_height}" fill="#8b8d98" fill-opacity="0.15"/>'
            f'<rect class="{css}" x="{_num(left)}" y="{_num(y)}" width="{_num(w)}" height="{bar_height}" '
            f'fill="{PALETTE[0] if own else PALETTE[1]}"/>'
            f'<text x="{_num(right + 6)}" y="{_num(y + bar_height / 2)}" dominant-baseline="middle" '
            f'fill="currentColor">{escape(percent_format(part))}</text>'
        )
        parts.append(f"{name} {percent_format(part)}")
    return _svg(width, height, title, "; ".join(parts), body)


def donut(
    items: Sequence[tuple[str, Number]],
    *,
    title: str,
    size: int = 160,
    empty: str = "No data",
    percent_format: Callable[[float], str] = lambda share: f"{share * 100:.1f}%",
) -> Markup:
    """Shares as a ring (use `share_bars` when names must be read; the ring has no legend of its own, each
    slice carries a tooltip)."""
    values = [max(float(v or 0), 0) for _, v in items]
    total = sum(values)
    if not total:
        return _empty(size, size, title, empty)
    c, r, stroke = size / 2, size / 2 - 14, 22
    circumference = 2 * math.pi * r
    body, offset, parts = [], 0.0, []
    for i, ((name, _), value) in enumerate(zip(items, values, strict=False)):
        length = circumference * value / total
        if length > 0:
            body.append(
                f'<circle class="chart-series-{i}" cx="{_num(c)}" cy="{_num(c)}" r="{_num(r)}" fill="none" '
                f'stroke="{PALETTE[i % len(PALETTE)]}" stroke-width="{stroke}" '
                f'stroke-dasharray="{_num(length)} {_num(circumference - length)}" '
                f'stroke-dashoffset="{_num(-offset)}" transform="rotate(-90 {_num(c)} {_num(c)})">'
                f"<title>{escape(name)}: {escape(percent_format(value / total))}</title></circle>"
            )
        offset += length
        parts.append(f"{name} {percent_format(value / total)}")
    return _svg(size, size, title, "; ".join(parts), body)
