"""Text-layer health: how far a page's (or a cell's) text layer can be believed."""

from __future__ import annotations

import re

from pipeline.layout import _dedupe_line, _lines
from pipeline.models import Cell, PageContent, Table, TextLayer
from pipeline.textnorm import SUSPICIOUS

# Glyphs a broken ToUnicode map or a poor OCR layer produces and that these reports never
# print (匚 for 工, 曰 for 日); plus everything in textnorm.SUSPICIOUS.
NEVER_PRINTED = frozenset("匚曰夭") | SUSPICIOUS

VERDICT_OK = "ok"
VERDICT_SUSPECT = "suspect"
VERDICT_UNUSABLE = "unusable"


_BAD = re.compile(
    "[" + "".join(sorted(NEVER_PRINTED)) + r"\ue000-\uf8ff\ufffd\ud800-\udfff"
    r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
)


def bad_glyphs(text: str) -> list[str]:
    """Characters that betray a broken text layer: replacement, private-use, control, never printed."""
    return sorted(set(_BAD.findall(text)))


def suspect_cell(cell: Cell) -> bool:
    """A cell whose text layer should be checked against the image."""
    return bool(bad_glyphs(cell.text)) or any(
        d.startswith(("suspicious glyphs", "overprinted")) for d in cell.doubtful
    )


def doubled_share(content: PageContent) -> float:
    """Share of glyphs drawn twice or more in place (fake bold): collapsed, but a sign of a producer."""
    chars = [c for c in content.chars if not c.c.isspace()]
    if not chars:
        return 0.0
    kept = sum(len(_dedupe_line(line)[0]) for line in _lines(chars))
    return 1.0 - kept / len(chars)


def diagnose(content: PageContent, tables: list[Table]) -> tuple[str, list[str]]:
    """Verdict (ok | suspect | unusable) on a page's own text layer, and the problems seen."""
    if content.text_layer is TextLayer.none:
        if content.image_coverage > 0.3:
            return VERDICT_UNUSABLE, ["no text layer (scanned page)"]
        return VERDICT_OK, []
    problems: list[str] = []
    verdict = VERDICT_OK
    if content.text_layer is TextLayer.invisible:
        verdict = VERDICT_SUSPECT
        problems.append("hidden text over a page image (an OCR layer of unknown quality)")
    text = "".join(c.c for c in content.chars)
    bad = bad_glyphs(text)
    if bad:
        verdict = VERDICT_SUSPECT
        counts = ", ".join(f"{c if c.isprintable() else repr(c)} x{text.count(c)}" for c in bad[:8])
        problems.append(f"suspicious glyphs: {counts}")
    suspect = [c for t in tables for c in t.cells if suspect_cell(c)]
    if suspect:
        verdict = VERDICT_SUSPECT
        problems.append(f"{len(suspect)} suspect cells")
    share = doubled_share(content)
    if share > 0.01:
        problems.append(f"doubled glyphs (fake bold) on {share:.0%} of characters, collapsed")
    return verdict, problems
