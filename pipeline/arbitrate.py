"""Per-cell arbitration between a text layer and OCR of the same cell.

Never splices: the cell's text is one source's reading, whole. Agreement is confident;
a reading that breaks the format (a number that does not parse, a glyph never printed in
these reports) loses; otherwise OCR wins only where it is sure of every character it
disagrees on, and the cell is sent to review when it is not.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pipeline import confidence as C
from pipeline.numbers import read_number
from pipeline.ocr import OPERATORS, OcrLine
from pipeline.textnorm import bad_glyphs, fold_quotes, nfkc
from schemas import Source

CellSource = Literal[Source.text_layer, Source.ocr]
LAYER: CellSource = Source.text_layer
OCR: CellSource = Source.ocr

# The recogniser is systematically unsure of ≥ and ≤ in this type (its runner-up is a blank
# or '>'), yet reads them right; below this it is a guess.
_SURE_FOR = {"≥": 0.6, "≤": 0.6}


_SHAPED = ("≥", "≤", "=")  # the operators pipeline/ocr.py reads by their shape

_NUMBER = re.compile(r"\d[\d,.]*")
_NUMERIC_LIKE = re.compile(r"^[-+]?[\dOolISB.,，:：·%]*\d[\dOolISB.,，:：·%]*$")


@dataclass(frozen=True, slots=True)
class OcrText:
    """A cell's OCR reading in compact form (no spaces, NFKC) with one probability per char."""

    text: str
    probs: tuple[float, ...]
    dropped: bool = False  # the recogniser skipped a glyph somewhere in the cell
    lead_shape: str | None = None  # the cell's leading glyph read by its shape (≥ ≤ =)
    second: str | None = None  # the second recogniser's reading (None: the cell was read once)

    @property
    def low(self) -> float:
        return min(self.probs, default=1.0)

    @property
    def readers_agree(self) -> bool:
        """The second recogniser read the same text. Where it missed or misread the leading
        operator alone ('95.00(%)', '295.00(%)'), the glyph's shape is the operator's second
        reading."""
        if self.second is None:
            return False
        if _round_as_zero(self.second, self.text) == self.text:
            return True
        op = self.text[:1]
        if op not in _SHAPED or self.lead_shape != op:
            return False
        rest = self.text[1:]
        return self.second == rest or (
            len(self.second) == len(self.text) and self.second[1:] == rest
        )

    def readers_differ_where_sure(self) -> bool:
        """The second recogniser differs only outside the number, where PP-OCRv6 is sure of
        what it read: PP-OCRv4 reads this type's ≥ as '2' or skips it, garbles a '%' ('9%')
        or doubles a bracket or a glyph. The number (its digits and point) is the same in
        both readings, and the first reading's own operator shape does not contradict it."""
        if self.second is None or self.dropped:
            return False
        text, second = self.text, self.second

        def sure(i: int) -> bool:
            # no allowance for ≥ ≤ here (_SURE_FOR is PP-OCRv4's): PP-OCRv6 reads them at 0.99
            return 0 <= i < len(text) and self.probs[i] >= C.OCR_CHAR_SURE

        op = text[:1]
        if op in "≥≤" and self.lead_shape in (op, None, "op"):
            if not sure(0):
                return False
            if second.startswith("2") and _number(second[1:]) == _number(text[1:]):
                second = op + second[1:]  # its ≥-as-2 slip
            elif not second.startswith(op):
                second = op + second  # it skipped the operator
        elif op in _SHAPED and self.lead_shape not in (op, None, "op"):
            return False
        number = _number(text)
        if number is None or number != _number(second):
            return False
        matcher = difflib.SequenceMatcher(None, text, second, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            if any(c.isdigit() for c in text[i1:i2]) or any(
                c in OPERATORS for c in text[i1:i2] + second[j1:j2]
            ):
                return False  # digits, and which operator, need both readings
            # what PP-OCRv6 read there, or beside what PP-OCRv4 put in, read surely
            around = [i for i in (i1 - 1, i1) if 0 <= i < len(text)]
            if not all(sure(i) for i in (range(i1, i2) if i2 > i1 else around)):
                return False
        return True

    def sure(self, start: int = 0, end: int | None = None) -> bool:
        """Every character in [start, end) read with its required probability; for a cell
        read twice, the two readings agree (one reader's score does not count then)."""
        stop = len(self.text) if end is None else end
        if self.dropped:
            return False
        if self.second is not None:
            return self.readers_agree
        return all(
            self.probs[i] >= _SURE_FOR.get(self.text[i], C.OCR_CHAR_SURE)
            for i in range(start, stop)
        )


def _round_as_zero(second: str, text: str) -> str:
    """The second reading with an 'o' or 'O' read where the first reads '0' taken as that 0:
    PP-OCRv4 reads a lone 0 as a letter o; both saw the same round glyph, and a number cell
    holds no letter (a letter the first reading has is compared as it is)."""
    if len(second) != len(text):
        return second
    return "".join("0" if t == "0" and c in "oO" else c for c, t in zip(second, text, strict=True))


def _number(text: str) -> str | None:
    """The first number of a reading, as printed ('4.00' of '≥4.00(个)'); None without one."""
    m = _NUMBER.search(text)
    return m.group() if m else None


def ocr_text(lines: Sequence[OcrLine]) -> OcrText:
    """Compact text of a cell's OCR lines, top to bottom, keeping per-character probabilities."""
    chars: list[str] = []
    probs: list[float] = []
    read_twice = bool(lines) and all(line.second is not None for line in lines)
    second = compact_text("".join(line.second or "" for line in lines)) if read_twice else None
    for line in lines:
        # in a cell read once, a line PP-OCRv6 was unsure of was read again: where PP-OCRv4
        # reads it the same, the agreement vouches for it, not PP-OCRv6's score
        agreed = (
            not read_twice
            and line.second is not None
            and compact_text(line.second) == compact_text(line.text)
        )
        for i, c in enumerate(line.text):
            p = line.probs[i] if i < len(line.probs) else line.low
            p = 1.0 if agreed else p
            for n in fold_quotes(nfkc(c)):
                if not n.isspace():
                    chars.append(n)
                    probs.append(p)
    _doubt_one_ones(chars, probs)
    lead = lines[0].lead_shape if lines else None
    dropped = any(line.dropped for line in lines)
    return OcrText("".join(chars), tuple(probs), dropped, lead, second)


def _doubt_one_ones(chars: list[str], probs: list[float]) -> None:
    """'一一' as read is as likely a printed '——' (these reports' dash, '新治理——上海'): both
    recognisers read an em dash as 一 with full confidence, and two of them, in one line or
    wrapped across two, look the same. Neither reading is vouched for; '——' read as such is."""
    for i in range(len(chars) - 1):
        pair = chars[i] + chars[i + 1]
        if pair in ("一一", "一—", "—一"):
            probs[i] = min(probs[i], C.OCR_CHAR_DOUBT)
            probs[i + 1] = min(probs[i + 1], C.OCR_CHAR_DOUBT)


def compact_text(text: str) -> str:
    """A text layer's cell text in the same compact form."""
    return "".join(c for c in fold_quotes(nfkc(text)) if not c.isspace())


def ocr_confidence(ocr: OcrText) -> float:
    """Confidence of an OCR reading with no other source."""
    if not ocr.text:
        return 1.0
    if bad_glyphs(ocr.text) or not format_ok(ocr.text):
        return C.BROKEN_FORMAT
    if ocr.second is not None and not ocr.dropped:
        if ocr.readers_agree:
            return C.OCR_READERS_AGREE
        return C.OCR_SECOND_SLIPS if ocr.readers_differ_where_sure() else C.OCR_READERS_DISAGREE
    return C.OCR_SURE if ocr.sure() else C.OCR_UNSURE


def numeric_like(text: str) -> bool:
    """Text that is meant to be a number (possibly misread: 'O.00', '6l.5')."""
    return bool(_NUMERIC_LIKE.match(text))


def format_ok(text: str) -> bool:
    """No impossible glyph, brackets paired, and a number-like cell parses as a number."""
    if bad_glyphs(text):
        return False
    # A cell holds whole texts: a bracket without its partner, or with nothing inside
    # ('94.71()'), is a lost glyph.
    if text.count("(") != text.count(")") or "()" in text:
        return False
    return not numeric_like(text) or read_number(text).ok


@dataclass(frozen=True, slots=True)
class Decision:
    """Which source a cell's text comes from, how sure, and why."""

    source: CellSource
    confidence: float
    note: str = ""

    @property
    def disagreement(self) -> bool:
        return bool(self.note)


def decide(layer: str | None, ocr: OcrText) -> Decision:
    """Arbitrate one cell: `layer` is the text layer's compact text (None: there is none)."""
    if layer is None:
        return Decision(OCR, ocr_confidence(ocr))
    if layer == ocr.text:
        return Decision(LAYER, C.OCR_AGREES)
    if not ocr.text:
        return Decision(LAYER, C.UNSETTLED, "OCR sees no text")
    if not layer:
        return Decision(OCR, min(ocr_confidence(ocr), C.UNSETTLED), "text layer is empty")
    ok_o, ok_l = format_ok(ocr.text), format_ok(layer)
    if ok_o and not ok_l:
        # 'O.00', '匚作部': the layer is wrong by format; OCR stands on its own.
        return Decision(OCR, ocr_confidence(ocr), "text layer breaks the format")
    if ok_l and not ok_o:
        return Decision(LAYER, C.UNSETTLED, "OCR breaks the format")
    if not ok_o:
        return Decision(OCR, C.BROKEN_FORMAT, "neither reading fits the format")
    if _layer_has_the_operator(layer, ocr):
        # The recogniser skipped or misread a leading ≥ that the glyph's shape and the layer
        # both read; it is sure of the rest, which is the layer's rest.
        return Decision(LAYER, C.OCR_OVER_LAYER, "OCR misread the leading operator")
    if _sure_of_differences(layer, ocr):
        return Decision(OCR, C.OCR_OVER_LAYER, "OCR is sure where they differ")
    if _only_deletions(layer, ocr.text):
        # OCR lost characters the layer has: more likely a drop than an invented glyph.
        return Decision(LAYER, C.UNSETTLED, "OCR misses characters")
    return Decision(OCR, C.UNSETTLED, "sources disagree")


def _layer_has_the_operator(layer: str, ocr: OcrText) -> bool:
    op = ocr.lead_shape
    if op not in _SHAPED or not layer.startswith(op) or ocr.text.startswith(op):
        return False
    rest = layer[len(op) :]
    for skip in (0, 1):  # the operator dropped, or read as another character ('2')
        tail = OcrText(ocr.text[skip:], ocr.probs[skip:])
        if tail.text == rest and tail.sure():
            return True
    return False


def _only_deletions(layer: str, ocr: str) -> bool:
    ops = difflib.SequenceMatcher(None, layer, ocr, autojunk=False).get_opcodes()
    return all(tag in ("equal", "delete") for tag, *_ in ops)


def _sure_of_differences(layer: str, ocr: OcrText) -> bool:
    """OCR read every character where it differs from the layer with confidence, and dropped none."""
    ops = difflib.SequenceMatcher(None, layer, ocr.text, autojunk=False).get_opcodes()
    for tag, _i1, _i2, j1, j2 in ops:
        if tag == "equal":
            continue
        if tag == "delete":
            return False  # the layer has characters OCR did not see: a drop we cannot judge
        if not ocr.sure(j1, j2):
            return False
    return True
