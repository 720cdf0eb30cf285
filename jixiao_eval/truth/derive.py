"""Derive the eval set's synthetic ground truth from the seed: python -m jixiao_eval.truth.derive.

Every document in eval/truth/ is a schemas.TruthReport built from the seed's ten projects
(eval/seed_2024.truth.json) by the specs in specs.DOCS. The output is a pure function of
the seed and the specs: each document and project has its own random.Random seeded with a fixed
string, all arithmetic is Decimal, and the JSON is written with sorted keys.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from jixiao_eval.truth.project import Derived, derive_project
from jixiao_eval.truth.specs import DEPARTMENTS, DOCS, EDGE_KINDS, DocSpec
from pipeline.resources import data_dir
from schemas.report import TruthReport

SEED = "jixiao-evalset-v1"
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "eval" / "truth"
_DOC_FILE = re.compile(r"\d\d_[a-z_]+_\d{4}\.json")
_GRADE_ORDER = ("优", "良", "中", "差", "合格", "不合格")


def seed_report() -> TruthReport:
    """The hand-transcribed seed report."""
    path = data_dir("eval") / "seed_2024.truth.json"
    return TruthReport.model_validate_json(path.read_text(encoding="utf-8"))


def doc_id(number: int, spec: DocSpec) -> str:
    """File stem of a derived document, e.g. '01_shegong_2025'."""
    return f"{number:02d}_{spec.dept}_{spec.year}"


def check_spec(spec: DocSpec) -> None:
    """Raise ValueError for a spec with an unknown department, band letter or edge kind."""
    if spec.dept not in DEPARTMENTS:
        raise ValueError(f"unknown department {spec.dept!r}")
    if not spec.bands or set(spec.bands) - set("ABCD"):
        raise ValueError(f"{spec.dept} {spec.year}: bands must be letters A-D, got {spec.bands!r}")
    for i, edges in spec.edges.items():
        if not 0 <= i < len(spec.bands):
            raise ValueError(f"{spec.dept} {spec.year}: edge on missing project {i}")
        unknown = [e for e in edges if e not in EDGE_KINDS and not e.startswith("tpl=")]
        if unknown:
            raise ValueError(f"{spec.dept} {spec.year}: unknown edge kinds {unknown}")


def _templates(rng: random.Random, spec: DocSpec) -> list[int]:
    """Seed project index of each project: the department's themes, shuffled and cycled."""
    themes = list(DEPARTMENTS[spec.dept].themes)
    rng.shuffle(themes)
    out = [themes[i % len(themes)] for i in range(len(spec.bands))]
    for i, edges in spec.edges.items():
        for edge in edges:
            if edge.startswith("tpl="):
                out[i] = int(edge.removeprefix("tpl="))
    return out


def _notes(spec: DocSpec, derived: list[Derived]) -> list[str]:
    """The document's _notes: how it was made and what it covers."""
    rounding = (
        "TRUNCATED to 2 decimals (as the seed prints them)"
        if spec.rounding == "truncate"
        else "ROUNDED half-up to 2 decimals"
    )
    labels = (
        "优 >= 90, 良 80-90, 中 60-80, 差 < 60"
        if spec.labels == "优良中差"
        else "label set 优/合格/不合格: 优 >= 90, 合格 60-90, 不合格 < 60"
    )
    unit = (
        "Amounts in 元 (budgets are the 万元 figures x 10000; 全年执行数 carries 分)."
        if spec.unit == "元"
        else "Amounts in 万元, as in the seed."
    )
    # The committed truth files carry this text (its old module name included): changing it
    # re-derives every file of eval/truth/.
    notes = [
        "SYNTHETIC document, derived by `python -m pipeline.evalset.derive` from "
        "eval/seed_2024.truth.json; not a real report. Goals, indicator rows and reasons "
        f"come from the seed's projects with 4-digit years moved by {spec.year - 2024:+d}; "
        "names, funds, 分值, 得分, actuals and grades are new.",
        unit,
        f"执行率 = 全年执行数 / 全年预算数 x 100, {rounding}; funds 得分 = "
        "round_half_up(分数 x min(执行率, 100) / 100, 2); 总分 = funds 得分 + indicator 得分.",
        f"Grades: {labels}.",
        "Punctuation convention as in the seed: ASCII , : ; ( ) and straight quotes; "
        "、 and 。 kept.",
    ]
    if spec.dash_rates:
        notes.append("Lines with 全年预算数 0.00 print '-' as 执行率 (null in the truth).")
    bad = [f"P{i + 1} ({d.kind})" for i, d in enumerate(derived) if d.kind]
    notes.append(
        "Source-inconsistent projects (printed values kept, see truth_notes): " + ", ".join(bad)
        if bad
        else "No source inconsistencies: every project satisfies R1-R7."
    )
    silent = [f"P{i + 1} row {r + 1}" for i, d in enumerate(derived) for r in d.silent_rows]
    if silent:
        notes.append(
            "Rows that lost points with a blank 偏差原因 (real R9 warnings, as in the seed's "
            "P8): " + ", ".join(silent) + "."
        )
    edges = [
        f"P{i + 1} {edge}"
        for i in sorted(spec.edges)
        for edge in spec.edges[i]
        if not edge.startswith(("bad_", "tpl="))
    ]
    if edges:
        notes.append("Edge cases: " + ", ".join(edges) + " (kinds: see derive_specs).")
    return notes


