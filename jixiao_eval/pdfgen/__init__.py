"""Seeded, deterministic PDFs of a ground-truth report (write.py), in four variants."""
