#!/usr/bin/env bash
# One entry point for a fresh machine: sets up .venv from the project's own files, then
#   sample  runs `jixiao run` on the bundled sample report (out/)
#   test    runs ruff, mypy and pytest (what CI runs; CI sets JIXIAO_REQUIRE_REAL_LLM=1 so the
#           real small-model LLM test is installed and must run)
#   eval    runs `jixiao eval` on the bundled eval set (eval-report/)
#   bench   runs the speed benchmark against pdfplumber
#   test-latest  runs the LLM tests on the newest openai/instructor/tenacity that resolve
#           together, in a separate .venv-latest (the pinned .venv stays as it is)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv

setup() {
  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
  fi
  # The real-model LLM test needs llama.cpp built from source (minutes): only when asked for.
  extras=dev
  if [ -n "${JIXIAO_REQUIRE_REAL_LLM:-}" ]; then extras=dev,llmtest; fi
  # llama.cpp's native build uses every instruction the CPU reports; its AMX/AVX-512 kernels
  # crash (SIGSEGV) on machines whose kernel does not grant AMX state, as this one. A portable
  # build is fast enough for the 270M test model.
  export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF}"
  # Re-install when pyproject.toml changed since the last install.
  stamp="$VENV/.jixiao-installed-$extras"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e ".[$extras]"
    touch "$stamp"
  fi
}

# The review app's browser tests drive Debian's chromium through Playwright (no browser download).
browser() {
  if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      echo "note: install Debian's chromium (sudo apt-get install chromium) for the browser tests" >&2
    fi
  fi
}

cmd=${1:-help}
shift || true
case "$cmd" in
  sample)
    setup
    "$VENV/bin/jixiao" run samples/*.pdf --out out "$@"
    echo "JSON and summary.csv are in out/"
    ;;
  test)
    setup
    browser
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    "$VENV/bin/mypy"
    "$VENV/bin/python" -m pytest -q "$@"
    ;;
  eval)
    setup
    "$VENV/bin/jixiao" eval "$@"
    ;;
  test-latest)
    LATEST=.venv-latest
    if [ ! -x "$LATEST/bin/python" ]; then
      "$PY" -m venv "$LATEST"
    fi
    "$LATEST/bin/python" -m pip install --quiet --upgrade pip
    "$LATEST/bin/python" -m pip install --quiet -e ".[dev]"
    # Newest instructor first: it bounds openai (and jiter), so `pip install -U openai
    # instructor tenacity` in one go can backtrack to an old instructor. Then the newest
    # openai and tenacity that this instructor accepts, even past jixiao's own upper bounds
    # (pip then names the conflict: the sign to widen pyproject.toml once the tests pass).
    "$LATEST/bin/python" -m pip install --quiet -U instructor
    instructor=$("$LATEST/bin/python" -c 'import importlib.metadata as m; print(m.version("instructor"))')
    "$LATEST/bin/python" -m pip install --quiet -U openai tenacity "instructor==$instructor"
    "$LATEST/bin/python" -m pip list 2>/dev/null | grep -iE '^(openai|instructor|tenacity) '
    "$LATEST/bin/python" -m pytest -q tests/test_llm_units.py tests/test_llm_scenarios.py \
      tests/test_llm_eval.py tests/test_llm_real_model.py tests/test_simulate_llm.py "$@"
    ;;
  bench)
    setup
    "$VENV/bin/python" benchmarks/bench_vs_pdfplumber.py "$@"
    ;;
  *)
    echo "usage: scripts/dev.sh sample|test|test-latest|eval|bench [args]" >&2
    exit 2
    ;;
esac