def derive_document(
    number: int, spec: DocSpec, seed: TruthReport
) -> tuple[TruthReport, dict[str, Any]]:
    """One derived document and its index entry."""
    check_spec(spec)
    stem = doc_id(number, spec)
    dept = DEPARTMENTS[spec.dept]
    templates = _templates(random.Random(f"{SEED}:{stem}"), spec)
    split_at = next(i for i in range(len(templates)) if "zero_budget" not in spec.edges.get(i, ()))
    used: set[str] = set()
    derived = [
        derive_project(
            random.Random(f"{SEED}:{stem}:{i}"),
            spec,
            dept,
            i,
            template,
            seed.projects[template],
            used,
            force_split=i == split_at,
        )
        for i, template in enumerate(templates)
    ]
    report = TruthReport.model_validate(
        {
            "title": f"{dept.name} {spec.year}年度财政项目支出绩效自评表",
            "year": spec.year,
            "projects": [d.project for d in derived],
            "_notes": _notes(spec, derived),
        }
    )
    grades = Counter(d.project.grade for d in derived)
    entry = {
        "id": stem,
        "file": f"{stem}.json",
        "title": report.title,
        "year": spec.year,
        "projects": len(derived),
        "unit": spec.unit,
        "rate_rounding": spec.rounding,
        "labels": spec.labels,
        "grades": {g: grades[g] for g in _GRADE_ORDER if grades[g]},
        "inconsistent_projects": [
            {"index": i, "name": d.project.name, "kind": d.kind}
            for i, d in enumerate(derived)
            if d.kind
        ],
    }
    return report, entry


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def write(out: Path, seed: TruthReport | None = None) -> list[Path]:
    """Write every derived document and index.json into out; returns the files written."""
    seed = seed or seed_report()
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    index = []
    for number, spec in enumerate(DOCS, start=1):
        report, entry = derive_document(number, spec, seed)
        data = report.model_dump(mode="json", by_alias=True)
        TruthReport.model_validate(data)
        path = out / entry["file"]
        path.write_text(_dump(data), encoding="utf-8")
        written.append(path)
        index.append(entry)
    index_path = out / "index.json"
    index_path.write_text(_dump(index), encoding="utf-8")
    written.append(index_path)
    for stale in sorted(out.iterdir()):
        # Only files this script names are removed: a renamed spec must not leave its old file.
        if _DOC_FILE.fullmatch(stale.name) and stale not in written:
            stale.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: regenerate eval/truth (or --out DIR)."""
    parser = argparse.ArgumentParser(prog="python -m jixiao_eval.truth.derive", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    written = write(args.out)
    projects = sum(len(DOCS[i].bands) for i in range(len(DOCS)))
    print(f"wrote {len(written) - 1} documents ({projects} projects) and index.json to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
