"""The producer-neutral table model: one grid per project, written by calc.py and word.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

Align = Literal["left", "center", "right"]
# A printed number that a spreadsheet would store as a number with a format.
_NUMBER = re.compile(r"-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?%?")


@dataclass(frozen=True)
class Cell:
    """One (possibly merged) cell: its printed text, its span and how it is drawn."""

    text: str
    col: int
    span: int = 1
    rows: int = 1
    bold: bool = False
    fill: bool = False
    align: Align = "center"
    vertical: bool = False


@dataclass
class Row:
    """A table row: the cells that start on it (merged cells from above are not repeated)."""

    cells: list[Cell]
    header: bool = False  # repeated at the top of a continuation page
    min_lines: int = 1


@dataclass
class Table:
    """One project's table, with the lines printed above and below it."""

    widths: list[float]  # column widths in CJK characters at the body font size
    rows: list[Row]
    title: list[str]  # lines above the table (title, year line)
    lead: str = ""  # a small left-aligned line before the title (附件1)
    above: str = ""  # a line just above the table, right-aligned (e.g. 单位：元)
    below: list[str] = field(default_factory=list)  # lines under the table (signatures)
    split_before: int | None = None  # Word: start a second table at this row (header repeat)


@dataclass
class Document:
    """A whole document: its tables in order and the page set-up."""

    tables: list[Table]
    landscape: bool = False
    font_pt: float = 9.0
    sheet_names: list[str] = field(default_factory=list)
    word_style: Literal["frame", "open"] = "frame"  # Word borders: double frame / open sides


def number_format(text: str) -> tuple[Decimal, str] | None:
    """The stored value and spreadsheet number format that print `text`, or None for text."""
    if not _NUMBER.fullmatch(text):
        return None
    percent = text.endswith("%")
    body = text.rstrip("%")
    decimals = len(body.partition(".")[2])
    value = Decimal(body.replace(",", ""))
    if "," in body:
        fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
    elif percent or decimals:
        fmt = "0" + ("." + "0" * decimals if decimals else "")
    else:
        fmt = "0"
    if percent:
        return value / 100, fmt + "%"
    return value, fmt


def text_width(text: str) -> float:
    """Width of a text in CJK characters (ASCII digits and letters count half)."""
    return sum(0.55 if ord(ch) < 0x2E80 else 1.0 for ch in text)
