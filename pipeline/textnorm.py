"""Text clean-up shared by the readers: NFKC, whitespace between CJK, suspicious glyphs."""

from __future__ import annotations

import re
import unicodedata

# NFKC would fold these look-alikes into ASCII comparisons ("≧" -> "≧" stays, but the
# full-width forms of < > = fold); the printed ≥ ≤ must survive untouched.
_KEEP = {"≥": "\ue0f0", "≤": "\ue0f1"}
_RESTORE = {v: k for k, v in _KEEP.items()}

_CJK = (
    r"\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    r"\uf900-\ufaff\uff00-\uffef、。《》“”‘’"
)
_SPACE_NEAR_CJK = re.compile(rf"\s+(?=[{_CJK}])|(?<=[{_CJK}])\s+")
_SPACES = re.compile(r"\s+")

# Glyphs that a broken ToUnicode map produces and that never occur in these reports.
SUSPICIOUS = frozenset("匚\ufffd")


def nfkc(text: str) -> str:
    """NFKC (folds Kangxi radicals and full-width forms) but keeps ≥ and ≤ as printed."""
    for k, v in _KEEP.items():
        text = text.replace(k, v)
    text = unicodedata.normalize("NFKC", text)
    for k, v in _RESTORE.items():
        text = text.replace(k, v)
    return text


def clean(text: str) -> str:
    """NFKC, then drop whitespace touching CJK (wrap artefacts) and collapse the rest."""
    text = nfkc(text)
    text = _SPACE_NEAR_CJK.sub("", text)
    return _SPACES.sub(" ", text).strip()


def is_cjk(ch: str) -> bool:
    """True for a CJK ideograph or CJK punctuation."""
    return bool(ch) and re.match(rf"[{_CJK}]", ch) is not None


def suspicious_glyphs(text: str) -> list[str]:
    """Characters that betray a broken text layer (private-use, replacement, known mis-maps)."""
    return sorted({c for c in text if c in SUSPICIOUS or "\ue000" <= c <= "\uf8ff"})


def compact(text: str) -> str:
    """Text with every space removed, for label matching."""
    return _SPACES.sub("", nfkc(text))
