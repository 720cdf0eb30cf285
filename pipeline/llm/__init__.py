"""The LLM reconstruction: client (the only importer of openai/instructor/tenacity), messages,
the per-project repair loop (reconstruct), one document (document), cache, ledger, prompts.
"""
