"""The rule type: one frozen Rule per check, listed once in pipeline/checks/__init__.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipeline.checks.values import Printed
from schemas.output import Finding, Severity
from schemas.report import Project

Check = Callable[[Project, Printed], list[Finding]]


@dataclass(frozen=True)
class Rule:
    """A checker rule: its id (R1...), severity, one-line summary and the function that checks it."""

    id: str
    severity: Severity
    summary: str
    check: Check
