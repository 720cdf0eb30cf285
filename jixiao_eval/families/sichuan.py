"""Family sichuan_0013zp: 四川 部门预算项目支出绩效自评表 (报表编号 510000_0013zp), landscape."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from jixiao_eval.families.common import (
    Built,
    Ind,
    built_document,
    num,
    plain,
    q,
    rate,
    run_length,
    starts_run,
)
from jixiao_eval.families.grid import Cell, Row, Table
from schemas.report import FundsBlock, FundsLine, Indicator, TruthProject

FORM = "sichuan_0013zp"
WIDTHS = [3.2, 4.6, 5.0, 9.0, 2.8, 3.4, 2.8, 3.6, 3.0, 3.0, 8.0]
_REASON = (
    "1.预算执行率=预算执行数/调整后预算数，预算执行率未达到90%的需说明原因（100字以内）；"
    "2.年中发生预算调整的（追加或调减），应单独说明理由；3.其他资金包括：社会投入资金、银行贷款."
)


@dataclass
class Spec:
    """One invented project of this family."""

    name: str
    department: str
    unit: str
    goal: str
    goal_done: str
    implementation: str
    initial: Decimal
    budget: Decimal
    executed: Decimal
    indicators: list[Ind]
    conclusion: str
    problems: str
    improvements: str
    leaders: tuple[str, str] = ("", "")
    unit_funds: Decimal = Decimal(0)  # 单位资金 (budget = executed)
    total_blank: bool = False  # 合计 得分 left empty
    printed_total: str | None = None  # a wrong 合计 得分, as printed
    notes: list[str] = field(default_factory=list)


def _line(values: list[str]) -> FundsLine:
    v = [num(t) for t in values]
    return FundsLine(
        initial_budget=v[0],
        annual_budget=v[1],
        executed=v[2],
        execution_rate=v[3],
        weight=v[4],
        score=v[5],
    )


def _money(d: Decimal) -> str:
    return f"{q(d):.2f}"


def _funds(spec: Spec) -> tuple[FundsBlock, list[list[str]], Decimal]:
    """Truth, printed rows (年初, 调整后, 执行, 执行率, 权重, 得分) and the funds score."""
    u = spec.unit_funds
    budget, executed, initial = spec.budget + u, spec.executed + u, spec.initial + u
    r = rate(executed, budget)
    score = q(Decimal(10) * min(r, Decimal(100)) / 100)
    total = [_money(initial), _money(budget), _money(executed), f"{r:.2f}%", "10", plain(score)]
    fin_rate = rate(spec.executed, spec.budget)
    fin = [_money(spec.initial), _money(spec.budget), _money(spec.executed), f"{fin_rate:.2f}%"]
    special = ["0.00", "0.00", "0.00", "0.00%"]
    unit_rate = "100.00%" if u else "0.00%"
    unit = [_money(u), _money(u), _money(u), unit_rate]
    other = ["", "", "", ""]
    printed = [total] + [[*row, "/", "/"] for row in (fin, special, unit, other)]
    funds = FundsBlock(
        total=_line(printed[0]),
        appropriation=_line(printed[1]),
        special_account=_line(printed[2]),
        unit_funds=_line(printed[3]),
        other=_line(printed[4]),
    )
    return funds, printed, score


def _project(spec: Spec, year: int) -> tuple[TruthProject, Table]:
    funds, printed, fund_score = _funds(spec)
    indicators = [
        Indicator(
            level1=i.level1,
            level2=i.level2,
            name=i.name,
            nature=i.op,
            target=i.value,
            unit=i.unit,
            actual=i.actual,
            weight=num(i.weight),
            score=num(i.score),
            deviation_reason=i.reason,
        )
        for i in spec.indicators
    ]
    total = fund_score + sum((Decimal(i.score) for i in spec.indicators), Decimal(0))
    printed_total = "" if spec.total_blank else plain(total)
    if spec.printed_total is not None:
        printed_total = spec.printed_total
    project = TruthProject(
        name=spec.name,
        department=spec.department,
        implementing_unit=spec.unit,
        amount_unit="万元",
        funds=funds,
        goal_expected=spec.goal,
        goal_actual=spec.goal_done,
        indicators=indicators,
        total_weight=100.0,
        total_score=num(printed_total),
        grade="",
        implementation=spec.implementation,
        conclusion=spec.conclusion,
        problems=spec.problems,
        improvements=spec.improvements,
        source_inconsistent=bool(spec.notes),
        truth_notes=spec.notes,
        form=FORM,
    )
    return project, _table(spec, year, printed, printed_total)


def _table(spec: Spec, year: int, printed: list[list[str]], total: str) -> Table:
    rows = [
        Row([Cell("项目名称", 0), Cell(spec.name, 1, span=10, align="left")]),
        Row(
            [
                Cell("主管部门", 0),
                Cell(spec.department, 1, span=4, align="left"),
                Cell("实施单位\n（盖章）", 5, span=2),
                Cell(spec.unit, 7, span=4, align="left"),
            ]
        ),
        Row(
            [
                Cell("项目基本情况", 0, rows=3),
                Cell("1.项目年度目标完成情况", 1, span=2, rows=2),
                Cell("项目年度目标", 3, span=4),
                Cell("年度目标完成情况", 7, span=4),
            ]
        ),
        Row(
            [
                Cell(spec.goal, 3, span=4, align="left"),
                Cell(spec.goal_done, 7, span=4, align="left"),
            ]
        ),
        Row(
            [
                Cell("2.项目实施内容及过程概述", 1, span=2),
                Cell(spec.implementation, 3, span=8, align="left"),
            ]
        ),
        Row(
            [
                Cell("预算执行情况\n（10分）", 0, rows=6),
                Cell("年度预算数（万元）", 1, span=2),
                Cell("年初预算", 3),
                Cell("调整后预算数", 4, span=2),
                Cell("预算执行数", 6),
                Cell("预算执行率", 7),
                Cell("权重", 8),
                Cell("得分", 9),
                Cell("原因", 10),
            ]
        ),
    ]
    labels = ["总额", "其中：财政资金", "财政专户管理资金", "单位资金", "其他资金"]
    for k, (label, values) in enumerate(zip(labels, printed, strict=True)):
        cells = [
            Cell(label, 1, span=2, align="left" if k else "center"),
            Cell(values[0], 3),
            Cell(values[1], 4, span=2),
            Cell(values[2], 6),
            Cell(values[3], 7),
            Cell(values[4], 8),
            Cell(values[5], 9),
        ]
        if k == 0:
            cells.append(Cell(_REASON, 10, rows=5, align="left"))
        rows.append(Row(cells))
    split = len(rows)
    keys = [(i.level1, i.level2) for i in spec.indicators]
    rows.append(
        Row(
            [
                Cell("绩效指标\n（90分）", 0, rows=len(keys) + 1),
                Cell("一级指标", 1),
                Cell("二级指标", 2),
                Cell("三级指标", 3),
                Cell("指标性质", 4),
                Cell("指标值", 5),
                Cell("度量单位", 6),
                Cell("完成值", 7),
                Cell("权重", 8),
                Cell("得分", 9),
                Cell("未完成原因分析", 10),
            ],
            header=True,
        )
    )
    for n, ind in enumerate(spec.indicators):
        cells = []
        if starts_run(keys, n, 0):
            cells.append(Cell(ind.level1, 1, rows=run_length(keys, n, 0)))
        if starts_run(keys, n, 1):
            cells.append(Cell(ind.level2, 2, rows=run_length(keys, n, 1)))
        cells += [
            Cell(ind.name, 3, align="left"),
            Cell(ind.op, 4),
            Cell(ind.value, 5),
            Cell(ind.unit, 6),
            Cell(ind.actual, 7),
            Cell(ind.weight, 8),
            Cell(ind.score, 9),
            Cell(ind.reason, 10, align="left"),
        ]
        rows.append(Row(cells))
    rows.append(Row([Cell("合计", 0, span=8), Cell("100", 8), Cell(total, 9), Cell("", 10)]))
    for label, text in (
        ("评价结论", spec.conclusion),
        ("存在问题", spec.problems),
        ("改进措施", spec.improvements),
    ):
        rows.append(Row([Cell(label, 0), Cell(text, 1, span=10, align="left")], min_lines=2))
    lead, money = spec.leaders
    return Table(
        widths=WIDTHS,
        rows=rows,
        title=[f"部门预算项目支出绩效自评表（{year}年度）"],
        above="报表编号：510000_0013zp",
        below=[f"项目负责人：{lead}　　　　　　　　　　　　　　财务负责人：{money}"],
        split_before=split,
    )


def _doc(
    doc_id: str, title: str, year: int, specs: list[Spec], style: str, edges: list[str]
) -> Built:
    built = [_project(s, year) for s in specs]
    notes = [
        "SYNTHETIC document in the layout of 四川 报表编号 510000_0013zp; values invented. "
        "Landscape; amounts in 万元 with 2 decimals; 执行率 printed with %.",
        "Funds rows 总额 / 其中：财政资金 / 财政专户管理资金 / 单位资金 / 其他资金 (no 上年结转 row: "
        "carryover is null); '/' in 权重 and 得分 of the sub-rows is null; 其他资金 prints no amounts.",
        "Indicators: 指标性质 -> nature, 指标值 -> target (its own cell only), 度量单位 -> unit, "
        "完成值 -> actual, 权重 -> weight. No 评分等级: grade ''. 合计 -> total_weight / total_score.",
        *edges,
    ]
    return built_document(doc_id, title, year, built, notes, style, edges, landscape=True)


def documents() -> list[Built]:
    """The sichuan_0013zp documents."""
    from jixiao_eval.families.sichuan_content import DOC1, DOC2

    return [
        _doc(
            "sichuan_0013zp_01_pengxi_2023",
            "蓬溪县教育和体育局2023年度部门预算项目支出绩效自评表",
            2023,
            DOC1,
            "frame",
            [
                "Edge cases: project codes before the names (5109…-), 实施单位（盖章）, 单位资金 "
                "non-zero in P2, qualitative rows (定性 / 优良中低差), P3 prints its 合计 得分 empty "
                "(total_score null; a warning, not an error).",
            ],
        ),
        _doc(
            "sichuan_0013zp_02_shehong_2024",
            "射洪市农业农村局2024年度部门预算项目支出绩效自评表",
            2024,
            DOC2,
            "open",
            [
                "Edge cases: P1 has long wrapped goal / implementation texts and 14 indicators over "
                "two pages (header row repeated), a signature line under each table.",
                "P2 source-inconsistent: 合计 得分 printed 96.5, the rows and the funds score sum to "
                "95.5. Expected: R5 (total score ≠ sum).",
            ],
        ),
    ]
