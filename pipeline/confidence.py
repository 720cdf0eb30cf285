"""The one ladder of confidence levels: what each reading is worth, and the evidence that earns it.

A field's confidence is the lowest level that applies to it. A project is accepted only when
every field is at ACCEPT or above and no rule fails (pipeline/reconcile.py). Levels below
ACCEPT are not "probably wrong": they say that no second source or check vouches for the value,
so a person must look.
"""

from __future__ import annotations

# The line: a field below it sends its project to review.
ACCEPT = 0.9

# -- at or above the line -----------------------------------------------------------------
# A visible, clean digital text layer inside a ruled cell: what the producer drew.
CLEAN_TEXT_LAYER = 1.0
# A hidden text layer and OCR of the same cell read the same text independently.
OCR_AGREES = 0.99
# Two independent recognisers (PP-OCRv6 and PP-OCRv4, pipeline/ocr.py) read the same number or
# target in a cell (its leading operator also read by the glyph's shape where one reader
# misses it). Measured on the scan eval set: no cell where they agreed was wrong.
OCR_READERS_AGREE = 0.97
# The two recognisers read the same number; where they differ (PP-OCRv4 reads this type's ≥ as
# '2' or skips it, garbles '%' as '9%'), PP-OCRv6 read no digit and was sure of each character.
# Measured on the bundled scan/badlayer eval set and the families' scans, counted with the
# arithmetic-pinned values of the same 0.93: 9 values on the tuning half, 15 on the held-out
# half (jixiao_eval/scoring/split.py), none wrong.
OCR_SECOND_SLIPS = 0.93
# OCR of a cell read once, every character read with at least OCR_CHAR_SURE probability, or on
# a line PP-OCRv6 was unsure of, read the same by PP-OCRv4 (agreement vouches for it).
OCR_SURE = 0.95
# A value joined across a page break by rule, not by a ruling line: right nearly always.
JOINED_ACROSS_PAGES = 0.95
# The LLM and an independent reading (a healthy text layer, or page images) agree.
LLM_AGREES = 0.95
# A number read with doubt that the equations pin down: as printed every rule involving it
# holds, and any one misread character would break one (pipeline/checks/evidence.py).
ARITHMETIC_PINNED = 0.93
# Text layer and OCR disagree, and OCR is sure of each character it reads differently
# (or the layer wins because OCR misread only the leading operator).
OCR_OVER_LAYER = 0.92

# -- below the line: a person must look ---------------------------------------------------
# Text layer and LLM disagree and the healthy text layer's value is kept.
DISAGREE_LAYER_KEPT = 0.8
# The LLM's reading, before any comparison with a second source.
LLM_READING = 0.8
# A value the LLM changed during a repair round: it read it two ways.
LLM_REPAIRED = 0.7
# OCR alone, some character below OCR_CHAR_SURE.
OCR_UNSURE = 0.6
# The two recognisers read a number or target differently: whichever is right, a person looks.
OCR_READERS_DISAGREE = 0.5
# Sources disagree and nothing in the cell settles it; also a value only the LLM gives, a
# blank where a number belongs, an empty indicator name, and an amount unit not printed.
UNSETTLED = 0.5
LLM_ONLY = 0.5
DISAGREE_UNSETTLED = 0.5
BLANK_NUMBER = 0.5
EMPTY_NAME = 0.5
ASSUMED_UNIT = 0.5
# Our line assembly and PyMuPDF's own lines read a narrative (goal, indicator name, deviation
# reason, any long text) in different orders. Narratives have no arithmetic to catch a misread,
# and on the drawn (reportlab) seed variant every such disagreement was a misplaced 。/、,
# so neither reading is taken on trust.
READINGS_DISAGREE = 0.5
# Hidden text over a page image (an OCR layer of unknown quality), unchecked.
HIDDEN_LAYER = 0.4
# The reader itself doubts the cell (overprinted, suspicious glyphs), or neither reading fits
# the cell's format.
DOUBTFUL = 0.3
BROKEN_FORMAT = 0.3
# A required cell not found, or text that does not parse as the number it must be.
NOT_READ = 0.0

# Not a level: the per-character recogniser probability at which OCR counts as sure (measured
# on the scan eval set: below it, misreadings concentrate).
OCR_CHAR_SURE = 0.9
# Not a level: the probability given to a character read by shape or context where it may be
# another (a dash between a hyphen's and an em dash's length, a lone glyph both recognisers
# misread alike, 一一 that may be a printed ——): below OCR_CHAR_SURE, so it is never vouched for.
OCR_CHAR_DOUBT = 0.5
