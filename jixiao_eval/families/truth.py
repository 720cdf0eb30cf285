"""The families set's truth files: the schema's own TruthReport, and which family each is."""

from __future__ import annotations

import json

from schemas.report import TruthReport

FORMS = ("national_2020", "sichuan_0013zp", "shanghai_district", "hebei_langfang")
NOT_PROJECT = "not_project"


def family_of(truth_text: str) -> str:
    """The family a truth file belongs to: its projects' form, not_project, or '' if unlabelled."""
    try:
        data = json.loads(truth_text)
    except ValueError:
        return ""
    projects = data.get("projects") if isinstance(data, dict) else None
    if not isinstance(projects, list):
        return ""
    if not projects:
        return NOT_PROJECT
    forms = {p.get("form", "") for p in projects if isinstance(p, dict)}
    return forms.pop() if len(forms) == 1 else ""


def load_truth(text: str) -> TruthReport:
    """A truth file."""
    return TruthReport.model_validate_json(text)
