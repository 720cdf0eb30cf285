"""Pydantic models of score results: per field, per project, per case, aggregated, the report."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FieldKind = Literal["numeric", "short_text", "narrative"]
Value = str | float | None
CALIBRATION_BINS = 10


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldScore(_Model):
    """One scored field: what the truth says, what the output says, and whether they agree."""

    path: str = Field(
        description="Concrete path: truth row index for compared/missing rows, output row "
        "index for extra rows (e.g. 'indicators[3].score')."
    )
    field: str = Field(description="Generalised path, e.g. 'indicators[].score'.")
    kind: FieldKind
    expected: Value = None
    got: Value = None
    correct: bool
    similarity: float | None = Field(default=None, description="Narrative fields only.")
    confidence: float | None = Field(
        default=None, description="Output field confidence (fallback: project confidence)."
    )
    pinned: bool = Field(
        default=False, description="The output vouched for it by the arithmetic (ARITHMETIC)."
    )
    outcome: Literal["compared", "missing", "extra"] = Field(
        default="compared",
        description="missing: no output for this truth field; extra: output without truth.",
    )


class Counts(_Model):
    """Correct out of total."""

    correct: int = 0
    total: int = 0

    @property
    def accuracy(self) -> float | None:
        """correct / total, None when total is 0."""
        return self.correct / self.total if self.total else None

    def add(self, correct: bool) -> None:
        """Count one more item."""
        self.total += 1
        self.correct += int(correct)

    def merge(self, other: Counts) -> None:
        """Add another tally's counts to this one."""
        self.total += other.total
        self.correct += other.correct


class CalibrationBin(_Model):
    """Fields whose confidence fell in [lower, upper) (the last bin includes 1.0)."""

    lower: float
    upper: float
    n: int = 0
    correct: int = 0
    confidence_sum: float = 0.0

    @property
    def accuracy(self) -> float | None:
        """Share of the bin's fields that are correct."""
        return self.correct / self.n if self.n else None

    @property
    def mean_confidence(self) -> float | None:
        """Mean confidence of the bin's fields."""
        return self.confidence_sum / self.n if self.n else None


def empty_bins(count: int = CALIBRATION_BINS) -> list[CalibrationBin]:
    """Equal-width confidence bins over [0, 1]."""
    return [CalibrationBin(lower=i / count, upper=(i + 1) / count) for i in range(count)]


class Tally(_Model):
    """Additive field statistics; a case's tally sums into variant and overall metrics."""

    numeric: Counts = Field(default_factory=Counts)
    short_text: Counts = Field(default_factory=Counts)
    narrative: Counts = Field(default_factory=Counts)
    narrative_similarity_sum: float = 0.0
    per_field: dict[str, Counts] = Field(default_factory=dict)
    per_field_kind: dict[str, FieldKind] = Field(default_factory=dict)
    calibration: list[CalibrationBin] = Field(default_factory=empty_bins)
    pinned: Counts = Field(default_factory=Counts)

    @property
    def fields(self) -> Counts:
        """All fields, every kind."""
        total = Counts()
        for counts in (self.numeric, self.short_text, self.narrative):
            total.merge(counts)
        return total

    def add(self, score: FieldScore) -> None:
        """Count one scored field."""
        getattr(self, score.kind).add(score.correct)
        if score.kind == "narrative":
            # Extra fields have no truth; narratives are never extra (they are not row fields).
            self.narrative_similarity_sum += score.similarity or 0.0
        self.per_field.setdefault(score.field, Counts()).add(score.correct)
        self.per_field_kind[score.field] = score.kind
        if score.pinned:
            self.pinned.add(score.correct)
        if score.confidence is not None:
            count = len(self.calibration)
            index = min(max(int(score.confidence * count), 0), count - 1)
            bin_ = self.calibration[index]
            bin_.n += 1
            bin_.correct += int(score.correct)
            bin_.confidence_sum += score.confidence

    def merge(self, other: Tally) -> None:
        """Add another tally into this one."""
        self.numeric.merge(other.numeric)
        self.short_text.merge(other.short_text)
        self.narrative.merge(other.narrative)
        self.narrative_similarity_sum += other.narrative_similarity_sum
        self.pinned.merge(other.pinned)
        for field, counts in other.per_field.items():
            self.per_field.setdefault(field, Counts()).merge(counts)
        self.per_field_kind.update(other.per_field_kind)
        for mine, theirs in zip(self.calibration, other.calibration, strict=True):
            mine.n += theirs.n
            mine.correct += theirs.correct
            mine.confidence_sum += theirs.confidence_sum


