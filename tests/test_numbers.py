"""The one printed-number grammar (pipeline/numbers.py), as the extractor, checker, OCR arbitration
and review app use it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.arbitrate import format_ok
from pipeline.checks.targets import parse_quantity
from pipeline.checks.values import Numbers
from pipeline.numbers import parse_number, printed_places, read_number
from pipeline.review import fields as F
from schemas import TruthReport


@pytest.mark.parametrize(
    ("text", "value"),
    [("185.01", "185.01"), ("1,850.00", "1850.00"), ("99.58%", "99.58"), (" 10.00 ", "10.00"),
     ("-3", "-3"), ("0", "0")],
)  # fmt: skip
def test_numbers(text: str, value: str) -> None:
    r = read_number(text)
    assert r.ok and r.value == Decimal(value) and not r.blank


@pytest.mark.parametrize("text", ["1.", ".5", "1e5", "O.00", "9O.5", "nan", "∞", "1.2.3"])
def test_not_numbers(text: str) -> None:
    assert not read_number(text).ok and parse_number(text) is None


def test_dashes_and_blanks() -> None:
    assert read_number("-").ok and read_number("-").value is None
    assert read_number("—").ok and read_number("").blank


def test_every_reader_uses_it(seed_truth: TruthReport) -> None:
    # the checker takes precision from the printed text, and refuses what the extractor refuses
    project = seed_truth.projects[0]
    n = Numbers(project, {"total_score": "99.9", "funds.total.executed": "1."})
    assert n.places("total_score") == 1 and n.places("funds.total.executed") == 2
    assert printed_places("184.250") == 3
    # targets: '.5(%)' is no quantity, '1,000.00(人)' is
    assert parse_quantity(".5(%)") is None
    q = parse_quantity("≥1,000.00(人)")
    assert q is not None and q.value == Decimal("1000.00") and q.op == "≥"
    # the review app refuses what the reader would refuse
    with pytest.raises(F.BadValue):
        F.parse_typed("total_score", "1e2")
    assert F.parse_typed("total_score", "99.92") == (99.92, "99.92")
    # OCR arbitration: a numeric-looking cell must parse
    assert format_ok("184.25") and not format_ok("184.2O")
