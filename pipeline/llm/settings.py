"""LLM settings (pipeline/options.py) from flags, environment and a TOML config file, in that order.

The LLM is on only when a model is named; a stray OPENAI_API_KEY never starts spending.
Config files: ./jixiao.toml, then ~/.config/jixiao/config.toml (the first that exists), table [llm].
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from pipeline.options import DEFAULT_LLM_CACHE, LLM_MODES, LLMSettings, Price

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 (tomli is what became tomllib)
    import tomli as tomllib

MODES = LLM_MODES
DEFAULT_CACHE_DIR = DEFAULT_LLM_CACHE
_FIELDS = LLMSettings.model_fields
# Keys the config file takes beyond the settings themselves.
_CONFIG_ONLY = {"api_key_env", "prices"}


class SettingsError(ValueError):
    """A setting that cannot be used (bad mode, unknown config key, unreadable file)."""


def config_paths(cwd: Path | None = None, home: Path | None = None) -> list[Path]:
    """Where a config file is looked for, first match wins."""
    here = cwd or Path.cwd()
    user = (home or Path.home()) / ".config" / "jixiao" / "config.toml"
    return [here / "jixiao.toml", user]


def _coerce(key: str, value: Any, where: str) -> Any:
    """One setting's value in its field's type (pydantic's rules: 'yes'/'on'/'1' are true...)."""
    field = _FIELDS.get(key)
    if field is None or field.annotation is None:
        raise SettingsError(f"{where}: unknown LLM setting {key}")
    if field.annotation is bool and isinstance(value, str) and not value.strip():
        return False  # an empty variable turns a switch off
    try:
        return TypeAdapter(field.annotation).validate_python(value, strict=False)
    except ValidationError as exc:
        why = exc.errors()[0]["msg"] if exc.errors() else "invalid"
        raise SettingsError(f"{where}: bad value for {key}: {value!r} ({why})") from exc


def _prices(raw: Any, where: str) -> dict[str, Price]:
    if not isinstance(raw, Mapping):
        raise SettingsError(f"{where}: [llm.prices] must be a table of models")
    out = {}
    for model, row in raw.items():
        if not isinstance(row, Mapping) or set(row) - {"input", "output"}:
            raise SettingsError(
                f"{where}: [llm.prices.{model!r}] needs input = and output = (per 1M tokens)"
            )
        try:
            out[str(model)] = Price.model_validate(dict(row))
        except ValidationError as exc:
            raise SettingsError(f"{where}: [llm.prices.{model!r}]: {exc}") from exc
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
    known = (_FIELDS.keys() - {"prices"}) | _CONFIG_ONLY
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
    "connect_timeout": ("JIXIAO_LLM_CONNECT_TIMEOUT",),
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
    stray = sorted(set(values) - _FIELDS.keys())
    if stray:
        raise SettingsError(f"unknown LLM setting(s): {', '.join(stray)}")
    try:
        return LLMSettings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise SettingsError(f"LLM settings: {problems}") from exc


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
