"""Record/replay of LLM calls on disk: one JSON file per request key, written atomically.

The key covers the endpoint, model, prompt hash, schema hash, input hash, sampling settings and the attempt
(round and call number), so a re-ask never collapses onto the answer it re-asks about.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pipeline.output import write_atomic


class ReplayMiss(RuntimeError):
    """--replay-only and the cache has no answer for this request."""


def digest(obj: object) -> str:
    """sha256 of an object's canonical JSON."""
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def request_key(
    *,
    endpoint: str,
    model: str,
    prompt_sha: str,
    schema_sha: str,
    input_sha: str,
    sampling: dict[str, Any],
    attempt: str,
) -> tuple[str, dict[str, Any]]:
    """(key, the parts it was made from)."""
    parts = {
        # the same model name on another server is another model
        "endpoint": endpoint.rstrip("/"),
        "model": model,
        "prompt_sha256": prompt_sha,
        "schema_sha256": schema_sha,
        "input_sha256": input_sha,
        "sampling": sampling,
        "attempt": attempt,
    }
    return digest(parts), parts


class LLMCache:
    """Answers by request key under a folder; disabled caches never hit and never write."""

    def __init__(self, root: Path | None, replay_only: bool = False) -> None:
        self.root = root
        self.replay_only = replay_only
        if replay_only and root is None:
            raise ValueError("replay-only needs a cache folder")

    def path(self, key: str) -> Path:
        """File holding one answer (two-level fan-out keeps folders small)."""
        assert self.root is not None
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The recorded call, or None (a corrupt file counts as a miss)."""
        if self.root is None:
            return None
        p = self.path(key)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and "response" in data else None

    def put(self, key: str, record: dict[str, Any]) -> None:
        """Store one call's record (parts, request summary, response)."""
        if self.root is None:
            return
        write_atomic(self.path(key), json.dumps(record, ensure_ascii=False, indent=1) + "\n")
