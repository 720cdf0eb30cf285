"""Candidates + findings -> chosen values, per-field confidence, status and the reasons for it.

reconcile() decides on the layout reader's candidate alone. reconcile_pair() compares it with
the LLM's, field by field: agreement is high confidence; disagreement keeps the value with the
stronger evidence (a healthy text layer, then the checker), low confidence, both candidates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pipeline import confidence as C
from pipeline.checks import RULES, check_project
from pipeline.checks.evidence import ARITHMETIC_EVIDENCE, pinned
from pipeline.llm.outcome import LLMOutcome
from pipeline.models import ProjectCandidate
from pipeline.numbers import cents, printed_text
from pipeline.textnorm import clean
from schemas import (
    CandidateValue,
    Finding,
    Project,
    ProjectResult,
    Reason,
    ReasonKind,
    Severity,
    Source,
    Status,
)
from schemas.paths import Value, field_values, is_numeric, project_from_values

LAYOUT, LLM = Source.layout, Source.llm


def reconcile(candidate: ProjectCandidate, checks: list[Finding]) -> ProjectResult:
    """Decide a project's status; values are kept exactly as read, never adjusted to fit a rule."""
    candidate, evidence = _arithmetic_evidence(candidate)
    return _decide(candidate, checks, extra=evidence)


def _arithmetic_evidence(
    candidate: ProjectCandidate,
) -> tuple[ProjectCandidate, list[Finding]]:
    """Numbers read with doubt (OCR unsure, readings disagreeing, a hidden layer) that the
    equations pin down as printed are raised to ARITHMETIC_PINNED, with a finding naming them."""
    conf = candidate.field_confidence
    doubtful = [
        p
        for p, c in conf.items()
        if is_numeric(p) and C.HIDDEN_LAYER <= c < C.ACCEPT and p in candidate.printed
    ]
    if not doubtful:
        return candidate, []
    held = pinned(candidate.project, candidate.printed, sorted(doubtful), RULES)
    if not held:
        return candidate, []
    lifted = {**conf, **{p: C.ARITHMETIC_PINNED for p in held}}
    finding = Finding(
        rule=ARITHMETIC_EVIDENCE,
        severity=Severity.info,
        fields=held,
        message=f"read with doubt, pinned by the arithmetic (any one misread character "
        f"would break a rule): {', '.join(held)}",
    )
    return candidate.model_copy(update={"field_confidence": lifted}), [finding]


def reconcile_project(
    layout: ProjectCandidate, llm: LLMOutcome | None = None, *, independent: bool = False
) -> ProjectResult:
    """One project's decision, for both branches: the layout reader's candidate, checked, and
    the LLM's outcome when the LLM ran (its candidate, or why it has none).

    independent: the LLM saw the page images, so its agreement is a second source.
    """
    if llm is not None and llm.candidate is not None:
        return reconcile_pair(layout, llm.candidate, independent=independent, notes=llm.notes)
    checks = check_project(layout.project, layout.printed)
    if llm is not None:
        return reconcile_failed(layout, checks, llm.failure)
    return reconcile(layout, checks)


def reconcile_failed(
    candidate: ProjectCandidate, checks: list[Finding], reason: str
) -> ProjectResult:
    """The layout reader's candidate when the LLM gave no answer: its values, sent to review."""
    return _decide(candidate, checks, review=[Reason(kind=ReasonKind.llm_failed, detail=reason)])


def same_value(path: str, a: Value, b: Value) -> bool:
    """Numbers equal at 2 decimals (None only equals None); text equal after NFKC/whitespace clean."""
    if is_numeric(path):
        if a is None or b is None:
            return a is None and b is None
        return cents(a) == cents(b)
    return clean(str(a or "")) == clean(str(b or ""))


