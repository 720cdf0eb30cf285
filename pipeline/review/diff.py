"""Where two readings of a field differ: character-level for text, digit-level for numbers."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["same", "changed", "gap"]
_NUMBER = re.compile(r"[+-]?\d*(?:\.\d*)?")


@dataclass(frozen=True)
class Segment:
    """A run of characters of one reading: the same as the other, changed, or a gap where the
    other reading has characters this one lacks (text is then empty)."""

    text: str
    kind: Kind


def _merge(parts: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for part in parts:
        if out and out[-1].kind == part.kind and part.kind != "gap":
            out[-1] = Segment(out[-1].text + part.text, part.kind)
        elif part.text or part.kind == "gap":
            out.append(part)
    return out


def char_diff(text: str, reference: str) -> list[Segment]:
    """Segments of `text`, marking the characters that differ from `reference`."""
    matcher = difflib.SequenceMatcher(a=reference, b=text, autojunk=False)
    parts: list[Segment] = []
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            parts.append(Segment(text[j1:j2], "same"))
        elif tag == "delete":
            parts.append(Segment("", "gap"))
        else:
            parts.append(Segment(text[j1:j2], "changed"))
    return _merge(parts)


def _split_number(text: str) -> tuple[str, str] | None:
    cleaned = text.strip()
    if not cleaned or not _NUMBER.fullmatch(cleaned) or not any(c.isdigit() for c in cleaned):
        return None
    whole, _, frac = cleaned.partition(".")
    return whole, ("." + frac) if "." in cleaned else ""


def digit_diff(text: str, reference: str) -> list[Segment]:
    """Segments of a number, marking digits that differ from `reference` in the same place.

    Numbers are aligned on the decimal point, so '148.25' against '184.25' marks '48', and
    '1184.25' against '184.25' marks the extra leading '1'. Non-numbers fall back to char_diff.
    """
    mine, other = _split_number(text), _split_number(reference)
    if mine is None or other is None:
        return char_diff(text, reference)
    (whole, frac), (ref_whole, ref_frac) = mine, other
    width = max(len(whole), len(ref_whole))
    ref_whole = ref_whole.rjust(width, "\0")
    padded = whole.rjust(width, "\0")
    parts: list[Segment] = []
    if len(whole) < width:
        parts.append(Segment("", "gap"))  # the other reading has more leading digits
    for ch, ref in zip(padded, ref_whole, strict=True):
        if ch != "\0":
            parts.append(Segment(ch, "same" if ch == ref else "changed"))
    for k, ch in enumerate(frac):
        ref = ref_frac[k] if k < len(ref_frac) else ""
        parts.append(Segment(ch, "same" if ch == ref else "changed"))
    if len(frac) < len(ref_frac):
        parts.append(Segment("", "gap"))
    return _merge(parts)


def diff(text: str, reference: str | None, numeric: bool) -> list[Segment]:
    """Segments of `text` against `reference` (all 'same' when there is nothing to compare)."""
    if reference is None or text == reference:
        return [Segment(text, "same")] if text else []
    return digit_diff(text, reference) if numeric else char_diff(text, reference)
