"""One project through the LLM: ask, check the answer, repair (bounded), keep every attempt.

The checker's errors on an answer trigger a bounded number of targeted repair rounds; the
round with the fewest errors is kept. Nothing the model or the network does raises here: a
failure is the outcome, recorded with its kind.
"""

from __future__ import annotations

from pipeline import confidence as C
from pipeline.checks import check_project
from pipeline.llm.client import LLMCallFailed, LLMClient
from pipeline.llm.messages import ProjectRequest, initial_messages, repair_messages
from pipeline.llm.outcome import Attempt, LLMOutcome
from pipeline.llm.schema import ExtractedProject, answer_values
from pipeline.models import ProjectCandidate
from pipeline.numbers import printed_text
from pipeline.options import LLMSettings
from schemas import Finding, Project, Severity
from schemas.paths import field_values


def to_candidate(
    answer: Project, changed: set[str], layout: ProjectCandidate | None = None
) -> ProjectCandidate:
    """The LLM's answer as a candidate: printed text with 2 decimals, per-field confidence."""
    project = Project.model_validate(answer.model_dump(include=set(Project.model_fields)))
    values = field_values(project)
    return ProjectCandidate(
        project=project,
        printed={p: printed_text(p, v) for p, v in values.items()},
        field_confidence={p: C.LLM_REPAIRED if p in changed else C.LLM_READING for p in values},
        pages=layout.pages if layout else [],
        extractor="llm",
    )


def _errors(answer: ExtractedProject) -> list[Finding]:
    cand = to_candidate(answer, set())
    return [f for f in check_project(cand.project, cand.printed) if f.severity is Severity.error]


def reconstruct(req: ProjectRequest, client: LLMClient, settings: LLMSettings) -> LLMOutcome:
    """Ask, check, repair (bounded); never raises for the model's or the network's failures."""
    attempts: list[Attempt] = []
    answers: dict[int, tuple[ExtractedProject, list[Finding]]] = {}
    out = LLMOutcome(req.index, None, attempts)
    base = initial_messages(req, settings)
    messages = base
    round_ = 0
    previous: ExtractedProject | None = None
    while True:
        kind = "extract" if round_ == 0 else "repair"
        try:
            answer = client.ask(messages, ExtractedProject, project=req.index, round=round_)
        except LLMCallFailed as exc:  # the failure is the outcome; the batch goes on
            out.failure, out.failure_kind = exc.message, exc.kind
            attempts.append(Attempt(round_, kind, failure=out.failure))
            break
        errs = _errors(answer)
        answers[round_] = (answer, errs)
        attempts.append(
            Attempt(
                round_,
                kind,
                answer=answer_values(answer),
                errors=[f"{f.rule}: {f.equation or f.message}" for f in errs],
                source_inconsistencies=list(answer.source_inconsistencies),
            )
        )
        if not errs or round_ >= settings.max_repair_rounds:
            break
        if previous is not None and answer_values(previous) == answer_values(answer):
            break  # the model stands by its reading: asking again would cost, not help
        previous = answer
        messages = repair_messages(base, answer, errs, req, settings)
        round_ += 1
    if not answers:
        return out
    # the round with the fewest errors; the later one on a tie (it was looked at again)
    best = min(answers, key=lambda r: (len(answers[r][1]), -r))
    chosen = answers[best][0]
    first = answers[min(answers)][0]
    changed = {
        p for p, v in field_values(chosen).items() if field_values(first).get(p, object()) != v
    }
    out.candidate = to_candidate(chosen, changed, req.layout)
    out.notes = list(chosen.source_inconsistencies)
    out.chosen_round = best
    if out.failure:
        out.failure = f"round {len(answers)} failed ({out.failure}); kept round {best}"
    return out
