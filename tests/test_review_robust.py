"""The review app as a new user meets it: a relative folder, a damaged store, two reviewers on one
field, the queue's order at 1280x720, short tokens and the printed URL (real server, browser)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pipeline.output import document_json, write_atomic
from pipeline.review.app import create_app
from pipeline.review.cli import main as review_main
from pipeline.review.workspace import Workspace
from schemas import DocumentResult
from tests.review_fixtures import MISREAD_FIELD, ReviewRun, make_review_run
from tests.test_review_browser import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def run(tmp_path: Path) -> ReviewRun:
    return make_review_run(tmp_path)


@contextmanager
def serve(args: list[str], cwd: Path) -> Iterator[tuple[str, list[str]]]:
    """`jixiao review ARGS` in a subprocess from `cwd`; yields (printed URL, lines before it)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.review.cli", "review", *args, "--port", "0"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        url = ""
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("open "):
                url = line.split()[1]
                break
        assert url, "".join(lines) + (proc.stderr.read() if proc.stderr else "")
        yield url, lines
    finally:
        proc.kill()
        proc.wait(timeout=10)


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=20) as resp:
        return int(resp.status), resp.read()


def _lift_accepted_below(run: ReviewRun) -> None:
    """The accepted xss project at confidence 0.95: on main it sorted above a needs_review
    project at confidence 1.00 (the source-inconsistent one)."""
    path = run.out / "xss.json"
    doc = DocumentResult.model_validate_json(path.read_text("utf-8"))
    p = doc.projects[0].model_copy(update={"confidence": 0.95})
    write_atomic(path, document_json(doc.model_copy(update={"projects": [p]})))


def test_relative_folder_pages_and_queue_order_in_a_browser(run: ReviewRun) -> None:
    from playwright.sync_api import expect, sync_playwright

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    _lift_accepted_below(run)
    cwd = run.out.parent
    with serve(["out", "--pdfs", "pdfs"], cwd) as (url, _):  # relative, as in the README
        status, png = _get(url.rstrip("/") + "/page/shegong/1.png")
        assert status == 200 and png.startswith(b"\x89PNG")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(url)
            rows = page.locator("tr.qrow")
            expect(rows).to_have_count(3)
            # both needs_review projects first, the accepted one last
            expect(rows.nth(2)).to_contain_text("已接受")
            for i in (0, 1):
                expect(rows.nth(i)).not_to_contain_text("已接受")
                box = rows.nth(i).bounding_box()
                assert box is not None and box["y"] + box["height"] <= 720  # above the fold
            page.goto(url.rstrip("/") + "/p/shegong/0")
            img = page.locator("img").first
            expect(img).to_be_visible()
            page.wait_for_function("document.images[0].complete")
            assert page.evaluate("document.images[0].naturalWidth") > 0
            browser.close()


def test_damaged_store_is_one_line_and_outputs_untouched(
    run: ReviewRun, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p.name: p.read_bytes() for p in run.out.glob("*.json")}
    (run.out / "review.sqlite").write_bytes(b"this is not a database" * 100)
    for argv in (["review", str(run.out)], ["review", "export", str(run.out)]):
        rc = review_main(argv)
        err = capsys.readouterr().err
        assert rc == 2
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "review store is damaged" in lines[0], err
        assert "mv review.sqlite review.sqlite.damaged" in lines[0] and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in run.out.glob("*.json")} == before


def _key(html: str) -> str:
    import re

    m = re.search(r'name="_key" value="([^"]+)"', html)
    assert m
    return m.group(1)


def _seen(html: str, field: str) -> str:
    import re

    m = re.search(
        rf'name="field" value="{re.escape(field)}">\s*<input type="hidden" name="seen" value=\'([^\']*)\'',
        html,
    )
    assert m, "the form does not carry the value shown"
    return m.group(1)


def test_conflicting_save_is_refused_with_both_values(run: ReviewRun) -> None:
    ws = Workspace(run.out, [run.pdfs])
    alice = create_app(ws, "alice").test_client()
    bob = create_app(ws, "bob").test_client()
    page_a = alice.get("/p/shegong/0").get_data(as_text=True)
    page_b = bob.get("/p/shegong/0").get_data(as_text=True)  # both see 148.25
    assert json.loads(_seen(page_b, MISREAD_FIELD)) == run.misread_wrong
    form = {"field": MISREAD_FIELD, "action": "typed"}
    ok = alice.post(
        "/p/shegong/0/decide",
        data=form | {"_key": _key(page_a), "value": "184.25", "seen": _seen(page_a, MISREAD_FIELD)},
    )
    assert ok.status_code == 303
    late = bob.post(
        "/p/shegong/0/decide",
        data=form | {"_key": _key(page_b), "value": "150.00", "seen": _seen(page_b, MISREAD_FIELD)},
    )
    assert late.status_code == 303
    shown = bob.get(late.headers["Location"]).get_data(as_text=True)
    assert "not saved" in shown and "alice saved" in shown
    assert "184.25" in shown and "148.25" in shown  # what is there now, and what bob saw
    events = ws.store.events("shegong", 0)
    assert [(e.reviewer, e.new_value) for e in events] == [("alice", run.misread_true)]


def test_short_token_refused_and_generated_url_opens(
    run: ReviewRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert review_main(["review", str(run.out), "--token", "a"]) == 2
    assert "at least 16 characters" in capsys.readouterr().err
    with serve([str(run.out), "--pdfs", str(run.pdfs), "--host", "0.0.0.0"], ROOT) as (url, lines):
        assert any("generated access token" in line for line in lines)
        assert url.startswith("http://127.0.0.1:") and "?token=" in url
        token = url.split("?token=")[1]
        assert len(token) >= 16
        status, html = _get(url)  # the printed URL opens as printed
        assert status == 200 and "tr" in html.decode("utf-8")
        with pytest.raises(urllib.error.HTTPError) as no_token:
            _get(url.split("?")[0])
        assert no_token.value.code == 403
