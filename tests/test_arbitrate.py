"""Per-cell arbitration between a text layer and OCR (pipeline/arbitrate.py): no OCR run."""

from __future__ import annotations

from pipeline import confidence as C
from pipeline.arbitrate import OcrText, decide, format_ok, ocr_confidence, ocr_text


def _sure(text: str) -> OcrText:
    return OcrText(text, tuple(0.99 for _ in text))


def test_agreement_is_confident() -> None:
    d = decide("184.25", _sure("184.25"))
    assert d.source == "text_layer" and d.confidence == C.OCR_AGREES and not d.disagreement


def test_layer_that_breaks_the_format_loses() -> None:
    d = decide("O.00", _sure("0.00"))
    assert d.source == "ocr" and d.confidence >= C.ACCEPT
    d = decide("中共上海市委社会匚作部", _sure("中共上海市委社会工作部"))
    assert d.source == "ocr" and d.confidence >= C.ACCEPT


def test_ocr_that_breaks_the_format_is_not_taken() -> None:
    d = decide("0.00", _sure("O.0O"))
    assert d.source == "text_layer" and d.confidence < C.ACCEPT


def test_unsure_disagreement_goes_to_review() -> None:
    unsure = OcrText("620.61", (0.99, 0.99, 0.5, 0.99, 0.99, 0.99))  # unsure of the extra 0
    d = decide("62.61", unsure)
    assert d.confidence == C.UNSETTLED < C.ACCEPT
    # OCR saw fewer characters than the layer: a drop nobody can judge from the cell
    d = decide("620.61", _sure("62.61"))
    assert d.confidence < C.ACCEPT


def test_sure_ocr_over_a_layer_that_dropped_a_digit() -> None:
    d = decide("62.61", _sure("620.61"))
    assert d.source == "ocr" and d.confidence >= C.ACCEPT


def test_ocr_alone() -> None:
    assert ocr_confidence(_sure("99.58")) >= C.ACCEPT
    assert ocr_confidence(OcrText("99.58", (0.99, 0.6, 0.99, 0.99, 0.99))) < C.ACCEPT
    assert ocr_confidence(_sure("9O.58")) < C.ACCEPT
    assert ocr_confidence(OcrText("≥95.00(%)", (0.99,) * 9, dropped=True)) < C.ACCEPT
    assert not format_ok("1000000.00(人次") and format_ok("1000000.00(人次)")
    assert not format_ok("5:00") and format_ok("5.00")
    assert not format_ok("94.71()")


# -- two recognisers ----------------------------------------------------------------------
def _twice(text: str, second: str, p: float = 0.99, shape: str | None = None) -> OcrText:
    return OcrText(text, tuple(p for _ in text), lead_shape=shape, second=second)


def test_readers_agreeing_earn_confidence_not_the_score() -> None:
    # one reader unsure of a character, but an independent reader reads the same: accepted
    assert ocr_confidence(_twice("184.25", "184.25", p=0.5)) == C.OCR_READERS_AGREE >= C.ACCEPT
    # both sure of themselves, and they differ: a person looks
    assert ocr_confidence(_twice("184.25", "184.26")) == C.OCR_READERS_DISAGREE < C.ACCEPT
    # agreement does not excuse a skipped glyph or a broken format
    dropped = OcrText("95.00(%)", (0.99,) * 8, dropped=True, second="95.00(%)")
    assert ocr_confidence(dropped) < C.ACCEPT
    assert ocr_confidence(_twice("9O.58", "9O.58")) < C.ACCEPT


def test_operator_is_read_by_the_shape_when_the_second_reader_misses_it() -> None:
    for second in ("95.00(%)", "295.00(%)", ">95.00(%)"):
        assert ocr_confidence(_twice("≥95.00(%)", second, shape="≥")) >= C.ACCEPT, second
    # without the shape's word: PP-OCRv4's own slips (≥ skipped, or read as 2) leave the
    # operator to PP-OCRv6 where it is sure of it; another operator read is a disagreement
    for second in ("95.00(%)", "295.00(%)"):
        assert ocr_confidence(_twice("≥95.00(%)", second)) == C.OCR_SECOND_SLIPS >= C.ACCEPT
        assert ocr_confidence(_twice("≥95.00(%)", second, p=0.5)) < C.ACCEPT
    assert ocr_confidence(_twice("≥95.00(%)", ">95.00(%)")) < C.ACCEPT
    # the shape vouches for the operator, never for the digits after it
    assert ocr_confidence(_twice("≥95.00(%)", "96.00(%)", shape="≥")) < C.ACCEPT
    assert ocr_confidence(_twice("≤95.00(%)", "95.00(%)", shape="≥")) < C.ACCEPT


