"""Fuzzing campaign: mutated real and generated PDFs through the whole pipeline (hypothesis).

Outside CI's time. Every input goes through pipeline.run.process_file, which must come back
with a result or one clear error, never "internal error" (our bug) and never kill the process.
A worker process runs the inputs under production's per-file limits (LimitsOptions: the memory
cap pipeline/batch/worker.py applies, pixel, content, glyph, line and grid budgets); the parent
restarts it if it dies or hangs. Each input's peak RSS is measured (VmHWM, reset per input: a
spawned worker's ru_maxrss starts at its parent's peak, so it cannot be used). Kept under
OUT/crashes/<reason>/ with a .txt saying why, to become regression fixtures
(tests/fixtures/fuzz/): crashes, worker deaths, hangs (--timeout), inputs over --rss-threshold,
and too_complex ones. Every result is a line of OUT/inputs.jsonl; --seed fixes the inputs.

    nice -n 10 python tests/fuzz/fuzz_pipeline.py --minutes 30 --out /tmp/fuzz --seed 7

The last line is a JSON summary. Last 30-minute run (seed 7, commit c560dbe, 2 shared cores at a
load average of ~10): 1054 inputs in 1923 s, 0 crashes, 0 deaths, 9 timeouts (over 120 s; the
one examined is in OCR's recogniser, pipeline/ocr.py _recognize_one, on a damaged digital page),
0 too_complex, peak worker RSS 450 MiB, max per-input RSS 450 MiB.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import queue
import re
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipeline.batch.limits import signal_name  # noqa: E402  (after the path is set)

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


def worker(inbox: Any, outbox: Any, current: str, parent: int, cap: bool) -> None:
    """Process inputs under production's per-file limits; report each result and its peak RSS."""
    from pipeline.batch.limits import cap_memory, die_with_parent, peak_rss_mb, reset_peak_rss
    from pipeline.options import ReadOptions, RunOptions
    from pipeline.run import process_file

    die_with_parent(parent)
    full = RunOptions()  # production's limits (pixels, content, glyphs, memory): their one home
    fast = RunOptions(read=ReadOptions(ocr="off"))
    if cap:
        cap_memory(full.limits.memory_mb)  # what pipeline/batch/worker.py applies
    while True:
        item = inbox.get()
        if item is None:
            return
        data, use_ocr = item
        Path(current).write_bytes(data)
        reset_peak_rss()
        t0 = time.monotonic()
        res = process_file(Path(current), full if use_ocr else fast)
        kinds = [e.kind.value for e in res.errors]
        msgs = [e.message for e in res.errors]
        outbox.put((res.status.value, kinds, msgs, peak_rss_mb(), time.monotonic() - t0))
        if "too_complex" in kinds:
            return  # as production's worker: a file that hit a limit may leave memory behind


@dataclass
class Finding:
    """Why an input is kept: its folder under crashes/ and the one-line reason."""

    folder: str
    why: str


def findings(
    status: str, kinds: list[str], msgs: list[str], rss_mb: int, threshold_mb: int
) -> list[Finding]:
    """What is worth keeping about one result: crashes, too_complex, and memory over threshold."""
    out = []
    for k, m in zip(kinds, msgs, strict=True):
        if k == "failed" or "internal error" in m or "Traceback" in m:
            out.append(Finding("crash", m))
        elif k == "too_complex":
            out.append(Finding("too_complex", m))
    if rss_mb > threshold_mb:
        out.append(Finding("memory", f"peak RSS {rss_mb} MiB (threshold {threshold_mb}); {status}"))
    return out


