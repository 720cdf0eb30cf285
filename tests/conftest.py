"""Shared fixtures: real PDFs generated from the eval truth, and a guard against real network use."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from schemas import TruthReport

ROOT = Path(__file__).resolve().parent.parent
SEED_TRUTH = ROOT / "eval" / "seed_2024.truth.json"
REAL_PDFS = ROOT / "tests" / "fixtures" / "real"

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1")):
        raise RuntimeError(f"tests must not reach the network (tried {address!r})")
    return _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(scope="session")
def seed_truth() -> TruthReport:
    return TruthReport.model_validate_json(SEED_TRUTH.read_text("utf-8"))


@pytest.fixture(scope="session")
def seed_pdfs(tmp_path_factory: pytest.TempPathFactory, seed_truth: TruthReport) -> dict[str, Path]:
    """The seed report rendered as real PDFs, one per variant."""
    from jixiao_eval.pdfgen.write import VARIANTS, write_report_pdf

    d = tmp_path_factory.mktemp("seed_pdfs")
    return {v: write_report_pdf(seed_truth, v, d / f"seed__{v}.pdf", seed=7) for v in VARIANTS}
