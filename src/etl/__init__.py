"""政府信息公开工作年度报告 → template cells → Parquet → DuckDB.

``etl.open_warehouse(path)`` is the notebook entry point (see etl.notebook); it is imported on
first use so that ``etl parse`` does not pay for DuckDB and pandas.
"""


def __getattr__(name):
    if name in ("open_warehouse", "Warehouse"):
        from etl import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'etl' has no attribute {name!r}")