def campaign(
    minutes: float,
    out: Path,
    seed: int,
    *,
    threshold_mb: int = 2048,
    timeout: float = 120.0,
    cap: bool = True,
) -> dict[str, Any]:
    """Run the campaign; keep crashing, dying, hanging, too_complex and memory-hungry inputs."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as fix_seed
    from hypothesis import strategies as st

    from pipeline.options import LimitsOptions

    # production's time budget, or shorter: a fuzz input still reading after 2 minutes is a
    # finding already, and 30 minutes of one would be the whole campaign
    timeout = min(timeout, LimitsOptions().seconds)
    work = out / "work"
    crashes = out / "crashes"
    work.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    corpus = [p.read_bytes() for p in seeds(work)]
    current = str(work / "current.pdf")
    ctx = mp.get_context("spawn")
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")  # as production's workers (LocalPool._spawn)
    state: dict[str, Any] = {
        "tried": 0,
        "saved": {},
        "counts": {"crash": 0, "died": 0, "timeout": 0, "too_complex": 0, "memory": 0},
        "kinds": {},
        "rss": 0,
        "max_input_rss": 0,
        "restarts": 0,
    }
    log = (out / "inputs.jsonl").open("a", encoding="utf-8")

    def start() -> tuple[Any, Any, Any]:
        inbox, outbox = ctx.Queue(), ctx.Queue()
        proc = ctx.Process(target=worker, args=(inbox, outbox, current, os.getpid(), cap))
        proc.daemon = True
        proc.start()
        return proc, inbox, outbox

    proc, inbox, outbox = start()
    deadline = time.monotonic() + minutes * 60

    def save(data: bytes, found: Finding) -> None:
        state["counts"][found.folder] += 1
        name = hashlib.sha256(data).hexdigest()[:16]
        # a crash or a limit: one file per distinct reason (numbers blanked), so a common one
        # does not flood the folder; every death, hang and memory hog is kept
        key = found.folder + ":" + re.sub(r"\d+", "N", found.why.split(": ", 1)[-1])[:160]
        if found.folder not in ("crash", "too_complex"):
            key += ":" + name
        if key in state["saved"]:
            return
        folder = crashes / found.folder
        folder.mkdir(exist_ok=True)
        (folder / f"{name}.pdf").write_bytes(data)
        (folder / f"{name}.txt").write_text(found.why + "\n", "utf-8")
        state["saved"][key] = {"file": f"{found.folder}/{name}.pdf", "why": found.why[:300]}
        print(f"SAVED {found.folder}/{name}.pdf: {found.why[:200]}", flush=True)

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
                status, kinds, msgs, rss, seconds = outbox.get(timeout=2)
                break
            except queue.Empty:
                if not proc.is_alive():
                    state["tried"] += 1
                    save(data, Finding("died", f"worker {signal_name(proc.exitcode)}"))
                    state["restarts"] += 1
                    proc, inbox, outbox = start()
                    return
                if time.monotonic() - t0 > timeout:
                    state["tried"] += 1
                    save(data, Finding("timeout", f"hang: no result after {timeout:g} s"))
                    proc.kill()
                    proc.join()
                    state["restarts"] += 1
                    proc, inbox, outbox = start()
                    return
        state["tried"] += 1
        state["rss"] = max(state["rss"], rss)
        state["max_input_rss"] = max(state["max_input_rss"], rss)
        for k in kinds:
            state["kinds"][k] = state["kinds"].get(k, 0) + 1
        record = {"seed": which, "ops": [o[0] for o in ops], "ocr": ocr_roll == 0}
        record |= {"status": status, "kinds": kinds, "rss_mb": rss, "s": round(seconds, 2)}
        log.write(json.dumps(record) + "\n")
        log.flush()
        for found in findings(status, kinds, msgs, rss, threshold_mb):
            save(data, found)
        if "too_complex" in kinds:  # the worker exits after one, as production's does
            proc.join(timeout=30)
            state["restarts"] += 1
            proc, inbox, outbox = start()

    t_start = time.monotonic()
    rounds = 0
    while time.monotonic() < deadline:
        # each round draws its own 100 inputs; the sequence is fixed by --seed
        fix_seed(seed * 1_000_003 + rounds)(one)()
        rounds += 1
        c = state["counts"]
        print(
            f"{(time.monotonic() - t_start) / 60:5.1f} min: {state['tried']} inputs, "
            f"{c['crash']} crash, {c['died']} died, {c['timeout']} timeout, "
            f"{c['too_complex']} too_complex, max input RSS {state['max_input_rss']} MiB",
            flush=True,
        )
    inbox.put(None)
    proc.join(timeout=30)
    log.close()
    summary = {
        "seed": seed,
        "inputs": state["tried"],
        "minutes": round((time.monotonic() - t_start) / 60, 1),
        "seconds": round(time.monotonic() - t_start),
        "memory_cap_mib": LimitsOptions().memory_mb if cap else None,
        "peak_worker_rss_mib": state["rss"],
        "max_input_rss_mib": state["max_input_rss"],
        **{k: v for k, v in state["counts"].items()},
        "saved": list(state["saved"].values()),
        "worker_restarts": state["restarts"],
        "error_kinds": state["kinds"],
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1), "utf-8")
    return summary


def main() -> int:
    """Entry point: --minutes, --out, --seed, --rss-threshold, --timeout, --no-memory-cap."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--out", default="fuzz-out")
    ap.add_argument("--seed", type=int, default=0, help="fixes the sequence of inputs")
    ap.add_argument(
        "--rss-threshold", type=int, default=2048, help="keep inputs whose peak RSS passes, MiB"
    )
    ap.add_argument(
        "--timeout", type=float, default=120.0, help="seconds per input (≤ --time-limit)"
    )
    ap.add_argument(
        "--no-memory-cap",
        action="store_true",
        help="no RLIMIT_AS, as a plain `jixiao run` of one file: the pipeline's own budgets only",
    )
    args = ap.parse_args()
    summary = campaign(
        args.minutes,
        Path(args.out),
        args.seed,
        threshold_mb=args.rss_threshold,
        timeout=args.timeout,
        cap=not args.no_memory_cap,
    )
    print(json.dumps(summary))
    bad = sum(summary[k] for k in ("crash", "died", "timeout", "memory"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
