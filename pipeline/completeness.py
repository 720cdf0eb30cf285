"""Nothing lost without a word: the projects found against the document's own list and pages.

A report usually opens with its own numbered list of projects (目录) above the first table. A
project in that list that the reader did not find, a page between projects that holds none, and
a page MuPDF reported damage on are recorded as errors beside the results (document status
`partial`). A project on or next to a damaged page is not accepted, and what a project read on a
damaged page after its own first page is not shown as its value: it may be a lost project's.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from pydantic import ValidationError

from pipeline import confidence as C
from pipeline.health import is_damaged
from pipeline.models import DocumentLayout, TextLine
from schemas import (
    CandidateValue,
    DocumentResult,
    DocumentStatus,
    ErrorKind,
    InputError,
    ProjectResult,
    Reason,
    ReasonKind,
    Source,
    Status,
)
from schemas.paths import is_numeric, set_value, value_at

# "1.项目名称", "10、项目名称", "3．项目名称": one entry of the list
_ENTRY = re.compile(r"^\s*(\d{1,3})\s*[.、．]\s*(\S.*)$")
# The list is on the first pages, before or above the first tables.
_LIST_PAGES = 3
_QUOTES = "\"'“”‘’「」『』《》〈〉()（）"


def listed_projects(layout: DocumentLayout) -> list[tuple[int, str, int]]:
    """(number, name, page) of the document's own numbered list of projects; [] when it has none.

    The longest run 1, 2, 3, ... of numbered lines outside the tables on the first pages; a
    line that does not start with a number, right after an entry and indented like its text,
    is a wrapped name.
    """
    lines = [ln for ln in layout.lines if ln.page <= _LIST_PAGES]
    best: list[tuple[int, str, int]] = []
    run: list[tuple[int, str, int]] = []
    last: TextLine | None = None
    for ln in lines:
        m = _ENTRY.match(ln.text)
        if m and int(m.group(1)) == len(run) + 1:
            run.append((int(m.group(1)), m.group(2).strip(), ln.page))
            last = ln
        elif m and int(m.group(1)) == 1:
            run, last = [(1, m.group(2).strip(), ln.page)], ln
        elif run and last is not None and not m and _wraps(last, ln):
            n, name, page = run[-1]
            run[-1] = (n, name + ln.text.strip(), page)
            last = ln
        else:
            if len(run) > len(best):
                best = run
            run, last = [], None
    if len(run) > len(best):
        best = run
    return best if len(best) >= 2 else []


def _wraps(entry: TextLine, line: TextLine) -> bool:
    gap = line.bbox[1] - entry.bbox[3]
    return line.page == entry.page and -1 < gap < 0.6 * entry.size and line.bbox[0] > entry.bbox[0]


def name_key(name: str) -> str:
    """A name as compared with the list: NFKC, no spaces, quotes or brackets."""
    text = unicodedata.normalize("NFKC", name)
    return "".join(ch for ch in text if not ch.isspace() and ch not in _QUOTES)


def _contains(key: str, other: str) -> bool:
    return bool(other) and (other in key or key in other)


def _close(key: str, other: str) -> bool:
    """The same name as far as a garbled text layer lets the list print it: a list read from a
    layer that maps 工 to 匚 or drops a digit ('204年度' for 2024年度) still names its project.
    At most one character in eight differs."""
    if not other or not key:
        return False
    edits = sum(
        max(i2 - i1, j2 - j1)
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
            None, key, other, autojunk=False
        ).get_opcodes()
        if tag != "equal"
    )
    return edits <= max(1, min(len(key), len(other)) // 8)


def unfound(listed: list[str], names: list[str]) -> list[int]:
    """Indices of the listed names no project found answers to, one project per entry: equal
    names first, then a name inside the other (a list that shortens or adds a suffix), then
    close ones; so a lost project's entry is never answered by a found project that has an
    entry of its own ('…经费' and '…经费(二期)' are two projects)."""
    keys = [name_key(n) for n in names]
    free = set(range(len(keys)))
    left = list(range(len(listed)))
    for same in (str.__eq__, _contains, _close):
        still: list[int] = []
        for i in left:
            key = name_key(listed[i])
            hits = [j for j in sorted(free) if same(key, keys[j])]
            # a garbled entry close to several names answers to none of them
            if len(hits) == 1 or (hits and same is not _close):
                free.discard(hits[0])
            else:
                still.append(i)
        left = still
    return left


def damaged_pages(result: DocumentResult) -> list[int]:
    """Pages whose health records MuPDF damage."""
    return [h.page for h in result.page_health if is_damaged(h.problems)]


def check_complete(result: DocumentResult, layout: DocumentLayout) -> DocumentResult:
    """The result with lost projects and damaged pages recorded; status `partial` if any."""
    damaged = damaged_pages(result)
    projects = [guard_damaged(p, damaged) for p in result.projects]
    errors = list(result.errors)
    where = result.source_path or result.source
    near = f" (damaged page {', '.join(map(str, damaged))})" if damaged else ""
    names = [p.name for p in projects]
    listed = listed_projects(layout)
    for k in unfound([name for _, name, _ in listed], names):
        number, name, page = listed[k]
        errors.append(
            InputError(
                source=where,
                kind=ErrorKind.missing_project,
                message=f"{where}: project {number} “{name}” is in the document's own list "
                f"(page {page}) but was not found{near}",
            )
        )
    for page in gap_pages(projects):
        errors.append(
            InputError(
                source=where,
                kind=ErrorKind.missing_project,
                message=f"{where}: page {page} lies between projects but holds none of them: "
                "a project may be lost there",
            )
        )
    for page in damaged:
        errors.append(
            InputError(
                source=where,
                kind=ErrorKind.damaged,
                message=f"{where}: damaged PDF: MuPDF reported errors on page {page}; part of it "
                "may not have been read, projects on and beside it go to review",
            )
        )
    status = result.status
    if len(errors) > len(result.errors) and status is DocumentStatus.ok:
        status = DocumentStatus.partial
    return result.model_copy(update={"projects": projects, "errors": errors, "status": status})


def gap_pages(projects: list[ProjectResult]) -> list[int]:
    """Pages between the first and last project page that belong to no project."""
    covered = {n for p in projects for n in p.pages}
    if not covered:
        return []
    return [n for n in range(min(covered), max(covered) + 1) if n not in covered]


def guard_damaged(project: ProjectResult, damaged: list[int]) -> ProjectResult:
    """A project on or next to a damaged page, sent to review; what it read on a damaged page
    after its own first page is withheld (kept as a candidate), since a lost project's cells
    may have been joined to it."""
    pages = set(project.pages)
    near = [d for d in damaged if pages & {d - 1, d, d + 1}]
    if not near:
        return project
    data = project.model_dump(mode="json")
    candidates = {k: list(v) for k, v in project.candidates.items()}
    confidence = dict(project.field_confidence)
    withheld: list[str] = []
    first = min(pages) if pages else 0
    for path, src in project.provenance.items():
        if src.page in damaged and src.page > first:
            value = value_at(project, path)
            if value in (None, ""):
                continue
            candidates.setdefault(path, []).append(
                CandidateValue(
                    source=Source.layout,
                    value=value,
                    confidence=C.DOUBTFUL,
                    note=f"read on damaged page {src.page}: may belong to a project lost there",
                )
            )
            set_value(data, path, None if is_numeric(path) else "")
            confidence[path] = C.NOT_READ
            withheld.append(path)
    detail = (
        f"page {', '.join(map(str, near))} is damaged (MuPDF reported errors): part of it may be "
        "lost or read into this project"
    )
    if withheld:
        detail += f"; {len(withheld)} value(s) read there withheld, e.g. {withheld[0]}"
    reasons = [*project.reasons, Reason(kind=ReasonKind.damaged_page, detail=detail)]
    data.update(
        status=Status.needs_review.value,
        confidence=min([project.confidence, *confidence.values()]),
        reasons=[str(r) for r in reasons],
        field_confidence=confidence,
        candidates={k: [c.model_dump(mode="json") for c in v] for k, v in candidates.items()},
    )
    try:
        return ProjectResult.model_validate(data)
    except ValidationError as exc:
        # a field with no empty value (amount_unit is 万元 or 元): its reading stays shown,
        # at confidence 0, so the project is still held for review
        for path in {_path(e["loc"]) for e in exc.errors()} & set(withheld):
            set_value(data, path, value_at(project, path))
        return ProjectResult.model_validate(data)


def _path(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a field path: ('indicators', 3, 'name') -> indicators[3].name."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
