"""Review without a browser: the event store, diffs, decisions re-running the checker, the web
app's guards and escaping, and the export."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from pipeline.review import fields as F
from pipeline.review.app import create_app
from pipeline.review.cli import main as review_main
from pipeline.review.diff import Segment, char_diff, digit_diff
from pipeline.review.export import export_results, export_truth, reviewed_project
from pipeline.review.security import is_loopback
from pipeline.review.store import ReviewStore
from pipeline.review.workspace import Workspace
from schemas import DocumentResult, Status
from tests.review_fixtures import MISREAD_FIELD, XSS_NAME, ReviewRun, make_review_run


@pytest.fixture
def run(tmp_path: Path) -> ReviewRun:
    return make_review_run(tmp_path)


@pytest.fixture
def ws(run: ReviewRun) -> Workspace:
    return Workspace(run.out, [run.pdfs])


def _form_key(html: str) -> str:
    m = re.search(r'name="_key" value="([^"]+)"', html)
    assert m, "no form key in the page"
    return m.group(1)


# --- store -------------------------------------------------------------------------------


def test_store_commits_each_decision_before_returning(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "review.sqlite")
    ev = store.record(
        doc="d",
        doc_sha256="s",
        project=0,
        kind="value",
        reviewer="bob",
        field="total_score",
        old_value=99.0,
        new_value=98.0,
        source="typed",
    )
    # Another connection (another process after a crash) sees it at once.
    with sqlite3.connect(tmp_path / "review.sqlite") as other:
        rows = other.execute(
            "SELECT field, old_value, new_value, source, reviewer FROM events"
        ).fetchall()
        mode = other.execute("PRAGMA journal_mode").fetchone()[0]
    assert rows == [("total_score", "99.0", "98.0", "typed", "bob")]
    assert mode == "wal"
    assert ev.at.endswith("Z") and ev.id == 1
    assert store.secret("form_key") == ReviewStore(tmp_path / "review.sqlite").secret("form_key")
    again = ReviewStore(tmp_path / "review.sqlite").events("d", 0)
    assert [(e.field, e.old_value, e.new_value) for e in again] == [("total_score", 99.0, 98.0)]


def test_store_rejects_unknown_kinds_and_keeps_order(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "r.sqlite")
    with pytest.raises(ValueError):
        store.record(doc="d", doc_sha256="s", project=0, kind="delete", reviewer="x")  # type: ignore[arg-type]
    for kind in ("inconsistent", "approve", "reopen", "approve"):
        store.record(doc="d", doc_sha256="s", project=1, kind=kind, reviewer="x", new_value=True)
    assert [e.kind for e in store.events("d", 1)] == [
        "inconsistent",
        "approve",
        "reopen",
        "approve",
    ]
    assert store.events("d", 0) == []


# --- diff and fields -----------------------------------------------------------------------


def test_digit_diff_aligns_on_the_decimal_point() -> None:
    assert digit_diff("148.25", "184.25") == [
        Segment("1", "same"),
        Segment("48", "changed"),
        Segment(".25", "same"),
    ]
    assert digit_diff("1184.25", "184.25")[0] == Segment("1", "changed")
    assert digit_diff("84.25", "184.25")[0] == Segment("", "gap")
    assert digit_diff("184.2", "184.25")[-1] == Segment("", "gap")


def test_char_diff_marks_changed_and_missing_characters() -> None:
    assert char_diff("全市性行业协商会", "全市性行业协会商会") == [
        Segment("全市性行业协", "same"),
        Segment("", "gap"),
        Segment("商会", "same"),
    ]
    assert [s.kind for s in char_diff("培训出席完成率", "培训出勤完成率")] == [
        "same",
        "changed",
        "same",
    ]


def test_typed_values_are_parsed_per_field() -> None:
    assert F.parse_typed("funds.total.executed", " 1,184.25 ") == (1184.25, "1184.25")
    assert F.parse_typed("indicators[2].score", "-") == (None, "-")
    assert F.parse_typed("indicators[2].target", " ≥95.00(%) ") == ("≥95.00(%)", "≥95.00(%)")
    with pytest.raises(F.BadValue):
        F.parse_typed("total_score", "九十")
    with pytest.raises(F.BadValue):
        F.parse_typed("amount_unit", "美元")
    # Printed text that another source's reading overruled must not feed the checker.
    assert F.printed_matches("funds.total.executed", 184.25, "184.25")
    assert not F.printed_matches("funds.total.executed", 184.25, "148.25")
    assert F.printed_matches("funds.other.score", None, "-")
    assert F.label("indicators[0].score") == "指标 1 · 得分"
    assert F.label("funds.carryover.execution_rate") == "上年结转资金 · 执行率"


# --- decisions and the checker ----------------------------------------------------------------


def test_a_decision_reruns_the_checker(run: ReviewRun, ws: Workspace) -> None:
    st = ws.state("shegong", 0)
    assert st.doubtful == [MISREAD_FIELD] and st.open_fields == [MISREAD_FIELD]
    assert {f.rule for f in st.errors} == {"R1", "R2"}
    layout, llm = st.candidates(MISREAD_FIELD)
    assert (layout.source, layout.current, llm.source, llm.current) == (
        "layout",
        True,
        "llm",
        False,
    )
    ws.store.record(
        doc="shegong",
        doc_sha256=st.doc.result.sha256,
        project=0,
        kind="value",
        reviewer="alice",
        field=MISREAD_FIELD,
        old_value=148.25,
        new_value=run.misread_true,
        source="llm",
    )
    after = ws.state("shegong", 0)
    assert after.value(MISREAD_FIELD) == run.misread_true
    assert after.findings == [] and after.open_fields == [] and after.can_approve
    assert after.confidence(MISREAD_FIELD) == 1.0


def test_decisions_on_another_pdf_version_are_kept_but_not_applied(ws: Workspace) -> None:
    ws.store.record(
        doc="shegong",
        doc_sha256="0" * 64,
        project=0,
        kind="value",
        reviewer="alice",
        field="name",
        old_value="x",
        new_value="改过的名称",
        source="typed",
    )
    st = ws.state("shegong", 0)
    assert st.stale_events == 1 and st.value("name") != "改过的名称"


def test_inconsistent_project_needs_the_reviewers_word(ws: Workspace) -> None:
    st = ws.state("shegong", 1)
    assert [f.rule for f in st.errors] == ["R5"] and not st.can_approve
    ws.store.record(
        doc="shegong",
        doc_sha256=st.doc.result.sha256,
        project=1,
        kind="inconsistent",
        reviewer="alice",
        new_value=True,
    )
    assert ws.state("shegong", 1).can_approve


# --- the web app -----------------------------------------------------------------------------


def test_pages_escape_every_string_from_the_pdf(ws: Workspace) -> None:
    client = create_app(ws, "alice").test_client()
    html = client.get("/p/xss/0").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "<b>粗体</b>" not in html
    queue = client.get("/").get_data(as_text=True)
    assert XSS_NAME not in queue and "&lt;script&gt;" in queue
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp


def test_typed_correction_is_stored_before_the_answer(ws: Workspace, run: ReviewRun) -> None:
    client = create_app(ws, "carol").test_client()
    key = _form_key(client.get("/p/shegong/0").get_data(as_text=True))
    bad = client.post(
        "/p/shegong/0/decide",
        data={
            "_key": key,
            "field": MISREAD_FIELD,
            "action": "typed",
            "value": "一八四",
            "seen": json.dumps(run.misread_wrong),
        },
    )
    assert bad.status_code == 303 and "error=" in bad.headers["Location"]
    assert ws.store.events() == []
    ok = client.post(
        "/p/shegong/0/decide",
        data={
            "_key": key,
            "field": MISREAD_FIELD,
            "action": "typed",
            "value": "184.25",
            "seen": json.dumps(run.misread_wrong),
        },
    )
    assert ok.status_code == 303
    (ev,) = ws.store.events("shegong", 0)
    assert (ev.field, ev.old_value, ev.new_value, ev.source, ev.reviewer) == (
        MISREAD_FIELD,
        148.25,
        run.misread_true,
        "typed",
        "carol",
    )
    page = client.get(ok.headers["Location"]).get_data(as_text=True)
    assert "所有检查通过" in page


def test_forms_need_the_servers_key(ws: Workspace) -> None:
    client = create_app(ws, "alice").test_client()
    resp = client.post("/p/shegong/0/approve", data={"_key": "forged"})
    assert resp.status_code == 400 and ws.store.events() == []


def test_token_and_host_guards(ws: Workspace) -> None:
    client = create_app(ws, "alice").test_client()
    # A page of another site resolving its name to 127.0.0.1 (DNS rebinding) is refused.
    assert client.get("/", headers={"Host": "evil.example:8000"}).status_code == 403
    assert client.get("/", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    guarded = create_app(ws, "alice", token="s3cret").test_client()
    assert guarded.get("/").status_code == 403
    first = guarded.get("/?token=s3cret")
    assert first.status_code == 200 and "jixiao_review_token" in first.headers["Set-Cookie"]
    assert guarded.get("/p/shegong/0").status_code == 200  # the cookie carries it
    assert is_loopback("127.0.0.1") and is_loopback("::1") and not is_loopback("0.0.0.0")


def test_binding_beyond_loopback_needs_a_token(
    run: ReviewRun, capsys: pytest.CaptureFixture[str]
) -> None:
    # without --token one is generated (tests/test_review_robust.py); a guessable one is refused
    assert review_main(["review", str(run.out), "--host", "0.0.0.0", "--token", "short"]) == 2
    assert "at least 16 characters" in capsys.readouterr().err


def test_page_images_are_rendered_once_and_cached(ws: Workspace) -> None:
    client = create_app(ws, "alice").test_client()
    resp = client.get("/page/shegong/2.png")
    assert resp.status_code == 200 and resp.data[:8] == b"\x89PNG\r\n\x1a\n"
    cached = list(ws.cache_dir.glob("*-p2-*.png"))
    assert len(cached) == 1
    assert client.get("/page/shegong/9.png").status_code == 404


def test_missing_pdf_still_reviews(run: ReviewRun, tmp_path: Path) -> None:
    # the PDF moved away since the run: not at its recorded source_path, not beside the JSON
    for pdf in (run.out.parent / "pdfs").glob("*.pdf"):
        pdf.rename(tmp_path / f"moved-{pdf.name}")
    ws = Workspace(run.out)
    assert ws.pdf("shegong") is None
    html = create_app(ws, "alice").test_client().get("/p/shegong/0").get_data(as_text=True)
    assert "找不到源 PDF" in html and "1<mark>48</mark>.25" in html


# --- export -----------------------------------------------------------------------------------


def test_export_keeps_unapproved_work_and_leaves_it_out_of_truth(
    ws: Workspace, tmp_path: Path
) -> None:
    sha = ws.docs["shegong"].result.sha256
    ws.store.record(
        doc="shegong",
        doc_sha256=sha,
        project=0,
        kind="value",
        reviewer="dan",
        field=MISREAD_FIELD,
        old_value=148.25,
        new_value=184.25,
        source="llm",
    )
    p0 = reviewed_project(ws.state("shegong", 0))
    assert p0.status is Status.needs_review  # corrected but not approved
    assert p0.funds.total.executed == 184.25 and str(p0.reasons[-1]).startswith(
        "review in progress"
    )
    assert p0.candidates[MISREAD_FIELD][-1].note.startswith("dan at ")
    written = export_results(ws, tmp_path / "rev")
    assert sorted(p.name for p in written) == ["shegong.json", "xss.json"]
    doc = DocumentResult.model_validate_json((tmp_path / "rev" / "shegong.json").read_text("utf-8"))
    assert doc.projects[0].funds.total.executed == 184.25
    made, skipped = export_truth(ws, tmp_path / "truth")
    assert made == [] and len(skipped) == 2
    assert not (tmp_path / "truth").exists()


def test_export_cli_writes_reviewed_json(run: ReviewRun, ws: Workspace) -> None:
    sha = ws.docs["shegong"].result.sha256
    ws.store.record(
        doc="shegong",
        doc_sha256=sha,
        project=0,
        kind="value",
        reviewer="eve",
        field=MISREAD_FIELD,
        old_value=148.25,
        new_value=run.misread_true,
        source="llm",
    )
    ws.store.record(
        doc="shegong",
        doc_sha256=sha,
        project=1,
        kind="inconsistent",
        reviewer="eve",
        new_value=True,
    )
    for i in range(2):
        assert ws.state("shegong", i).can_approve
        ws.store.record(
            doc="shegong",
            doc_sha256=sha,
            project=i,
            kind="approve",
            reviewer="eve",
            new_value=True,
        )
    assert review_main(["review", "export", str(run.out)]) == 0
    data = json.loads((run.out / "reviewed" / "shegong.json").read_text("utf-8"))
    assert [p["status"] for p in data["projects"]] == ["reviewed", "reviewed"]
    reasons = data["projects"][0]["reasons"]
    assert len(reasons) == 1 and "1 field(s) corrected, 0 confirmed" in reasons[0]
    assert review_main(["review", "export", str(run.out), "--to", str(run.out)]) == 2
    assert data["projects"][1]["source_inconsistent"] is True
    assert data["projects"][1]["reasons"][0].startswith("reviewed: approved by eve at ")