# What a model writes when it has nothing to say: never a shown value (kept as a candidate).
_PLACEHOLDERS = frozenset(
    {
        "x",
        "xx",
        "xxx",
        "?",
        "??",
        "...",
        "…",
        "-",
        "--",
        "/",
        "n/a",
        "na",
        "null",
        "none",
        "todo",
        "tbd",
        "无",
        "略",
        "同上",
        "待定",
    }
)


def placeholder(path: str, value: Value) -> bool:
    """A text answer that is a placeholder on its face ('x', '...', 'N/A')."""
    if is_numeric(path) or not isinstance(value, str):
        return False
    return clean(value).lower() in _PLACEHOLDERS


def implausible(path: str, llm_value: Value, layout_value: Value) -> bool:
    """An LLM answer that must not replace the layout reader's reading: a placeholder where the
    page has text, or a bare 0 where the reader read another number."""
    if is_numeric(path):
        return (
            llm_value is not None
            and layout_value is not None
            and cents(llm_value) == 0
            and cents(layout_value) != 0
        )
    if not placeholder(path, llm_value):
        return False
    return len(clean(str(layout_value or ""))) > len(clean(str(llm_value)))


def _errors_on(project: Project, path: str) -> list[Finding]:
    return [f for f in check_project(project) if f.severity is Severity.error and path in f.fields]


