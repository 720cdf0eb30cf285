"""Cells read for one project -> a schema Project with printed text, provenance and confidence."""

from __future__ import annotations

from pipeline import confidence as C
from pipeline.extract import labels as L
from pipeline.extract.raw import RawProject
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
# Cells of the total row that must hold a number.
_TOTAL_NEEDS = {"annual_budget", "executed", "execution_rate"}
# Text fields with no arithmetic to check them: read twice (our lines, PyMuPDF's lines).
_NARRATIVES = frozenset({"goal_expected", "goal_actual"})
_NARRATIVE_ENDS = (".name", ".deviation_reason")
_LONG_TEXT = 40  # characters: any longer text field is read twice too


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

    def doubt(self, path: str, why: str) -> None:
        """A reading the reader itself distrusts: low confidence and a finding saying why."""
        self.conf[path] = min(self.conf.get(path, 1.0), C.DOUBTFUL)
        self._note("READ_DOUBTFUL", Severity.warning, path, f"{path} may be misread: {why}")

    def goal_text(self, path: str) -> str:
        """年度目标 texts: every 自评表 prints them, so one not found is a reading to check."""
        if path in self.raw.cells:
            return self.text(path, None)
        self.conf[path] = C.UNSETTLED
        self._note("READ_MISSING", Severity.warning, path, f"{path} was not found in the table")
        return ""

    def optional_text(self, path: str) -> str:
        """A text field only some forms print (评价结论, 存在问题 ...): '' when this one does not."""
        if path in self.raw.cells:
            return self.text(path, None)
        self.conf[path] = C.CLEAN_TEXT_LAYER
        return ""

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
        used = cells if cells is not None else self.raw.cells.get(path, [])
        if text.strip() == "1" and used and all(c.read_with is ReadWith.ocr for c in used):
            # On these scans OCR reads a printed "/" (no value) as "1", sure of it.
            self.doubt(path, "a lone '1' read by OCR may be a printed '/'")
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


def _funds(col: _Collector, raw: RawProject) -> FundsBlock:
    """The funds rows the form prints; a row it does not print is null, a column it does not
    print is null in every row (never 0)."""
    columns = set(raw.funds_heads) or set(FUNDS_COLUMNS)
    lines: dict[str, FundsLine | None] = {}
    for line in FUNDS_LINES:
        if line != "total" and line not in raw.funds_rows:
            lines[line] = None
            continue
        vals: dict[str, float | None] = {}
        for key in FUNDS_COLUMNS:
            path = funds_path(line, key)
            if key not in columns:
                vals[key] = None  # the form has no such column: null, surely
                col.conf[path] = C.CLEAN_TEXT_LAYER
                continue
            required = line == "total" or key not in _DASH_OK
            # sub-rows and the total's 年初预算数 may be printed empty; the total's budget and
            # execution may not (R1 says so too)
            vals[key] = col.number(
                path, None, required, dash_ok=line != "total" or key not in _TOTAL_NEEDS
            )
        lines[line] = FundsLine(**vals)
    total = lines.pop("total")
    assert total is not None
    points = _funds_label_points(col, raw) if "weight" not in columns else None
    if points is not None:
        # the funds block's points printed only in its label: 项目资金（万元）（10分）
        total = total.model_copy(update={"weight": points})
    return FundsBlock(total=total, **lines)


def _funds_label_points(col: _Collector, raw: RawProject) -> float | None:
    """Points printed in the funds block's label or its rate header, read as funds weight."""
    for cells in (
        raw.unit_cells,
        [raw.funds_heads["execution_rate"]] if "execution_rate" in raw.funds_heads else [],
    ):
        text = _text(cells)
        points = L.label_points(text)
        if points is not None:
            path = funds_path("total", "weight")
            col.printed[path] = points
            src = _source(cells)
            if src:
                col.prov[path] = src
            col.conf[path] = C.CLEAN_TEXT_LAYER
            return to_float(read_number(points).value)
    return None


