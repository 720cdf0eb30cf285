"""Score one output document against its truth, and aggregate case scores into metrics."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from jixiao_eval.scoring.align import NAME_THRESHOLD, align_projects, align_rows
from jixiao_eval.scoring.models import (
    CalibrationBin,
    CaseScore,
    ExtraProject,
    FieldAccuracy,
    FieldKind,
    FieldScore,
    Metrics,
    ProjectScore,
    Tally,
    Value,
)
from jixiao_eval.scoring.text import name_similarity, narrative_similarity, normalize_text
from pipeline.checks.evidence import ARITHMETIC_EVIDENCE
from schemas.output import DocumentResult, ProjectResult
from schemas.report import FundsBlock, FundsLine, Indicator, Project, TruthProject, TruthReport

# A narrative counts as correct (for exact-match purposes) at this normalised similarity:
# about one wrong character in fifty, i.e. a misread character or two in a typical goal.
NARRATIVE_THRESHOLD = 0.98
_CENT = Decimal("0.01")

_TOP_SHORT = ("name", "department", "implementing_unit", "amount_unit")
_NARRATIVE = (
    "goal_expected",
    "goal_actual",
    "implementation",
    "conclusion",
    "problems",
    "improvements",
)
_TOTALS_NUMERIC = ("total_weight", "total_score")
_FUNDS_LINES = tuple(FundsBlock.model_fields)
_FUNDS_COLUMNS = tuple(FundsLine.model_fields)
_ROW_SHORT = (
    "level1",
    "level2",
    "name",
    "target",
    "actual",
    "deviation_reason",
    "unit",
    "nature",
)
_ROW_NUMERIC = ("weight", "score")
# Row fields in schema order, so per-case details read like the printed row.
_ROW_FIELDS: tuple[tuple[str, FieldKind], ...] = tuple(
    (name, "numeric" if name in _ROW_NUMERIC else "short_text")
    for name in Indicator.model_fields
    if name in _ROW_SHORT or name in _ROW_NUMERIC
)


def printed_lines(*projects: Project) -> tuple[str, ...]:
    """The funds rows any of the projects prints: a row one side has and the other lacks is
    scored, column by column, against null."""
    return tuple(
        line for line in _FUNDS_LINES if any(getattr(p.funds, line) is not None for p in projects)
    )


def project_values(
    project: Project, lines: tuple[str, ...] | None = None
) -> list[tuple[str, FieldKind, Value]]:
    """Every scored non-row field of a project: (path, kind, value); `lines` are the funds rows
    to score (default: the ones it prints)."""
    values: list[tuple[str, FieldKind, Value]] = [
        (name, "short_text", getattr(project, name)) for name in _TOP_SHORT
    ]
    for line in printed_lines(project) if lines is None else lines:
        funds_line = getattr(project.funds, line)
        values += [
            (
                f"funds.{line}.{column}",
                "numeric",
                None if funds_line is None else getattr(funds_line, column),
            )
            for column in _FUNDS_COLUMNS
        ]
    values += [(name, "narrative", getattr(project, name)) for name in _NARRATIVE]
    values += [(name, "numeric", getattr(project, name)) for name in _TOTALS_NUMERIC]
    values.append(("grade", "short_text", project.grade))
    return values


def row_values(row: Indicator) -> list[tuple[str, FieldKind, Value]]:
    """Every scored field of an indicator row: (sub-field, kind, value)."""
    return [(name, kind, getattr(row, name)) for name, kind in _ROW_FIELDS]


def numbers_equal(expected: Value, got: Value) -> bool:
    """Equal at the printed precision: both null, or equal as Decimals rounded to 2 places."""
    if expected is None or got is None:
        return expected is None and got is None
    try:
        a, b = float(expected), float(got)
    except (TypeError, ValueError):
        return False
    if not (math.isfinite(a) and math.isfinite(b)):
        return a == b
    try:
        # repr() gives the shortest decimal that round-trips: 184.25, not 184.24999...
        return _cents(a) == _cents(b)
    except InvalidOperation:
        return False


def _cents(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(_CENT, rounding=ROUND_HALF_UP)


def score_field(
    path: str,
    field: str,
    kind: FieldKind,
    expected: Value,
    got: Value,
    confidence: float | None,
    pinned: bool = False,
) -> FieldScore:
    """Compare one truth value with one output value according to the field's kind."""
    similarity: float | None = None
    if kind == "numeric":
        correct = numbers_equal(expected, got)
    elif kind == "short_text":
        correct = normalize_text(_text(expected)) == normalize_text(_text(got))
    else:
        similarity = narrative_similarity(_text(expected), _text(got))
        correct = similarity >= NARRATIVE_THRESHOLD
    return FieldScore(
        path=path,
        field=field,
        kind=kind,
        expected=expected,
        got=got,
        correct=correct,
        similarity=similarity,
        confidence=confidence,
        pinned=pinned,
    )


