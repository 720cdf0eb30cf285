"""Chat messages for one project: the extract request and the targeted repair request.

The text comes from the prompt templates (prompts/*.md); the data from the layout reader's
text grid of the project's cells and, for vision models, page crops and cell close-ups.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.checks import rules
from pipeline.llm import prompts
from pipeline.llm.cache import digest
from pipeline.llm.gridtext import ProjectGrid, data_nonce
from pipeline.llm.images import Image, cell_images, page_images
from pipeline.llm.schema import ExtractedProject
from pipeline.models import ProjectCandidate
from pipeline.options import LLMSettings
from schemas import Finding
from schemas.paths import field_values

EXTRACT_PROMPT = "extract_project.v2"
REPAIR_PROMPT = "repair_project.v1"

Message = dict[str, Any]


@dataclass
class ProjectRequest:
    """What the LLM gets for one project: its grid, its PDF, the layout reader's candidate."""

    index: int  # 0-based position in the document
    grid: ProjectGrid
    pdf: Path
    layout: ProjectCandidate | None = None


def prompt_info() -> dict[str, str]:
    """Prompt name -> sha256 of its file."""
    return {name: prompts.load(name).sha256 for name in (EXTRACT_PROMPT, REPAIR_PROMPT)}


def prompt_sha() -> str:
    """One hash of every prompt the messages are built from (part of the cache key)."""
    return digest([prompts.load(EXTRACT_PROMPT).sha256, prompts.load(REPAIR_PROMPT).sha256])


def content(text: str, images: list[Image]) -> str | list[dict[str, Any]]:
    """A message's content: the text alone, or text and image parts for a vision model."""
    if not images:
        return text
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
    for img in images:
        parts.append({"type": "text", "text": f"Image: {img.label}"})
        parts.append({"type": "image_url", "image_url": {"url": img.data_url()}})
    return parts


def initial_messages(req: ProjectRequest, settings: LLMSettings) -> list[Message]:
    """System prompt and the project's text grid (plus page crops for vision models)."""
    prompt = prompts.load(EXTRACT_PROMPT)
    grid = req.grid.text()
    images = page_images(req.pdf, req.grid, settings.image_dpi) if settings.vision else []
    pages = sorted({part.table.page for part in req.grid.parts})
    user = prompt.render(
        "user",
        nonce=data_nonce(grid),
        grid=grid,
        pages="page " + ", ".join(str(p) for p in pages) if pages else "no page",
        images=(
            f"{len(images)} image(s) of the table follow, cropped from the rendered pages."
            if images
            else "No images: work from the text grid."
        ),
    )
    return [
        {"role": "system", "content": prompt.render("system")},
        {"role": "user", "content": content(user, images)},
    ]


def repair_messages(
    base: list[Message],
    answer: ExtractedProject,
    errors: list[Finding],
    req: ProjectRequest,
    settings: LLMSettings,
) -> list[Message]:
    """The conversation so far, the previous answer, and the violated rules with their numbers."""
    described = {r.id: r.summary for r in rules()}
    violations = "\n".join(
        f"- {f.rule} ({described.get(f.rule, '')}): {f.message}"
        + (f"\n  equation: {f.equation}" if f.equation else "")
        for f in errors
    )
    values = field_values(answer)
    suspect = list(dict.fromkeys(p for f in errors for p in f.fields))
    suspects = "\n".join(
        f"- {p} = {json.dumps(values.get(p), ensure_ascii=False)}" for p in suspect
    )
    images: list[Image] = []
    if settings.vision and req.layout is not None:
        sources = {p: req.layout.provenance[p] for p in suspect if p in req.layout.provenance}
        images = cell_images(req.pdf, sources, req.grid, settings.crop_dpi)
    user = prompts.load(REPAIR_PROMPT).render(
        "user",
        violations=violations,
        suspects=suspects or "- (none named)",
        images=(
            f"{len(images)} close-up(s) of the rows holding these cells follow."
            if images
            else "No close-ups."
        ),
    )
    previous = answer.model_dump_json()
    return [
        *base,
        {"role": "assistant", "content": previous},
        {"role": "user", "content": content(user, images)},
    ]
