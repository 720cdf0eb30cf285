"""Family shanghai_district: a 上海 区级 财政项目支出绩效自评表, amounts in 元 printed unevenly."""

from __future__ import annotations

from dataclasses import dataclass, field

from jixiao_eval.families.common import Built, built_document, indicator_body, line, num
from jixiao_eval.families.grid import Cell, Row, Table
from schemas.report import FundsBlock, Indicator, TruthProject

FORM = "shanghai_district"
WIDTHS = [2.2, 5.0, 5.4, 8.0, 6.6, 6.6, 4.2, 4.2, 6.0]

# (level1, level2, name, target, actual, weight, score, reason)
Row8 = tuple[str, str, str, str, str, str, str, str]


@dataclass
class Spec:
    """One invented project; the funds cells are given as printed (formats differ by cell)."""

    name: str
    department: str
    unit: str
    total: list[str]  # 年初, 全年, 执行, 分值, 执行率, 得分
    appropriation: list[str]  # 年初, 全年, 执行
    goal_expected: str
    goal_actual: str
    indicators: list[Row8]
    total_score: str
    notes: list[str] = field(default_factory=list)


def _project(spec: Spec, year: int) -> tuple[TruthProject, Table]:
    dash = ["", "", ""]  # the merged — is one cell over 分值/执行率/得分 of the sub-rows
    sub = [spec.appropriation, ["", "0", "0"], ["", "0", "0"]]
    funds = FundsBlock(
        total=line(spec.total),
        appropriation=line(sub[0] + dash),
        carryover=line(sub[1] + dash),
        other=line(sub[2] + dash),
    )
    indicators = [
        Indicator(
            level1=r[0],
            level2=r[1],
            name=r[2],
            target=r[3],
            actual=r[4],
            weight=num(r[5]),
            score=num(r[6]),
            deviation_reason=r[7],
        )
        for r in spec.indicators
    ]
    project = TruthProject(
        name=spec.name,
        department=spec.department,
        implementing_unit=spec.unit,
        amount_unit="元",
        funds=funds,
        goal_expected=spec.goal_expected,
        goal_actual=spec.goal_actual,
        indicators=indicators,
        total_weight=100.0,
        total_score=num(spec.total_score),
        grade="",
        source_inconsistent=bool(spec.notes),
        truth_notes=spec.notes,
        form=FORM,
    )
    rows = [
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
            [Cell("项目资金\n（元）", 0, rows=5), Cell("", 1, span=2)]
            + [
                Cell(h, 3 + k)
                for k, h in enumerate(
                    ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")
                )
            ]
        ),
        Row([Cell("年度资金总额", 1, span=2)] + [Cell(t, 3 + k) for k, t in enumerate(spec.total)]),
    ]
    labels = ["其中：当年财政拨款", "上年结转资金", "其他资金"]
    for k, (label, values) in enumerate(zip(labels, sub, strict=True)):
        cells = [Cell(label, 1, span=2)] + [Cell(t, 3 + j) for j, t in enumerate(values)]
        if k == 0:
            cells.append(Cell("—", 6, span=3, rows=3))
        rows.append(Row(cells))
    rows += [
        Row(
            [
                Cell("年度\n总体\n目标", 0, rows=2),
                Cell("预期目标", 1),
                Cell(spec.goal_expected, 2, span=7, align="left"),
            ],
            min_lines=2,
        ),
        Row(
            [Cell("实际完成情况", 1), Cell(spec.goal_actual, 2, span=7, align="left")], min_lines=2
        ),
    ]
    split = len(rows)
    heads = ("一级指标", "二级指标", "三级指标", "年度\n指标值", "实际\n完成值", "分值", "得分")
    rows.append(
        Row(
            [Cell("绩效指标", 0, rows=len(spec.indicators) + 1, vertical=True)]
            + [Cell(h, 1 + k) for k, h in enumerate(heads)]
            + [Cell("偏差原因分析及\n改进措施", 8)],
            header=True,
        )
    )
    rows += indicator_body([(r[0], r[1], r[2], list(r[3:])) for r in spec.indicators])
    rows.append(
        Row([Cell("总分", 0, span=6), Cell("100", 6), Cell(spec.total_score, 7), Cell("", 8)])
    )
    table = Table(
        widths=WIDTHS,
        rows=rows,
        title=["财政项目支出绩效自评表", f"（{year} 年度）"],
        split_before=split,
    )
    return project, table


def _doc(
    doc_id: str, title: str, year: int, specs: list[Spec], style: str, edges: list[str]
) -> Built:
    built = [_project(s, year) for s in specs]
    notes = [
        "SYNTHETIC document in the layout of a 上海 区级 财政项目支出绩效自评表; values invented. "
        "Amounts in 元, printed with uneven formats within one table (250000.00, 215,457.6, 9,034, 0).",
        "执行率 printed with % on the total row only; the sub-rows' 分值/执行率/得分 are one merged "
        "— (null). 年初预算数 of 上年结转资金 / 其他资金 is blank (null), their 全年 / 执行 are 0.",
        "The 绩效指标 column label is printed vertically. No 评分等级: grade ''.",
        *edges,
    ]
    return built_document(doc_id, title, year, built, notes, style, edges)


def documents() -> list[Built]:
    """The shanghai_district documents."""
    from jixiao_eval.families.shanghai_content import DOC1, DOC2

    return [
        _doc(
            "shanghai_district_01_putuo_tiyu_2022",
            "上海市普陀区体育事业管理中心2022年度项目自评价",
            2022,
            DOC1,
            "open",
            [
                "Edge cases: 215,457.6 beside 215457.6 and 250000.00, 9,034, 86.18% on the total "
                "row, qualitative targets (及时), ASCII >= in targets.",
                "P2 source-inconsistent: 其中：当年财政拨款 prints 0 / 0 while the total is 20000.00 / "
                "20000.00 / 9,034 (as in a real published table). Expected: R1.",
            ],
        ),
        _doc(
            "shanghai_district_02_jingan_wenhua_2023",
            "上海市静安区文化馆2023年度项目支出绩效自评表",
            2023,
            DOC2,
            "frame",
            [
                "Edge cases: P1 has a long goal text and 15 indicators over two pages (header row "
                "repeated); amounts 1,286,400.00 and 1186350.5; a zero-budget project (P3: 0, "
                "执行率 0.00%).",
            ],
        ),
    ]
