"""python -m jixiao_eval.pdfgen TRUTH.json VARIANT OUT.pdf [--seed N]."""

from __future__ import annotations

from jixiao_eval.pdfgen.write import main

raise SystemExit(main())
