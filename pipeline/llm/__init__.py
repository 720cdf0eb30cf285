"""The LLM reconstruction's helpers: settings, cache, ledger, text grid, images, prompts.

Only pipeline/extract/llm.py talks to the model (and imports openai/instructor).
"""
