"""Seeded page and table geometry for the eval-set PDF generator."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

PAGE_W = 595.28  # A4 portrait, points
PAGE_H = 841.89

MergeSplit = Literal["first", "flow"]
BoldOrder = Literal["line", "glyph"]


@dataclass(frozen=True)
class Style:
    """Everything about the look of one generated document that a seed may vary."""

    margin_l: float
    margin_r: float
    margin_t: float
    margin_b: float
    size: float  # body font size
    title_size: float
    list_size: float
    leading: float  # line height / font size
    pad_x: float
    pad_y: float
    rule_width: float
    ind_cols: tuple[float, ...]  # 8 indicator column widths, pt
    funds_cols: tuple[float, ...]  # rowname + 6 value column widths, pt (label = ind 0+1)
    table_gap: float  # fakebold: space between consecutive project tables
    merge_split: MergeSplit  # digital: how a merged cell cut by a page break is printed
    bold_offsets: tuple[tuple[float, float], ...]  # fakebold: extra copies of bold text
    bold_order: BoldOrder  # fakebold: repeat whole lines, or each glyph in place
    bold_stroke: float  # digital: stroke width of render_mode=2 bold text

    @property
    def content_w(self) -> float:
        """Width between the side margins."""
        return PAGE_W - self.margin_l - self.margin_r

    @property
    def x0(self) -> float:
        """Left edge of the tables."""
        return self.margin_l

    @property
    def bottom(self) -> float:
        """Lowest y a table row may reach."""
        return PAGE_H - self.margin_b

    def line_h(self, size: float) -> float:
        """Line pitch for text of the given size."""
        return size * self.leading

    def ind_x(self) -> list[float]:
        """x of the 9 indicator-grid boundaries (一级 ... 偏差原因)."""
        xs = [self.x0]
        for w in self.ind_cols:
            xs.append(xs[-1] + w)
        return xs

    def funds_x(self) -> list[float]:
        """x of the funds-grid boundaries: table left, label | rowname | 6 values."""
        ind = self.ind_x()
        xs = [self.x0, ind[2]]
        for w in self.funds_cols:
            xs.append(xs[-1] + w)
        return xs


def make_style(seed: int) -> Style:
    """Seeded geometry: font size, margins, column widths, bold printing details."""
    rng = random.Random(f"pdfgen-style:{seed}")
    if seed == 0:
        size, margin = 8.5, 40.0
    else:
        size = rng.choice((7.5, 8.0, 8.5, 9.0))
        margin = rng.uniform(34.0, 48.0)
    pad_x = round(rng.uniform(2.0, 3.2), 2)
    pad_y = round(rng.uniform(1.8, 3.0), 2)
    margin_l = round(margin + rng.uniform(-2, 2), 2)
    margin_r = round(margin + rng.uniform(-2, 2), 2)
    content_w = PAGE_W - margin_l - margin_r

    # Narrow level columns hold exactly two CJK characters a line (数量/指标).
    narrow = 2 * size + 2 * pad_x + size * rng.uniform(0.15, 0.6)
    base = [narrow, narrow, 12.0, 5.2, 5.2, 3.5, 3.5, 8.0]
    for i in (2, 3, 4, 5, 6, 7):
        base[i] = base[i] * size + 2 * pad_x
    spare = content_w - sum(base)
    shares = [0.0, 0.0, 0.42, 0.1, 0.1, 0.03, 0.03, 0.32]
    jitter = [s * rng.uniform(0.8, 1.2) for s in shares]
    total = sum(jitter)
    ind = [b + spare * j / total for b, j in zip(base, jitter, strict=True)]
    ind[-1] += content_w - sum(ind)  # absorb rounding so the table spans the margins

    label_w = ind[0] + ind[1]
    rowname = 7.3 * size + 2 * pad_x + rng.uniform(0, 6)
    rest = content_w - label_w - rowname
    vals = [rest / 6 * rng.uniform(0.93, 1.07) for _ in range(6)]
    vals[-1] += rest - sum(vals)

    copies = rng.choice((1, 2))
    offsets = tuple(
        (round(rng.uniform(0.2, 0.6), 2), round(rng.uniform(-0.3, 0.3), 2)) for _ in range(copies)
    )
    return Style(
        margin_l=margin_l,
        margin_r=margin_r,
        margin_t=round(margin + rng.uniform(-4, 8), 2),
        margin_b=round(margin + rng.uniform(-4, 8), 2),
        size=size,
        title_size=rng.choice((15.0, 16.0, 18.0, 20.0)),
        list_size=rng.choice((10.0, 10.5, 11.0, 12.0)),
        leading=round(rng.uniform(1.18, 1.32), 3),
        pad_x=pad_x,
        pad_y=pad_y,
        rule_width=rng.choice((0.5, 0.5, 0.6, 0.75)),
        ind_cols=tuple(ind),
        funds_cols=(rowname, *vals),
        table_gap=round(rng.uniform(8.0, 22.0), 1),
        merge_split=rng.choice(("first", "flow")),
        bold_offsets=offsets,
        # MuPDF folds a glyph repeated in place into one (other extractors do not), so the
        # seed-0 sample uses whole-line repeats, which every extractor shows doubled.
        bold_order="line" if seed == 0 else rng.choice(("line", "glyph")),
        bold_stroke=round(rng.uniform(0.12, 0.3), 2),
    )
