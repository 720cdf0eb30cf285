"""Text normalisation and similarity used by the scorer (pure Python, no dependencies)."""

from __future__ import annotations

import difflib
import re
import unicodedata

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
    # Extracted narratives usually differ in a few characters: trimming the shared
    # prefix and suffix leaves a tiny core for the O(n*m) table.
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
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


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
