"""Export the JSON Schemas: `jixiao schema` or `python -m schemas.export OUT_DIR`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from schemas.output import DocumentResult
from schemas.report import Report, TruthReport

MODELS: dict[str, type[BaseModel]] = {
    "report": Report,
    "document_result": DocumentResult,
    "truth_report": TruthReport,
}


def export_schemas(out_dir: Path) -> list[Path]:
    """Write one <name>.schema.json per model; returns the paths written."""
    from pipeline.output import write_atomic

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in MODELS.items():
        path = out_dir / f"{name}.schema.json"
        schema = model.model_json_schema(by_alias=True)
        write_atomic(path, json.dumps(schema, ensure_ascii=False, indent=1) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in export_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas/json")):
        print(p)
