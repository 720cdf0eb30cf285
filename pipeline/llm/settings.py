"""LLM settings from flags, environment and a TOML config file (in that order of precedence).

The LLM is on only when a model is named; a stray OPENAI_API_KEY never starts spending.
Config files: ./jixiao.toml, then ~/.config/jixiao/config.toml (the first that exists), table [llm].
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 (tomli is what became tomllib)
    import tomli as tomllib

MODES = ("tools", "json", "json_schema", "md_json")
DEFAULT_CACHE_DIR = ".jixiao-cache/llm"


class SettingsError(ValueError):
    """A setting that cannot be used (bad mode, unknown config key, unreadable file)."""


@dataclass(frozen=True)
class Price:
    """Cost per million tokens, prompt (input) and completion (output)."""

    input: float
    output: float


@dataclass(frozen=True)
class LLMSettings:
    """Everything the LLM path needs; picklable, so it crosses to worker processes."""

    model: str = ""
    base_url: str = ""  # empty: the openai client's default (https://api.openai.com/v1)
    api_key: str = field(default="", repr=False)
    vision: bool = False  # the model takes images: page crops are sent with the text grid
    mode: str = "tools"  # tools | json | json_schema | md_json (what the server supports)
    max_repair_rounds: int = 2
    max_validation_retries: int = 2  # instructor's re-asks after a schema/JSON error
    max_tokens_per_document: int = 300_000  # prompt + completion, fresh and replayed
    max_output_tokens: int = 8192
    temperature: float = 0.0
    concurrency: int = 4  # requests in flight per document (per worker process)
    timeout: float = 120.0  # seconds per HTTP request
    retry_attempts: int = 5  # tries per request on 429 / 5xx / timeout / connection reset
    retry_base_wait: float = 1.0  # seconds; jittered exponential backoff
    retry_max_wait: float = 60.0  # cap on one wait, Retry-After included
    image_dpi: int = 150
    crop_dpi: int = 300
    cache_dir: str = DEFAULT_CACHE_DIR
    cache: bool = True
    replay_only: bool = False
    currency: str = "USD"
    prices: Mapping[str, Price] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        """On only when a model is named."""
        return bool(self.model)

    @property
    def host(self) -> str:
        """Host (and port) of the endpoint, for the record; never the key."""
        url = self.base_url or "https://api.openai.com/v1"
        return urlsplit(url).netloc or url

    def price(self) -> Price | None:
        """The model's price, if the table has it."""
        return self.prices.get(self.model)


_INT = {
    "max_repair_rounds",
    "max_validation_retries",
    "max_tokens_per_document",
    "max_output_tokens",
    "concurrency",
    "retry_attempts",
    "image_dpi",
    "crop_dpi",
}
_FLOAT = {"temperature", "timeout", "retry_base_wait", "retry_max_wait"}
_BOOL = {"vision", "cache", "replay_only"}
_STR = {"model", "base_url", "api_key", "mode", "cache_dir", "currency"}
_CONFIG_ONLY = {"api_key_env", "prices"}


def config_paths(cwd: Path | None = None, home: Path | None = None) -> list[Path]:
    """Where a config file is looked for, first match wins."""
    here = cwd or Path.cwd()
    user = (home or Path.home()) / ".config" / "jixiao" / "config.toml"
    return [here / "jixiao.toml", user]


