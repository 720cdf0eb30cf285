"""`jixiao review export`: corrected results (same contract, status reviewed) and new eval truth."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.output import document_json, write_atomic, write_summary
from pipeline.review import fields as F
from pipeline.review.store import Event, now
from pipeline.review.workspace import CHECK_RULES, ProjectState, Workspace
from schemas import (
    CandidateValue,
    DocumentResult,
    ProjectResult,
    Reason,
    ReasonKind,
    Severity,
    Source,
    Status,
)
from schemas.report import TruthProject, TruthReport

__all__ = ["export_results", "export_truth", "reviewed_document", "reviewed_project"]

_HOW = {
    "typed": "typed",
    "confirmed": "confirmed as read",
    "revert": "reverted to the extracted value",
}


def _how(ev: Event) -> str:
    return _HOW.get(ev.source, f"picked the {ev.source} reading")


def change_note(ev: Event, printed: str | None = None) -> str:
    """Who changed a field when, how, and from what: 'alice at 2025-01-02T03:04:05Z; ...'."""
    was = F.display(ev.field, ev.old_value if not isinstance(ev.old_value, bool) else None, printed)
    return f"{ev.reviewer} at {ev.at}; {_how(ev)}; was {was or '(blank)'}"


def source_inconsistent(st: ProjectState) -> bool:
    """Errors the reviewer confirmed as the document's own (not a misreading)."""
    if st.inconsistent is None:
        return st.original.source_inconsistent and not st.decisions
    rule_errors = [f for f in st.errors if f.rule in CHECK_RULES]
    return st.inconsistent and bool(rule_errors)


def reviewed_project(st: ProjectState) -> ProjectResult:
    """One project with every decision applied; status `reviewed` once approved.

    Each decided field keeps its earlier readings in `candidates` and gains a `reviewer`
    candidate (confidence 1.0) whose note says who decided when, how, and the value before.
    """
    orig = st.original
    if not st.events:
        return orig
    confidence = {**orig.field_confidence, **{path: 1.0 for path in st.decisions}}
    inconsistent = source_inconsistent(st)
    status, reasons = _status(st, inconsistent)
    return ProjectResult(
        **st.project.model_dump(),
        status=status,
        confidence=round(min(confidence.values(), default=0.0), 3),
        source_inconsistent=inconsistent,
        reasons=reasons,
        findings=st.findings,
        pages=orig.pages,
        provenance=orig.provenance,
        field_confidence=confidence,
        candidates=_candidates(st),
    )


def _candidates(st: ProjectState) -> dict[str, list[CandidateValue]]:
    """The readings of each field, a decided one's ending with the reviewer's."""
    orig = st.original
    candidates = {path: list(cands) for path, cands in orig.candidates.items()}
    for path, ev in st.decisions.items():
        src = orig.provenance.get(path)
        earlier = [c for c in candidates.get(path, []) if c.source is not Source.reviewer] or [
            CandidateValue(
                source=Source(st.doc.result.extractor or Source.layout),
                value=st.original_value(path),
                confidence=orig.field_confidence.get(path, 1.0),
            )
        ]
        mine = CandidateValue(
            source=Source.reviewer,
            value=st.value(path),
            confidence=1.0,
            note=change_note(ev, src.text if src else None),
        )
        candidates[path] = [*earlier, mine]
    return candidates


def _status(st: ProjectState, inconsistent: bool) -> tuple[Status, list[Reason]]:
    """`reviewed` once approved, with who approved and what changed; else as extracted, or
    needs_review while errors or open fields remain."""
    if st.approval is None:
        orig = st.original
        needs = orig.status is not Status.accepted or bool(st.errors) or bool(st.open_fields)
        status = Status.needs_review if needs else Status.accepted
        return status, [
            *orig.reasons,
            Reason(
                kind=ReasonKind.review_in_progress,
                detail=f"{len(st.events)} decision(s), not approved",
            ),
        ]
    ap = st.approval
    changed = sum(1 for p in st.decisions if not F.same(st.value(p), st.original_value(p)))
    reasons = [
        Reason(
            kind=ReasonKind.reviewed,
            detail=f"approved by {ap.reviewer} at {ap.at}; {changed} field(s) corrected, "
            f"{len(st.decisions) - changed} confirmed",
        )
    ]
    reasons += [
        Reason(
            kind=ReasonKind.source_inconsistent,
            rule=f.rule,
            note="confirmed by the reviewer",
            detail=f.equation or f.message,
        )
        for f in st.errors
        if inconsistent
    ]
    return Status.reviewed, reasons


