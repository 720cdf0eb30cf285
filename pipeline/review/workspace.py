"""A run's outputs under review: documents, their PDFs, and each project's state after decisions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pipeline.checks import check_project, rules
from pipeline.confidence import ACCEPT
from pipeline.review import fields as F
from pipeline.review.diff import Segment, diff
from pipeline.review.pages import find_pdf, openable
from pipeline.review.store import DB_NAME, Event, ReviewStore
from schemas import (
    CandidateValue,
    DocumentResult,
    Finding,
    ProjectResult,
    Severity,
    Source,
    Status,
)
from schemas.report import Project

CACHE_DIR = ".review-cache"
CHECK_RULES = frozenset(r.id for r in rules())
SOURCE_LABELS = {
    "layout": "版面读取",
    "llm": "LLM",
    "ocr": "OCR",
    "text_layer": "文本层",
    "reviewer": "审核员",
    "layout+llm": "版面+LLM",
    # how a reviewer decided (store.Event.source)
    "typed": "手动输入",
    "confirmed": "确认无误",
    "revert": "恢复原值",
}


@dataclass
class Doc:
    """One result JSON of the run, and where its PDF is."""

    stem: str
    json_path: Path
    result: DocumentResult
    recorded_pdf: str | None = None


@dataclass(frozen=True)
class Candidate:
    """One source's reading of a field, ready to show."""

    source: str
    value: F.Value
    text: str
    confidence: float
    note: str
    current: bool
    segments: list[Segment]

    @property
    def source_label(self) -> str:
        """Human name of the source."""
        return SOURCE_LABELS.get(self.source, self.source)


@dataclass
class ProjectState:
    """One project as extracted, with every decision of the event log applied in order."""

    doc: Doc
    index: int
    events: list[Event]
    stale_events: int = 0
    values: dict[str, Any] = field(default_factory=dict)
    printed: dict[str, str] = field(default_factory=dict)
    decisions: dict[str, Event] = field(default_factory=dict)
    inconsistent: bool | None = None
    approval: Event | None = None

    @property
    def original(self) -> ProjectResult:
        """The project as the run wrote it."""
        return self.doc.result.projects[self.index]

    @property
    def key(self) -> str:
        """'<doc stem>/<index>', the project's id in URLs."""
        return f"{self.doc.stem}/{self.index}"

    @cached_property
    def project(self) -> Project:
        """The current values as a schema Project."""
        return Project.model_validate(self.values)

    def value(self, path: str) -> F.Value:
        """Current value of a field."""
        return F.get_value(self.values, path)

    @cached_property
    def _original_data(self) -> dict[str, Any]:
        return self.original.model_dump()

    def original_value(self, path: str) -> F.Value:
        """Value of a field as extracted."""
        return F.get_value(self._original_data, path)

    def text(self, path: str) -> str:
        """Current value of a field as the reviewer reads it."""
        return F.display(path, self.value(path), self.printed.get(path))

    def confidence(self, path: str) -> float:
        """1.0 once a reviewer decided the field; else the extractor's confidence."""
        if path in self.decisions:
            return 1.0
        return self.original.field_confidence.get(path, 1.0)

    @cached_property
    def findings(self) -> list[Finding]:
        """Reading findings not yet settled by a decision, then the checker re-run on the values."""
        if not self.decisions:
            return list(self.original.findings)  # what the run found, on the same values
        reading = [
            f
            for f in self.original.findings
            if f.rule not in CHECK_RULES and not all(p in self.decisions for p in f.fields)
        ]
        return reading + check_project(self.project, self.printed)

    @property
    def errors(self) -> list[Finding]:
        """Findings of severity error."""
        return [f for f in self.findings if f.severity is Severity.error]

    @cached_property
    def doubtful(self) -> list[str]:
        """Fields to check against the page: low confidence, sources disagreeing, or misread."""
        orig = self.original
        paths = {p for p, c in orig.field_confidence.items() if c < ACCEPT}
        for path, cands in orig.candidates.items():
            texts = {F.display(path, c.value) for c in cands}
            if len(texts) > 1:
                paths.add(path)
        for f in orig.findings:
            if f.rule not in CHECK_RULES:
                paths.update(f.fields)
        known = set(F.all_paths(self.project))
        return sorted((p for p in paths if p in known), key=F.order_key)

    @property
    def open_fields(self) -> list[str]:
        """Doubtful fields without a decision yet."""
        return [p for p in self.doubtful if p not in self.decisions]

    @property
    def approved(self) -> bool:
        """A reviewer approved the project (and did not reopen it)."""
        return self.approval is not None

    @property
    def can_approve(self) -> bool:
        """No error left, or the reviewer says the document itself is inconsistent."""
        return not self.errors or self.inconsistent is True

    @property
    def state(self) -> str:
        """approved | in_progress | todo | accepted."""
        if self.approved:
            return "approved"
        if self.events:
            return "in_progress"
        return "accepted" if self.original.status is Status.accepted else "todo"

    def candidates(self, path: str) -> list[Candidate]:
        """Every reading of a field, each diffed against the current value (or, for the current
        one, against the first reading that differs from it)."""
        orig = self.original
        found = list(orig.candidates.get(path, []))
        extracted = self.original_value(path)
        if not any(F.same(c.value, extracted) for c in found):
            found.insert(
                0,
                CandidateValue(
                    source=Source(self.doc.result.extractor or Source.layout),
                    value=extracted,
                    confidence=orig.field_confidence.get(path, 1.0),
                ),
            )
        printed = orig.provenance[path].text if path in orig.provenance else None
        current = self.value(path)
        current_text = self.text(path)
        numeric = F.is_numeric(path)
        texts = [F.display(path, c.value, printed) for c in found]
        differing = next(
            (t for c, t in zip(found, texts, strict=True) if not F.same(c.value, current)), None
        )
        out = []
        for c, text in zip(found, texts, strict=True):
            is_current = F.same(c.value, current)
            reference = differing if is_current else current_text
            out.append(
                Candidate(
                    source=c.source,
                    value=c.value,
                    text=text,
                    confidence=c.confidence,
                    note=c.note,
                    current=is_current,
                    segments=diff(text, reference, numeric),
                )
            )
        return out


