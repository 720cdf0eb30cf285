"""Text of derived projects: years moved to the document's year, plausible project names."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from jixiao_eval.truth.specs import LONG_NAMES, NAME_SUFFIXES, Department

SEED_YEAR = 2024
_YEAR = re.compile(r"(?<!\d)20[12]\d(?!\d)")


def year_shifter(year: int) -> Callable[[str], str]:
    """A function moving every 4-digit year 2010-2029 in a text by (year - 2024)."""
    delta = year - SEED_YEAR

    def shift(text: str) -> str:
        return _YEAR.sub(lambda m: str(int(m.group()) + delta), text)

    return shift


def project_name(
    rng: random.Random,
    base: str,
    template: int,
    year: int,
    dept: Department,
    long_name: bool,
    used: set[str],
) -> str:
    """A 项目名称 for a project derived from a seed project named base, unique in its document."""
    if long_name:
        name = LONG_NAMES[template]
    else:
        r = rng.random()
        if r < 0.35:
            name = base
        elif r < 0.55:
            name = f"{year}年度{base}"
        elif r < 0.75 and dept.district:
            name = dept.district + base.removeprefix("全市性")
        elif r < 0.9:
            name = base + rng.choice(NAME_SUFFIXES)
        else:
            name = f"{year}年{base}"
    stem = next((name.removesuffix(s) for s in NAME_SUFFIXES if name.endswith(s)), name)
    candidates = [name, *(stem + suffix for suffix in NAME_SUFFIXES)]
    candidates += [f"{stem}({n})" for n in range(2, 10)]
    for candidate in candidates:
        if candidate not in used:
            used.add(candidate)
            return candidate
    raise ValueError(f"no unique name for {name}")  # pragma: no cover
