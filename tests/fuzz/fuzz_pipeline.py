"""Fuzzing campaign: mutated real and generated PDFs through the whole pipeline (hypothesis).

Outside CI's time. Every input goes through pipeline.run.process_file, which must come back
with a result or one clear error, never "internal error" (our bug) and never kill the process.
A worker process runs the inputs; the parent restarts it if it dies (a MuPDF crash) and keeps
the input that killed it. Every crashing input is saved under OUT/crashes/ to become a
regression fixture (tests/fixtures/fuzz/).

    python tests/fuzz/fuzz_pipeline.py --minutes 30 --out /tmp/fuzz

The last line is a JSON summary: inputs tried, minutes, peak memory, crashes found.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import resource
import sys
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

# Byte-level and structure-level damage, the kinds seen in the wild: bit rot, truncation,
# appended junk, junk before the header, broken content streams, self-referencing page trees.
MUTATIONS = ("flip", "splice", "truncate", "insert", "stream", "tail", "head", "tree", "number")


def seeds(work: Path) -> list[Path]:
    """Generated seed reports (digital, fakebold, a 2-page cut) and the real office PDFs."""
    import fitz

    from jixiao_eval.pdfgen.write import write_report_pdf
    from schemas import TruthReport

    truth = TruthReport.model_validate_json((ROOT / "eval/seed_2024.truth.json").read_text("utf-8"))
    out = [
        write_report_pdf(truth, v, work / f"seed_{v}.pdf", seed=7) for v in ("digital", "fakebold")
    ]
    doc = fitz.open(out[0])
    doc.select([0, 1])
    small = work / "seed_2pages.pdf"
    doc.save(small)
    # the same file with uncompressed streams, so byte damage lands in content operators
    raw = work / "seed_raw.pdf"
    fitz.open(out[0]).save(raw, expand=255)
    return [*out, small, raw, *sorted((ROOT / "tests/fixtures/real").glob("*.pdf"))]


def mutate(data: bytes, ops: list[tuple[str, int, int, bytes]]) -> bytes:
    """Apply (kind, position, length, junk) mutations in order."""
    buf = bytearray(data)
    for kind, pos, n, junk in ops:
        if not buf:
            break
        p = pos % len(buf)
        if kind == "flip":
            for k in range(min(n, 64)):
                buf[(p + k * 7919) % len(buf)] ^= 1 << (k % 8)
        elif kind == "splice":
            q = (pos * 31 + n) % len(buf)
            buf[p : p + n] = buf[q : q + n]
        elif kind == "truncate":
            del buf[max(16, p) :]
        elif kind == "insert":
            buf[p:p] = junk
        elif kind == "tail":
            buf += junk * (1 + n % 600)  # up to tens of KB after %%EOF
        elif kind == "head":
            buf[0:0] = (junk * 200)[: n % 1100]
        elif kind == "tree":
            buf = bytearray(_tree(bytes(buf), pos))
        elif kind == "number":
            buf = bytearray(_number(bytes(buf), pos, junk))
        elif kind == "stream":
            buf = bytearray(_stream(bytes(buf), pos, n, junk))
    return bytes(buf)


def _tree(data: bytes, pos: int) -> bytes:
    # a page's /Parent or /Kids pointing back at itself: "cycle in page tree"
    import re

    refs = [m for m in re.finditer(rb"/(Parent|Kids \[?) ?(\d+) 0 R", data)]
    if not refs:
        return data
    m = refs[pos % len(refs)]
    other = re.findall(rb"(\d+) 0 obj", data)
    if not other:
        return data
    target = other[(pos // 7) % len(other)]
    return data[: m.start(2)] + target + data[m.end(2) :]


def _number(data: bytes, pos: int, junk: bytes) -> bytes:
    # a /Length, /Count or /Size replaced by something huge, negative or not a number
    import re

    hits = [m for m in re.finditer(rb"/(Length|Count|Size|N|W) (\d+)", data)]
    if not hits:
        return data
    m = hits[pos % len(hits)]
    new = [b"999999999", b"-1", b"0", b"2147483648", junk[:4] or b"x"][pos % 5]
    return data[: m.start(2)] + new + data[m.end(2) :]


def _stream(data: bytes, pos: int, n: int, junk: bytes) -> bytes:
    # damage inside a decompressed content stream: what a bad sector in a page looks like
    import re

    starts = [m.end() for m in re.finditer(rb"stream\r?\n", data)]
    if not starts:
        return data
    s = starts[pos % len(starts)]
    e = data.find(b"endstream", s)
    if e < 0:
        return data
    body = data[s:e]
    try:
        plain = zlib.decompress(body)
        compressed = True
    except zlib.error:
        plain, compressed = body, False
    if not plain:
        return data
    p = (pos // 3) % len(plain)
    plain = plain[:p] + (junk * 40)[: max(1, n % 80)] + plain[p + max(1, n % 80) :]
    new = zlib.compress(plain) if compressed else plain
    return data[:s] + new + data[e:]


def worker(inbox: Any, outbox: Any, current: str) -> None:
    """Process inputs until told to stop; report (status, error kind, message, peak RSS)."""
    from pipeline.options import ReadOptions, RunOptions
    from pipeline.run import process_file

    fast = RunOptions(read=ReadOptions(ocr="off"))
    full = RunOptions()
    while True:
        item = inbox.get()
        if item is None:
            return
        data, use_ocr = item
        Path(current).write_bytes(data)
        res = process_file(Path(current), full if use_ocr else fast)
        kinds = [e.kind.value for e in res.errors]
        msgs = [e.message for e in res.errors]
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        outbox.put((res.status.value, kinds, msgs, rss))


def campaign(minutes: float, out: Path, seed: int) -> dict[str, Any]:
    """Run the campaign; save crashing inputs under out/crashes."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    work = out / "work"
    crashes = out / "crashes"
    work.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    corpus = [p.read_bytes() for p in seeds(work)]
    current = str(work / "current.pdf")
    ctx = mp.get_context("spawn")
    state: dict[str, Any] = {"tried": 0, "crashes": {}, "kinds": {}, "rss": 0, "restarts": 0}

    def start() -> tuple[Any, Any, Any]:
        inbox, outbox = ctx.Queue(), ctx.Queue()
        proc = ctx.Process(target=worker, args=(inbox, outbox, current), daemon=True)
        proc.start()
        return proc, inbox, outbox

    proc, inbox, outbox = start()
    deadline = time.monotonic() + minutes * 60

    def save(data: bytes, why: str) -> None:
        key = why.split(":")[0][:80] + why[-60:]
        if key in state["crashes"]:
            return
        name = hashlib.sha256(data).hexdigest()[:16] + ".pdf"
        (crashes / name).write_bytes(data)
        state["crashes"][key] = {"file": name, "why": why[:300]}
        print(f"CRASH {name}: {why[:200]}", flush=True)

    op = st.tuples(
        st.sampled_from(MUTATIONS),
        st.integers(0, 1 << 30),
        st.integers(1, 4096),
        st.binary(min_size=1, max_size=64),
    )

    @settings(
        max_examples=100,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        st.integers(0, len(corpus) - 1), st.lists(op, min_size=1, max_size=4), st.integers(0, 19)
    )
    def one(which: int, ops: list[tuple[str, int, int, bytes]], ocr_roll: int) -> None:
        nonlocal proc, inbox, outbox
        if time.monotonic() > deadline:
            return
        data = mutate(corpus[which], ops)
        inbox.put((data, ocr_roll == 0))  # 1 in 20 with OCR (scans are slow)
        t0 = time.monotonic()
        while True:
            try:
                _status, kinds, msgs, rss = outbox.get(timeout=5)
                break
            except Exception:
                if not proc.is_alive():
                    save(data, f"worker died (exit code {proc.exitcode})")
                    state["restarts"] += 1
                    proc, inbox, outbox = start()
                    return
                if time.monotonic() - t0 > 300:
                    save(data, "hang: no result after 300 s")
                    proc.kill()
                    state["restarts"] += 1
                    proc, inbox, outbox = start()
                    return
        state["tried"] += 1
        state["rss"] = max(state["rss"], rss)
        for k in kinds:
            state["kinds"][k] = state["kinds"].get(k, 0) + 1
        for k, m in zip(kinds, msgs, strict=True):
            if k == "failed" or "internal error" in m or "Traceback" in m:
                save(data, m)

    t_start = time.monotonic()
    while time.monotonic() < deadline:
        one()
        print(
            f"{(time.monotonic() - t_start) / 60:5.1f} min: {state['tried']} inputs, "
            f"{len(state['crashes'])} crash(es), peak RSS {state['rss'] / 1024:.0f} MB",
            flush=True,
        )
    inbox.put(None)
    proc.join(timeout=30)
    summary = {
        "inputs": state["tried"],
        "minutes": round((time.monotonic() - t_start) / 60, 1),
        "peak_rss_mb": round(state["rss"] / 1024),
        "crashes": list(state["crashes"].values()),
        "worker_restarts": state["restarts"],
        "error_kinds": state["kinds"],
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1), "utf-8")
    return summary


def main() -> int:
    """Entry point: --minutes, --out."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--out", default="fuzz-out")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    summary = campaign(args.minutes, Path(args.out), args.seed)
    print(json.dumps(summary))
    return 1 if summary["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
