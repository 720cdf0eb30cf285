"""Candidate + findings -> chosen values, per-field confidence, status and the reasons for it."""

from __future__ import annotations

from pipeline.models import ProjectCandidate
from schemas import Finding, ProjectResult, Severity, Status

# A field read with less confidence than this sends its project to review.
ACCEPT_THRESHOLD = 0.9


def reconcile(candidate: ProjectCandidate, checks: list[Finding]) -> ProjectResult:
    """Decide a project's status; values are kept exactly as read, never adjusted to fit a rule."""
    conf = candidate.field_confidence
    findings = [*candidate.reading_findings, *checks]
    doubtful = sorted((p for p, c in conf.items() if c < ACCEPT_THRESHOLD), key=_path_order)
    rule_errors = [f for f in checks if f.severity is Severity.error]
    reading_errors = [f for f in candidate.reading_findings if f.severity is Severity.error]
    reasons: list[str] = []
    for f in reading_errors:
        reasons.append(f"{f.rule}: {f.message}")
    if doubtful:
        shown = ", ".join(f"{p} ({conf[p]:.2f})" for p in doubtful[:8])
        more = f" and {len(doubtful) - 8} more" if len(doubtful) > 8 else ""
        reasons.append(f"low_confidence: {shown}{more}")
    source_inconsistent = False
    for f in rule_errors:
        shaky = [p for p in f.fields if conf.get(p, 1.0) < ACCEPT_THRESHOLD]
        if shaky or reading_errors:
            reasons.append(
                f"check_failed {f.rule} (may be a misreading): {f.equation or f.message}"
            )
        else:
            source_inconsistent = True
            reasons.append(f"source_inconsistent {f.rule}: {f.equation or f.message}")
    accepted = not rule_errors and not reading_errors and not doubtful
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
    )


def _path_order(path: str) -> tuple[int, str]:
    return (1 if path.startswith("indicators[") else 0, path)
