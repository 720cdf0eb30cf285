"""Scans of the families set: image-only PDFs derived from its committed Calc and Writer PDFs.

The scans are not committed (a scanned page is ~100-300 KB of JPEG); they are derived when
`jixiao eval` runs, deterministically (one seed per document and producer), into a cache keyed
by the derivation's source and the committed PDF's hash, and remade only when either changes.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path

import fitz
import numpy as np

from jixiao_eval.families.truth import family_of
from jixiao_eval.pdfgen import degrade
from jixiao_eval.scoring.evaluate import EvalCase
from pipeline.output import write_atomic

SCAN_SUFFIX = "-scan"
INDEX = "index.json"


def scan_producer(producer: str) -> str:
    """The producer label of a scan of `producer`'s PDF, e.g. 'calc' -> 'calc-scan'."""
    return f"{producer}{SCAN_SUFFIX}"


def scanned_sources(folder: Path) -> list[tuple[Path, str]]:
    """(committed PDF, producer) of every document the set's index.json lists; [] if none."""
    index = folder / INDEX
    try:
        rows = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(rows, list):
        return []
    out: list[tuple[Path, str]] = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        pdf, producer = row.get("pdf"), row.get("producer")
        if isinstance(pdf, str) and isinstance(producer, str) and (folder / pdf).is_file():
            out.append((folder / pdf, producer))
    return out


def _derivation_key() -> str:
    """Hash of the code that makes a scan: a change remakes every cached scan."""
    h = hashlib.sha256()
    for src in (Path(degrade.__file__), Path(__file__)):
        h.update(src.read_bytes())
    return h.hexdigest()[:16]


def scan_pdf(src: Path, seed: int, pages: Sequence[int] | None = None) -> bytes:
    """The image-only PDF of `src` (or of its `pages`, 0-based): every page rendered grey at
    a scanner's dpi, skewed, blurred, noisy, JPEG, at the page's own size (landscape pages
    stay landscape)."""
    rng = np.random.default_rng([seed, 20261201])
    out = fitz.open()
    with fitz.open(src) as doc:
        for number in range(len(doc)) if pages is None else pages:
            page = doc[number]
            jpeg, _ = degrade.scan_page(page, rng)
            new = out.new_page(width=page.rect.width, height=page.rect.height)
            new.insert_image(new.rect, stream=jpeg)
    data: bytes = out.tobytes(garbage=4, deflate=True, no_new_id=True)
    out.close()
    return data


def derive_scans(folder: Path, cache: Path, force: bool = False) -> list[tuple[Path, Path]]:
    """(committed PDF, its scan in `cache`) for every listed PDF of `folder`; scans are made
    only when missing or stale. The scan is named <doc>__<producer>-scan.pdf."""
    sources = scanned_sources(folder)
    if not sources:
        return []
    cache.mkdir(parents=True, exist_ok=True)
    key = _derivation_key()
    made = 0
    out: list[tuple[Path, Path]] = []
    for i, (pdf, producer) in enumerate(sources, 1):
        doc_id = pdf.stem.removesuffix(f"__{producer}")
        scan = cache / f"{doc_id}__{scan_producer(producer)}.pdf"
        stamp = scan.with_suffix(".key")
        want = f"{key}:{hashlib.sha256(pdf.read_bytes()).hexdigest()[:16]}"
        if force or not scan.is_file() or not stamp.is_file() or stamp.read_text() != want:
            write_atomic(scan, scan_pdf(pdf, zlib.crc32(scan.stem.encode())))
            write_atomic(stamp, want)
            made += 1
            print(f"\rderiving family scans {i}/{len(sources)}", end="", file=sys.stderr)
        out.append((pdf, scan))
    if made:
        print("", file=sys.stderr)
    return out


def scan_cases(folder: Path, cache: Path, force: bool = False) -> list[EvalCase]:
    """Eval cases of the scans of a families set (folder with an index.json), scored against
    the committed PDF's own truth; [] for a folder that is not such a set."""
    cases: list[EvalCase] = []
    for _pdf, scan in derive_scans(folder, cache, force):
        doc_id, _, producer = scan.stem.rpartition("__")
        truth = folder / f"{doc_id}.truth.json"
        if not truth.is_file():
            continue
        family = family_of(truth.read_text(encoding="utf-8"))
        cases.append(EvalCase(id=scan.stem, variant=producer, pdf=scan, truth=truth, family=family))
    return cases
