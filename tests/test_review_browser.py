"""The review app in a real browser (Playwright + Debian's chromium): queue, diff, outline,
correction, keyboard-only clearing, XSS-safe display, crash-proof storage, export, eval round trip."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from jixiao_eval.scoring import evaluate, load_cases
from pipeline.review.cli import main as review_main
from pipeline.run import process_file
from schemas import DocumentResult, Status
from tests.review_fixtures import MISREAD_FIELD, XSS_INDICATOR, XSS_NAME, make_review_run

CHROMIUM = Path("/usr/bin/chromium")
# The machine has no network: without these chromium stalls on first-run and update traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path("/tmp/review_shots")
ROOT = Path(__file__).resolve().parent.parent

playwright_api = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True
    )


@contextmanager
def review_server(out: Path, pdfs: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`jixiao review OUT --port 0` in a subprocess; yields (url, process); SIGKILLs it after."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline.review.cli",
            "review",
            str(out),
            "--pdfs",
            str(pdfs),
            "--reviewer",
            "alice",
            "--port",
            "0",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = ""
        for line in proc.stdout:
            if line.startswith("open "):
                url = line.split()[1]
                break
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
        yield url, proc
    finally:
        proc.kill()  # SIGKILL: no chance to flush anything, like a crash
        proc.wait(timeout=10)


def test_review_round_trip(tmp_path: Path) -> None:
    from playwright.sync_api import Dialog, expect, sync_playwright

    expect.set_options(timeout=15000)
    run = make_review_run(tmp_path)
    shots = tmp_path / "shots"
    shots.mkdir()
    doc = DocumentResult.model_validate_json((run.out / "shegong.json").read_text("utf-8"))
    misread_box = doc.projects[0].provenance[MISREAD_FIELD].bbox

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        dialogs: list[str] = []

        def on_dialog(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        keys: list[str] = []

        def press(key: str) -> None:
            # A key pressed before review.js has run on the new page would be lost.
            page.wait_for_selector("body[data-ready]", state="attached")
            keys.append(key)
            page.keyboard.press(key)

        def shot(name: str) -> None:
            page.screenshot(path=str(shots / f"{name}.png"))

        with review_server(run.out, run.pdfs) as (url, _):
            # The queue: lowest confidence first.
            page.goto(url)
            rows = page.locator("tr.qrow")
            expect(rows).to_have_count(3)
            expect(rows.nth(0)).to_contain_text("全市性行业协会商会基层党组织工作经费")
            expect(rows.nth(0).locator(".conf")).to_have_text("0.30")
            expect(rows.nth(0)).to_have_class("qrow state-todo sel")
            shot("1-queue")

            # Open the low-confidence project with the keyboard.
            press("Enter")
            page.wait_for_url("**/p/shegong/0**")
            card = page.locator(".card.focus")
            expect(card).to_have_attribute("data-field", MISREAD_FIELD)
            expect(card.locator(".card-head .conf")).to_have_text("0.30")
            cands = card.locator(".cand")
            expect(cands).to_have_count(2)
            # Digit-level diff: 148.25 (layout) against 184.25 (LLM) marks the swapped digits.
            expect(cands.nth(0).locator(".val")).to_have_text("148.25")
            expect(cands.nth(0).locator("mark")).to_have_text("48")
            expect(cands.nth(1).locator("mark")).to_have_text("84")
            expect(cands.nth(1)).to_contain_text("LLM")

            # The cell is outlined on the page image, where the provenance box says.
            box = page.locator(".box.focus")
            expect(box).to_have_count(1)
            expect(box).to_have_attribute("data-field", MISREAD_FIELD)
            expect(box).to_be_visible()
            img = page.locator(".page-inner img").first
            expect(img).to_be_visible()
            page.wait_for_function("document.querySelector('.page-inner img').naturalWidth > 0")
            b, i = box.bounding_box(), img.bounding_box()
            assert b is not None and i is not None
            width_pt = 595.28  # A4, the generator's page size
            assert abs((b["x"] - i["x"]) / i["width"] - misread_box[0] / width_pt) < 0.01
            assert (
                abs((b["x"] + b["width"] - i["x"]) / i["width"] - misread_box[2] / width_pt) < 0.01
            )

            # Findings as equations with the numbers; clicking one outlines its cells.
            r1 = page.locator(".finding").filter(has=page.locator(".rule", has_text="R1"))
            expect(r1.locator(".eq")).to_contain_text("= 184.25 ≠ 148.25")
            expect(page.locator(".finding").filter(has_text="R2")).to_have_count(1)
            shot("2-project")
            r1.click()
            expect(r1).to_have_class("finding error active")
            expect(page.locator(".box.hit")).to_have_count(4)  # total and its three parts
            shot("3-finding-outlined")
            page.locator(".card.focus").click(position={"x": 5, "y": 5})  # back to the card

            # Pick the LLM's reading: the checker re-runs, the findings go.
            press("2")
            page.wait_for_load_state()
            expect(page.locator(f'.cell[data-field="{MISREAD_FIELD}"]')).to_have_text("184.25")
            expect(page.locator(".finding .rule")).to_have_count(0)
            expect(page.locator(".allok").first).to_contain_text("所有检查通过")
            expect(page.locator(".decided-tag")).to_contain_text("LLM · alice")
            shot("4-corrected")

            # Approve and move on, by keyboard alone.
            press("a")
            page.wait_for_url("**/p/shegong/1**")
            keys_for_project = len(keys)
            assert keys == ["Enter", "2", "a"]

            # The inconsistent project: approval waits for "the document itself is inconsistent".
            expect(page.locator(".finding .rule")).to_have_text(["R5"])
            press("a")
            expect(page.locator(".msg").first).to_contain_text("还不能批准")
            press("i")
            expect(page.locator("#inconsistent")).to_have_attribute("aria-pressed", "true")
            shot("5-inconsistent")
            press("a")
            page.wait_for_url("**/?msg=done**")
            expect(page.locator(".msg").first).to_contain_text("没有待审核的项目")

            # Cells holding markup display as text, and nothing runs.
            page.goto(url + "p/xss/0")
            expect(page.locator("h1.proj-name")).to_have_text(XSS_NAME)
            expect(page.locator(".cell").filter(has_text="onerror")).to_have_text(XSS_INDICATOR)
            assert page.locator("script").count() == 1  # only review.js
            assert page.locator("img[src=x]").count() == 0
            shot("6-markup-as-text")

            # Any cell can be opened from the table and typed into; the checker answers at once.
            page.locator('.cell[data-field="grade"]').click()
            expect(page.locator(".card.focus")).to_have_attribute("data-field", "grade")
            press("e")
            page.keyboard.type("良")
            page.keyboard.press("Enter")
            expect(page.locator(".finding .rule")).to_have_text(["R7"])
            expect(page.locator(".card.focus .decided-tag")).to_contain_text("手动输入 · alice")
            expect(page.locator(".finding .eq")).to_contain_text("'良' needs")
            shot("7-typed-grade")
            page.get_by_role("button", name="恢复原值").click()
            expect(page.locator(".finding .rule")).to_have_count(0)
            expect(page.locator('.cell[data-field="grade"]')).to_have_text("优")
            page.goto(url)
            shot("8-queue-done")

        # Kill -9 above; a new server finds every decision.
        with review_server(run.out, run.pdfs) as (url, _):
            page.goto(url + "p/shegong/0")
            expect(page.locator(f'.cell[data-field="{MISREAD_FIELD}"]')).to_have_text("184.25")
            expect(page.locator(".finding .rule")).to_have_count(0)
            expect(page.locator(".proj-meta .st.approved")).to_contain_text("alice")
            page.goto(url + "p/shegong/1")
            expect(page.locator("#inconsistent")).to_have_attribute("aria-pressed", "true")
        browser.close()
    assert dialogs == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    for png in shots.glob("*.png"):
        shutil.copy(png, SHOTS / png.name)
    print(f"\nkeystrokes to clear one low-confidence project: {keys_for_project}, clicks: 0")

    # Export: same contract, status reviewed, who/when per change; then as eval truth.
    reviewed, evalset = tmp_path / "reviewed", tmp_path / "evalset"
    code = review_main(
        [
            "review",
            "export",
            str(run.out),
            "--to",
            str(reviewed),
            "--as-truth",
            str(evalset),
            "--pdfs",
            str(run.pdfs),
        ]
    )
    assert code == 0
    out = DocumentResult.model_validate_json((reviewed / "shegong.json").read_text("utf-8"))
    p0, p1 = out.projects
    assert p0.status is Status.reviewed and p1.status is Status.reviewed
    assert p0.funds.total.executed == run.misread_true
    mine = p0.candidates[MISREAD_FIELD][-1]
    assert mine.source == "reviewer" and mine.value == run.misread_true
    assert mine.note.startswith("alice at 20") and "llm" in mine.note and "148.25" in mine.note
    assert p0.field_confidence[MISREAD_FIELD] == 1.0 and not p0.findings
    assert p1.source_inconsistent and [f.rule for f in p1.findings] == ["R5"]
    assert (
        json.loads((reviewed / "xss.json").read_text("utf-8"))["projects"][0]["status"]
        == "accepted"
    )
    assert (reviewed / "summary.csv").is_file()

    # The truth round-trips into `jixiao eval`: the pipeline scores 100% against it.
    cases = load_cases(evalset)
    assert [c.id for c in cases] == ["shegong"]  # xss was not approved, so it is no truth
    report = evaluate(cases, process_file)
    assert report.overall.field_accuracy == 1.0
    assert report.overall.inconsistent == 1 and report.overall.inconsistent_flagged == 1
