"""The JSON Schemas of the report and the output contract (written by `jixiao schema`)."""

from __future__ import annotations

import json

from pydantic import BaseModel

from schemas.output import DocumentResult
from schemas.report import Report, TruthReport

MODELS: dict[str, type[BaseModel]] = {
    "report": Report,
    "document_result": DocumentResult,
    "truth_report": TruthReport,
}


def schema_files() -> dict[str, str]:
    """File name -> JSON text of each model's schema, as committed under schemas/json/."""
    return {
        f"{name}.schema.json": json.dumps(
            model.model_json_schema(by_alias=True), ensure_ascii=False, indent=1
        )
        + "\n"
        for name, model in MODELS.items()
    }
