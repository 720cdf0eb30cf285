"""`jixiao eval --simulate-llm`: how many injected LLM errors does the gate let through?

SIMULATED LLM. Every project of the eval set's PDFs is answered, through the real LLM path
(HTTP, instructor, checker repair, reconcile), by jixiao_eval.fake_llm serving the truth plus
one injected error (jixiao_eval.simulate.inject), a different error type each round.
An injected error counts as accepted when its project ends `accepted` AND every field it
changed holds the injected (wrong) value in the final output. Projects whose error type does
not apply get the truth instead: these controls show the gate still accepts correct answers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from jixiao_eval.bundled import DEFAULT_PDF_DIR, bundled_truths, generate_pdfs
from jixiao_eval.fake_llm import ScriptedLLM
from jixiao_eval.scoring.align import align_projects
from jixiao_eval.simulate.inject import (
    ERROR_TYPES,
    ROWS,
    Recorded,
    SimulatedAnswer,
    inject,
    rng_for,
    truthful,
    type_for,
)
from jixiao_eval.simulate.model import SimulatedModel
from pipeline.options import LLMMode, LLMSettings, RunOptions
from pipeline.output import write_atomic
from pipeline.reconcile import same_value
from pipeline.run import process_file
from pipeline.textnorm import clean
from schemas import DocumentResult, ProjectResult, ReasonKind, Status, TruthReport
from schemas.paths import field_values

LABEL = "SIMULATED LLM"
NOTICE = (
    "SIMULATED LLM: no model was run. Each answer is the ground truth with one injected error "
    "(jixiao_eval/simulate/inject.py), served over HTTP through jixiao's real LLM path."
)
# The gate's target (issue 4): at most this share of injected errors accepted overall, and
# none of those that break a checker rule.
MAX_ACCEPTED_SHARE = 0.005


@dataclass
class Outcome:
    """What became of one injected error."""

    doc: str
    variant: str
    round: int
    project: int
    project_name: str
    type: str
    detail: str
    breaks: list[str]
    changes: list[dict[str, Any]]  # path, truth, injected, final
    status: str
    accepted: bool  # project accepted with the wrong value(s) in the output
    kept: bool  # the wrong value(s) in the output, whatever the status
    reasons: list[str] = field(default_factory=list)


@dataclass
class TypeFigures:
    """Per error type: injected, accepted, share; the same for those that break a rule."""

    injected: int = 0
    accepted: int = 0
    breaking_rule: int = 0
    accepted_breaking_rule: int = 0
    kept_under_review: int = 0

    @property
    def share(self) -> float | None:
        return self.accepted / self.injected if self.injected else None


@dataclass
class SimulationReport:
    """The whole measurement, as written to simulation.json."""

    label: str
    notice: str
    seed: int
    rounds: int
    variants: list[str]
    documents: int
    mode: str
    vision: bool
    seconds: float = 0.0
    requests: int = 0
    unmatched_requests: int = 0
    document_errors: list[str] = field(default_factory=list)
    llm_failures: list[str] = field(default_factory=list)
    controls: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, TypeFigures] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def total(self) -> TypeFigures:
        out = TypeFigures()
        for f in self.by_type.values():
            out.injected += f.injected
            out.accepted += f.accepted
            out.breaking_rule += f.breaking_rule
            out.accepted_breaking_rule += f.accepted_breaking_rule
            out.kept_under_review += f.kept_under_review
        return out

    @property
    def passed(self) -> bool:
        """At most 0.5% accepted overall, none breaking a rule, and a real measurement."""
        t = self.total
        return (
            t.injected > 0
            and t.accepted <= MAX_ACCEPTED_SHARE * t.injected
            and t.accepted_breaking_rule == 0
            and not self.document_errors
        )

    def to_json(self) -> dict[str, Any]:
        t = self.total
        return {
            "label": self.label,
            "notice": self.notice,
            "passed": self.passed,
            "target": {"max_accepted_share": MAX_ACCEPTED_SHARE, "max_accepted_breaking_rule": 0},
            "seed": self.seed,
            "rounds": self.rounds,
            "variants": self.variants,
            "documents": self.documents,
            "mode": self.mode,
            "vision": self.vision,
            "seconds": self.seconds,
            "requests": self.requests,
            "unmatched_requests": self.unmatched_requests,
            "document_errors": self.document_errors,
            "llm_failures": self.llm_failures,
            "controls": self.controls,
            "total": asdict(t) | {"share": t.share},
            "by_type": {k: asdict(v) | {"share": v.share} for k, v in self.by_type.items()},
            "accepted_cases": [asdict(o) for o in self.outcomes if o.accepted],
            "outcomes": [asdict(o) for o in self.outcomes],
        }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def table(report: SimulationReport) -> str:
    """The per-type figures as a plain-text table, headed SIMULATED LLM."""
    lines = [
        f"{LABEL}: injected errors accepted by the gate "
        f"({report.documents} document(s) x {len(report.variants)} variant(s) "
        f"[{', '.join(report.variants)}], {report.rounds} round(s), seed {report.seed}, "
        f"mode {report.mode})",
        f"{'error type':22} {'injected':>8} {'accepted':>8} {'share':>8} "
        f"{'breaks rule':>11} {'accepted':>8} {'kept, review':>12}",
    ]
    rows = [*report.by_type.items(), ("TOTAL", report.total)]
    for name, f in rows:
        lines.append(
            f"{name:22} {f.injected:8d} {f.accepted:8d} {_pct(f.share):>8} "
            f"{f.breaking_rule:11d} {f.accepted_breaking_rule:8d} {f.kept_under_review:12d}"
        )
    c = report.controls
    lines.append(
        f"controls (truth answered, nothing injected): {c.get('projects', 0)} project(s), "
        f"{c.get('accepted', 0)} accepted of {c.get('consistent', 0)} consistent in the source"
    )
    verdict = "PASS" if report.passed else "FAIL"
    lines.append(
        f"{verdict}: target <= {100 * MAX_ACCEPTED_SHARE:.1f}% accepted overall and 0 accepted "
        f"that break a checker rule; {report.requests} request(s) answered by the simulator"
    )
    for problem in report.document_errors[:5]:
        lines.append(f"document error: {problem}")
    for o in [o for o in report.outcomes if o.accepted][:10]:
        lines.append(
            f"accepted: {o.doc} [{o.variant}] round {o.round} project {o.project} {o.type} "
            f"{o.detail} {json.dumps(o.changes, ensure_ascii=False)[:200]}"
        )
    return "\n".join(lines)


def _final(project: ProjectResult, path: str) -> Recorded:
    if path == ROWS:
        return [ind.name for ind in project.indicators]
    return field_values(project).get(path)


def _equal(path: str, a: Recorded, b: Recorded) -> bool:
    if path == ROWS:
        if not isinstance(a, list) or not isinstance(b, list):
            return False
        return [clean(x) for x in a] == [clean(x) for x in b]
    if isinstance(a, list) or isinstance(b, list):
        return False
    return same_value(path, a, b)


def _score(
    doc: str,
    variant: str,
    round_: int,
    truth: TruthReport,
    answers: list[SimulatedAnswer],
    result: DocumentResult,
    report: SimulationReport,
) -> None:
    pairs = align_projects([p.name for p in truth.projects], [p.name for p in result.projects])
    by_truth = {p.truth: p.output for p in pairs if p.truth is not None}
    for i, (tp, answer) in enumerate(zip(truth.projects, answers, strict=True)):
        o = by_truth.get(i)
        out = result.projects[o] if o is not None else None
        if out is not None:
            failed = [str(r) for r in out.reasons if r.kind is ReasonKind.llm_failed]
            report.llm_failures += [f"{doc} [{variant}] project {i}: {r}" for r in failed]
        if not answer.injections:
            report.controls["projects"] = report.controls.get("projects", 0) + 1
            if not tp.source_inconsistent:
                report.controls["consistent"] = report.controls.get("consistent", 0) + 1
                if out is not None and out.status is Status.accepted:
                    report.controls["accepted"] = report.controls.get("accepted", 0) + 1
            continue
        for inj in answer.injections:
            changes = []
            kept = out is not None
            for c in inj.changes:
                final = _final(out, c.path) if out is not None else None
                kept = kept and _equal(c.path, final, c.injected)
                changes.append(
                    {"path": c.path, "truth": c.truth, "injected": c.injected, "final": final}
                )
            status = out.status.value if out is not None else "missing"
            accepted = kept and status == Status.accepted.value
            report.outcomes.append(
                Outcome(
                    doc=doc,
                    variant=variant,
                    round=round_,
                    project=i,
                    project_name=tp.name,
                    type=inj.type,
                    detail=inj.detail,
                    breaks=list(inj.breaks),
                    changes=changes,
                    status=status,
                    accepted=accepted,
                    kept=kept,
                    reasons=[str(r) for r in out.reasons[:3]] if out is not None else [],
                )
            )
            f = report.by_type.setdefault(inj.type, TypeFigures())
            f.injected += 1
            f.accepted += accepted
            f.breaking_rule += bool(inj.breaks)
            f.accepted_breaking_rule += accepted and bool(inj.breaks)
            f.kept_under_review += kept and not accepted


def answers_for(doc: str, truth: TruthReport, round_: int, seed: int) -> list[SimulatedAnswer]:
    """One answer per project: the round's error type injected, or the truth if it does not apply."""
    offset = zlib.crc32(doc.encode("utf-8"))
    out = []
    for j, project in enumerate(truth.projects):
        kind = type_for(round_, j, offset)
        made = inject(project, kind, rng_for(seed, doc, j, round_, kind))
        out.append(made if made is not None else truthful(project))
    return out


