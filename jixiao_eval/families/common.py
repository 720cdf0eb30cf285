"""What every family builder shares: printed numbers, the indicator spec, the built document."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from jixiao_eval.families.grid import Cell, Document, Row, Table
from schemas.report import FundsLine, TruthProject, TruthReport


@dataclass(frozen=True)
class Ind:
    """One indicator as invented: its labels, its target parts and its outcome."""

    level1: str
    level2: str
    name: str
    op: str  # ≥ ≤ = or '' for a qualitative target
    value: str  # 50, 100, 在规定时间内完成 ...
    unit: str  # 个, %, 万元, '' ...
    actual: str
    weight: str
    score: str
    reason: str = ""


@dataclass
class Built:
    """One families document: its truth and its producer-neutral grid."""

    doc_id: str
    truth: TruthReport
    grid: Document
    edge_cases: list[str] = field(default_factory=list)


def built_document(
    doc_id: str,
    title: str,
    year: int,
    built: list[tuple[TruthProject, Table]],
    notes: list[str],
    style: str,
    edges: list[str],
    landscape: bool = False,
) -> Built:
    """A document from its projects' truth and tables: one sheet (or table) per project."""
    truth = TruthReport(title=title, year=year, projects=[p for p, _ in built], _notes=notes)
    grid = Document(
        tables=[t for _, t in built],
        landscape=landscape,
        sheet_names=[f"项目{i + 1}" for i in range(len(built))],
        word_style="frame" if style == "frame" else "open",
    )
    return Built(doc_id, truth, grid, edges)


def q(value: Decimal | str | int, places: int = 2) -> Decimal:
    """Round half up to `places` decimals."""
    exp = Decimal(1).scaleb(-places)
    return Decimal(value).quantize(exp, rounding=ROUND_HALF_UP)


def plain(value: Decimal) -> str:
    """A number the way a General-format cell prints it: no trailing zeros (90, 89.974)."""
    text = format(value.normalize(), "f")
    return text


def num(text: str) -> float | None:
    """The truth value of a printed number cell: '215,457.6' -> 215457.6, '86%' -> 86, '' -> None."""
    body = text.strip().replace(",", "").rstrip("%")
    if body in ("", "-", "—", "/"):
        return None
    return float(Decimal(body))


def rate(executed: Decimal, budget: Decimal, places: int = 2) -> Decimal:
    """执行率 in percent, rounded half up; 0 for a zero budget."""
    if budget == 0:
        return Decimal(0)
    return q(executed / budget * 100, places)


def run_length(keys: Sequence[tuple[str, ...]], start: int, depth: int) -> int:
    """How many rows from `start` share keys[start][: depth + 1]: the rowspan of a merged label."""
    key = keys[start][: depth + 1]
    n = 0
    while start + n < len(keys) and keys[start + n][: depth + 1] == key:
        n += 1
    return n


def starts_run(keys: Sequence[tuple[str, ...]], i: int, depth: int) -> bool:
    """Whether row i opens a new merged label at this depth (一级 0, 二级 1)."""
    return i == 0 or keys[i - 1][: depth + 1] != keys[i][: depth + 1]


def indicator_body(items: list[tuple[str, str, str, list[str]]], col: int = 1) -> list[Row]:
    """Indicator rows: 一级 and 二级 merged down their runs, then the name and value cells."""
    keys: list[tuple[str, ...]] = [(l1, l2) for l1, l2, _, _ in items]
    rows: list[Row] = []
    for i, (l1, l2, name, values) in enumerate(items):
        cells = []
        if starts_run(keys, i, 0):
            cells.append(Cell(l1, col, rows=run_length(keys, i, 0)))
        if starts_run(keys, i, 1):
            cells.append(Cell(l2, col + 1, rows=run_length(keys, i, 1)))
        cells.append(Cell(name, col + 2, align="left"))
        last = len(values) - 1
        cells += [
            Cell(v, col + 3 + k, align="left" if k == last and len(v) > 4 else "center")
            for k, v in enumerate(values)
        ]
        rows.append(Row(cells))
    return rows


def line(values: list[str]) -> FundsLine:
    """A funds line from its printed cells in schema order (年初, 全年, 执行, 分值, 执行率, 得分)."""
    v = [num(t) for t in values]
    return FundsLine(
        initial_budget=v[0],
        annual_budget=v[1],
        executed=v[2],
        weight=v[3],
        execution_rate=v[4],
        score=v[5],
    )
