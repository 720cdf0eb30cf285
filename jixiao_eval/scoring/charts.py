"""Inline SVG charts for the HTML report, drawn by hand (no JS, no external files)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from jixiao_eval.scoring.models import CalibrationBin

_FONT = 'font-family="sans-serif" font-size="11"'


def _svg_open(chart_id: str, width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg id="{escape(chart_id)}" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def bar_chart(
    chart_id: str,
    title: str,
    groups: Sequence[tuple[str, Sequence[float | None]]],
    series: Sequence[tuple[str, str]],
) -> str:
    """Grouped bars of rates in [0, 1]: one group per label, one bar per (series name, color)."""
    group_width = max(60, 26 * len(series) + 24)
    left, right, top, bottom = 48, 16, 36, 40
    plot_h = 220
    width = left + right + group_width * max(len(groups), 1)
    height = top + plot_h + bottom
    parts = _svg_open(chart_id, width, height, title)
    for tick in range(5):
        level = tick / 4
        y = top + plot_h - level * plot_h
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="#ddd" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {_FONT}>'
            f"{int(level * 100)}%</text>"
        )
    x_legend = left
    for name, color in series:
        parts.append(
            f'<rect x="{x_legend}" y="8" width="12" height="12" fill="{color}"/>'
            f'<text x="{x_legend + 16}" y="18" {_FONT}>{escape(name)}</text>'
        )
        x_legend += 24 + 7 * len(name)
    bar_w = (group_width - 24) / max(len(series), 1)
    for g, (label, values) in enumerate(groups):
        x0 = left + g * group_width + 12
        for s, ((name, color), value) in enumerate(zip(series, values, strict=True)):
            x = x0 + s * bar_w
            if value is None:
                parts.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - 4}" '
                    f'text-anchor="middle" {_FONT} fill="#999">n/a</text>'
                )
                continue
            bar_h = max(0.0, min(1.0, value)) * plot_h
            y = top + plot_h - bar_h
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" '
                f'height="{bar_h:.1f}" fill="{color}"><title>{escape(label)} '
                f"{escape(name)}: {_percent(value)}</title></rect>"
                f'<text x="{x + bar_w / 2 - 1:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                f'font-family="sans-serif" font-size="9">{value * 100:.0f}</text>'
            )
        parts.append(
            f'<text x="{x0 + (group_width - 24) / 2:.1f}" y="{top + plot_h + 16}" '
            f'text-anchor="middle" {_FONT}>{escape(label)}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        f'stroke="#333"/>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def reliability_diagram(chart_id: str, title: str, bins: Sequence[CalibrationBin]) -> str:
    """Accuracy per confidence bin against the diagonal of perfect calibration, with counts."""
    left, top, size, bottom = 52, 24, 300, 44
    width, height = left + size + 20, top + size + bottom
    parts = _svg_open(chart_id, width, height, title)

    def x_of(value: float) -> float:
        return left + value * size

    def y_of(value: float) -> float:
        return top + size - value * size

    for tick in range(6):
        value = tick / 5
        parts.append(
            f'<line x1="{left}" y1="{y_of(value):.1f}" x2="{left + size}" '
            f'y2="{y_of(value):.1f}" stroke="#eee"/>'
            f'<text x="{left - 6}" y="{y_of(value) + 4:.1f}" text-anchor="end" {_FONT}>'
            f"{value:.1f}</text>"
            f'<text x="{x_of(value):.1f}" y="{top + size + 14}" text-anchor="middle" {_FONT}>'
            f"{value:.1f}</text>"
        )
    for b in bins:
        if not b.n or b.accuracy is None:
            continue
        x, bar_w = x_of(b.lower), (b.upper - b.lower) * size
        y = y_of(b.accuracy)
        parts.append(
            f'<rect class="bin" x="{x + 1:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" '
            f'height="{top + size - y:.1f}" fill="#4e79a7" fill-opacity="0.8">'
            f"<title>confidence {b.lower:.1f}-{b.upper:.1f}: accuracy "
            f"{_percent(b.accuracy)}, mean confidence {b.mean_confidence or 0:.3f}, "
            f"n={b.n}</title></rect>"
            # Counts sit in a row above the plot so tall bars never hide them.
            f'<text class="count" x="{x + bar_w / 2:.1f}" y="{top - 6}" text-anchor="middle" '
            f'font-family="sans-serif" font-size="9">{b.n}</text>'
        )
    parts.append(
        f'<line class="diagonal" x1="{x_of(0)}" y1="{y_of(0)}" x2="{x_of(1)}" y2="{y_of(1)}" '
        f'stroke="#e15759" stroke-dasharray="4 3" stroke-width="1.5"/>'
        f'<rect x="{left}" y="{top}" width="{size}" height="{size}" fill="none" stroke="#333"/>'
        f'<text x="{left + size / 2}" y="{height - 8}" text-anchor="middle" {_FONT}>'
        f"confidence</text>"
        f'<text x="14" y="{top + size / 2}" text-anchor="middle" {_FONT} '
        f'transform="rotate(-90 14 {top + size / 2})">accuracy</text>'
        f'<text x="{left - 6}" y="{top - 6}" text-anchor="end" font-family="sans-serif" '
        f'font-size="9">n</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)
