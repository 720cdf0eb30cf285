"""The families eval set: real-producer PDFs (LibreOffice Calc / Writer) of regional 自评表 layouts.

`python -m jixiao_eval.families [--out eval/families]` rebuilds the sources (.xlsx, .docx), the
PDFs and the truth JSON where LibreOffice is installed; the committed PDFs are what tests read.
"""
