"""placeholder."""

from jixiao_eval.families.common import Built


def documents() -> list[Built]:
    """None yet."""
    return []
