"""The held-out part of an eval set: documents whose figures no threshold was tuned on.

Documents (not cases: every variant of a document falls on the same side) are split by a hash
of their truth's name, so the split is fixed, needs no list, and a new document lands on a side
by itself. Thresholds (pipeline/confidence.py) are tuned on the tuning part only; `jixiao eval`
reports the held-out part apart, with its own ECE and reliability diagram.
"""

from __future__ import annotations

import hashlib

# One document in two is held out.
HELD_OUT_MODULUS = 2


def held_out(document: str) -> bool:
    """Whether the document (its truth's file name or stem) belongs to the held-out part."""
    stem = document.rsplit("/", 1)[-1].removesuffix(".json").removesuffix(".truth")
    return hashlib.sha256(stem.encode("utf-8")).digest()[0] % HELD_OUT_MODULUS == 1
