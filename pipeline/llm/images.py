"""Images for vision models: the project's table on each page, and close-ups of suspect cells."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from pipeline.llm.gridtext import ProjectGrid
from pipeline.models import BBox
from pipeline.render import render_png
from schemas import FieldSource

_PAD = 6.0  # points around a crop, so ruling lines and neighbours give context


@dataclass(frozen=True)
class Image:
    """A PNG and what it shows."""

    label: str
    png: bytes

    def data_url(self) -> str:
        """The image as a data: URL, as chat-completions image_url parts take it."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def _pad(b: BBox, pad: float) -> BBox:
    return (b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad)


def page_images(pdf: Path, grid: ProjectGrid, dpi: int) -> list[Image]:
    """Each page of the project, cropped to the project's part of the table."""
    return [
        Image(f"page {page}", render_png(pdf, page, dpi=dpi, clip=_pad(box, _PAD)))
        for page, box in sorted(grid.page_boxes().items())
    ]


def cell_images(
    pdf: Path, sources: dict[str, FieldSource], grid: ProjectGrid, dpi: int, limit: int = 6
) -> list[Image]:
    """High-resolution crops of the rows holding suspect fields (the table's width, the cell's height)."""
    boxes = grid.page_boxes()
    out: list[Image] = []
    seen: set[tuple[int, float, float]] = set()
    for path, src in sources.items():
        table = boxes.get(src.page)
        x0, x1 = (table[0], table[2]) if table else (src.bbox[0], src.bbox[2])
        key = (src.page, round(src.bbox[1]), round(src.bbox[3]))
        if key in seen:
            continue
        seen.add(key)
        clip = _pad((x0, src.bbox[1], x1, src.bbox[3]), _PAD)
        out.append(
            Image(f"{path} (page {src.page})", render_png(pdf, src.page, dpi=dpi, clip=clip))
        )
        if len(out) >= limit:
            break
    return out
