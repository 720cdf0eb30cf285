"""The batch runner: bounded worker processes, the run journal, summaries, Ray."""
