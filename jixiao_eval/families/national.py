"""Family national_2020: the 财预〔2020〕10号 项目支出绩效自评表, as towns and counties fill it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from jixiao_eval.families.common import (
    Built,
    Ind,
    built_document,
    line,
    num,
    plain,
    q,
    rate,
    run_length,
    starts_run,
)
from jixiao_eval.families.grid import Cell, Row, Table
from schemas.report import FundsBlock, Indicator, TruthProject

FORM = "national_2020"
WIDTHS = [2.6, 5.0, 5.0, 9.0, 6.0, 6.0, 4.4, 4.4, 6.6]


@dataclass
class Spec:
    """One invented project of this family."""

    name: str
    department: str
    unit: str
    initial: Decimal
    budget: Decimal
    executed: Decimal
    goal_expected: str
    goal_actual: str
    indicators: list[Ind]
    placeholders: bool = False  # 指标2： / …… rows after each group's last indicator
    empty_groups: list[tuple[str, str]] = field(
        default_factory=list
    )  # (level1, level2) printed empty
    printed_total: tuple[str, str, str, str, str, str] | None = (
        None  # a wrong total row, as printed
    )
    notes: list[str] = field(default_factory=list)


@dataclass
class Variant:
    """How one document prints the template."""

    year: int
    headers: tuple[str, str, str, str, str, str]
    total_label: str
    appropriation_label: str
    target_header: str
    actual_header: str
    sub_rates: bool  # sub-rows print their 执行率
    numbered: bool  # 指标1： prefixes


_PLAIN = Variant(
    2022,
    ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"),
    "年度资金总额：",
    "其中：本年财政拨款",
    "年度指标值",
    "实际完成值",
    sub_rates=False,
    numbered=False,
)
_AB = Variant(
    2023,
    ("年初预算数", "全年预算数（A）", "全年执行数（B）", "分值", "执行率（B/A）", "得分"),
    "年度资金总额",
    "其中：本年财政拨款",
    "年度指标值（A）",
    "实际完成值（B）",
    sub_rates=True,
    numbered=True,
)


def _funds(spec: Spec, v: Variant) -> tuple[FundsBlock, list[list[str]]]:
    """Truth of the funds block and its printed rows (年初, 全年, 执行, 分值, 执行率, 得分)."""
    r = rate(spec.executed, spec.budget)
    score = q(Decimal(10) * min(r, Decimal(100)) / 100)
    total = [plain(spec.initial), plain(spec.budget), plain(spec.executed), "10", f"{r}%"]
    total.append(plain(score))
    if spec.printed_total is not None:
        total = list(spec.printed_total)
    sub = [plain(spec.initial), plain(spec.budget), plain(spec.executed), "", "", ""]
    if v.sub_rates:
        sub[4] = f"{r}%"
    blank = ["", "", "", "", "", ""]
    printed = [total, sub, blank, blank]
    lines = [line(row) for row in printed]
    funds = FundsBlock(total=lines[0], appropriation=lines[1], carryover=lines[2], other=lines[3])
    return funds, printed


def _target(ind: Ind) -> str:
    return f"{ind.op}{ind.value}{ind.unit}"


def _rows_of(spec: Spec, v: Variant) -> list[tuple[str, str, str, Ind | None]]:
    """(level1, level2, printed name, indicator or None for a placeholder) in printed order."""
    out: list[tuple[str, str, str, Ind | None]] = []
    groups: dict[tuple[str, str], list[Ind]] = {}
    for ind in spec.indicators:
        groups.setdefault((ind.level1, ind.level2), []).append(ind)
    order = list(groups)
    for l1, l2 in spec.empty_groups:
        # An empty group is printed after the last group of its 一级.
        last = max(i for i, g in enumerate(order) if g[0] == l1)
        order.insert(last + 1, (l1, l2))
        groups[(l1, l2)] = []
    for l1, l2 in order:
        inds = groups[(l1, l2)]
        for k, ind in enumerate(inds, 1):
            out.append((l1, l2, f"指标{k}：{ind.name}" if v.numbered else ind.name, ind))
        if spec.placeholders or not inds:
            if v.numbered:
                out.append((l1, l2, f"指标{len(inds) + 1}：", None))
                out.append((l1, l2, "……", None))
            elif not inds:
                out.append((l1, l2, "", None))
    return out


def _project(spec: Spec, v: Variant) -> tuple[TruthProject, Table]:
    funds, printed = _funds(spec, v)
    rows_of = _rows_of(spec, v)
    indicators = [
        Indicator(
            level1=l1,
            level2=l2,
            name=name,
            target=_target(ind),
            actual=ind.actual,
            weight=num(ind.weight),
            score=num(ind.score),
            deviation_reason=ind.reason,
        )
        for l1, l2, name, ind in rows_of
        if ind is not None
    ]
    # 总分 = the printed funds 得分 + the indicator 得分 (also when the funds row is wrong).
    fund_score = Decimal(printed[0][5] or "0")
    total_score = fund_score + sum((Decimal(i.score) for i in spec.indicators), Decimal(0))
    project = TruthProject(
        name=spec.name,
        department=spec.department,
        implementing_unit=spec.unit,
        amount_unit="万元",
        funds=funds,
        goal_expected=spec.goal_expected,
        goal_actual=spec.goal_actual,
        indicators=indicators,
        total_weight=100.0,
        total_score=num(plain(total_score)),
        grade="",
        source_inconsistent=bool(spec.notes),
        truth_notes=spec.notes,
        form=FORM,
    )
    return project, _table(spec, v, printed, rows_of, plain(total_score))


def _table(
    spec: Spec,
    v: Variant,
    printed: list[list[str]],
    rows_of: list[tuple[str, str, str, Ind | None]],
    total_score: str,
) -> Table:
    rows: list[Row] = [
        Row([Cell("项目名称", 0, span=2), Cell(spec.name, 2, span=7, align="left")]),
        Row(
            [
                Cell("主管部门", 0, span=2),
                Cell(spec.department, 2, span=2, align="left"),
                Cell("实施单位", 4),
                Cell(spec.unit, 5, span=4, align="left"),
            ]
        ),
        Row(
            [Cell("项目资金\n（万元）", 0, rows=5), Cell("", 1, span=2)]
            + [Cell(h, 3 + k) for k, h in enumerate(v.headers)]
        ),
    ]
    labels = [v.total_label, v.appropriation_label, "上年结转资金", "其他资金"]
    for label, values in zip(labels, printed, strict=True):
        rows.append(
            Row(
                [Cell(label, 1, span=2, align="left")]
                + [Cell(t, 3 + k) for k, t in enumerate(values)]
            )
        )
    rows += [
        Row(
            [
                Cell("年度\n总体\n目标", 0, rows=2),
                Cell("预期目标", 1, span=4),
                Cell("实际完成情况", 5, span=4),
            ]
        ),
        Row(
            [
                Cell(spec.goal_expected, 1, span=4, align="left"),
                Cell(spec.goal_actual, 5, span=4, align="left"),
            ]
        ),
    ]
    header = Row(
        [
            Cell("绩效\n指标", 0, rows=len(rows_of) + 1),
            Cell("一级指标", 1),
            Cell("二级指标", 2),
            Cell("三级指标", 3),
            Cell(v.target_header, 4),
            Cell(v.actual_header, 5),
            Cell("分值", 6),
            Cell("得分", 7),
            Cell("偏差原因分析及改进措施", 8),
        ],
        header=True,
    )
    split = len(rows)
    rows.append(header)
    body: list[Row] = []
    keys = [(l1, l2) for l1, l2, _, _ in rows_of]
    for i, (l1, l2, name, ind) in enumerate(rows_of):
        cells = []
        if starts_run(keys, i, 0):
            cells.append(Cell(l1, 1, rows=run_length(keys, i, 0)))
        if starts_run(keys, i, 1):
            cells.append(Cell(l2, 2, rows=run_length(keys, i, 1)))
        cells.append(Cell(name, 3, align="left"))
        if ind is not None:
            cells += [
                Cell(_target(ind), 4),
                Cell(ind.actual, 5),
                Cell(ind.weight, 6),
                Cell(ind.score, 7),
                Cell(ind.reason, 8, align="left"),
            ]
        else:
            cells += [Cell("", k) for k in range(4, 9)]
        body.append(Row(cells))
    rows += body
    rows.append(Row([Cell("总分", 0, span=6), Cell("100", 6), Cell(total_score, 7), Cell("", 8)]))
    # Word cannot split a table under a cell that spans the split: the 绩效指标 cell starts there.
    return Table(
        widths=WIDTHS,
        rows=rows,
        title=["项目支出绩效自评表", f"（{v.year}年度）"],
        split_before=split,
    )


def _doc(
    doc_id: str, title: str, v: Variant, specs: list[Spec], style: str, edges: list[str]
) -> Built:
    built = [_project(s, v) for s in specs]
    notes = [
        "SYNTHETIC document in the layout of the 财预〔2020〕10号 项目支出绩效自评表 (national "
        "template); values invented. Amounts in 万元 as printed (General format: 90, 89.974).",
        "No 评分等级 printed: grade is ''. Points of each 一级 group are printed in its label "
        "(产出指标(50分)); the text is kept as printed.",
        "Placeholder rows (指标2：, ……, an empty 经济效益指标 group) are not indicators.",
        *edges,
    ]
    return built_document(doc_id, title, v.year, built, notes, style, edges)


def _i(
    l1: str,
    l2: str,
    name: str,
    op: str,
    value: str,
    unit: str,
    actual: str,
    w: str,
    s: str,
    reason: str = "",
) -> Ind:
    return Ind(l1, l2, name, op, value, unit, actual, w, s, reason)


P50, X30, S10 = "产出指标(50分)", "效益指标(30分)", "满意度指标(10分)"


def documents() -> list[Built]:
    """The national_2020 documents."""
    from jixiao_eval.families.national_content import DOC1, DOC2

    return [
        _doc(
            "national_2020_01_qingxi_2022",
            "池州市贵池区青溪镇人民政府2022年度项目支出绩效自评表",
            _PLAIN,
            DOC1,
            "frame",
            [
                "Edge cases: codes before 主管部门/实施单位 (226-…), 年度资金总额： with a colon, "
                "3-decimal amounts, targets with the unit glued on (≥50个, ≥100百分比), an empty "
                "经济效益指标 group, sub-row 执行率 blank (null).",
                "P3 source-inconsistent: the total row prints 0 0 0 10 0 0 while 其中：本年财政拨款 "
                "holds the amounts (as in a real published table).",
            ],
        ),
        _doc(
            "national_2020_02_dongliu_2023",
            "东至县东流镇人民政府2023年度项目支出绩效自评表",
            _AB,
            DOC2,
            "open",
            [
                "Edge cases: headers 全年预算数（A）/ 全年执行数（B）/ 执行率（B/A）, 年度指标值（A）/ "
                "实际完成值（B）, 指标1： prefixes kept in the names, placeholder rows 指标N： and ……, "
                "P2 runs over two pages (header row repeated).",
                "P3 source-inconsistent: its 产出指标(50分) rows carry 45 points, not 50.",
            ],
        ),
    ]
