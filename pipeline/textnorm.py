"""Text clean-up shared by the readers: NFKC, whitespace between CJK, quotes, impossible glyphs."""

from __future__ import annotations

import re
import unicodedata

_CJK = (
    r"\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    r"\uf900-\ufaff\uff00-\uffef、。《》“”‘’"
)
_SPACE_NEAR_CJK = re.compile(rf"\s+(?=[{_CJK}])|(?<=[{_CJK}])\s+")
_SPACES = re.compile(r"\s+")

# Printed reports mix straight, curly and CJK corner quotes; readers and the scorer compare
# them as one mark.
_QUOTE_TABLE = str.maketrans(dict.fromkeys("“”‘’「」『』〝〞〟‚„‹›«»′″\"'`", '"'))

# Glyphs a broken ToUnicode map produces and that are certain errors in these reports: a cell
# holding one is marked doubtful by the layout reader.
MISMAPPED = frozenset("匚\ufffd")
# Plus look-alikes a poor OCR layer produces (曰 for 日, 夭 for 天). They are real characters,
# so they make a page's text layer suspect (health.py) without making a cell doubtful alone.
NEVER_PRINTED = MISMAPPED | frozenset("曰夭")

_PRIVATE_USE = ("\ue000", "\uf8ff")
_BAD = re.compile(
    "[" + "".join(sorted(NEVER_PRINTED)) + r"\ue000-\uf8ff\ufffd\ud800-\udfff"
    r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
)


def nfkc(text: str) -> str:
    """NFKC: folds Kangxi radicals and full-width forms (≥ ≤ are left as printed by NFKC itself)."""
    return unicodedata.normalize("NFKC", text)


def fold_quotes(text: str) -> str:
    """Every quote mark as '"'."""
    return text.translate(_QUOTE_TABLE)


def clean(text: str) -> str:
    """NFKC, then drop whitespace touching CJK (wrap artefacts) and collapse the rest."""
    text = nfkc(text)
    text = _SPACE_NEAR_CJK.sub("", text)
    return _SPACES.sub(" ", text).strip()


def is_cjk(ch: str) -> bool:
    """True for a CJK ideograph or CJK punctuation."""
    return bool(ch) and re.match(rf"[{_CJK}]", ch) is not None


def suspicious_glyphs(text: str) -> list[str]:
    """Glyphs that make a cell doubtful: known mis-maps and private-use characters."""
    low, high = _PRIVATE_USE
    return sorted({c for c in text if c in MISMAPPED or low <= c <= high})


def bad_glyphs(text: str) -> list[str]:
    """Characters that betray a broken text layer: replacement, private-use, control, never printed."""
    return sorted(set(_BAD.findall(text)))


def compact(text: str) -> str:
    """Text with every space removed, for label matching."""
    return _SPACES.sub("", nfkc(text))