def _short(value: Value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "...'"


def _settle_by_checker(
    weak: list[str],
    chosen: dict[str, Value],
    source: dict[str, Source],
    lay_values: dict[str, Value],
    llm_values: dict[str, Value],
) -> dict[str, str]:
    """The checker as evidence where the text layer is weak: a value that passes beats one
    that fails (chosen and source are updated in place). A strong text layer is never
    overruled: that would "correct" the source."""
    why: dict[str, str] = {}
    for p in weak:
        if implausible(p, llm_values[p], lay_values[p]):
            why[p] = "the LLM's answer is implausible"
            continue
        trial = dict(chosen)
        trial[p] = lay_values[p]
        fails_lay = bool(_errors_on(project_from_values(trial), p))
        trial[p] = llm_values[p]
        fails_llm = bool(_errors_on(project_from_values(trial), p))
        if fails_lay != fails_llm:
            chosen[p], source[p] = (llm_values[p], LLM) if fails_lay else (lay_values[p], LAYOUT)
            why[p] = "checker passes with it"
        else:
            why[p] = "higher reading confidence"
    return why


@dataclass
class _Comparison:
    """Field by field: the value kept, whose it is, its confidence, both readings where they
    differ, and which disagreements the text layer cannot settle."""

    lay_values: dict[str, Value]
    llm_values: dict[str, Value]
    chosen: dict[str, Value] = field(default_factory=dict)
    source: dict[str, Source] = field(default_factory=dict)
    conf: dict[str, float] = field(default_factory=dict)
    weak: list[str] = field(default_factory=list)
    candidates: dict[str, list[CandidateValue]] = field(default_factory=dict)
    llm_only: list[str] = field(default_factory=list)


def _compare(
    layout: ProjectCandidate | None, llm: ProjectCandidate, independent: bool
) -> _Comparison:
    lay_values = field_values(layout.project) if layout else {}
    llm_values = field_values(llm.project)
    lay_conf = layout.field_confidence if layout else {}
    cmp = _Comparison(lay_values, llm_values)

    def lay_read(p: str) -> bool:
        # confidence 0 marks a required cell the reader did not find or could not parse; an
        # optional cell it did not find (a blank goal) keeps its confidence and counts as ""
        return p in lay_values and lay_conf.get(p, 0.0) > 0.0

    for p in list(lay_values) + [p for p in llm_values if p not in lay_values]:
        lc = lay_conf.get(p, 1.0) if lay_read(p) else 0.0
        mc = llm.field_confidence.get(p, C.LLM_ONLY)
        in_lay, in_llm = p in lay_values, p in llm_values
        lv, mv = lay_values.get(p), llm_values.get(p)
        if in_lay and in_llm and lay_read(p) and same_value(p, lv, mv):
            cmp.chosen[p], cmp.source[p] = lv, LAYOUT
            cmp.conf[p] = max(lc, C.LLM_AGREES) if independent else lc
            continue
        if in_llm and not lay_read(p):
            if placeholder(p, mv):  # nothing read is better than garbage shown as the value
                cmp.chosen[p], cmp.source[p], cmp.conf[p] = (lv if in_lay else ""), LAYOUT, 0.0
            else:
                cmp.chosen[p], cmp.source[p], cmp.conf[p] = mv, LLM, min(mc, C.LLM_ONLY)
            cmp.llm_only.append(p)
        elif not in_llm:
            cmp.chosen[p], cmp.source[p] = lv, LAYOUT
            cmp.conf[p] = min(lc, C.DISAGREE_LAYER_KEPT)
        elif lc >= C.ACCEPT:
            cmp.chosen[p], cmp.source[p], cmp.conf[p] = lv, LAYOUT, C.DISAGREE_LAYER_KEPT
        elif independent and layout is not None and _second_reading_agrees(layout, p, mv):
            # our two readings of the text disagreed (line order); the model, reading the page
            # images, agrees with the other one: two independent readings of one text
            cmp.chosen[p], cmp.source[p], cmp.conf[p] = mv, LLM, C.LLM_AGREES
            continue
        else:
            cmp.weak.append(p)
            llm_wins = mc > lc and not implausible(p, mv, lv)
            cmp.chosen[p], cmp.source[p] = (mv, LLM) if llm_wins else (lv, LAYOUT)
            cmp.conf[p] = C.DISAGREE_UNSETTLED
        cmp.candidates[p] = [
            CandidateValue(source=LAYOUT, value=lv if in_lay else None, confidence=round(lc, 3)),
            CandidateValue(
                source=LLM,
                value=mv if in_llm else None,
                confidence=round(mc, 3),
                note="" if in_llm else "the LLM gave no such field",
            ),
        ]
    return cmp


def _second_reading_agrees(layout: ProjectCandidate, path: str, value: Value) -> bool:
    """Whether the layout reader's other reading of a disputed text (PyMuPDF's lines) is the
    value given."""
    chosen = field_values(layout.project).get(path)
    others = [c.value for c in layout.candidates.get(path, [])]
    return bool(value) and any(
        same_value(path, v, value) and not same_value(path, v, chosen) for v in others
    )


def _pair_reasons(cmp: _Comparison, why: dict[str, str], found: bool) -> list[Reason]:
    """Why a compared project goes to review: disagreements, LLM-only values or project."""
    disagreements: list[str] = []
    for p, cands in cmp.candidates.items():
        if p in cmp.llm_only:
            continue
        reason = why.get(p) or (
            "healthy text layer"
            if cmp.source[p] == LAYOUT and p in cmp.llm_values
            else "only source"
        )
        cands_text = f"layout {_short(cands[0].value)} / llm {_short(cands[1].value)}"
        disagreements.append(f"{p} ({cands_text}; kept {cmp.source[p]}: {reason})")
    review: list[Reason] = []
    if not found:
        review.append(
            Reason(
                kind=ReasonKind.llm_only_project,
                detail="the layout reader did not find this project",
            )
        )
    if disagreements:
        review.append(Reason(kind=ReasonKind.sources_disagree, detail=_listed(disagreements)))
    if cmp.llm_only and found:
        review.append(
            Reason(kind=ReasonKind.llm_only, note="no second source", detail=_listed(cmp.llm_only))
        )
    return review


def reconcile_pair(
    layout: ProjectCandidate | None,
    llm: ProjectCandidate,
    *,
    independent: bool = True,
    notes: Iterable[str] = (),
) -> ProjectResult:
    """Layout candidate vs LLM candidate, field by field.

    independent: the LLM saw the page images (or the text layer is healthy), so its agreement
    is a second source; a text-only model reading a doubtful layer repeats that layer.
    """
    cmp = _compare(layout, llm, independent)
    why = _settle_by_checker(cmp.weak, cmp.chosen, cmp.source, cmp.lay_values, cmp.llm_values)
    project = project_from_values(cmp.chosen)
    printed: dict[str, str] = {}
    for p, value in cmp.chosen.items():
        if cmp.source[p] == LAYOUT and layout is not None and p in layout.printed:
            printed[p] = layout.printed[p]
        else:
            printed[p] = printed_text(p, value)
    merged = ProjectCandidate(
        project=project,
        printed=printed,
        provenance={
            p: s for p, s in (layout.provenance.items() if layout else ()) if p in cmp.chosen
        },
        field_confidence={p: round(c, 3) for p, c in cmp.conf.items()},
        reading_findings=list(layout.reading_findings) if layout else [],
        pages=(layout.pages if layout else llm.pages),
        extractor="layout+llm",
    )
    extra = [
        Finding(
            rule="LLM_REPORTED",
            severity=Severity.warning,
            fields=[],
            message=f"the LLM reports a source inconsistency: {note}",
        )
        for note in notes
    ]
    return _decide(
        merged,
        check_project(project, printed),
        review=_pair_reasons(cmp, why, found=layout is not None),
        candidates=cmp.candidates,
        extra=extra,
    )


def _listed(items: list[str], limit: int = 6) -> str:
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return f"{', '.join(items[:limit])}{more}"


def _decide(
    candidate: ProjectCandidate,
    checks: list[Finding],
    review: list[Reason] | None = None,
    candidates: dict[str, list[CandidateValue]] | None = None,
    extra: list[Finding] | None = None,
) -> ProjectResult:
    conf = candidate.field_confidence
    findings = [*candidate.reading_findings, *checks, *(extra or [])]
    doubtful = sorted((p for p, c in conf.items() if c < C.ACCEPT), key=_path_order)
    rule_errors = [f for f in checks if f.severity is Severity.error]
    reading_errors = [f for f in candidate.reading_findings if f.severity is Severity.error]
    reasons: list[Reason] = []
    for f in reading_errors:
        reasons.append(Reason(kind=ReasonKind.reading, rule=f.rule, detail=f.message))
    reasons += review or []
    if doubtful:
        shown = ", ".join(f"{p} ({conf[p]:.2f})" for p in doubtful[:8])
        more = f" and {len(doubtful) - 8} more" if len(doubtful) > 8 else ""
        reasons.append(Reason(kind=ReasonKind.low_confidence, detail=f"{shown}{more}"))
    source_inconsistent = False
    for f in rule_errors:
        shaky = [p for p in f.fields if conf.get(p, 1.0) < C.ACCEPT]
        detail = f.equation or f.message
        if shaky or reading_errors:
            reasons.append(
                Reason(
                    kind=ReasonKind.check_failed,
                    rule=f.rule,
                    note="may be a misreading",
                    detail=detail,
                )
            )
        else:
            source_inconsistent = True
            reasons.append(Reason(kind=ReasonKind.source_inconsistent, rule=f.rule, detail=detail))
    accepted = not rule_errors and not reading_errors and not doubtful and not review
    confidence = min(conf.values(), default=0.0)
    return ProjectResult(
        **candidate.project.model_dump(),
        status=Status.accepted if accepted else Status.needs_review,
        confidence=round(confidence, 3),
        source_inconsistent=source_inconsistent,
        reasons=reasons,
        findings=findings,
        pages=candidate.pages,
        provenance=candidate.provenance,
        field_confidence=conf,
        # readings kept by earlier stages (text layer vs OCR), then the layout/LLM comparison
        candidates={**candidate.candidates, **(candidates or {})},
    )


def _path_order(path: str) -> tuple[int, str]:
    return (1 if path.startswith("indicators[") else 0, path)
