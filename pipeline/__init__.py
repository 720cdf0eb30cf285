"""jixiao: 财政项目支出绩效自评表 PDF -> checked, structured data."""

__version__ = "0.1.0"