class ProjectScore(_Model):
    """A truth project and the output project aligned to it (if any)."""

    truth_index: int
    truth_name: str
    output_index: int | None = None
    output_name: str | None = None
    name_similarity: float = 0.0
    status: str | None = Field(default=None, description="Output status; None when missing.")
    confidence: float | None = None
    source_inconsistent: bool = Field(default=False, description="From the truth.")
    flagged: bool = Field(default=False, description="Output status is needs_review.")
    fields: int = Field(description="Scored fields: truth fields plus extra-row fields.")
    correct: int
    exact: bool = Field(description="Found, every field right, no missing or extra row.")
    missing_rows: list[int] = Field(default_factory=list, description="Truth row indices.")
    extra_rows: list[int] = Field(default_factory=list, description="Output row indices.")
    wrong: list[FieldScore] = Field(
        default_factory=list, description="Wrong fields; empty when the project was not found."
    )

    @property
    def found(self) -> bool:
        """An output project was aligned to this truth project."""
        return self.output_index is not None

    @property
    def accepted(self) -> bool:
        """The output accepted this project."""
        return self.status == "accepted"


class ExtraProject(_Model):
    """An output project no truth project aligned to."""

    output_index: int
    name: str
    status: str
    confidence: float
    best_truth_name: str = ""
    best_similarity: float = 0.0


class CaseScore(_Model):
    """One (pdf, truth, variant) case, scored."""

    id: str
    variant: str
    family: str = Field(default="", description="Layout family (truth form); '' if unlabelled.")
    pdf: str
    truth: str
    error: str | None = Field(default=None, description="Why the pipeline run failed.")
    input_errors: list[str] = Field(default_factory=list)
    seconds: float = 0.0
    pages: int = 0
    projects: list[ProjectScore] = Field(default_factory=list)
    extra_projects: list[ExtraProject] = Field(default_factory=list)
    tally: Tally = Field(default_factory=Tally)


class FieldAccuracy(_Model):
    """Accuracy of one generalised field path."""

    field: str
    kind: FieldKind
    correct: int
    total: int
    accuracy: float


class Metrics(_Model):
    """Aggregated metrics over a set of cases (one variant, or all)."""

    docs: int
    docs_failed: int
    projects: int = Field(description="Truth projects.")
    projects_missing: int
    projects_extra: int
    rows_missing: int
    rows_extra: int
    fields: int
    fields_correct: int
    field_accuracy: float | None
    numeric_fields: int
    numeric_accuracy: float | None
    short_text_fields: int
    short_text_exact: float | None
    narrative_fields: int
    narrative_exact: float | None
    narrative_mean_similarity: float | None
    project_exact: int
    project_exact_rate: float | None
    straight_through: int
    straight_through_rate: float | None
    accepted: int
    false_accepts: int
    false_accept_rate: float = Field(description="0.0 when nothing was accepted; see accepted.")
    inconsistent: int
    inconsistent_flagged: int
    flagged_inconsistent_rate: float | None
    pinned: int = Field(default=0, description="Values vouched for by the arithmetic.")
    pinned_wrong: int = Field(default=0, description="Of those, wrong.")
    calibration: list[CalibrationBin]
    calibrated_fields: int
    ece: float | None
    seconds: float
    pages: int
    seconds_per_page: float | None
    per_field: list[FieldAccuracy] = Field(description="Worst first.")


class EvalReport(_Model):
    """A whole evaluation: settings, metrics per variant and overall, and every case."""

    created: str
    settings: dict[str, str | float]
    variants: dict[str, Metrics]
    groups: dict[str, Metrics] = Field(
        default_factory=dict, description="Per family / producer, for cases with a family."
    )
    held_out: dict[str, Metrics] = Field(
        default_factory=dict,
        description="Per variant, the held-out documents only (scoring/split.py).",
    )
    overall: Metrics
    cases: list[CaseScore]
