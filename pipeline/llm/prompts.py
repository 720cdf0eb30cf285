"""Prompt templates in prompts/<name>.v<N>.md: sections, {{variables}}, and their sha256.

A template refuses to render with a missing variable (or one it does not use): a prompt that
silently loses its data would still get an answer, just a wrong one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.resources import data_dir

_VAR = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
_SECTION = re.compile(r"^=== ([a-z]+) ===[ \t]*$", re.MULTILINE)
_COMMENT = re.compile(r"<!--.*?-->\s*", re.DOTALL)


class TemplateError(ValueError):
    """A template and its variables do not match, or the file is malformed."""


@dataclass(frozen=True)
class Prompt:
    """A loaded template: name with version, sections by name, hash of the file."""

    name: str
    sha256: str
    sections: dict[str, str]

    def variables(self) -> set[str]:
        """Every variable the sections use."""
        return {m.group(1) for text in self.sections.values() for m in _VAR.finditer(text)}

    def render(self, section: str, **values: str) -> str:
        """One section with its variables filled; every variable must be given, and used."""
        if section not in self.sections:
            raise TemplateError(f"{self.name}: no section {section!r}")
        text = self.sections[section]
        wanted = {m.group(1) for m in _VAR.finditer(text)}
        missing = sorted(wanted - values.keys())
        extra = sorted(values.keys() - wanted)
        if missing:
            raise TemplateError(f"{self.name} [{section}]: missing variable(s) {missing}")
        if extra:
            raise TemplateError(f"{self.name} [{section}]: unused variable(s) {extra}")
        return _VAR.sub(lambda m: values[m.group(1)], text)


def parse(name: str, raw: str) -> Prompt:
    """A template from its text."""
    text = _COMMENT.sub("", raw)
    marks = list(_SECTION.finditer(text))
    if not marks:
        raise TemplateError(f"{name}: no '=== section ===' line")
    sections = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        sections[m.group(1)] = text[m.end() : end].strip("\n")
    return Prompt(name, hashlib.sha256(raw.encode("utf-8")).hexdigest(), sections)


@lru_cache(maxsize=16)
def load(name: str, root: Path | None = None) -> Prompt:
    """prompts/<name>.md, e.g. load('extract_project.v1')."""
    path = (root or data_dir("prompts")) / f"{name}.md"
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"prompt {name!r} not found at {path}") from exc
    return parse(name, raw)
