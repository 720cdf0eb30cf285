"""LLM faults against real HTTP servers on 127.0.0.1: cache per endpoint, unreachable and hanging
endpoints, every request counted."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jixiao_eval.fake_llm import Reply, ScriptedLLM, answer_by_name
from jixiao_eval.pdfgen.write import write_report_pdf
from pipeline.cli import main
from pipeline.exit_codes import LLM_UNAVAILABLE
from pipeline.llm import client as llm_client
from pipeline.options import LLMSettings, RunOptions
from pipeline.run import process_file
from schemas import DocumentResult, Project, TruthReport


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory, seed_truth: TruthReport) -> Path:
    """A real two-project report."""
    projects = [
        Project.model_validate(p.model_dump(include=set(Project.model_fields)))
        for p in seed_truth.projects[:2]
    ]
    report = TruthReport.model_validate(
        {
            "title": seed_truth.title,
            "year": seed_truth.year,
            "projects": [p.model_dump() for p in projects],
        }
    )
    return write_report_pdf(
        report, "digital", tmp_path_factory.mktemp("faults") / "two.pdf", seed=3
    )


@pytest.fixture(autouse=True)
def _fresh_run() -> Iterator[None]:
    # "unreachable for the run" is per process; each test is its own run
    llm_client._UNREACHABLE.clear()
    yield
    llm_client._UNREACHABLE.clear()


def _settings(base_url: str, tmp_path: Path, **kw: object) -> LLMSettings:
    base: dict[str, object] = {
        "model": "same-name",
        "base_url": base_url,
        "cache_dir": str(tmp_path / "cache"),
        "concurrency": 1,
        "timeout": 3.0,
        "connect_timeout": 1.0,
        "retry_base_wait": 0.001,
        "retry_max_wait": 0.01,
    }
    return LLMSettings(**(base | kw))  # type: ignore[arg-type]


def _truth_projects(seed_truth: TruthReport) -> list[Project]:
    return [
        Project.model_validate(p.model_dump(include=set(Project.model_fields)))
        for p in seed_truth.projects[:2]
    ]


def _statuses(res: DocumentResult) -> list[tuple[str, str, list[str]]]:
    return [(p.name, p.status.value, [str(r) for r in p.reasons]) for p in res.projects]


def test_cache_key_includes_the_endpoint(
    two: Path, tmp_path: Path, seed_truth: TruthReport
) -> None:
    projects = _truth_projects(seed_truth)
    with ScriptedLLM(answer_by_name(projects)) as a, ScriptedLLM(answer_by_name(projects)) as b:
        first = process_file(two, RunOptions(llm=_settings(a.base_url, tmp_path)))
        again = process_file(two, RunOptions(llm=_settings(a.base_url, tmp_path)))
        moved = process_file(two, RunOptions(llm=_settings(b.base_url, tmp_path)))
        assert first.llm is not None and again.llm is not None and moved.llm is not None
        assert first.llm.requests_sent == a.count > 0
        assert again.llm.requests_sent == 0 and again.llm.cache_hits == first.llm.calls
        # same model name, same cache folder, another server: its own answers
        assert b.count > 0 and moved.llm.requests_sent == b.count and moved.llm.cache_hits == 0
        assert moved.llm.base_url_host == b.base_url.split("/")[2]


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()  # nobody listens there now: connections are refused
    return port


def test_unreachable_endpoint_leaves_layout_results_and_exit_code(
    two: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alone = process_file(two)
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    t0 = time.monotonic()
    res = process_file(two, RunOptions(llm=_settings(url, tmp_path)))
    assert time.monotonic() - t0 < 10
    assert res.llm is not None and "cannot connect" in res.llm.unavailable
    assert _statuses(res) == _statuses(alone)  # as with no LLM: accepted stays accepted
    assert all(p.status.value == "accepted" for p in res.projects)
    assert res.llm.requests_sent == 0
    llm_client._UNREACHABLE.clear()
    rc = main(
        [
            "run",
            str(two),
            "--out",
            str(tmp_path / "out"),
            "--quiet",
            "--llm-model",
            "m",
            "--llm-base-url",
            url,
            "--llm-cache",
            str(tmp_path / "c"),
        ]
    )
    out = capsys.readouterr().out
    assert rc == LLM_UNAVAILABLE
    assert out.count("LLM unavailable") == 1 and "layout reader's results stand" in out


class _Hanging:
    """Accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.conns: list[socket.socket] = []
        self.stop = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.1)
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.conns.append(conn)
            except OSError:
                continue

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        for c in self.conns:
            c.close()
        self.sock.close()