def _apply(state: ProjectState) -> ProjectState:
    orig = state.original
    data = orig.model_dump()
    state.values = {k: data[k] for k in Project.model_fields}
    known = set(F.all_paths(Project.model_validate(state.values)))
    state.printed = {
        p: src.text
        for p, src in orig.provenance.items()
        if p in known and F.printed_matches(p, F.get_value(state.values, p), src.text)
    }
    for ev in state.events:
        if ev.kind == "value" and ev.field in known and not isinstance(ev.new_value, bool):
            F.set_value(state.values, ev.field, ev.new_value)
            was = orig.provenance.get(ev.field)
            # The checker reads numbers from printed text: give it the decided value's.
            state.printed[ev.field] = F.display(ev.field, ev.new_value, was.text if was else None)
            state.decisions[ev.field] = ev
        elif ev.kind == "inconsistent":
            state.inconsistent = bool(ev.new_value)
        elif ev.kind == "approve":
            state.approval = ev
        elif ev.kind == "reopen":
            state.approval = None
    return state


def _load_docs(out_dir: Path) -> tuple[list[Doc], list[str]]:
    docs: list[Doc] = []
    skipped: list[str] = []
    for path in sorted(out_dir.glob("*.json")):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise ValueError("not an object")
            recorded = raw.get("source_path")
            if "source_path" not in DocumentResult.model_fields:
                raw.pop("source_path", None)  # written by a newer `jixiao run`
            result = DocumentResult.model_validate(raw)
        except (OSError, UnicodeDecodeError, ValueError, ValidationError):
            skipped.append(path.name)  # not a result of `jixiao run` (or not readable)
            continue
        docs.append(Doc(path.stem, path, result, recorded if isinstance(recorded, str) else None))
    return docs, skipped


class Workspace:
    """The outputs of one `jixiao run` folder and their review log."""

    def __init__(self, out_dir: Path, pdf_dirs: list[Path] | None = None) -> None:
        # Absolute from here on: Flask's send_file resolves a relative path against the
        # package folder, not the working directory (`jixiao review out/` showed no pages).
        self.out_dir = Path(out_dir).resolve()
        if not self.out_dir.is_dir():
            raise FileNotFoundError(f"{out_dir}: no such folder")
        self.pdf_dirs = [Path(d).resolve() for d in pdf_dirs or []]
        docs, self.skipped = _load_docs(self.out_dir)
        self.docs = {d.stem: d for d in docs}
        self.store = ReviewStore(self.out_dir / DB_NAME)
        self.cache_dir = self.out_dir / CACHE_DIR
        self._pdfs: dict[str, Path | None] = {}

    def pdf(self, stem: str) -> Path | None:
        """The source PDF of a document (checked by sha256), or None if it cannot be found."""
        if stem not in self._pdfs:
            doc = self.docs[stem]
            r = doc.result
            found = find_pdf(doc.json_path, r.source, r.sha256, doc.recorded_pdf, self.pdf_dirs)
            self._pdfs[stem] = found and openable(found, r.sha256, self.cache_dir)
        return self._pdfs[stem]

    def state(self, stem: str, index: int, events: list[Event] | None = None) -> ProjectState:
        """A project with its decisions applied (raises KeyError/IndexError if it does not exist)."""
        doc = self.docs[stem]
        if not 0 <= index < len(doc.result.projects):
            raise IndexError(index)
        evs = self.store.events(stem, index) if events is None else events
        current = [e for e in evs if e.doc_sha256 == doc.result.sha256]
        # Decisions made on an earlier run's JSON of another PDF version are kept, not applied.
        return _apply(ProjectState(doc, index, current, stale_events=len(evs) - len(current)))

    def states(self) -> list[ProjectState]:
        """Every project of every document, decisions applied (one query for all events)."""
        by_project: dict[tuple[str, int], list[Event]] = {}
        for ev in self.store.events():
            by_project.setdefault((ev.doc, ev.project), []).append(ev)
        return [
            self.state(stem, i, by_project.get((stem, i), []))
            for stem, doc in self.docs.items()
            for i in range(len(doc.result.projects))
        ]
