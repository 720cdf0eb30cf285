"""Scoring of pipeline output against ground truth: alignment, metrics, reports."""

from pipeline.scoring.evaluate import (
    EvalCase,
    build_report,
    evaluate,
    load_cases,
    saved_outputs,
    score_case,
)
from pipeline.scoring.metrics import NARRATIVE_THRESHOLD, aggregate, score_document
from pipeline.scoring.models import CaseScore, EvalReport, Metrics, ProjectScore
from pipeline.scoring.report import compare, print_table, read_json, write_html, write_json

__all__ = [
    "NARRATIVE_THRESHOLD",
    "CaseScore",
    "EvalCase",
    "EvalReport",
    "Metrics",
    "ProjectScore",
    "aggregate",
    "build_report",
    "compare",
    "evaluate",
    "load_cases",
    "print_table",
    "read_json",
    "saved_outputs",
    "score_case",
    "score_document",
    "write_html",
    "write_json",
]
