"""What the derived eval documents are: departments, one spec per document, text pools."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Rounding = Literal["truncate", "round_half_up"]
Labels = Literal["优良中差", "优合格不合格"]
Band = Literal["A", "B", "C", "D"]  # total >= 90 / 80-90 / 60-80 / < 60

# Seed project indices (0-based) in eval/seed_2024.truth.json, for readability below.
HANGXIE, LIANGQI, JINBO, JIGUAN, XUANCHUAN, KAIBAN, JICENG, SHEJIAN, SHEGONG, ZHIYUAN = range(10)


@dataclass(frozen=True)
class Department:
    """A 主管部门 with the subordinate 实施单位 it may print and the seed projects that fit it."""

    slug: str
    name: str
    units: tuple[str, ...]
    themes: tuple[int, ...]
    district: str = ""


DEPARTMENTS: dict[str, Department] = {
    d.slug: d
    for d in (
        Department(
            "shegong",
            "中共上海市委社会工作部",
            ("上海市志愿者协会", "上海市社会工作者协会"),
            tuple(range(10)),
        ),
        Department(
            "minzheng",
            "上海市民政局",
            ("上海市社会福利中心", "上海市社会组织服务中心"),
            (JIGUAN, XUANCHUAN, KAIBAN, JICENG, SHEGONG, ZHIYUAN),
        ),
        Department(
            "putuo_caizheng",
            "上海市普陀区财政局",
            ("上海市普陀区政府采购中心",),
            (JIGUAN, KAIBAN, SHEJIAN),
            "普陀区",
        ),
        Department(
            "guihua",
            "上海市规划和自然资源局",
            ("上海市测绘院", "上海市地质调查研究院"),
            (JIGUAN, XUANCHUAN, KAIBAN, SHEJIAN),
        ),
        Department(
            "putuo_shegong",
            "中共上海市普陀区委社会工作部",
            ("上海市普陀区社会工作协会",),
            (HANGXIE, LIANGQI, JINBO, XUANCHUAN, JICENG, SHEGONG, ZHIYUAN),
            "普陀区",
        ),
        Department(
            "xuhui_shegong",
            "中共上海市徐汇区委社会工作部",
            ("上海市徐汇区志愿服务指导中心",),
            (HANGXIE, LIANGQI, JIGUAN, JICENG, SHEJIAN, SHEGONG, ZHIYUAN),
            "徐汇区",
        ),
        Department(
            "xuhui_minzheng",
            "上海市徐汇区民政局",
            ("上海市徐汇区社会福利院",),
            (JIGUAN, KAIBAN, JICENG, SHEGONG, ZHIYUAN),
            "徐汇区",
        ),
        Department(
            "pudong_minzheng",
            "上海市浦东新区民政局",
            ("上海市浦东新区社会福利院", "上海市浦东新区社区服务中心"),
            (JIGUAN, XUANCHUAN, JICENG, SHEGONG, ZHIYUAN),
            "浦东新区",
        ),
        Department(
            "renshe",
            "上海市人力资源和社会保障局",
            ("上海市职业能力考试院", "上海市人才服务中心"),
            (JIGUAN, XUANCHUAN, KAIBAN, SHEJIAN, SHEGONG),
        ),
        Department(
            "wenlv",
            "上海市文化和旅游局",
            ("上海博物馆", "上海图书馆"),
            (JINBO, JIGUAN, XUANCHUAN, KAIBAN, ZHIYUAN),
        ),
        Department(
            "jingan_minzheng",
            "上海市静安区民政局",
            ("上海市静安区社会福利院",),
            (JIGUAN, JICENG, SHEGONG, ZHIYUAN),
            "静安区",
        ),
        Department(
            "yangpu_caizheng",
            "上海市杨浦区财政局",
            (),
            (JIGUAN, KAIBAN, SHEJIAN),
            "杨浦区",
        ),
        Department(
            "minhang_minzheng",
            "上海市闵行区民政局",
            ("上海市闵行区社会福利院", "上海市闵行区社区事务受理服务中心"),
            (JIGUAN, KAIBAN, JICENG, SHEGONG, ZHIYUAN),
            "闵行区",
        ),
        Department(
            "tuanshiwei",
            "共青团上海市委员会",
            ("上海市青年志愿者协会",),
            (LIANGQI, JINBO, JIGUAN, XUANCHUAN, ZHIYUAN),
        ),
        Department(
            "jiguanshiwu",
            "上海市机关事务管理局",
            ("上海市机关事务管理局机关服务中心",),
            (JIGUAN, KAIBAN),
        ),
        Department(
            "changning_guihua",
            "上海市长宁区规划和自然资源局",
            (),
            (JIGUAN, KAIBAN, SHEJIAN),
            "长宁区",
        ),
    )
}

# Edge kinds a DocSpec can put on one project (see DocSpec.edges):
#   zero_budget  全年预算数 0.00 everywhere (project cut), 执行率 0.00, funds 得分 0.00
#   over_exec    全年执行数 > 全年预算数: 执行率 > 100, funds 得分 capped at 分数
#   long_name    a long 项目名称 that wraps in the table
#   w5 / w20     funds 分数 5 or 20, indicator 分值 rebalanced so the sum stays 100
#   carry/other  non-zero 上年结转资金 / 其他资金 (they also occur at random)
#   t90/t80/t60  总分 exactly on a grade boundary
#   tpl=N        use seed project N as the template
#   bad_sum_initial / bad_sum_executed / bad_rate / bad_total / bad_grade
#                the printed source is inconsistent (see inconsistent.py)
EDGE_KINDS = frozenset(
    {
        "zero_budget",
        "over_exec",
        "long_name",
        "w5",
        "w20",
        "carry",
        "other",
        "t90",
        "t80",
        "t60",
        "bad_sum_initial",
        "bad_sum_executed",
        "bad_rate",
        "bad_total",
        "bad_grade",
    }
)


@dataclass(frozen=True)
class DocSpec:
    """One derived document: who, when, how many projects, and how its numbers are printed."""

    dept: str
    year: int
    bands: str  # one Band letter per project
    unit: Literal["万元", "元"] = "万元"
    rounding: Rounding = "truncate"
    labels: Labels = "优良中差"
    mixed_units: bool = False  # 实施单位 is sometimes a subordinate unit
    dash_rates: bool = False  # zero-budget sub-rows print '-' as 执行率
    edges: dict[int, tuple[str, ...]] = field(default_factory=dict)


R: Rounding = "round_half_up"
HEGE: Labels = "优合格不合格"

DOCS: tuple[DocSpec, ...] = (
    DocSpec("shegong", 2025, "AAAABAACAA", edges={3: ("w5", "carry")}),
    DocSpec(
        "minzheng",
        2023,
        "AABAAACAABAD",
        rounding=R,
        mixed_units=True,
        edges={0: ("long_name",), 5: ("over_exec",), 8: ("w20",), 10: ("other",)},
    ),
    DocSpec("putuo_caizheng", 2022, "A"),
    DocSpec("guihua", 2024, "AABACA", unit="元", rounding=R, mixed_units=True),
    DocSpec("putuo_shegong", 2024, "AABCADAB", labels=HEGE, edges={1: ("w20",), 6: ("carry",)}),
    DocSpec(
        "xuhui_shegong",
        2025,
        "AABBA",
        rounding=R,
        edges={1: ("bad_sum_initial", "carry"), 3: ("bad_grade",)},
    ),
    DocSpec(
        "xuhui_minzheng",
        2022,
        "AAABACA",
        mixed_units=True,
        dash_rates=True,
        edges={3: ("long_name",), 5: ("other",)},
    ),
    DocSpec("pudong_minzheng", 2023, "AAAABAACD", edges={2: ("bad_rate",), 6: ("bad_total",)}),
    DocSpec("renshe", 2024, "ABAA", unit="元", mixed_units=True, edges={2: ("over_exec", "carry")}),
    DocSpec("wenlv", 2023, "AACADA", rounding=R, labels=HEGE, mixed_units=True),
    DocSpec("jingan_minzheng", 2025, "ABA", edges={1: ("other", "carry")}),
    DocSpec("yangpu_caizheng", 2024, "AC", rounding=R),
    DocSpec(
        "minhang_minzheng",
        2022,
        "AACAAABBDAB",
        labels=HEGE,
        mixed_units=True,
        edges={2: ("t60",), 7: ("zero_budget", "tpl=6"), 9: ("long_name",)},
    ),
    DocSpec(
        "tuanshiwei",
        2024,
        "AAABACA",
        edges={0: ("bad_total",), 5: ("bad_sum_executed", "carry")},
    ),
    DocSpec("jiguanshiwu", 2023, "AABA", rounding=R),
    DocSpec("changning_guihua", 2025, "ABACD", unit="元", rounding=R, labels=HEGE),
    DocSpec("minzheng", 2024, "AAAAAAAB", edges={2: ("w5",), 4: ("t90",)}),
    DocSpec(
        "shegong",
        2023,
        "AAABAAACAABA",
        mixed_units=True,
        edges={7: ("long_name",), 10: ("carry", "other")},
    ),
    DocSpec("putuo_caizheng", 2025, "BAA", rounding=R, dash_rates=True, edges={1: ("carry",)}),
    DocSpec("renshe", 2022, "AAABAC", edges={3: ("w20",)}),
    DocSpec("wenlv", 2025, "AADAA", mixed_units=True, edges={0: ("over_exec",)}),
    DocSpec("xuhui_minzheng", 2024, "ABAACA", rounding=R, labels=HEGE, edges={1: ("t80",)}),
    DocSpec("guihua", 2022, "AAAB", mixed_units=True),
    DocSpec("pudong_minzheng", 2025, "AABAACA", rounding=R, edges={3: ("other",)}),
)

# Long names that wrap in the 项目名称 cell, built from each template's own goal text.
LONG_NAMES: dict[int, str] = {
    HANGXIE: "全市性行业协会商会基层党组织工作经费及行业协会商会党建工作指导员队伍建设专项补助经费",
    LIANGQI: '"两企三新"党组织书记、党员出资人、党务干部示范培训及"党建新视野"移动宣贯经费',
    JINBO: "进博会城市文明志愿者及专业志愿者招募、培训、关爱慰问和宣传表扬服务保障项目",
    JIGUAN: "机关公务用车运行维护、驾驶员服务保障及机关后勤综合服务保障经费",
    XUANCHUAN: "社会工作微信公众号运营、主题宣传报道策划制作及政策解读图解宣传推广经费",
    KAIBAN: "临时办公地开办所需保洁、场地维修、设备更新加装及办公家具家电租用等开办经费",
    JICENG: "党建引领基层治理和基层政权建设、居村组织减负监测及社区工作者队伍宣传激励专项经费",
    SHEJIAN: "社会建设理论问题研究、社情民意调查分析及社会建设典型案例、创新项目征选推广经费",
    SHEGONG: "社会工作人才职业水平评价、高层次人才研修培训及社会工作优秀案例宣传推广经费",
    ZHIYUAN: "志愿服务体系建设、志愿者参与基层治理市级示范培训及志愿服务先进典型宣传表扬专项经费",
}

NAME_SUFFIXES = ("(二期)", "(续建)", "(第二批)")

# 偏差原因 for rows that lost points, adapted from the seed's reasons ({y}: year, {n}: next).
REASONS = (
    "该项目已延期至{n}年度执行",
    "部分工作结合参加会议、活动等时机开展,未全部按计划完成。",
    "因{y}年开展清理优化宣传选树和新闻媒体评奖活动,部分项目于{y}年年底前未获批复,相关工作无法执行。",
    "由上级部门组织的相关推选工作延期至{n}年,下步将加快推进。",
    "部分工作未按计划完成,下步将加强预算编制和项目管理。",
)
# 偏差原因 of a cost row tied to the execution rate, when the rate misses its target.
COST_REASONS = ("据实结算", "费用预估不准,下步将加强预算编制精准度")
# The seed's own cost-row reasons, kept on rows derived from those seed rows.
SEED_COST_REASONS = ("据实结算", "培训费据实结算")
OVER_REASON = "据实结算,超出部分已按程序追加预算"
CUT_REASON = "项目已削减"