def _coerce(key: str, value: Any, where: str) -> Any:
    try:
        if key in _BOOL:
            if isinstance(value, str):
                low = value.strip().lower()
                if low in ("1", "true", "yes", "on"):
                    return True
                if low in ("0", "false", "no", "off", ""):
                    return False
                raise ValueError(value)
            return bool(value)
        if key in _INT:
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if key in _FLOAT:
            return float(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{where}: bad value for {key}: {value!r}") from exc


def _prices(raw: Any, where: str) -> dict[str, Price]:
    if not isinstance(raw, Mapping):
        raise SettingsError(f"{where}: [llm.prices] must be a table of models")
    out = {}
    for model, row in raw.items():
        if not isinstance(row, Mapping) or set(row) - {"input", "output"}:
            raise SettingsError(
                f"{where}: [llm.prices.{model!r}] needs input = and output = (per 1M tokens)"
            )
        out[str(model)] = Price(float(row.get("input", 0.0)), float(row.get("output", 0.0)))
    return out


def read_config(path: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """The [llm] table of a TOML file as settings values (unknown keys are errors)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path}: {exc}") from exc
    table = data.get("llm", {})
    if not isinstance(table, Mapping):
        raise SettingsError(f"{path}: [llm] must be a table")
    known = _INT | _FLOAT | _BOOL | _STR | _CONFIG_ONLY
    unknown = sorted(set(table) - known)
    if unknown:
        raise SettingsError(f"{path}: unknown [llm] key(s): {', '.join(unknown)}")
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key == "prices":
            out["prices"] = _prices(value, str(path))
        elif key == "api_key_env":
            # the key stays out of the file: the file names the variable holding it
            if env.get(str(value)):
                out["api_key"] = env[str(value)]
        else:
            out[key] = _coerce(key, value, str(path))
    return out


_ENV = {
    "model": ("JIXIAO_LLM_MODEL",),
    "base_url": ("JIXIAO_LLM_BASE_URL", "OPENAI_BASE_URL"),
    "api_key": ("JIXIAO_LLM_API_KEY", "OPENAI_API_KEY"),
    "vision": ("JIXIAO_LLM_VISION",),
    "mode": ("JIXIAO_LLM_MODE",),
    "cache_dir": ("JIXIAO_LLM_CACHE",),
    "max_tokens_per_document": ("JIXIAO_LLM_MAX_TOKENS_PER_DOCUMENT",),
    "concurrency": ("JIXIAO_LLM_CONCURRENCY",),
    "timeout": ("JIXIAO_LLM_TIMEOUT",),
}


def from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """Settings named by environment variables (JIXIAO_LLM_*, then OPENAI_* for URL and key)."""
    out: dict[str, Any] = {}
    for key, names in _ENV.items():
        for name in names:
            if env.get(name):
                out[key] = _coerce(key, env[name], name)
                break
    return out


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config: Path | list[Path] | None = None,
) -> LLMSettings:
    """Flags (overrides, None values ignored) > environment > config file > defaults."""
    env = os.environ if env is None else env
    paths = config_paths() if config is None else [config] if isinstance(config, Path) else config
    values: dict[str, Any] = {}
    for path in paths:
        if path.is_file():
            values.update(read_config(path, env))
            break
    values.update(from_env(env))
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = _coerce(key, value, f"--{key}") if key != "prices" else value
    names = {f.name for f in fields(LLMSettings)}
    stray = sorted(set(values) - names)
    if stray:
        raise SettingsError(f"unknown LLM setting(s): {', '.join(stray)}")
    settings = replace(LLMSettings(), **values)
    validate(settings)
    return settings


def validate(settings: LLMSettings) -> None:
    """Reject settings that cannot work."""
    if settings.mode not in MODES:
        raise SettingsError(f"LLM mode {settings.mode!r}: expected one of {', '.join(MODES)}")
    if settings.concurrency < 1:
        raise SettingsError("LLM concurrency must be at least 1")
    if settings.max_repair_rounds < 0 or settings.max_validation_retries < 0:
        raise SettingsError("LLM repair rounds and validation retries cannot be negative")
    if settings.max_tokens_per_document < 1:
        raise SettingsError("LLM max_tokens_per_document must be positive")
    if settings.timeout <= 0:
        raise SettingsError("LLM timeout must be positive")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The --llm-* flags shared by `jixiao run` (and any command running the pipeline)."""
    g = parser.add_argument_group(
        "LLM (on when a model is named; env JIXIAO_LLM_*, or [llm] in jixiao.toml)"
    )
    g.add_argument("--llm-model", default=None, help="model name; naming one turns the LLM on")
    g.add_argument("--llm-base-url", default=None, help="OpenAI-compatible endpoint URL")
    g.add_argument("--llm-api-key", default=None, help="API key (better: JIXIAO_LLM_API_KEY)")
    g.add_argument(
        "--llm-vision",
        default=None,
        action=argparse.BooleanOptionalAction,
        help="the model takes images (page crops are sent)",
    )
    g.add_argument("--llm-mode", default=None, choices=MODES, help="structured-output mode")
    g.add_argument("--llm-cache", default=None, metavar="DIR", help="record/replay folder")
    g.add_argument(
        "--replay-only",
        default=None,
        action="store_true",
        help="answer LLM calls from the cache only; a miss flags the project",
    )


def from_args(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> LLMSettings:
    """Settings from parsed --llm-* flags plus environment and config file."""
    return load_settings(
        {
            "model": getattr(args, "llm_model", None),
            "base_url": getattr(args, "llm_base_url", None),
            "api_key": getattr(args, "llm_api_key", None),
            "vision": getattr(args, "llm_vision", None),
            "mode": getattr(args, "llm_mode", None),
            "cache_dir": getattr(args, "llm_cache", None),
            "replay_only": getattr(args, "replay_only", None),
        },
        env,
    )
