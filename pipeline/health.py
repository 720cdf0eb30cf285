"""Text-layer health: how far a page's (or a cell's) text layer can be believed."""

from __future__ import annotations

from pipeline.layout import dedupe_line, text_lines
from pipeline.models import Cell, PageContent, Table, TextLayer
from pipeline.textnorm import bad_glyphs
from schemas import Verdict


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
    kept = sum(len(dedupe_line(line)[0]) for line in text_lines(chars))
    return 1.0 - kept / len(chars)


DAMAGE_PREFIX = "damaged page: MuPDF reported "


def damage_problems(content: PageContent) -> list[str]:
    """The page-health problem for MuPDF's warnings on the page: part of it may not have been read."""
    if not content.warnings:
        return []
    return [DAMAGE_PREFIX + "; ".join(content.warnings[:4])]


def is_damaged(problems: list[str]) -> bool:
    """True when a page's health problems include MuPDF damage."""
    return any(p.startswith(DAMAGE_PREFIX) for p in problems)


def diagnose(content: PageContent, tables: list[Table]) -> tuple[Verdict, list[str]]:
    """Verdict (ok | suspect | unusable) on a page's own text layer, and the problems seen."""
    damage = damage_problems(content)
    if content.text_layer is TextLayer.none:
        if content.image_coverage > 0.3:
            return Verdict.unusable, ["no text layer (scanned page)", *damage]
        return (Verdict.suspect if damage else Verdict.ok), damage
    problems: list[str] = list(damage)
    verdict: Verdict = Verdict.suspect if damage else Verdict.ok
    if content.text_layer is TextLayer.invisible:
        verdict = Verdict.suspect
        problems.append("hidden text over a page image (an OCR layer of unknown quality)")
    text = "".join(c.c for c in content.chars)
    bad = bad_glyphs(text)
    if bad:
        verdict = Verdict.suspect
        counts = ", ".join(f"{c if c.isprintable() else repr(c)} x{text.count(c)}" for c in bad[:8])
        problems.append(f"suspicious glyphs: {counts}")
    suspect = [c for t in tables for c in t.cells if suspect_cell(c)]
    if suspect:
        verdict = Verdict.suspect
        problems.append(f"{len(suspect)} suspect cells")
    share = doubled_share(content)
    if share > 0.01:
        problems.append(f"doubled glyphs (fake bold) on {share:.0%} of characters, collapsed")
    return verdict, problems
