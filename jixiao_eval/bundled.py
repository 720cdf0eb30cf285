"""The bundled eval set: its truth files (eval/) and their PDFs, generated once and cached."""

from __future__ import annotations

import hashlib
import sys
import zlib
from pathlib import Path

import jixiao_eval.pdfgen as pdfgen
from jixiao_eval.families.scans import scan_cases
from jixiao_eval.pdfgen.write import write_report_pdf
from jixiao_eval.scoring.evaluate import EvalCase, load_cases
from pipeline.output import write_atomic
from pipeline.resources import data_dir
from schemas import TruthReport

DEFAULT_PDF_DIR = Path(".jixiao-cache") / "evalset"


def bundled_truths() -> list[Path]:
    """The seed transcription and the derived documents of eval/."""
    root = data_dir("eval")
    derived = sorted(p for p in (root / "truth").glob("*.json") if p.name != "index.json")
    return [root / "seed_2024.truth.json", *derived]


def families_cases(pdf_dir: Path | None = None) -> list[EvalCase]:
    """The committed families set (eval/families/): LibreOffice PDFs with their truth, and
    with `pdf_dir` also their scans (derived into pdf_dir, see jixiao_eval/families/scans.py)."""
    folder = data_dir("eval") / "families"
    if not folder.is_dir():
        return []
    return load_cases(folder) + (family_scan_cases(folder, pdf_dir) if pdf_dir else [])


def family_scan_cases(folder: Path, pdf_dir: Path, force: bool = False) -> list[EvalCase]:
    """The derived scans of a families set folder (one with index.json), cached in pdf_dir."""
    return scan_cases(folder, pdf_dir / "family-scans" / folder.resolve().name, force)


def _generator_key() -> str:
    """Hash of the generator's source: cached PDFs are remade when it changes."""
    h = hashlib.sha256()
    for src in sorted(Path(pdfgen.__file__).parent.glob("*.py")):
        h.update(src.read_bytes())
    return h.hexdigest()[:16]


def generate_pdfs(
    truths: list[Path], variants: list[str], pdf_dir: Path, force: bool = False
) -> list[tuple[str, str, Path, Path]]:
    """(doc id, variant, pdf, truth) for every pair; PDFs are made only when missing or stale."""
    gen_key = _generator_key()
    pdf_dir.mkdir(parents=True, exist_ok=True)
    out = []
    made = 0
    todo = [(t, v) for t in truths for v in variants]
    for i, (truth, variant) in enumerate(todo, 1):
        doc_id = truth.name.removesuffix(".json").removesuffix(".truth")
        pdf = pdf_dir / f"{doc_id}__{variant}.pdf"
        stamp = pdf.with_suffix(".key")
        text = truth.read_bytes()
        key = f"{gen_key}:{hashlib.sha256(text).hexdigest()[:16]}"
        if force or not pdf.exists() or not stamp.exists() or stamp.read_text() != key:
            report = TruthReport.model_validate_json(text)
            seed = zlib.crc32(f"{doc_id}/{variant}".encode())
            write_report_pdf(report, variant, pdf, seed=seed)
            write_atomic(stamp, key)
            made += 1
            print(f"\rgenerating eval PDFs {i}/{len(todo)}", end="", file=sys.stderr)
        out.append((doc_id, variant, pdf, truth))
    if made:
        print("", file=sys.stderr)
    return out
