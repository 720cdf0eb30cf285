"""Text measuring and CJK line wrapping for the eval-set PDF generator."""

from __future__ import annotations

import re
from functools import lru_cache

import fitz

# MuPDF's built-in "china-s" font is Droid Sans Fallback: every CJK glyph plus ≥ and ≤, and
# proportional Latin digits (fitz.get_text_length(fontname="china-s") would say 1 em for
# everything, which is the width of the non-embedded CID font, not of this one).
FONT = fitz.Font("china-s")

# Where a line may not start / end (Chinese kinsoku rules, roughly what Word applies).
NO_START = set(")）]】》」』〉,，.。、:：;；!！?？%”’·")
NO_END = set("(（[【《「『〈“‘")

# A number, an operator glued to a number, or an ASCII word is one unbreakable token:
# "185.01", "≥95.00", "IPtv", "2025"; every other character is its own token.
_TOKEN_RE = re.compile(r"[≥≤=<>＞＜~+\-]?[0-9A-Za-z][0-9A-Za-z.%_\-]*|\s+|.", re.S)


@lru_cache(maxsize=4096)
def _char_em(ch: str) -> float:
    return float(FONT.text_length(ch, fontsize=1.0))


def text_width(text: str, size: float) -> float:
    """Width of text in points at font size `size`."""
    return sum(_char_em(ch) for ch in text) * size


def fmt_amount(value: float | None) -> str:
    """Format a printed amount: 2 decimals, None as '-'."""
    if value is None:
        return "-"
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def tokens(text: str) -> list[str]:
    """Split text into unbreakable wrapping units."""
    return _TOKEN_RE.findall(text)


def _split_long(tok: str, width: float, size: float) -> list[str]:
    parts: list[str] = []
    cur = ""
    for ch in tok:
        if cur and text_width(cur + ch, size) > width:
            parts.append(cur)
            cur = ch
        else:
            cur += ch
    if cur:
        parts.append(cur)
    return parts


def wrap(text: str, width: float, size: float) -> list[str]:
    """Greedy wrap by measured width, character by character, keeping numbers whole."""
    out: list[str] = []
    for para in text.split("\n"):
        line: list[str] = []
        cur_w = 0.0
        for tok in tokens(para):
            tok_w = text_width(tok, size)
            if not line and tok.isspace():
                continue
            if tok_w > width:
                # Only a token wider than the whole cell is broken inside.
                pieces = _split_long(tok, width, size)
                for piece in pieces[:-1]:
                    if line:
                        out.append("".join(line).rstrip())
                    line, cur_w = [], 0.0
                    out.append(piece)
                tok = pieces[-1]
                tok_w = text_width(tok, size)
            if line and cur_w + tok_w > width:
                carry: list[str] = []
                if tok[0] in NO_START and len(line) > 1:
                    carry.insert(0, line.pop())
                while len(line) > 1 and line[-1][-1:] in NO_END:
                    carry.insert(0, line.pop())
                out.append("".join(line).rstrip())
                line = carry if tok.isspace() else [*carry, tok]
                cur_w = text_width("".join(line), size)
            else:
                line.append(tok)
                cur_w += tok_w
        if line or not out or para == "":
            out.append("".join(line).rstrip())
    # A cell keeps its blank paragraphs only when they separate text.
    while len(out) > 1 and out[-1] == "":
        out.pop()
    return out


def fit_lines(
    text: str, width: float, size: float, *, one_line: bool = False, min_scale: float = 0.72
) -> tuple[list[str], float]:
    """Wrap text into width; shrink the size so numbers (and one_line texts) are not broken."""
    if not text:
        return [], size
    floor = size * min_scale
    # A short value only a little too wide is squeezed onto one line, as authors do in Word;
    # otherwise it wraps like the real form ("≥1000000.00" / "(人次)").
    if one_line and text_width(text, size) > width >= text_width(text, size * 0.88):
        return [text], width / text_width(text, 1.0) * 0.995
    longest = max((text_width(t, 1.0) for t in tokens(text)), default=0.0)
    if longest * size > width:
        size = max(floor, width / longest * 0.995)
    return wrap(text, width, size), size