def run_simulation(
    out: Path,
    *,
    variants: Sequence[str] = ("digital",),
    limit: int = 0,
    truths: Sequence[Path] | None = None,
    rounds: int = 0,
    seed: int = 0,
    pdf_dir: Path | None = None,
    mode: LLMMode = "tools",
    vision: bool = False,
    quiet: bool = False,
) -> SimulationReport:
    """Run the simulation; writes out/simulation.json and out/simulation.txt, returns the report.

    rounds: 0 means one round per error type (every project gets every type once).
    """
    t0 = time.perf_counter()
    paths = list(truths) if truths is not None else bundled_truths()
    if limit:
        paths = paths[:limit]
    n_rounds = rounds or len(ERROR_TYPES)
    triples = generate_pdfs(paths, list(variants), pdf_dir or DEFAULT_PDF_DIR)
    report = SimulationReport(
        label=LABEL,
        notice=NOTICE,
        seed=seed,
        rounds=n_rounds,
        variants=list(variants),
        documents=len(paths),
        mode=mode,
        vision=vision,
        by_type={name: TypeFigures() for name in ERROR_TYPES},
    )
    steps = n_rounds * len(triples)
    step = 0
    model = SimulatedModel()
    with ScriptedLLM(model, keep_history=False) as server:
        settings = LLMSettings(
            model="simulated",
            base_url=server.base_url,
            mode=mode,
            vision=vision,
            # answers differ per round for the same request: a cache would replay round 0
            cache=False,
            concurrency=4,
            timeout=30.0,
            retry_attempts=1,
        )
        options = RunOptions(llm=settings)
        for round_ in range(n_rounds):
            for doc, variant, pdf, truth_path in triples:
                step += 1
                if not quiet:
                    print(
                        f"\r{LABEL}: round {round_ + 1}/{n_rounds}, {step}/{steps} {doc} [{variant}]   ",
                        end="",
                        file=sys.stderr,
                    )
                truth = TruthReport.model_validate_json(truth_path.read_text(encoding="utf-8"))
                answers = answers_for(doc, truth, round_, seed)
                model.prepare(truth.projects, [a.project for a in answers])
                result = process_file(pdf, options)
                if result.errors:
                    report.document_errors += [
                        f"{doc} [{variant}]: {e.message}" for e in result.errors
                    ]
                    continue
                _score(doc, variant, round_, truth, answers, result, report)
        report.requests = server.count
        report.unmatched_requests = model.unmatched
    if not quiet:
        print("", file=sys.stderr)
    report.seconds = round(time.perf_counter() - t0, 2)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(
        out / "simulation.json", json.dumps(report.to_json(), ensure_ascii=False, indent=1) + "\n"
    )
    write_atomic(out / "simulation.txt", table(report) + "\n")
    return report


def run_from_args(args: argparse.Namespace) -> int:
    """Entry of `jixiao eval --simulate-llm`: 0 when the gate meets its target, 1 otherwise."""
    out = Path(args.out)
    report = run_simulation(
        out,
        variants=[v.strip() for v in args.sim_variants.split(",") if v.strip()],
        limit=args.limit,
        rounds=args.sim_rounds,
        seed=args.sim_seed,
        pdf_dir=Path(args.pdf_dir) if args.pdf_dir else None,
        mode=args.sim_mode,
    )
    print(table(report))
    print(f"{LABEL} report: {out / 'simulation.json'} and {out / 'simulation.txt'}")
    return 0 if report.passed else 1