def _text(value: Value) -> str:
    return "" if value is None else str(value)


def _missing(path: str, field: str, kind: FieldKind, expected: Value) -> FieldScore:
    return FieldScore(
        path=path,
        field=field,
        kind=kind,
        expected=expected,
        correct=False,
        similarity=0.0 if kind == "narrative" else None,
        outcome="missing",
    )


def _missing_project(truth: TruthProject) -> list[FieldScore]:
    scores = [_missing(path, path, kind, value) for path, kind, value in project_values(truth)]
    for i, row in enumerate(truth.indicators):
        scores += _missing_row(i, row)
    return scores


def _missing_row(index: int, row: Indicator) -> list[FieldScore]:
    return [
        _missing(f"indicators[{index}].{name}", f"indicators[].{name}", kind, value)
        for name, kind, value in row_values(row)
    ]


def _compare_project(
    truth: TruthProject, output: ProjectResult
) -> tuple[list[FieldScore], list[int], list[int]]:
    """Field scores of an aligned pair, plus missing truth rows and extra output rows."""

    def confidence(path: str) -> float:
        return output.field_confidence.get(path, output.confidence)

    pinned = {p for f in output.findings if f.rule == ARITHMETIC_EVIDENCE for p in f.fields}
    lines = printed_lines(truth, output)
    got = {path: value for path, _, value in project_values(output, lines)}
    scores = [
        score_field(path, path, kind, expected, got[path], confidence(path), path in pinned)
        for path, kind, expected in project_values(truth, lines)
    ]
    missing_rows: list[int] = []
    extra_rows: list[int] = []
    pairs = align_rows([r.name for r in truth.indicators], [r.name for r in output.indicators])
    for pair in pairs:
        if pair.truth is not None and pair.output is not None:
            got_row = {name: value for name, _, value in row_values(output.indicators[pair.output])}
            for name, kind, expected in row_values(truth.indicators[pair.truth]):
                out_path = f"indicators[{pair.output}].{name}"
                scores.append(
                    score_field(
                        f"indicators[{pair.truth}].{name}",
                        f"indicators[].{name}",
                        kind,
                        expected,
                        got_row[name],
                        confidence(out_path),
                        out_path in pinned,
                    )
                )
        elif pair.truth is not None:
            missing_rows.append(pair.truth)
            scores += _missing_row(pair.truth, truth.indicators[pair.truth])
        elif pair.output is not None:
            # An extra row counts as one wrong row of fields: each of its fields is wrong.
            extra_rows.append(pair.output)
            for name, kind, value in row_values(output.indicators[pair.output]):
                path = f"indicators[{pair.output}].{name}"
                scores.append(
                    FieldScore(
                        path=path,
                        field=f"indicators[].{name}",
                        kind=kind,
                        got=value,
                        correct=False,
                        confidence=confidence(path),
                        outcome="extra",
                    )
                )
    return scores, missing_rows, extra_rows


def score_document(
    truth: TruthReport,
    output: DocumentResult | None,
    *,
    case_id: str = "",
    variant: str = "user",
    pdf: str = "",
    truth_label: str = "",
    error: str | None = None,
    name_threshold: float = NAME_THRESHOLD,
) -> CaseScore:
    """Align and score one output document (None: the run failed) against its truth."""
    outputs = output.projects if output is not None else []
    case = CaseScore(
        id=case_id,
        variant=variant,
        pdf=pdf,
        truth=truth_label,
        error=error,
        input_errors=[f"{e.kind}: {e.message}" for e in output.errors] if output else [],
        seconds=output.seconds if output else 0.0,
        pages=output.pages if output else 0,
    )
    pairs = align_projects(
        [p.name for p in truth.projects], [p.name for p in outputs], name_threshold
    )
    for pair in pairs:
        if pair.truth is None:
            assert pair.output is not None
            extra = outputs[pair.output]
            best = max(
                ((name_similarity(t.name, extra.name), t.name) for t in truth.projects),
                default=(0.0, ""),
            )
            case.extra_projects.append(
                ExtraProject(
                    output_index=pair.output,
                    name=extra.name,
                    status=extra.status.value,
                    confidence=extra.confidence,
                    best_truth_name=best[1],
                    best_similarity=best[0],
                )
            )
            continue
        truth_project = truth.projects[pair.truth]
        missing_rows: list[int]
        extra_rows: list[int]
        if pair.output is None:
            scores, missing_rows, extra_rows = _missing_project(truth_project), [], []
            found: ProjectResult | None = None
        else:
            found = outputs[pair.output]
            scores, missing_rows, extra_rows = _compare_project(truth_project, found)
        for score in scores:
            case.tally.add(score)
        correct = sum(s.correct for s in scores)
        case.projects.append(
            ProjectScore(
                truth_index=pair.truth,
                truth_name=truth_project.name,
                output_index=pair.output,
                output_name=found.name if found else None,
                name_similarity=pair.similarity,
                status=found.status.value if found else None,
                confidence=found.confidence if found else None,
                source_inconsistent=truth_project.source_inconsistent,
                flagged=found is not None and found.status.value == "needs_review",
                fields=len(scores),
                correct=correct,
                exact=found is not None and correct == len(scores),
                missing_rows=missing_rows,
                extra_rows=extra_rows,
                # A project not found is wrong everywhere; listing each field adds nothing.
                wrong=[s for s in scores if not s.correct] if found else [],
            )
        )
    return case


