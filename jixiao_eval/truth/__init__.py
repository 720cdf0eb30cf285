"""The eval set's synthetic ground truth, derived from the seed transcription (eval/truth/)."""
