"""R11: points printed in a 一级/二级 label ('产出指标(50分)') agree with the rows they head.

R11 error    for each run of consecutive indicator rows with the same level1 (or level1+level2)
             label that prints its points ('(50分)', '（20分）', '50分'), the sum of the rows'
             分值 equals those points exactly. Labels without points, and rows with a null
             分值 (R4 reports them), are skipped.
"""

from __future__ import annotations

import re
from decimal import Decimal

from pipeline.checks.values import Numbers, Printed, error
from pipeline.numbers import fmt, parse_number
from pipeline.textnorm import nfkc
from schemas.output import Finding
from schemas.paths import indicator_path
from schemas.report import Project

# '(50分)', '（50分）', '50分' at the end of a label, after NFKC (full-width brackets fold).
_POINTS = re.compile(r"\(?\s*(\d+(?:\.\d+)?)\s*分\s*\)?\s*$")


def label_points(label: str) -> Decimal | None:
    """The points a level label prints, or None."""
    m = _POINTS.search(nfkc(label))
    return parse_number(m.group(1)) if m else None


def _runs(project: Project, key: str) -> list[tuple[str, list[int]]]:
    runs: list[tuple[str, list[int]]] = []
    for i, ind in enumerate(project.indicators):
        label = ind.level1 if key == "level1" else f"{ind.level1}\x00{ind.level2}"
        if runs and runs[-1][0] == label:
            runs[-1][1].append(i)
        else:
            runs.append((label, [i]))
    return runs


def check_r11_level_points(project: Project, printed: Printed = None) -> list[Finding]:
    """R11: the points in a 一级/二级 label equal the sum of its rows' 分值."""
    n = Numbers(project, printed)
    findings: list[Finding] = []
    for key in ("level1", "level2"):
        for label, rows in _runs(project, key):
            points = label_points(label.split("\x00")[-1])
            if points is None:
                continue
            paths = [indicator_path(i, "weight") for i in rows]
            weights = [n.get(p) for p in paths]
            if any(w is None for w in weights):
                continue
            total = sum((w for w in weights if w is not None), Decimal(0))
            if total != points:
                shown = label.split("\x00")[-1]
                findings.append(
                    error(
                        "R11",
                        [*paths, indicator_path(rows[0], key)],
                        f"The 分值 of the rows under '{shown}' do not add up to its points.",
                        " + ".join(fmt(w) for w in weights if w is not None)
                        + f" = {fmt(total)} ≠ {fmt(points)} ('{shown}')",
                    )
                )
    return findings
