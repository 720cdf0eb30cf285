"""A non-editable install carries the bundled data: build the real wheel and look inside."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("hatchling") is None,
    reason="hatchling (the build backend) is not installed; pip install hatchling to build the wheel",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from the working tree without network or build isolation."""
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = list(out.glob("jixiao-*.whl"))
    assert len(wheels) == 1, list(out.iterdir())
    return wheels[0]


@pytest.fixture(scope="module")
def names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


def test_wheel_holds_the_eval_truth(names: list[str]) -> None:
    assert "pipeline/_data/eval/seed_2024.truth.json" in names
    assert "pipeline/_data/eval/truth/index.json" in names
    derived = [
        n for n in names if n.startswith("pipeline/_data/eval/truth/") and n.endswith(".json")
    ]
    assert len(derived) > 1  # index.json plus the derived documents


def test_wheel_holds_prompts_and_samples(names: list[str]) -> None:
    prompts = [n for n in names if n.startswith("pipeline/_data/prompts/") and not n.endswith("/")]
    assert prompts, "no file under pipeline/_data/prompts/ in the wheel"
    samples = [PurePosixPath(n) for n in names if n.startswith("pipeline/_data/samples/")]
    assert any(p.suffix == ".pdf" for p in samples), samples


def test_wheel_holds_code_and_schemas_but_no_junk(names: list[str]) -> None:
    assert "schemas/report.py" in names
    assert "schemas/output.py" in names
    assert "pipeline/cli.py" in names
    assert "pipeline/resources.py" in names
    assert "jixiao_eval/cli.py" in names  # the eval tooling ships beside the pipeline
    assert "jixiao_eval/scoring/evaluate.py" in names
    assert "jixiao_eval/fake_llm.py" in names
    junk = [n for n in names if "__pycache__" in n or n.endswith(".pyc") or n.startswith("tests/")]
    assert junk == []


def test_wheel_declares_the_jixiao_command(wheel: Path, names: list[str]) -> None:
    [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    with zipfile.ZipFile(wheel) as zf:
        text = zf.read(entry_points).decode("utf-8")
    lines = [line.replace(" ", "") for line in text.splitlines()]
    assert "[console_scripts]" in lines
    assert "jixiao=pipeline.cli:main" in lines


def test_unpacked_wheel_finds_its_data(wheel: Path, tmp_path: Path) -> None:
    """Imported from the unpacked wheel (not the checkout), data_dir points inside the wheel."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = (
        "import pipeline; from pipeline.resources import data_dir; "
        "from jixiao_eval.bundled import bundled_truths; "
        "print(pipeline.__file__); print(data_dir('eval')); print(data_dir('samples')); "
        "print(bundled_truths()[0])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    module_file, eval_dir, samples_dir, seed = (Path(line) for line in proc.stdout.splitlines())
    assert module_file.is_relative_to(site), module_file
    assert eval_dir.is_relative_to(site), eval_dir
    assert eval_dir == site / "pipeline" / "_data" / "eval"
    assert (eval_dir / "seed_2024.truth.json").is_file()
    assert (eval_dir / "truth" / "index.json").is_file()
    assert samples_dir.is_relative_to(site) and any(samples_dir.glob("*.pdf"))
    assert seed == eval_dir / "seed_2024.truth.json"  # jixiao_eval reads the same bundled data


def test_pipeline_never_imports_the_eval_tooling() -> None:
    """Every module of pipeline/ imports without pulling in jixiao_eval (the CLI does, lazily)."""
    code = (
        "import importlib, pkgutil, sys, pipeline\n"
        "for m in pkgutil.walk_packages(pipeline.__path__, 'pipeline.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'jixiao_eval'))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
