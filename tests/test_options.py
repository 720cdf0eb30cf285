"""The options object (pipeline/options.py) and how flags, environment and jixiao.toml fill it."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from pipeline.cli import build_parser, options_from_args
from pipeline.llm.settings import SettingsError, load_settings
from pipeline.options import LLMSettings, ReadOptions, RenderOptions, RunOptions


def test_llm_is_off_unless_a_model_is_named(tmp_path: Path) -> None:
    env = {"OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    s = load_settings({}, env, config=[tmp_path / "none.toml"])
    assert not s.enabled and s.api_key == "sk-x"
    assert load_settings({}, env | {"JIXIAO_LLM_MODEL": "m"}, config=[]).enabled


def test_settings_precedence_flags_env_config(tmp_path: Path) -> None:
    cfg = tmp_path / "jixiao.toml"
    cfg.write_text(
        '[llm]\nmodel = "from-file"\nbase_url = "http://file/v1"\nvision = true\n'
        'mode = "md_json"\napi_key_env = "MY_KEY"\nconcurrency = 2\n'
        '[llm.prices."from-file"]\ninput = 1.5\noutput = 6\n',
        "utf-8",
    )
    env = {"MY_KEY": "k-file", "OPENAI_BASE_URL": "http://openai-env/v1"}
    s = load_settings({}, env, config=cfg)
    assert (s.model, s.base_url, s.vision, s.mode, s.concurrency) == (
        "from-file",
        "http://openai-env/v1",  # environment beats the file
        True,
        "md_json",
        2,
    )
    assert s.api_key == "k-file" and s.price() is not None and s.price().output == 6.0  # type: ignore[union-attr]
    env |= {"JIXIAO_LLM_BASE_URL": "http://jixiao-env/v1", "JIXIAO_LLM_API_KEY": "k-env"}
    s = load_settings({"base_url": "http://flag/v1", "vision": False}, env, config=cfg)
    assert (s.base_url, s.api_key, s.vision) == ("http://flag/v1", "k-env", False)
    assert "k-env" not in repr(s)  # the key never shows
    assert s.host == "flag"


def test_settings_reject_typos_and_bad_values(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[llm]\nmodle = "x"\n', "utf-8")
    with pytest.raises(SettingsError, match="modle"):
        load_settings({}, {}, config=cfg)
    with pytest.raises(SettingsError, match="mode"):
        load_settings({"mode": "grammar"}, {}, config=[])
    with pytest.raises(SettingsError, match="JIXIAO_LLM_VISION"):
        load_settings({}, {"JIXIAO_LLM_VISION": "maybe"}, config=[])


def test_settings_are_picklable_for_worker_processes() -> None:
    s = LLMSettings(model="m", api_key="k")
    assert pickle.loads(pickle.dumps(s)) == s


def test_one_default_for_each_option() -> None:
    # the CLI leaves unset flags to the model: its parsed defaults are None, the options' are real
    args = build_parser().parse_args(["run", "x.pdf"])
    assert args.ocr is None and args.dpi is None
    opts = options_from_args(args, "run")
    assert opts is not None and opts.read.ocr == ReadOptions().ocr and opts.read.dpi == 200
    assert opts.render == RenderOptions() and opts.llm is None


def test_options_are_frozen_and_validated() -> None:
    opts = RunOptions()
    with pytest.raises(ValueError):
        opts.read.dpi = 300
    with pytest.raises(ValueError):
        ReadOptions(dpi=0)
    with pytest.raises(ValueError):
        LLMSettings(concurrency=0)
    again = pickle.loads(pickle.dumps(RunOptions(llm=LLMSettings(model="m"))))
    assert again.llm.model == "m"


def test_bad_ocr_flag_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["run", "x.pdf", "--dpi", "0"])
    assert options_from_args(args, "run") is None
    err = capsys.readouterr().err.strip()
    assert err.startswith("jixiao run: bad OCR option") and "\n" not in err
