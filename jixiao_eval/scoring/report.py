"""Present an EvalReport: console table, JSON file, self-contained HTML page, comparisons."""

from __future__ import annotations

import html
import os
import sys
import uuid
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import TextIO

from jixiao_eval.scoring.charts import bar_chart, reliability_diagram
from jixiao_eval.scoring.models import CaseScore, EvalReport, FieldScore, Metrics, ProjectScore

WORST_FIELDS = 10
_SERIES = (
    ("field accuracy", "#4e79a7"),
    ("straight-through", "#59a14f"),
    ("false-accept", "#e15759"),
)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _with_n(value: float | None, n: int) -> str:
    return f"{_pct(value)} ({n})"


def _ece(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _spp(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


_COLUMNS: tuple[tuple[str, Callable[[Metrics], str]], ...] = (
    ("docs", lambda m: str(m.docs)),
    ("projects", lambda m: str(m.projects)),
    ("field acc", lambda m: _pct(m.field_accuracy)),
    ("numeric acc", lambda m: _pct(m.numeric_accuracy)),
    ("text exact", lambda m: _pct(m.short_text_exact)),
    ("narrative sim", lambda m: _pct(m.narrative_mean_similarity)),
    ("project exact", lambda m: _pct(m.project_exact_rate)),
    ("straight-through", lambda m: _pct(m.straight_through_rate)),
    ("false-accept (n)", lambda m: _with_n(m.false_accept_rate, m.accepted)),
    ("flagged-inconsistent (n)", lambda m: _with_n(m.flagged_inconsistent_rate, m.inconsistent)),
    ("ECE", lambda m: _ece(m.ece)),
    ("s/page", lambda m: _spp(m.seconds_per_page)),
)


def _rows(report: EvalReport) -> list[tuple[str, Metrics]]:
    return [*report.variants.items(), ("overall", report.overall)]


_MAX_FAILED_SHOWN = 8


def _print_metrics(first: str, rows: list[tuple[str, Metrics]], out: TextIO) -> None:
    """One aligned table: a label column, then the metric columns."""
    header = [first, *(name for name, _ in _COLUMNS)]
    body = [[label, *(cell(m) for _, cell in _COLUMNS)] for label, m in rows]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest])

    print(line(header), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in body:
        print(line(row), file=out)


def _held_out_calibration(report: EvalReport) -> list[str]:
    """The held-out documents' ECE and reliability diagram, per variant that has OCR'd fields
    (thresholds were tuned on the other documents only)."""
    out = ["<h2>Calibration on held-out documents</h2>"] if report.held_out else []
    for name, m in report.held_out.items():
        out.append(
            f"<p>{html.escape(name)}: ECE {_ece(m.ece)} over {m.calibrated_fields} fields of "
            f"{m.docs} held-out documents.</p>"
        )
        out.append(
            reliability_diagram(
                f"chart-held-out-{html.escape(name)}",
                f"Reliability diagram, held out: {name}",
                m.calibration,
            )
        )
    return out


def print_table(report: EvalReport, file: TextIO | None = None) -> None:
    """Console summary: one row per variant plus overall, per family / producer, worst fields."""
    out = file if file is not None else sys.stdout
    _print_metrics("variant", _rows(report), out)
    if report.groups:
        print("\nby family and producer:", file=out)
        _print_metrics("family / producer", list(report.groups.items()), out)
    if report.held_out:
        print("\nheld-out documents (no threshold was tuned on them):", file=out)
        _print_metrics("variant (held out)", list(report.held_out.items()), out)
    overall = report.overall
    print(
        f"\nmissing projects {overall.projects_missing}, extra projects "
        f"{overall.projects_extra}, missing rows {overall.rows_missing}, extra rows "
        f"{overall.rows_extra}, narrative exact (>= "
        f"{report.settings.get('narrative_threshold', '')}) {_pct(overall.narrative_exact)}",
        file=out,
    )
    print(
        f"values vouched for by the arithmetic (read with doubt, pinned by R1-R6/R11): "
        f"{overall.pinned}, of which wrong: {overall.pinned_wrong}",
        file=out,
    )
    failed = [c for c in report.cases if c.error or c.input_errors]
    for case in failed[:_MAX_FAILED_SHOWN]:
        reason = case.error or "; ".join(case.input_errors)
        print(f"failed: {case.id} ({case.variant}): {reason}", file=out)
    if len(failed) > _MAX_FAILED_SHOWN:
        print(
            f"... and {len(failed) - _MAX_FAILED_SHOWN} more failed cases (see report.json)",
            file=out,
        )
    worst = [f for f in overall.per_field if f.correct < f.total][:WORST_FIELDS]
    if not worst:
        print("\nworst fields: none wrong", file=out)
        return
    print("\nworst fields:", file=out)
    name_width = max(len(f.field) for f in worst)
    for f in worst:
        print(
            f"  {f.field.ljust(name_width)}  {f.kind:<10}  {_pct(f.accuracy):>6}  "
            f"({f.correct}/{f.total})",
            file=out,
        )


def compare(a: EvalReport, b: EvalReport, file: TextIO | None = None) -> None:
    """One line per variant (and overall): the key metrics of a, of b, and b - a."""
    out = file if file is not None else sys.stdout
    first, second = dict(_rows(a)), dict(_rows(b))
    labels = [*sorted((first.keys() | second.keys()) - {"overall"}), "overall"]
    keys = (
        ("field acc", "field_accuracy"),
        ("straight-through", "straight_through_rate"),
        ("false-accept", "false_accept_rate"),
        ("ECE", "ece"),
    )
    for label in labels:
        parts = []
        for name, key in keys:
            old = getattr(first[label], key) if label in first else None
            new = getattr(second[label], key) if label in second else None
            if old is not None and new is not None:
                parts.append(f"{name} {_pct(old)} -> {_pct(new)} ({(new - old) * 100:+.1f})")
            else:
                parts.append(f"{name} {_pct(old)} -> {_pct(new)}")
        print(f"{label}: " + ", ".join(parts), file=out)


def _write_atomic(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # open(..., "x") rather than mkstemp: the file gets the usual umask permissions, not 0600.
    temp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temp, "x", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_json(report: EvalReport, path: Path) -> None:
    """The whole report as JSON (UTF-8, Chinese unescaped), written atomically."""
    _write_atomic(path, report.model_dump_json(indent=1) + "\n")


def read_json(path: Path) -> EvalReport:
    """Load a report written by write_json."""
    return EvalReport.model_validate_json(Path(path).read_text(encoding="utf-8"))


_STYLE = """
body{font-family:system-ui,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;
margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 16px}
th,td{border:1px solid #ccc;padding:3px 7px;font-size:13px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.fbar{display:inline-block;width:120px;height:10px;background:#f1d4d4}
.fbar>span{display:block;height:10px;background:#4e79a7}
details{margin:4px 0}summary{cursor:pointer}
.wrong{color:#b00}.muted{color:#777}
"""


def _cell(text: str, numeric: bool = False) -> str:
    return f'<td class="n">{escape(text)}</td>' if numeric else f"<td>{escape(text)}</td>"


def _summary_table(report: EvalReport) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in ["variant", *(n for n, _ in _COLUMNS)])
    rows = [
        "<tr>" + _cell(label) + "".join(_cell(cell(m), True) for _, cell in _COLUMNS) + "</tr>"
        for label, m in _rows(report)
    ]
    return f'<table id="summary"><tr>{head}</tr>{"".join(rows)}</table>'


def _field_table(metrics: Metrics) -> str:
    rows = []
    for f in metrics.per_field:
        rows.append(
            "<tr>"
            + _cell(f.field)
            + _cell(f.kind)
            + _cell(_pct(f.accuracy), True)
            + _cell(f"{f.correct}/{f.total}", True)
            + f'<td><span class="fbar"><span style="width:{f.accuracy * 100:.1f}%">'
            "</span></span></td></tr>"
        )
    head = "<tr><th>field</th><th>kind</th><th>accuracy</th><th>correct</th><th></th></tr>"
    return f'<table id="fields">{head}{"".join(rows)}</table>'


def _value(value: str | float | None) -> str:
    return "null" if value is None else str(value)


def _wrong_rows(project: ProjectScore) -> list[str]:
    rows = []
    names = {s.path: s.expected for s in project.wrong if s.outcome == "missing"}
    for missing in project.missing_rows:
        name = _value(names.get(f"indicators[{missing}].name"))
        rows.append(
            f"<tr><td>indicators[{missing}]</td><td colspan='5'>row missing: "
            f"{escape(name)}</td></tr>"
        )
    for score in project.wrong:
        if score.outcome == "missing":
            continue  # summarised by the row-missing lines above
        rows.append("<tr>" + "".join(_cell(text) for text in _score_cells(score)) + "</tr>")
    return rows


def _score_cells(score: FieldScore) -> list[str]:
    extra = score.outcome == "extra"
    return [
        score.path,
        "(extra row)" if extra else _value(score.expected),
        _value(score.got),
        "" if score.similarity is None else f"{score.similarity:.3f}",
        "" if score.confidence is None else f"{score.confidence:.2f}",
        score.outcome,
    ]


def _case_details(case: CaseScore) -> str:
    fields = case.tally.fields
    wrong = fields.total - fields.correct
    summary = (
        f"{case.id} · {case.variant} · field acc {_pct(fields.accuracy)} · {wrong} wrong"
        + (f" · FAILED: {case.error}" if case.error else "")
        + (f" · input errors: {'; '.join(case.input_errors)}" if case.input_errors else "")
    )
    parts = [f"<details><summary>{escape(summary)}</summary>"]
    for extra in case.extra_projects:
        parts.append(
            f'<p class="wrong">extra project #{extra.output_index}: {escape(extra.name)} '
            f"({escape(extra.status)}; closest truth {escape(extra.best_truth_name)} at "
            f"{extra.best_similarity:.2f})</p>"
        )
    for project in case.projects:
        state = (
            "not found"
            if not project.found
            else f"{project.status}, confidence {project.confidence or 0:.2f}"
        )
        flags = " · source inconsistent" if project.source_inconsistent else ""
        title = f"{project.truth_name} — {state} — {project.correct}/{project.fields}{flags}"
        if project.found and project.output_name != project.truth_name:
            title += f" (output name: {project.output_name})"
        if project.exact:
            parts.append(f'<p class="muted">✓ {escape(title)}</p>')
            continue
        parts.append(f'<p class="wrong">✗ {escape(title)}</p>')
        if project.found:
            head = (
                "<tr><th>path</th><th>expected</th><th>got</th><th>similarity</th>"
                "<th>confidence</th><th>outcome</th></tr>"
            )
            parts.append(f"<table>{head}{''.join(_wrong_rows(project))}</table>")
    parts.append("</details>")
    return "\n".join(parts)


def render_html(report: EvalReport) -> str:
    """The report as one self-contained HTML page with inline SVG charts."""
    groups = [
        (label, (m.field_accuracy, m.straight_through_rate, m.false_accept_rate))
        for label, m in _rows(report)
    ]
    overall = report.overall
    settings = ", ".join(f"{k} = {v}" for k, v in report.settings.items())
    body = [
        "<h1>jixiao evaluation</h1>",
        f'<p class="muted">created {escape(report.created)} · {escape(settings)}</p>',
        "<h2>Summary</h2>",
        _summary_table(report),
        "<h2>Accuracy per variant</h2>",
        bar_chart("chart-variants", "Accuracy per variant", groups, _SERIES),
        "<h2>Calibration</h2>",
        f"<p>Expected calibration error {_ece(overall.ece)} over "
        f"{overall.calibrated_fields} fields with a confidence.</p>",
        reliability_diagram("chart-calibration", "Reliability diagram", overall.calibration),
        *_held_out_calibration(report),
        "<h2>Arithmetic as evidence</h2>",
        f"<p>{overall.pinned} values read with doubt were vouched for by the arithmetic (every "
        f"one-character misreading of them breaks a rule); {overall.pinned_wrong} of them are "
        "wrong.</p>",
        "<h2>Per-field accuracy (worst first)</h2>",
        _field_table(overall),
        "<h2>Cases</h2>",
        *(_case_details(case) for case in report.cases),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>jixiao evaluation</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def write_html(report: EvalReport, path: Path) -> None:
    """Write the HTML page atomically."""
    _write_atomic(path, render_html(report))