def expected_calibration_error(bins: Sequence[CalibrationBin]) -> float | None:
    """Sum over bins of (bin share) x |accuracy - mean confidence|; None without data."""
    total = sum(b.n for b in bins)
    if total == 0:
        return None
    return sum(b.n / total * abs(b.correct / b.n - b.confidence_sum / b.n) for b in bins if b.n)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def aggregate(cases: Sequence[CaseScore]) -> Metrics:
    """Metrics over a set of scored cases."""
    tally = Tally()
    for case in cases:
        tally.merge(case.tally)
    projects = [p for case in cases for p in case.projects]
    extras = [e for case in cases for e in case.extra_projects]
    accepted = [p for p in projects if p.accepted]
    accepted_extras = [e for e in extras if e.status == "accepted"]
    # An accepted extra project is a false accept: nothing in the truth backs it.
    false_accepts = sum(not p.exact for p in accepted) + len(accepted_extras)
    n_accepted = len(accepted) + len(accepted_extras)
    inconsistent = [p for p in projects if p.source_inconsistent]
    timed = [c for c in cases if c.error is None and c.pages > 0]
    seconds = sum(c.seconds for c in timed)
    pages = sum(c.pages for c in timed)
    all_fields = tally.fields
    per_field = [
        FieldAccuracy(
            field=field,
            kind=tally.per_field_kind[field],
            correct=counts.correct,
            total=counts.total,
            accuracy=counts.correct / counts.total,
        )
        for field, counts in tally.per_field.items()
        if counts.total
    ]
    per_field.sort(key=lambda f: (f.accuracy, -f.total, f.field))
    bins = tally.calibration
    straight_through = sum(p.accepted and p.exact for p in projects)
    return Metrics(
        docs=len(cases),
        docs_failed=sum(c.error is not None or bool(c.input_errors) for c in cases),
        projects=len(projects),
        projects_missing=sum(not p.found for p in projects),
        projects_extra=len(extras),
        rows_missing=sum(len(p.missing_rows) for p in projects),
        rows_extra=sum(len(p.extra_rows) for p in projects),
        fields=all_fields.total,
        fields_correct=all_fields.correct,
        field_accuracy=all_fields.accuracy,
        numeric_fields=tally.numeric.total,
        numeric_accuracy=tally.numeric.accuracy,
        short_text_fields=tally.short_text.total,
        short_text_exact=tally.short_text.accuracy,
        narrative_fields=tally.narrative.total,
        narrative_exact=tally.narrative.accuracy,
        narrative_mean_similarity=(
            tally.narrative_similarity_sum / tally.narrative.total
            if tally.narrative.total
            else None
        ),
        project_exact=sum(p.exact for p in projects),
        project_exact_rate=_rate(sum(p.exact for p in projects), len(projects)),
        straight_through=straight_through,
        straight_through_rate=_rate(straight_through, len(projects)),
        accepted=n_accepted,
        false_accepts=false_accepts,
        false_accept_rate=false_accepts / n_accepted if n_accepted else 0.0,
        inconsistent=len(inconsistent),
        inconsistent_flagged=sum(p.flagged for p in inconsistent),
        flagged_inconsistent_rate=_rate(sum(p.flagged for p in inconsistent), len(inconsistent)),
        pinned=tally.pinned.total,
        pinned_wrong=tally.pinned.total - tally.pinned.correct,
        calibration=[b.model_copy() for b in bins],
        calibrated_fields=sum(b.n for b in bins),
        ece=expected_calibration_error(bins),
        seconds=seconds,
        pages=pages,
        seconds_per_page=seconds / pages if pages else None,
        per_field=per_field,
    )
