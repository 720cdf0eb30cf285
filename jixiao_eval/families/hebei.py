"""Family hebei_langfang: the 廊坊 项目支出绩效自评表 with integer percents and placeholder rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from jixiao_eval.families.common import Built, built_document, indicator_body, line, num, plain
from jixiao_eval.families.grid import Cell, Row, Table
from schemas.report import FundsBlock, Indicator, TruthProject

FORM = "hebei_langfang"
WIDTHS = [5.0, 5.4, 9.5, 5.0, 5.0, 3.4, 3.4, 8.0]

# (name without the 指标N prefix, target, actual, weight, score, deviation)
Item = tuple[str, str, str, str, str, str]
# The printed groups: (一级, 二级) in order; a group with no items prints only placeholders.
GROUPS: tuple[tuple[str, str], ...] = (
    ("产出指标", "数量指标"),
    ("产出指标", "质量指标"),
    ("产出指标", "时效指标"),
    ("产出指标", "成本指标"),
    ("效益指标", "经济效益\n指标"),
    ("效益指标", "社会效益\n指标"),
    ("效益指标", "生态效益\n指标"),
    ("效益指标", "可持续影响\n指标"),
    ("满意度\n指标", "服务对象满意度指标"),
)


@dataclass
class Spec:
    """One invented project of this family."""

    name: str
    department: str
    unit: str
    initial: str
    budget: str
    executed: str
    goal_expected: str
    goal_actual: str
    items: dict[int, list[Item]]  # GROUPS index -> its indicators
    printed_total: str | None = None
    notes: list[str] = field(default_factory=list)


def _int_half_up(d: Decimal) -> Decimal:
    return d.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _project(spec: Spec, year: int) -> tuple[TruthProject, Table]:
    b, e = Decimal(spec.budget), Decimal(spec.executed)
    r = e / b * 100 if b else Decimal(0)
    # Integer percent and integer score: 37.24 / 43.2 = 86.2% -> 86%, 10 x 86.2% = 8.62 -> 9.
    score = _int_half_up(Decimal(10) * min(r, Decimal(100)) / 100)
    total = [spec.initial, spec.budget, spec.executed, "10", f"{_int_half_up(r)}%", plain(score)]
    sub = [spec.initial, spec.budget, spec.executed, "", "", ""]
    blank = [""] * 6
    funds = FundsBlock(
        total=line(total), appropriation=line(sub), carryover=line(blank), other=line(blank)
    )
    items: list[tuple[str, str, str, list[str]]] = []
    indicators: list[Indicator] = []
    for g, (l1, l2) in enumerate(GROUPS):
        real = spec.items.get(g, [])
        for k, (name, target, actual, w, s, dev) in enumerate(real, 1):
            printed = f"指标{k}{name}"
            items.append((l1, l2, printed, [target, actual, w, s, dev]))
            indicators.append(
                Indicator(
                    level1=l1.replace("\n", ""),
                    level2=l2.replace("\n", ""),
                    name=printed,
                    target=target,
                    actual=actual,
                    weight=num(w),
                    score=num(s),
                    deviation_reason=dev,
                )
            )
        for k in range(len(real) + 1, max(len(real) + 1, 2) + 1):
            items.append((l1, l2, f"指标{k}", [""] * 5))
        items.append((l1, l2, "……", [""] * 5))
    sum_scores = score + sum((Decimal(i[4]) for v in spec.items.values() for i in v), Decimal(0))
    printed_total = spec.printed_total or plain(sum_scores)
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
        total_score=num(printed_total),
        grade="",
        source_inconsistent=bool(spec.notes),
        truth_notes=spec.notes,
        form=FORM,
    )
    rows = [
        Row([Cell("项目名称", 0), Cell(spec.name, 1, span=7, align="left")]),
        Row(
            [
                Cell("主管部门", 0),
                Cell(spec.department, 1, span=2, align="left"),
                Cell("实施单位", 3),
                Cell(spec.unit, 4, span=4, align="left"),
            ]
        ),
        Row(
            [Cell("项目资金\n（万元）", 0, rows=5), Cell("", 1)]
            + [
                Cell(h, 2 + k)
                for k, h in enumerate(
                    ("年初\n预算数", "全年\n预算数", "全年\n执行数", "分值", "执行率", "得分")
                )
            ]
        ),
    ]
    for label, values in zip(
        ("年度资金总额", "其中：当年财政拨款", "上年结转资金", "其他资金"),
        (total, sub, blank, blank),
        strict=True,
    ):
        rows.append(
            Row([Cell(label, 1, align="left")] + [Cell(t, 2 + k) for k, t in enumerate(values)])
        )
    rows += [
        Row(
            [
                Cell("年度总体\n目标", 0, rows=2),
                Cell("预期目标", 1, span=3),
                Cell("实际完成情况", 4, span=4),
            ]
        ),
        Row(
            [
                Cell(spec.goal_expected, 1, span=3, align="left"),
                Cell(spec.goal_actual, 4, span=4, align="left"),
            ],
            min_lines=2,
        ),
    ]
    split = len(rows)
    heads = (
        "一级指标",
        "二级指标",
        "三级指标",
        "年度\n指标值",
        "实际\n完成值",
        "分值",
        "得分",
        "偏差原因分析及改进措施",
    )
    rows.append(Row([Cell(h, k) for k, h in enumerate(heads)], header=True))
    rows += indicator_body(items, col=0)
    rows.append(Row([Cell("总分", 0, span=5), Cell("100", 5), Cell(printed_total, 6), Cell("", 7)]))
    table = Table(
        widths=WIDTHS,
        rows=rows,
        title=["项目支出绩效自评表", f"（{year}年度）"],
        lead="附件1",
        split_before=split,
    )
    return project, table


def _doc(
    doc_id: str, title: str, year: int, specs: list[Spec], style: str, edges: list[str]
) -> Built:
    built = [_project(s, year) for s in specs]
    notes = [
        "SYNTHETIC document in the layout of the 廊坊 项目支出绩效自评表; values invented. Amounts in "
        "万元 as typed (43.2, 37.24); 执行率 and scores printed as integers (86%, 9).",
        "Every 二级 group prints 指标1…, 指标2, …… rows; the empty ones (指标2, ……, a group with "
        "only placeholders such as 生态效益指标) are not indicators. Names keep the glued 指标1 "
        "prefix (指标1工程完工率). A printed 0 in a 偏差原因 cell is kept as '0'.",
        "Line breaks inside the 一级/二级 labels (经济效益\\n指标) are wraps: the truth joins them.",
        "No 评分等级: grade ''.",
        *edges,
    ]
    return built_document(doc_id, title, year, built, notes, style, edges)


def documents() -> list[Built]:
    """The hebei_langfang documents."""
    from jixiao_eval.families.hebei_content import DOC1, DOC2

    return [
        _doc(
            "hebei_langfang_01_shipin_2021",
            "廊坊市食品工程学校2021年度项目支出绩效自评表",
            2021,
            DOC1,
            "frame",
            [
                "Edge cases: funds score 9 for 10 x 86.2% (printed 86%), 0 in empty deviation cells, "
                "placeholder rows in every group; each project runs over two pages.",
            ],
        ),
        _doc(
            "hebei_langfang_02_guangyang_2022",
            "廊坊市广阳区教育局2022年度项目支出绩效自评表",
            2022,
            DOC2,
            "open",
            [
                "P2 source-inconsistent: 总分 printed 96; the funds 得分 (10) and the rows (85) sum "
                "to 95. Expected: R5.",
            ],
        ),
    ]
