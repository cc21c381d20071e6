"""Charts as inline SVG: no script, no font or image from elsewhere."""

from __future__ import annotations

from html import escape

COLOURS = ["#1b6ca8", "#d97706", "#15803d", "#9333ea", "#dc2626", "#0891b2", "#4d7c0f", "#be185d", "#525252",
           "#a16207"]


def _pct(v) -> str:
    return "–" if v is None or v != v else f"{v * 100:.0f} %"


def bars(labels: list[str], series: dict[str, list[float | None]], width: int = 720, title: str = "",
         notes: dict[str, list[str]] | None = None) -> str:
    """Horizontal bars: one group per label, one bar per series (suite), values 0..1; `notes` adds a
    text after a bar's value (e.g. on how many requirements the score rests)."""
    names = list(series)
    bar_h, gap, label_w = 14, 10, 230
    group_h = bar_h * len(names) + gap
    legend_h = 22 if len(names) > 1 else 0
    height = legend_h + group_h * len(labels) + 24
    plot_w = width - label_w - (210 if notes else 60)  # room after the bar for its value (and note)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
           f'width="100%" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, name in enumerate(names if len(names) > 1 else []):
        x = label_w + i * 140
        out.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{COLOURS[i % len(COLOURS)]}"/>'
                   f'<text x="{x + 16}" y="14" font-size="12">{escape(name)}</text>')
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + plot_w * tick
        out.append(f'<line x1="{x:.1f}" y1="{legend_h}" x2="{x:.1f}" y2="{height - 20}" stroke="#ddd"/>'
                   f'<text x="{x:.1f}" y="{height - 6}" font-size="10" text-anchor="middle">{int(tick * 100)} %</text>')
    for g, label in enumerate(labels):
        y0 = legend_h + g * group_h
        out.append(f'<text x="{label_w - 8}" y="{y0 + group_h / 2 + 2:.1f}" font-size="12" '
                   f'text-anchor="end">{escape(label)}</text>')
        for i, name in enumerate(names):
            v = series[name][g]
            y = y0 + i * bar_h
            w = 0 if v is None or v != v else plot_w * max(0.0, min(1.0, v))
            note = ((notes or {}).get(name) or [""] * len(labels))[g]
            text = _pct(v) + (f" ({note})" if note else "")
            out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" '
                       f'fill="{COLOURS[i % len(COLOURS)]}"><title>{escape(name)}: {escape(text)}</title></rect>'
                       f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 4}" font-size="10">'
                       f'{escape(text)}</text>')
    out.append("</svg>")
    return "".join(out)


def lines(series: dict[str, list[tuple[float, float]]], width: int = 720, height: int = 220, title: str = "",
          x_label: str = "", y_label: str = "") -> str:
    """Line chart of (x, y) points per series, axes from 0."""
    points = [p for s in series.values() for p in s]
    if not points:
        return ""
    x_max = max(p[0] for p in points) or 1
    y_max = max(p[1] for p in points) or 1
    left, bottom, top, right = 50, 30, 24, 10
    pw, ph = width - left - right, height - top - bottom
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
           f'width="100%" aria-label="{escape(title)}"><title>{escape(title)}</title>'
           f'<text x="{left}" y="14" font-size="12">{escape(y_label)}</text>'
           f'<text x="{width - right}" y="{height - 4}" font-size="11" text-anchor="end">{escape(x_label)}</text>']
    for t in range(5):
        y = top + ph * (1 - t / 4)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#eee"/>'
                   f'<text x="{left - 4}" y="{y + 3:.1f}" font-size="10" text-anchor="end">{y_max * t / 4:.3g}</text>')
    for i, (name, pts) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        path = " ".join(f"{left + pw * x / x_max:.1f},{top + ph * (1 - y / y_max):.1f}" for x, y in pts)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.8" points="{path}">'
                   f'<title>{escape(name)}</title></polyline>'
                   f'<rect x="{left + 10 + i * 150}" y="{top - 14}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{left + 24 + i * 150}" y="{top - 5}" font-size="11">{escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)