def test_hanging_endpoint_costs_seconds_not_minutes(two: Path, tmp_path: Path) -> None:
    alone = process_file(two)
    server = _Hanging()
    try:
        t0 = time.monotonic()
        settings = _settings(server.base_url, tmp_path, timeout=120.0, connect_timeout=1.0)
        res = process_file(two, RunOptions(llm=settings))
        took = time.monotonic() - t0
    finally:
        server.close()
    assert took < 8, took  # one preflight of connect_timeout, not 5 x 120 s per call
    assert res.llm is not None and "no answer within 1 s" in res.llm.unavailable
    assert _statuses(res) == _statuses(alone)


def test_requests_sent_counts_retries(two: Path, tmp_path: Path, seed_truth: TruthReport) -> None:
    projects = _truth_projects(seed_truth)
    failed_once: set[int] = set()

    def flaky(req: object, i: int) -> Reply | None:
        if i not in failed_once:
            failed_once.add(i)
            return Reply.error(503)
        return None

    with ScriptedLLM(answer_by_name(projects, flaky)) as llm:
        res = process_file(two, RunOptions(llm=_settings(llm.base_url, tmp_path)))
    assert res.llm is not None and res.llm.transient_retries == 2
    assert res.llm.requests_sent == llm.count == 4


def _garbage(p: Project) -> Project:
    d = p.model_dump()
    d["goal_expected"] = d["goal_actual"] = "x"
    d["total_score"] = 0
    d["funds"]["total"]["executed"] = 0
    for ind in d["indicators"]:
        ind["name"] = ind["actual"] = "x"
        ind["score"] = 0
    return Project.model_validate(d)


@pytest.mark.parametrize("variant", ["digital", "scan"])
def test_garbage_answers_never_become_the_shown_value(
    tmp_path: Path, seed_truth: TruthReport, variant: str
) -> None:
    from schemas.paths import field_values

    [truth] = _truth_projects(seed_truth)[:1]
    report = TruthReport.model_validate(
        {"title": seed_truth.title, "year": seed_truth.year, "projects": [truth.model_dump()]}
    )
    pdf = write_report_pdf(report, variant, tmp_path / f"one_{variant}.pdf", seed=3)
    alone = process_file(pdf)
    with ScriptedLLM(answer_by_name([_garbage(truth)])) as llm:
        settings = _settings(llm.base_url, tmp_path, cache=False, max_repair_rounds=0)
        res = process_file(pdf, RunOptions(llm=settings))
        assert llm.count > 0
    [lay], [got] = alone.projects, res.projects
    want, lay_v, got_v = field_values(truth), field_values(lay), field_values(got)
    shown = [k for k, v in got_v.items() if v in ("x", 0) and want.get(k) not in ("x", 0)]
    assert shown == [], shown
    right = sum(got_v.get(k) == v for k, v in want.items())
    assert right >= sum(lay_v.get(k) == v for k, v in want.items())  # the LLM costs no accuracy
    assert got.status.value == "needs_review"  # the disagreement is still for a person
    kept = got.candidates.get("goal_expected", [])
    assert any(c.source.value == "llm" and c.value == "x" for c in kept)  # shown to the reviewer