def test_a_lone_zero_the_second_reader_calls_a_letter_o() -> None:
    """Seen on the families' scans: PP-OCRv6 reads '0', PP-OCRv4 'o' (the same round glyph)."""
    assert ocr_confidence(_twice("0", "o")) == C.OCR_READERS_AGREE
    assert ocr_confidence(_twice("10.00", "1O.0o")) == C.OCR_READERS_AGREE
    # the other way round is no agreement: a letter where the first reader saw none
    assert ocr_confidence(_twice("o", "0")) < C.ACCEPT
    assert ocr_confidence(_twice("0", "6")) < C.ACCEPT


def test_second_reader_slips_outside_the_number() -> None:
    """Seen on the eval scans: PP-OCRv4 garbles a '%' or doubles a bracket or a glyph."""
    for text, second in [
        ("105.20(%)", "105.20(9%)"),
        ("57.28(%)", "57.28(9)"),
        ("1.00(年)", "1.00(年))"),
        ("2022年度党建引领基层治理经费", "2022年度党建引引领基层治理经费"),
    ]:
        assert ocr_confidence(_twice(text, second)) == C.OCR_SECOND_SLIPS, text
        assert ocr_confidence(_twice(text, second, p=0.8)) < C.ACCEPT, text  # v6 unsure
    # the number itself needs both readers
    for text, second in [("105.20(%)", "105.26(%)"), ("57.28(%)", "57.2(%)"), ("1.00(年)", "")]:
        assert ocr_confidence(_twice(text, second)) == C.OCR_READERS_DISAGREE, text
    # a digit PP-OCRv6 read outside the first number is not settled by PP-OCRv4's silence
    assert ocr_confidence(_twice("≥95.00(%)第2季度", "≥95.00(%)第季度")) < C.ACCEPT


def test_readers_against_a_hidden_layer() -> None:
    # the layer dropped a digit; both recognisers read it: OCR wins, above the line
    d = decide("62.61", _twice("620.61", "620.61", p=0.7))
    assert d.source == "ocr" and d.confidence >= C.ACCEPT
    # the recognisers disagree with each other: neither is trusted over the layer
    d = decide("62.61", _twice("620.61", "628.61"))
    assert d.confidence < C.ACCEPT


def test_a_line_read_again_because_unsure_is_vouched_for_by_agreement() -> None:
    """A narrative cell is read once, but a line PP-OCRv6 was unsure of is read again by
    PP-OCRv4: their agreement, not the low score, counts; a disagreement stays unsure."""
    from pipeline.ocr import OcrLine

    box = (0.0, 0.0, 100.0, 10.0)
    sure = OcrLine("推进志愿服务体系建设", (0.99,) * 10, box)
    unsure = (0.99, 0.99, 0.62, 0.99, 0.99)
    agreed = OcrLine("深入学习贯", unsure, box, second="深入学习贯")
    differs = OcrLine("深入学习贯", unsure, box, second="深人学习贯")
    assert ocr_confidence(ocr_text([sure, agreed])) == C.OCR_SURE >= C.ACCEPT
    assert ocr_confidence(ocr_text([sure, differs])) == C.OCR_UNSURE < C.ACCEPT
    assert ocr_confidence(ocr_text([OcrLine("深入学习贯", unsure, box)])) == C.OCR_UNSURE
    # a skipped glyph is not excused by agreement
    dropped = OcrLine("深入学习贯", unsure, box, dropped=True, second="深入学习贯")
    assert ocr_confidence(ocr_text([sure, dropped])) < C.ACCEPT


def test_one_one_may_be_a_printed_dash_and_is_not_vouched_for() -> None:
    """Both recognisers read these reports' '——' ('新治理——上海') as 一一 with full
    confidence, in one line or wrapped across two: 一一 is never accepted as read; a '——'
    read as such, and a lone 一 (一级, 一年), are."""
    from pipeline.ocr import OcrLine

    box = (0.0, 0.0, 100.0, 10.0)

    def read(*texts: str) -> float:
        return ocr_confidence(ocr_text([OcrLine(t, (1.0,) * len(t), box) for t in texts]))

    assert read("举办新时代·新治理一", "一上海市社会工作") == C.OCR_UNSURE < C.ACCEPT
    assert read("新治理一一上海市") == C.OCR_UNSURE
    assert read("新治理——上海市") == C.OCR_SURE >= C.ACCEPT
    assert read("一级指标", "预计一年内") == C.OCR_SURE
    # against a text layer that has the dash, OCR's 一一 does not win
    assert (
        decide("新治理——上海", ocr_text([OcrLine("新治理一一上海", (1.0,) * 7, box)])).confidence
        < C.ACCEPT
    )
