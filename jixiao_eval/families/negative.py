"""Not a project 自评表: a 部门整体支出绩效自评表, which the reader must refuse in one line."""

from __future__ import annotations

from jixiao_eval.families.common import Built
from jixiao_eval.families.grid import Cell, Document, Row, Table
from schemas.report import TruthReport

WIDTHS = [4.0, 5.0, 8.0, 4.0, 4.0, 4.0, 3.0, 3.0]


def _table() -> Table:
    heads = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分")
    rows = [
        Row(
            [
                Cell("部门（单位）名称", 0, span=2),
                Cell("廊坊市广阳区教育局", 2, span=6, align="left"),
            ]
        ),
        Row(
            [
                Cell("年度主要任务", 0, rows=4),
                Cell("任务名称", 1),
                Cell("主要内容", 2, span=2),
                Cell("预算数（万元）", 4, span=2),
                Cell("执行数（万元）", 6, span=2),
            ]
        ),
        Row(
            [
                Cell("义务教育保障", 1),
                Cell("保障义务教育学校正常运转", 2, span=2, align="left"),
                Cell("6832.15", 4, span=2),
                Cell("6790.42", 6, span=2),
            ]
        ),
        Row(
            [
                Cell("学前教育发展", 1),
                Cell("普惠性幼儿园补助及扩容", 2, span=2, align="left"),
                Cell("1205.6", 4, span=2),
                Cell("1188.3", 6, span=2),
            ]
        ),
        Row(
            [
                Cell("教师队伍建设", 1),
                Cell("教师培训及人才引进", 2, span=2, align="left"),
                Cell("310", 4, span=2),
                Cell("296.75", 6, span=2),
            ]
        ),
        Row(
            [
                Cell("年度部门整体支出预算执行情况", 0, span=4),
                Cell("8347.75", 4, span=2),
                Cell("8275.47", 6, span=2),
            ]
        ),
        Row(
            [
                Cell("年度总体目标", 0),
                Cell(
                    "保障全区义务教育学校正常运转，巩固学前教育普及普惠成果，加强教师队伍建设，推动教育优质均衡发展。",
                    1,
                    span=7,
                    align="left",
                ),
            ],
            min_lines=2,
        ),
        Row([Cell("绩效指标", 0)] + [Cell(h, 1 + k) for k, h in enumerate(heads)], header=True),
        Row(
            [
                Cell("履职效能", 0, rows=2),
                Cell("重点工作", 1),
                Cell("义务教育巩固率", 2, align="left"),
                Cell("≥99%", 3),
                Cell("99.6%", 4),
                Cell("30", 5),
                Cell("30", 6),
                Cell("", 7),
            ]
        ),
        Row(
            [
                Cell("部门管理", 1),
                Cell("预算执行率", 2, align="left"),
                Cell("≥95%", 3),
                Cell("99.13%", 4),
                Cell("20", 5),
                Cell("20", 6),
                Cell("", 7),
            ]
        ),
        Row(
            [
                Cell("社会效应", 0),
                Cell("满意度", 1),
                Cell("群众满意度", 2, align="left"),
                Cell("≥90%", 3),
                Cell("94%", 4),
                Cell("50", 5),
                Cell("50", 6),
                Cell("", 7),
            ]
        ),
        Row([Cell("总分", 0, span=5), Cell("100", 5), Cell("100", 6), Cell("", 7)]),
    ]
    return Table(widths=WIDTHS, rows=rows, title=["部门整体支出绩效自评表", "（2022年度）"])


def documents() -> list[Built]:
    """The one negative document."""
    truth = TruthReport(
        title="廊坊市广阳区教育局2022年度部门整体支出绩效自评表",
        year=2022,
        projects=[],
        _notes=[
            "NEGATIVE case: a 部门整体支出绩效自评表 (department-wide), not a 项目支出绩效自评表. "
            "Expected: no projects and one clear line 'not a 项目支出绩效自评表 (部门整体支出绩效自评表 "
            "found)' instead of a guess.",
        ],
    )
    grid = Document(tables=[_table()], sheet_names=["整体支出"], word_style="frame")
    return [
        Built(
            "not_project_01_bumen_zhengti_2022", truth, grid, ["negative: 部门整体支出绩效自评表"]
        )
    ]
