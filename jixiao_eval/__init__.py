"""jixiao's eval tooling: the eval set's truth and PDFs, the LLM-gate simulator, the scorer.

Ships in the same wheel as `pipeline` but is never imported by it at module level: the CLI
imports it inside `jixiao eval` only.
"""