def reviewed_document(ws: Workspace, stem: str) -> DocumentResult:
    """A document's result with every project's decisions applied."""
    doc = ws.docs[stem]
    states = [ws.state(stem, i) for i in range(len(doc.result.projects))]
    return doc.result.model_copy(update={"projects": [reviewed_project(s) for s in states]})


def export_results(ws: Workspace, to: Path) -> list[Path]:
    """Write every document's reviewed JSON to `to` (same names) plus summary.csv."""
    written: list[Path] = []
    results: list[DocumentResult] = []
    for stem in ws.docs:
        result = reviewed_document(ws, stem)
        path = Path(to) / f"{stem}.json"
        write_atomic(path, document_json(result))
        written.append(path)
        results.append(result)
    write_summary(Path(to) / "summary.csv", results)
    return written


def _truth_project(st: ProjectState) -> TruthProject:
    notes = []
    if st.approval is not None:
        notes.append(f"reviewed: approved by {st.approval.reviewer} at {st.approval.at}")
    for path, ev in st.decisions.items():
        if not F.same(st.value(path), st.original_value(path)):
            src = st.original.provenance.get(path)
            notes.append(
                f"{path} = {F.display(path, st.value(path), src.text if src else None)}: "
                f"{change_note(ev, src.text if src else None)}"
            )
    inconsistent = source_inconsistent(st)
    if inconsistent:
        notes += [
            f"source_inconsistent {f.rule}: {f.equation or f.message}"
            for f in st.errors
            if f.severity is Severity.error
        ]
    return TruthProject(
        **st.project.model_dump(), source_inconsistent=inconsistent, truth_notes=notes
    )


def export_truth(ws: Workspace, eval_dir: Path) -> tuple[list[Path], list[str]]:
    """Write each fully approved document as <stem>.truth.json plus a copy of its PDF.

    `jixiao eval EVAL_DIR` then scores the pipeline against it. Returns (truth files written,
    one line per document left out and why).
    """
    eval_dir = Path(eval_dir)
    written: list[Path] = []
    skipped: list[str] = []
    for stem, doc in ws.docs.items():
        states = [ws.state(stem, i) for i in range(len(doc.result.projects))]
        if not states:
            skipped.append(f"{stem}: no project")
            continue
        waiting = [s for s in states if not s.approved]
        if waiting:
            skipped.append(f"{stem}: {len(waiting)} of {len(states)} project(s) not approved")
            continue
        pdf = ws.pdf(stem)
        if pdf is None:
            skipped.append(f"{stem}: source PDF {doc.result.source} not found (use --pdfs)")
            continue
        r = doc.result
        reviewers = sorted({s.approval.reviewer for s in states if s.approval is not None})
        truth = TruthReport(
            title=r.title,
            year=r.year,
            projects=[_truth_project(s) for s in states],
            _notes=[
                f"From `jixiao review` of {r.source} (sha256 {r.sha256}), reviewed by "
                f"{', '.join(reviewers)}; exported {now()}. Values are the reviewed readings "
                "of the printed document."
            ],
        )
        eval_dir.mkdir(parents=True, exist_ok=True)
        target_pdf = eval_dir / f"{stem}.pdf"
        if pdf.resolve() != target_pdf.resolve():
            shutil.copy2(pdf, target_pdf)
        path = eval_dir / f"{stem}.truth.json"
        write_atomic(path, truth.model_dump_json(indent=1, by_alias=True) + "\n")
        written.append(path)
    return written, skipped
