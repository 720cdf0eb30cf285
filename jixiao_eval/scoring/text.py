"""Text normalisation and similarity used by the scorer (pure Python, no dependencies)."""

from __future__ import annotations

import difflib
import re
import unicodedata

# The scorer normalises on its own, not with pipeline/textnorm.py: a change to the readers must
# never change how they are judged.
# NFKC already maps full-width ＂＇ to ASCII; these are the quote marks it leaves alone.
# The seed transcription writes ASCII quotes where the PDF prints curly ones or 「」, so
# every quote character compares equal.
_QUOTES = "“”‘’「」『』〝〞〟‚„‹›«»′″\"'`"
_QUOTE_TABLE = str.maketrans(dict.fromkeys(_QUOTES, '"'))
# Zero-width characters are invisible in the PDF; a reader may or may not emit them.
_SPACE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


def normalize_text(text: str | None) -> str:
    """NFKC, drop all whitespace, fold every quote mark to '"'."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).translate(_QUOTE_TABLE)
    return _SPACE.sub("", folded)


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insert, delete, substitute each cost 1)."""
    # Extracted narratives usually differ in a few characters: trim the shared prefix and
    # suffix first.
    start = 0
    limit = min(len(a), len(b))
    while start < limit and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a -= 1
        end_b -= 1
    a, b = a[start:end_a], b[start:end_b]
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    return _bit_parallel(a, b)


def _bit_parallel(text: str, pattern: str) -> int:
    """Myers/Hyyro bit-vector edit distance: one column of the DP table per Python int."""
    # A whole DP column lives in one int, so a 300 x 300 comparison is 300 steps of a few
    # big-int operations instead of 90,000 Python-level cell updates.
    m = len(pattern)
    positions: dict[str, int] = {}
    for i, char in enumerate(pattern):
        positions[char] = positions.get(char, 0) | (1 << i)
    full = (1 << m) - 1
    last = 1 << (m - 1)
    plus_v, minus_v, distance = full, 0, m
    for char in text:
        eq = positions.get(char, 0)
        x_v = eq | minus_v
        x_h = (((eq & plus_v) + plus_v) ^ plus_v) | eq
        plus_h = minus_v | (~(x_h | plus_v) & full)
        minus_h = plus_v & x_h
        if plus_h & last:
            distance += 1
        elif minus_h & last:
            distance -= 1
        # Carry-in 1: row 0 of the table is 0, 1, 2, ... (global, not substring, distance).
        plus_h = ((plus_h << 1) | 1) & full
        minus_h = (minus_h << 1) & full
        plus_v = minus_h | (~(x_v | plus_h) & full)
        minus_v = plus_h & x_v
    return distance


def narrative_similarity(expected: str | None, got: str | None) -> float:
    """1 - levenshtein / max length over normalised texts; 1.0 when both are empty."""
    a, b = normalize_text(expected), normalize_text(got)
    longest = max(len(a), len(b))
    if longest == 0:
        return 1.0
    return 1.0 - levenshtein(a, b) / longest


def name_similarity(a: str | None, b: str | None) -> float:
    """difflib ratio of two normalised names (0..1); 1.0 when both are empty."""
    left, right = normalize_text(a), normalize_text(b)
    if not left and not right:
        return 1.0
    return difflib.SequenceMatcher(None, left, right, autojunk=False).ratio()
