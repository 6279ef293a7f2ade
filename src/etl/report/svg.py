"""Charts as plain inline SVG: a line chart (trends), stacked bars (result mix, review and
litigation outcomes) and ranked bars (agencies by share refused).

Why not Vega-Lite (altair + vl-convert): a region page needs four small charts and a run at 100k
reports draws thousands of them; plain SVG costs microseconds per chart, adds no dependency
(vl-convert is a ~100 MB wheel) and no script, and opens offline in any browser.  Every label is
escaped (agency names are document text).
"""

from __future__ import annotations

from functools import lru_cache

from etl.report.html import esc

PALETTE = ("#1565c0", "#ef6c00", "#2e7d32", "#c62828", "#6a1b9a", "#00838f", "#827717",
           "#4e342e", "#ad1457", "#546e7a")
_FONT = 'font-family="Noto Sans CJK SC,WenQuanYi Zen Hei,Microsoft YaHei,sans-serif"'


def _svg(title: str, width: int, height: int, body: str) -> str:
    return (f'<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" role="img" '
            f'aria-label="{esc(title)}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" {_FONT} font-size="12">'
            f'<title>{esc(title)}</title>'
            f'<text x="4" y="14" font-size="13" font-weight="bold">{esc(title)}</text>'
            f'{body}</svg></figure>')


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    m = 10 ** len(str(int(v))) / 10
    for step in (1, 2, 2.5, 5, 10):
        if v <= step * m:
            return step * m
    return v


def _fmt(v: float) -> str:
    return _FMT[v]


class _Formatted(dict):
    """A value as the charts print it, memoised (counts repeat across thousands of charts)."""

    def __missing__(self, v: float) -> str:
        text = f"{v:,.0f}" if float(v).is_integer() or abs(v) >= 100 else f"{v:,.1f}"
        if v == v and len(self) < 100_000:          # (a NaN is never found again)
            self[v] = text
        return text


_FMT = _Formatted()


def _legend(names: list[str], x: int, y: int, width: int) -> tuple[str, int]:
    """Legend items flowing left to right; returns (svg, height used).  Memoised: a chart
    kind has the same legend on every region's page."""
    return _legend_of(tuple(names), x, y, width)


@lru_cache(maxsize=64)
def _legend_of(names: tuple[str, ...], x: int, y: int, width: int) -> tuple[str, int]:
    out, cx, cy = [], x, y
    for i, name in enumerate(names):
        w = 18 + 12 * len(name)
        if cx + w > width and cx > x:
            cx, cy = x, cy + 16
        out.append(f'<rect x="{cx}" y="{cy - 9}" width="10" height="10" '
                   f'fill="{PALETTE[i % len(PALETTE)]}"/>'
                   f'<text x="{cx + 14}" y="{cy}">{esc(name)}</text>')
        cx += w
    return "".join(out), cy - y + 16


def line_chart(title: str, x_labels: list[str], series: list[tuple[str, list[float | None]]],
               width: int = 560, height: int = 260) -> str:
    """One line per series over the x labels (years); a None value breaks the line."""
    left, right, top = 56, 24, 28
    legend, lh = _legend([s[0] for s in series], left, top + 4, width - right)
    top += lh
    bottom = height - 24
    vmax = _nice_max(max([v for _, vs in series for v in vs if v is not None] or [0]))
    n = max(1, len(x_labels) - 1)

    def px(i: int) -> float:
        return left + (width - left - right) * (i / n if len(x_labels) > 1 else 0.5)

    def py(v: float) -> float:
        return bottom - (bottom - top) * (v / vmax)

    out = [legend]
    for k in range(5):
        tick = vmax * k / 4
        y = py(tick)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="#e0e0e0"/><text x="{left - 4}" y="{y + 4:.1f}" '
                   f'text-anchor="end">{_fmt(tick)}</text>')
    labels = [esc(lab) for lab in x_labels]
    xs = [f"{px(i):.1f}" for i in range(len(x_labels))]
    for x, lab in zip(xs, labels):
        out.append(f'<text x="{x}" y="{height - 8}" text-anchor="middle">{lab}</text>')
    for si, (name, vs) in enumerate(series):
        color = PALETTE[si % len(PALETTE)]
        name = esc(name)
        run: list[str] = []
        for i, v in enumerate(vs):
            if v is None:
                if len(run) > 1:
                    out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                               f'points="{" ".join(run)}"/>')
                run = []
                continue
            cx, cy = xs[i], f"{py(v):.1f}"
            run.append(f"{cx},{cy}")
            out.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{color}">'
                       f'<title>{name} {labels[i]}: {_fmt(v)}</title></circle>')
        if len(run) > 1:
            out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                       f'points="{" ".join(run)}"/>')
    return _svg(title, width, height, "".join(out))


def stacked_bars(title: str, rows: list[tuple[str, list[float | None]]], part_names: list[str],
                 share: bool = True, width: int = 560, label_width: int = 120) -> str:
    """One horizontal bar per row, split into the parts; ``share``: each bar is 100 % (the
    mix), else bars are to scale (counts)."""
    top = 28
    legend, lh = _legend(part_names, 4, top + 4, width)
    top += lh
    bar_h, gap = 18, 6
    height = top + len(rows) * (bar_h + gap) + 8
    avail = width - label_width - 60
    totals = [sum(v or 0 for v in vs) for _, vs in rows]
    vmax = max(totals or [0]) or 1
    out = [legend]
    names = [esc(n) for n in part_names]
    for r, ((label, vs), total) in enumerate(zip(rows, totals)):
        y = top + r * (bar_h + gap)
        label = esc(label)
        out.append(f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end">{label}</text>')
        scale = (avail / total if total else 0) if share else avail / vmax
        x = float(label_width)
        for i, v in enumerate(vs):
            if not v:
                continue
            w = v * scale
            pct = f" ({100 * v / total:.1f}%)" if total else ""
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                       f'fill="{PALETTE[i % len(PALETTE)]}"><title>{label} '
                       f'{names[i]}: {_fmt(v)}{pct}</title></rect>')
            x += w
        out.append(f'<text x="{x + 4:.1f}" y="{y + 13}" fill="#555">{_fmt(total)}</text>')
    return _svg(title, width, height, "".join(out))


def ranked_bars(title: str, items: list[tuple[str, float, str]], width: int = 600,
                label_width: int = 220, vmax: float | None = None) -> str:
    """Horizontal bars, largest first: (label, value, value text shown after the bar)."""
    top, bar_h, gap = 28, 16, 4
    height = top + len(items) * (bar_h + gap) + 8
    avail = width - label_width - 120
    vmax = vmax or max([v for _, v, _ in items] or [0]) or 1
    out = []
    for r, (label, v, shown) in enumerate(items):
        y = top + r * (bar_h + gap)
        short = label if len(label) <= 16 else label[:15] + "…"
        w = avail * v / vmax
        out.append(f'<text x="{label_width - 6}" y="{y + 12}" text-anchor="end">'
                   f'<title>{esc(label)}</title>{esc(short)}</text>'
                   f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                   f'fill="{PALETTE[3]}"/><text x="{label_width + w + 4:.1f}" y="{y + 12}">'
                   f'{esc(shown)}</text>')
    if not items:
        out.append(f'<text x="{label_width}" y="{top + 12}" fill="#777">(无数据)</text>')
        height += bar_h
    return _svg(title, width, height, "".join(out))