def _indicators(col: _Collector, raw: RawProject) -> list[Indicator]:
    levels = {k: _level_texts(raw, k) for k in ("level1", "level2")}
    texts = ("name", "target", "actual", "deviation_reason")
    optional = tuple(k for k in ("unit", "nature") if k in raw.indicator_cols)
    indicators: list[Indicator] = []
    for i, row in enumerate(raw.indicators):
        p = f"indicators[{i}]"
        vals_i: dict[str, object] = {}
        for key in ("level1", "level2"):
            vals_i[key] = col.text(f"{p}.{key}", levels[key].get(i))
            if L.glued_levels(str(vals_i[key])):
                col.doubt(
                    f"{p}.{key}", "holds several labels: cells merged across a missing border"
                )
            elif (i, key) in raw.level_doubts:
                col.doubt(f"{p}.{key}", "the row's name cell spans this column: taken from above")
            elif i in raw.shared_levels:
                col.doubt(f"{p}.{key}", "one scanned cell spans the 一级 and 二级 columns")
        for key in (*texts, *optional):
            vals_i[key] = col.text(f"{p}.{key}", row.get(key) or [])
        for key in ("unit", "nature"):
            if key not in optional:
                col.conf[f"{p}.{key}"] = C.CLEAN_TEXT_LAYER  # no such column: null, surely
        if not vals_i["name"]:
            # every indicator has a name: an empty one means the row was not read right
            col.conf[f"{p}.name"] = min(col.conf.get(f"{p}.name", 1.0), C.EMPTY_NAME)
        for key in ("weight", "score"):
            vals_i[key] = col.number(f"{p}.{key}", row.get(key) or None, True, dash_ok=False)
        if i in raw.split_rows:
            for key in texts:
                col.conf[f"{p}.{key}"] = min(col.conf.get(f"{p}.{key}", 1.0), C.JOINED_ACROSS_PAGES)
        indicators.append(Indicator.model_validate(vals_i))
    if not indicators:
        col._missing("indicators")
        col.conf["indicators"] = C.NOT_READ
    return indicators


def _grade(col: _Collector, raw: RawProject) -> str:
    """The printed grade; '' when the form prints none (a grade word in a row no label
    explains is no such proof: that is read with doubt)."""
    if "grade" in raw.cells:
        return col.text("grade", None)
    if raw.unplaced_grade:
        col._note(
            "READ_UNPLACED",
            Severity.warning,
            "grade",
            f"grade: '{_text(raw.unplaced_grade)}' stands in a row no label explains",
        )
        col.conf["grade"] = C.DOUBTFUL
        return ""
    col.conf["grade"] = C.CLEAN_TEXT_LAYER
    return ""


def _amount_unit(col: _Collector, raw: RawProject) -> str:
    unit_text = _text(raw.unit_cells)
    amount_unit = L.amount_unit(unit_text) or "万元"
    # No unit printed: 万元 is what these reports use, but say it was assumed.
    col.conf["amount_unit"] = C.CLEAN_TEXT_LAYER if L.amount_unit(unit_text) else C.ASSUMED_UNIT
    if raw.unit_cells:
        col.printed["amount_unit"] = unit_text
        src = _source(raw.unit_cells)
        if src:
            col.prov["amount_unit"] = src
    return amount_unit


def assemble(raw: RawProject, form: str = "unknown") -> ProjectCandidate:
    """Parse the cells of one project into the schema, noting what was read with doubt."""
    col = _Collector(raw)
    name = col.text("name", None)
    department = col.text("department", None)
    unit = col.text("implementing_unit", None)
    funds = _funds(col, raw)
    # goals whose labels the form printed but whose text was not placed are flagged, never an
    # accepted ""; a form that prints no goal labels has none to read
    narratives = {
        key: col.goal_text(key) if raw.goal_heads else col.text(key, None, required=False)
        for key in ("goal_expected", "goal_actual")
    }
    narratives["implementation"] = col.optional_text("implementation")
    indicators = _indicators(col, raw)
    # a 合计 row with its 得分 cell left empty prints no total score: that is read, not missed
    total_weight = col.number("total_weight", None, True, dash_ok=False)
    total_score = col.number("total_score", None, True, dash_ok=raw.total_row)
    grade = _grade(col, raw)
    tail = {key: col.optional_text(key) for key in ("conclusion", "problems", "improvements")}
    project = Project(
        name=name,
        department=department,
        implementing_unit=unit,
        amount_unit=_amount_unit(col, raw),  # type: ignore[arg-type]
        funds=funds,
        **narratives,
        indicators=indicators,
        total_weight=total_weight,
        total_score=total_score,
        grade=grade,
        **tail,
        form=form,
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


__all__ = ["assemble"]
