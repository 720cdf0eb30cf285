"""Run the pipeline over (pdf, truth, variant) cases and score every output."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from jixiao_eval.families.truth import family_of, load_truth
from jixiao_eval.pdfgen.write import VARIANTS
from jixiao_eval.scoring.align import NAME_THRESHOLD
from jixiao_eval.scoring.metrics import NARRATIVE_THRESHOLD, aggregate, score_document
from jixiao_eval.scoring.models import CaseScore, EvalReport
from jixiao_eval.scoring.split import held_out
from schemas.output import DocumentResult
from schemas.report import TruthReport

log = logging.getLogger(__name__)

# Variant names recognised in file names <doc>__<variant>.pdf, besides the generator's VARIANTS.
KNOWN_VARIANTS: frozenset[str] = frozenset(
    {"clean", "native", "scan", "scanned", "noisy", "rotated", "skewed", "lowres", "photo"}
    # The producers of the families set (eval/families/): LibreOffice Calc and Writer.
    | {"calc", "writer"}
    # ... and the scans derived from them (jixiao_eval/families/scans.py).
    | {"calc-scan", "writer-scan"}
)
USER_VARIANT = "user"


class EvalCase(BaseModel):
    """One evaluation case: a PDF, its ground truth (file or object) and its variant."""

    model_config = ConfigDict(extra="forbid")

    id: str
    variant: str = USER_VARIANT
    pdf: Path
    truth: Path | TruthReport
    family: str = ""  # the layout family (truth `form`), for the per-family rows of the report

    def load_truth(self) -> TruthReport:
        """The truth as a model, read from disk if it is a path."""
        if isinstance(self.truth, TruthReport):
            return self.truth
        return load_truth(self.truth.read_text(encoding="utf-8"))

    @property
    def truth_label(self) -> str:
        """Where the truth came from, for the report."""
        return str(self.truth) if isinstance(self.truth, Path) else "<inline>"


def split_variant(stem: str, variants: Collection[str]) -> tuple[str, str]:
    """(variant, document stem): the suffix after the last '__' or '.' if it is a variant."""
    for separator in ("__", "."):
        head, found, tail = stem.rpartition(separator)
        if found and head and tail in variants:
            return tail, head
    return USER_VARIANT, stem


def _truth_for(pdf: Path, stems: Iterable[str]) -> Path | None:
    for stem in stems:
        explicit = pdf.with_name(f"{stem}.truth.json")
        if explicit.is_file():
            return explicit
        plain = pdf.with_name(f"{stem}.json")
        # <stem>.json may also be the pipeline's own output written beside the PDF.
        if plain.is_file() and _is_truth(plain):
            return plain
    return None


def _is_truth(path: Path) -> bool:
    try:
        load_truth(path.read_text(encoding="utf-8"))
    except (ValidationError, OSError, UnicodeDecodeError):
        return False
    return True


def load_cases(directory: Path, variants: Collection[str] | None = None) -> list[EvalCase]:
    """Cases from a folder: <stem>.pdf with <stem>.truth.json (or <stem>.json) beside it.

    The truth of <doc>__<variant>.pdf may also be the shared <doc>.truth.json. PDFs without
    a truth file are skipped with a warning.
    """
    names = KNOWN_VARIANTS | frozenset(VARIANTS) if variants is None else frozenset(variants)
    cases: list[EvalCase] = []
    pdfs = sorted(p for p in Path(directory).iterdir() if p.suffix.lower() == ".pdf")
    for pdf in pdfs:
        variant, base = split_variant(pdf.stem, names)
        truth = _truth_for(pdf, dict.fromkeys((pdf.stem, base)))
        if truth is None:
            log.warning("no truth JSON for %s; skipped", pdf.name)
            continue
        family = family_of(truth.read_text(encoding="utf-8"))
        cases.append(EvalCase(id=pdf.stem, variant=variant, pdf=pdf, truth=truth, family=family))
    return cases


def saved_outputs(directory: Path) -> Callable[[Path], DocumentResult]:
    """A `run` that reads earlier pipeline output <directory>/<pdf stem>.json instead."""

    def run(pdf: Path) -> DocumentResult:
        path = Path(directory) / f"{pdf.stem}.json"
        return DocumentResult.model_validate_json(path.read_text(encoding="utf-8"))

    return run


def score_case(
    case: EvalCase,
    run: Callable[[Path], DocumentResult],
    name_threshold: float = NAME_THRESHOLD,
) -> CaseScore:
    """Run the pipeline on one case and score it; a raising run scores as all fields wrong."""
    truth = case.load_truth()
    output: DocumentResult | None = None
    error: str | None = None
    started = time.perf_counter()
    try:
        output = run(case.pdf)
    except Exception as exc:  # any pipeline failure is a result to score, not a crash
        error = f"{type(exc).__name__}: {exc}"
        log.warning("case %s failed: %s", case.id, error)
    scored = score_document(
        truth,
        output,
        case_id=case.id,
        variant=case.variant,
        pdf=str(case.pdf),
        truth_label=case.truth_label,
        error=error,
        name_threshold=name_threshold,
    )
    if error is not None:
        scored.seconds = time.perf_counter() - started
    scored.family = case.family
    return scored


def group_label(family: str, producer: str) -> str:
    """Row label of one family x producer group, e.g. 'sichuan_0013zp / calc'."""
    return f"{family} / {producer}"


def build_report(
    cases: list[CaseScore], settings: dict[str, str | float] | None = None
) -> EvalReport:
    """Aggregate scored cases per variant and overall."""
    by_variant: dict[str, list[CaseScore]] = {}
    by_group: dict[str, list[CaseScore]] = {}
    held: dict[str, list[CaseScore]] = {}
    for case in cases:
        by_variant.setdefault(case.variant, []).append(case)
        if held_out(case.truth or case.id):
            held.setdefault(case.variant, []).append(case)
        if case.family:
            by_group.setdefault(group_label(case.family, case.variant), []).append(case)
    return EvalReport(
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        settings={
            "name_threshold": NAME_THRESHOLD,
            "narrative_threshold": NARRATIVE_THRESHOLD,
            **(settings or {}),
        },
        variants={name: aggregate(group) for name, group in sorted(by_variant.items())},
        groups={name: aggregate(group) for name, group in sorted(by_group.items())},
        held_out={name: aggregate(group) for name, group in sorted(held.items())},
        overall=aggregate(cases),
        cases=cases,
    )


def evaluate(
    cases: Iterable[EvalCase],
    run: Callable[[Path], DocumentResult],
    *,
    name_threshold: float = NAME_THRESHOLD,
    on_case: Callable[[CaseScore], None] | None = None,
) -> EvalReport:
    """Run `run` on every case, score each output against its truth, aggregate."""
    scored: list[CaseScore] = []
    for case in cases:
        result = score_case(case, run, name_threshold)
        scored.append(result)
        if on_case is not None:
            on_case(result)
    return build_report(scored, {"name_threshold": name_threshold})
