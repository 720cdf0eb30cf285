"""R7: the printed grade agrees with the total score.

R7  error    grade matches total_score: 优 >= 90 > 良 >= 80 > 中 >= 60 > 差; 优秀 = 优, 良好 = 良,
             合格 for 60 <= s < 90, 不合格 for s < 60. An unknown grade is an error; a grade cell
             printed blank is a warning; a form that prints no grade, or a null total_score,
             skips the rule.
"""

from __future__ import annotations

from decimal import Decimal

from pipeline.checks.values import Numbers, Printed, error, warning
from pipeline.numbers import fmt
from schemas.output import Finding
from schemas.report import Project

# Grade label -> the score bands it may stand for: (low inclusive, high exclusive).
_BANDS = {
    "优": (Decimal(90), None),
    "良": (Decimal(80), Decimal(90)),
    "中": (Decimal(60), Decimal(80)),
    "差": (None, Decimal(60)),
    "合格": (Decimal(60), Decimal(90)),
    "不合格": (None, Decimal(60)),
}
_SYNONYMS = {"优秀": "优", "良好": "良"}


def _band_text(low: Decimal | None, high: Decimal | None) -> str:
    if low is None:
        return f"< {fmt(high)}" if high is not None else "any"
    return f"≥ {fmt(low)}" if high is None else f"{fmt(low)} ≤ s < {fmt(high)}"


def check_r7_grade(project: Project, printed: Printed = None) -> list[Finding]:
    """R7: 评分等级 agrees with total_score."""
    n = Numbers(project, printed)
    score = n.get("total_score")
    grade = "".join(project.grade.split())
    if not grade:
        # a form without a grade row prints none; a grade cell left blank is worth a look
        if printed is not None and "grade" in printed:
            return [warning("R7", ["grade"], "评分等级 is blank.")]
        return []
    band = _BANDS.get(_SYNONYMS.get(grade, grade))
    if band is None:
        return [
            error(
                "R7",
                ["grade"],
                f"评分等级 '{grade}' is none of 优/良/中/差 (优秀/良好) or 合格/不合格.",
            )
        ]
    if score is None:
        return []
    low, high = band
    if (low is None or score >= low) and (high is None or score < high):
        return []
    return [
        error(
            "R7",
            ["grade", "total_score"],
            f"评分等级 '{grade}' does not match 总分 {fmt(score)}.",
            f"'{grade}' needs {_band_text(low, high)}, but 总分.得分 = {fmt(score)}",
        )
    ]
