"""SIMULATED LLM: the truth plus injected errors, served over HTTP, to measure the LLM gate."""
