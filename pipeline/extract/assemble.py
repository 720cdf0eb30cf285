"""Cells read for one project -> a schema Project with printed text, provenance and confidence."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline import confidence as C
from pipeline.extract import labels as L
from pipeline.models import Cell, ProjectCandidate
from pipeline.numbers import read_number, to_float
from pipeline.textnorm import compact, fold_quotes
from schemas import (
    CandidateValue,
    FieldSource,
    Finding,
    FundsBlock,
    FundsLine,
    Indicator,
    Project,
    ReadWith,
    Severity,
    Source,
)
from schemas.paths import FUNDS_COLUMNS, FUNDS_LINES, funds_path

# Funds cells that real reports print as "-" on the sub-rows.
_DASH_OK = {"weight", "score"}
# Text fields with no arithmetic to check them: read twice (our lines, PyMuPDF's lines).
_NARRATIVES = frozenset({"goal_expected", "goal_actual"})
_NARRATIVE_ENDS = (".name", ".deviation_reason")
_LONG_TEXT = 40  # characters: any longer text field is read twice too


@dataclass
class RawProject:
    """What the layout reader found for one project, still as cells."""

    first_page: int
    pages: set[int] = field(default_factory=set)
    cells: dict[str, list[Cell]] = field(default_factory=dict)
    indicators: list[dict[str, list[Cell]]] = field(default_factory=list)
    # per level key: groups of (cells of the merged cell, indicator rows it covers)
    level_rows: dict[str, list[tuple[list[Cell], list[int]]]] = field(
        default_factory=lambda: {"level1": [], "level2": []}
    )
    split_rows: list[int] = field(default_factory=list)
    unit_cells: list[Cell] = field(default_factory=list)
    untrusted_layer: bool = False
    joined: set[str] = field(default_factory=set)

    def put(self, path: str, cells: list[Cell], allow_empty: bool = False) -> None:
        if cells or allow_empty:
            self.cells[path] = cells

    def append(self, path: str, cell: Cell) -> None:
        self.cells.setdefault(path, []).append(cell)
        if len({c.page for c in self.cells[path]}) > 1:
            self.joined.add(path)


def _text(cells: list[Cell]) -> str:
    return "".join(c.text for c in cells)


def _source(cells: list[Cell]) -> FieldSource | None:
    if not cells:
        return None
    page = cells[0].page
    same = [c for c in cells if c.page == page]
    bbox = (
        min(c.bbox[0] for c in same),
        min(c.bbox[1] for c in same),
        max(c.bbox[2] for c in same),
        max(c.bbox[3] for c in same),
    )
    return FieldSource(page=page, bbox=tuple(round(v, 1) for v in bbox), text=_text(cells))  # type: ignore[arg-type]


class _Collector:
    def __init__(self, raw: RawProject) -> None:
        self.raw = raw
        self.printed: dict[str, str] = {}
        self.prov: dict[str, FieldSource] = {}
        self.conf: dict[str, float] = {}
        self.findings: list[Finding] = []
        self.candidates: dict[str, list[CandidateValue]] = {}

    def _base_conf(self, path: str, cells: list[Cell]) -> float:
        conf = C.CLEAN_TEXT_LAYER
        # A hidden layer is not to be trusted alone; cells checked against OCR (or read by it)
        # carry their own arbitrated confidence instead.
        if self.raw.untrusted_layer and any(c.read_with is ReadWith.text_layer for c in cells):
            conf = C.HIDDEN_LAYER
        conf = min([conf, *(c.confidence for c in cells)])
        readings = [r for c in cells for r in c.readings]
        if readings:
            self.candidates[path] = [
                CandidateValue(
                    source=r.source,
                    value=r.text,
                    confidence=round(min(max(r.confidence, 0.0), 1.0), 3),
                    note="chosen" if r.chosen else "",
                )
                for r in readings
            ]
        doubts = sorted({d for c in cells for d in c.doubtful})
        if doubts:
            conf = min(conf, C.DOUBTFUL)
            self._note(
                "READ_DOUBTFUL",
                Severity.warning,
                path,
                f"{path} may be misread: {'; '.join(doubts)}",
            )
        if path in self.raw.joined or len({c.page for c in cells}) > 1:
            conf = min(conf, C.JOINED_ACROSS_PAGES)
        return min(conf, self._second_reading(path, cells))

    def _second_reading(self, path: str, cells: list[Cell]) -> float:
        """A narrative whose two readings (our lines, PyMuPDF's lines) differ goes to review."""
        ours = _text(cells)
        narrative = path in _NARRATIVES or path.endswith(_NARRATIVE_ENDS)
        if not (narrative or len(ours) > _LONG_TEXT) or any(c.alt_text is None for c in cells):
            return C.CLEAN_TEXT_LAYER
        alt = "".join(c.alt_text or "" for c in cells)
        if compact(fold_quotes(alt)) == compact(fold_quotes(ours)):
            return C.CLEAN_TEXT_LAYER
        level = C.READINGS_DISAGREE
        self.candidates.setdefault(path, []).extend(
            [
                CandidateValue(
                    source=Source.text_layer,
                    value=ours,
                    confidence=level,
                    note="layout lines (chosen)",
                ),
                CandidateValue(
                    source=Source.text_layer, value=alt, confidence=level, note="pymupdf lines"
                ),
            ]
        )
        self._note(
            "READ_ORDER",
            Severity.warning,
            path,
            f"{path}: the text reads differently in PyMuPDF's lines; the order is in doubt",
        )
        return level

    def _read(self, path: str, cells: list[Cell] | None, required: bool) -> str | None:
        """Record the printed text, box and base confidence of a field; None if not found."""
        cells = cells if cells is not None else self.raw.cells.get(path)
        if cells is None:
            self.conf[path] = C.NOT_READ if required else C.JOINED_ACROSS_PAGES
            if required:
                self._missing(path)
            return None
        text = _text(cells)
        self.printed[path] = text
        src = _source(cells)
        if src:
            self.prov[path] = src
        self.conf[path] = self._base_conf(path, cells)
        return text

    def text(self, path: str, cells: list[Cell] | None, required: bool = True) -> str:
        return self._read(path, cells, required) or ""

    def number(
        self, path: str, cells: list[Cell] | None, required: bool, dash_ok: bool
    ) -> float | None:
        text = self._read(path, cells, required)
        if text is None:
            return None
        reading = read_number(text)
        conf = self.conf[path]
        if not reading.ok:
            conf = C.NOT_READ
            self._note("READ_NUMBER", Severity.error, path, f"{path}: '{text}' is not a number")
        elif reading.blank and required and not dash_ok:
            conf = min(conf, C.BLANK_NUMBER)
            self._note(
                "READ_BLANK", Severity.warning, path, f"{path} is blank where a number is expected"
            )
        self.conf[path] = conf
        return to_float(reading.value) if reading.value is not None else None

    def _note(self, rule: str, severity: Severity, path: str, message: str) -> None:
        self.findings.append(
            Finding(rule=rule, severity=severity, fields=[path], message=message, equation="")
        )

    def _missing(self, path: str) -> None:
        self._note("READ_MISSING", Severity.error, path, f"{path} was not found in the table")


def _level_texts(raw: RawProject, key: str) -> dict[int, list[Cell]]:
    out: dict[int, list[Cell]] = {}
    for cells, rows in raw.level_rows[key]:
        for r in rows:
            out[r] = cells
    return out


def assemble(raw: RawProject) -> ProjectCandidate:
    """Parse the cells of one project into the schema, noting what was read with doubt."""
    col = _Collector(raw)
    name = col.text("name", None)
    department = col.text("department", None)
    unit = col.text("implementing_unit", None)
    lines: dict[str, FundsLine] = {}
    for line in FUNDS_LINES:
        vals: dict[str, float | None] = {}
        for key in FUNDS_COLUMNS:
            path = funds_path(line, key)
            required = line == "total" or key not in _DASH_OK
            vals[key] = col.number(
                path, None, required, dash_ok=line != "total" and key in _DASH_OK
            )
        lines[line] = FundsLine(**vals)
    goal_expected = col.text("goal_expected", None, required=False)
    goal_actual = col.text("goal_actual", None, required=False)
    levels = {k: _level_texts(raw, k) for k in ("level1", "level2")}
    indicators: list[Indicator] = []
    for i, row in enumerate(raw.indicators):
        p = f"indicators[{i}]"
        split = i in raw.split_rows
        vals_i: dict[str, object] = {}
        for key in ("level1", "level2"):
            vals_i[key] = col.text(f"{p}.{key}", levels[key].get(i))
        for key in ("name", "target", "actual", "deviation_reason"):
            cells = row.get(key) or []
            vals_i[key] = col.text(f"{p}.{key}", cells)
        if not vals_i["name"]:
            # every indicator has a name: an empty one means the row was not read right
            col.conf[f"{p}.name"] = min(col.conf.get(f"{p}.name", 1.0), C.EMPTY_NAME)
        for key in ("weight", "score"):
            num_cells = row.get(key) or None
            vals_i[key] = col.number(f"{p}.{key}", num_cells, True, dash_ok=False)
        if split:
            for key in ("name", "target", "actual", "deviation_reason"):
                col.conf[f"{p}.{key}"] = min(col.conf.get(f"{p}.{key}", 1.0), C.JOINED_ACROSS_PAGES)
        indicators.append(Indicator.model_validate(vals_i))
    if not indicators:
        col._missing("indicators")
        col.conf["indicators"] = C.NOT_READ
    total_weight = col.number("total_weight", None, True, dash_ok=False)
    total_score = col.number("total_score", None, True, dash_ok=False)
    grade = col.text("grade", None)
    unit_text = _text(raw.unit_cells)
    amount_unit = L.amount_unit(unit_text) or "万元"
    # No unit printed: 万元 is what these reports use, but say it was assumed.
    col.conf["amount_unit"] = C.CLEAN_TEXT_LAYER if L.amount_unit(unit_text) else C.ASSUMED_UNIT
    if raw.unit_cells:
        col.printed["amount_unit"] = unit_text
        src = _source(raw.unit_cells)
        if src:
            col.prov["amount_unit"] = src
    project = Project(
        name=name,
        department=department,
        implementing_unit=unit,
        amount_unit=amount_unit,  # type: ignore[arg-type]
        funds=FundsBlock(**lines),
        goal_expected=goal_expected,
        goal_actual=goal_actual,
        indicators=indicators,
        total_weight=total_weight,
        total_score=total_score,
        grade=grade,
    )
    return ProjectCandidate(
        project=project,
        printed=col.printed,
        provenance=col.prov,
        field_confidence={k: round(v, 3) for k, v in col.conf.items()},
        reading_findings=col.findings,
        pages=sorted(raw.pages),
        extractor="layout",
        candidates=col.candidates,
    )


__all__ = ["RawProject", "assemble"]
