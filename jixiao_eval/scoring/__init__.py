"""Scoring of pipeline output against ground truth: alignment, metrics, reports."""

from jixiao_eval.scoring.evaluate import (
    EvalCase,
    build_report,
    evaluate,
    load_cases,
    saved_outputs,
    score_case,
)
from jixiao_eval.scoring.metrics import NARRATIVE_THRESHOLD, aggregate, score_document
from jixiao_eval.scoring.models import CaseScore, EvalReport, Metrics, ProjectScore
from jixiao_eval.scoring.report import compare, print_table, read_json, write_html, write_json

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
