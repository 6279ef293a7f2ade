"""Arrow schemas of every Parquet table the warehouse writes — declared, never inferred.

Each table is hive-partitioned by ``year`` (the partition column is the folder name, not stored in
the files; reports whose year is unknown go to ``year=0`` and the views turn 0 back into NULL).
Every fact and validation row carries its report's identity (agency, region, level, status), so a
pandas or polars user reading one Parquet folder needs no join; ``reports`` stays the one place
that identity is decided (the write stage copies it from there).
"""

from __future__ import annotations

import pyarrow as pa

#: Partition value for reports whose year could not be determined (quarantined files).
UNKNOWN_YEAR = 0

_CELL_TAIL = [
    ("raw", pa.string()),           # the text as printed ("" when nothing was printed)
    ("state", pa.string()),         # etl.template.CELL_STATES
    ("source", pa.string()),        # provenance: "line 123", "table 2 r5 c3 p3"
    ("note", pa.string()),          # why (e.g. why a digit run stayed unknown)
]

#: The report's identity, copied into every fact and validation row.
_IDENTITY = [
    ("agency_id", pa.string()),
    ("agency", pa.string()),
    ("region_path", pa.string()),
    ("level", pa.string()),
]
_STATUS = [("status", pa.string())]        # the report's status (loaded | superseded)


def _corrected(value_type: pa.DataType) -> list:
    """What a correction (etl.stages.corrections) keeps of the cell it replaced."""
    return [("original_value", value_type), ("original_state", pa.string())]

SCHEMAS: dict[str, pa.Schema] = {
    "reports": pa.schema([
        ("report_id", pa.string()),         # sha256 of the file's bytes, first 16 hex chars
        ("agency_id", pa.string()),         # from the manifest (stable across years)
        ("agency", pa.string()),
        ("agency_key", pa.string()),        # cross-year identity: agency_id, else normalized name
        ("region_path", pa.string()),       # "江苏省/淮安市/洪泽区"
        ("level", pa.string()),
        ("template", pa.string()),          # "2019" | "2021", from what the tables print
        ("source_file", pa.string()),       # POSIX path relative to the raw root
        ("format", pa.string()),            # the reader's form (flat_text, html, pdf, …)
        ("published", pa.date32()),
        ("source_url", pa.string()),
        ("title", pa.string()),
        ("parser_version", pa.string()),
        ("status", pa.string()),            # loaded | quarantined | superseded | duplicate | skipped
        ("error_reason", pa.string()),      # etl.errors.REASONS (parse_failed for a crash)
        ("error_detail", pa.string()),
        ("identity_source", pa.string()),   # JSON {"agency": "manifest", "year": "prose", …}
        ("warnings", pa.string()),          # the parser's warnings, one per line
    ]),
    "applications": pa.schema([
        ("report_id", pa.string()),
        *_IDENTITY,
        ("row_key", pa.string()),           # etl.template.SECTION3_ROW_KEYS
        ("applicant", pa.string()),         # etl.template.SECTION3_COLUMN_KEYS (incl. total)
        ("value", pa.int64()),
        *_CELL_TAIL,
        *_corrected(pa.int64()),
        *_STATUS,
    ]),
    "active_disclosure": pa.schema([
        ("report_id", pa.string()),
        *_IDENTITY,
        ("category", pa.string()),          # etl.template.SECTION2 category keys
        ("metric", pa.string()),
        ("value", pa.float64()),
        *_CELL_TAIL,
        *_corrected(pa.float64()),
        *_STATUS,
    ]),
    "review_litigation": pa.schema([
        ("report_id", pa.string()),
        *_IDENTITY,
        ("item", pa.string()),              # review | suit_direct | suit_after_review
        ("outcome", pa.string()),           # upheld | corrected | other | pending | total
        ("key", pa.string()),               # item_outcome (etl.template.SECTION4_KEYS)
        ("value", pa.int64()),
        *_CELL_TAIL,
        *_corrected(pa.int64()),
        *_STATUS,
    ]),
    "prose_figures": pa.schema([
        ("report_id", pa.string()),
        *_IDENTITY,
        ("key", pa.string()),               # etl.template.PROSE_FIGURE_KEYS
        ("value", pa.float64()),
        ("text", pa.string()),
        ("source", pa.string()),
        *_STATUS,
    ]),
    "validation_results": pa.schema([
        ("report_id", pa.string()),
        ("agency_id", pa.string()),
        ("agency", pa.string()),
        ("rule", pa.string()),
        ("severity", pa.string()),
        ("status", pa.string()),            # passed | failed | not_assessable
        ("reason", pa.string()),            # why not assessable / what failed
        ("n_checks", pa.int64()),
        ("n_passed", pa.int64()),
        ("n_failed", pa.int64()),
        ("n_not_assessable", pa.int64()),
        ("region_path", pa.string()),
        ("level", pa.string()),
        ("source_file", pa.string()),
    ]),
    "validation_issues": pa.schema([
        ("report_id", pa.string()),         # cross-year issues: the report of the later year t
        ("agency_id", pa.string()),
        ("agency", pa.string()),
        ("rule", pa.string()),
        ("severity", pa.string()),
        ("cells", pa.string()),             # the cells involved, with their values
        ("formula", pa.string()),
        ("expected", pa.int64()),
        ("actual", pa.int64()),
        ("delta", pa.int64()),              # actual - expected
        ("message", pa.string()),
        ("region_path", pa.string()),
        ("level", pa.string()),
        ("source_file", pa.string()),
    ]),
    "corrections": pa.schema([              # etl.stages.corrections: every correction line
        ("file", pa.string()),              # the corrections file (name in its folder)
        ("line", pa.int32()),
        ("report_id", pa.string()),         # the report it applies to (or names)
        ("agency_id", pa.string()),
        ("agency", pa.string()),
        ("table", pa.string()),
        ("row", pa.string()),
        ("column", pa.string()),
        ("value", pa.float64()),            # the corrected value
        ("original_value", pa.float64()),   # what the report printed (or the parser read)
        ("original_state", pa.string()),
        ("reason", pa.string()),
        ("who", pa.string()),
        ("when", pa.string()),
        ("status", pa.string()),            # applied | stale | invalid
        ("message", pa.string()),           # why stale / invalid, naming file and line
    ]),
    "aggregates": pa.schema([
        ("region_path", pa.string()),       # a region or any ancestor of it; '(all)' = every region
        ("level", pa.string()),             # an agency level; '(all)' = every level
        ("metric", pa.string()),            # see etl/aggregates/metrics.md
        ("value", pa.float64()),
        ("n_reports", pa.int64()),          # loaded reports that printed a value for the metric
    ]),
}

#: Tables written from parsed reports (rebuilt per year) vs. derived by SQL (rebuilt every run).
FACT_TABLES: tuple[str, ...] = ("reports", "applications", "active_disclosure", "review_litigation",
                                "prose_figures", "corrections")
DERIVED_TABLES: tuple[str, ...] = ("validation_results", "validation_issues", "aggregates")
TABLES: tuple[str, ...] = FACT_TABLES + DERIVED_TABLES

#: Sort order of each table's rows, so that two runs on the same input write identical files.
SORT_KEYS: dict[str, tuple[str, ...]] = {
    "reports": ("source_file", "report_id"),
    "applications": ("report_id", "row_key", "applicant"),
    "active_disclosure": ("report_id", "category", "metric"),
    "review_litigation": ("report_id", "item", "outcome"),
    "prose_figures": ("report_id", "key", "source", "text", "value"),
    "validation_results": ("report_id", "rule"),
    "validation_issues": ("report_id", "rule", "cells", "message"),
    "aggregates": ("region_path", "level", "metric"),
    "corrections": ("file", "line"),
}

RUNS_SCHEMA = pa.schema([
    ("run_id", pa.string()),
    ("started_at", pa.timestamp("us", tz="UTC")),
    ("finished_at", pa.timestamp("us", tz="UTC")),
    ("year", pa.int32()),                   # the year rebuilt, NULL = all years
    ("raw_root", pa.string()),
    ("status", pa.string()),                # completed | unchanged | failed | refused
    ("files", pa.int64()),
    ("loaded", pa.int64()),
    ("quarantined", pa.int64()),
    ("superseded", pa.int64()),
    ("duplicates", pa.int64()),             # byte-identical copies of a kept file
    ("skipped", pa.int64()),                # not reports: FIFOs, broken links, bad manifests
    ("parsed", pa.int64()),                 # files parsed by this run (the rest came from the cache)
    ("years_rebuilt", pa.string()),         # years whose tables this run rewrote ("" = none)
    ("issues", pa.int64()),
    ("parser_version", pa.string()),
    ("error", pa.string()),
    ("stage_seconds", pa.string()),         # JSON {stage: seconds}
])


def empty(table: str) -> pa.Table:
    return SCHEMAS[table].empty_table()


#: What each column means, stored as COMMENT ON COLUMN in warehouse.duckdb (Chinese first, for the
#: offices that read it; English after).  Columns not listed carry the shared comment of their name.
COLUMN_COMMENTS: dict[str, str] = {
    "report_id": "报告标识:文件内容的 SHA-256 前 16 位 / content hash of the file (16 hex of sha256)",
    "year": "报告年度 / report year (NULL: unknown, the file was quarantined)",
    "agency_id": "机关编号(来自清单) / agency id from the manifest, stable across years",
    "agency": "机关名称(如所印) / agency name as printed, or as the manifest gives it",
    "agency_key": "跨年度匹配键 / cross-year identity: id:<agency_id>, else name:<normalized name>",
    "region_path": "行政区划路径 / region path, e.g. 江苏省/淮安市/洪泽区",
    "level": "机关层级 / agency level (province, city, district, street, department …)",
    "template": "模板版本 / template version as the tables print it: 2019 | 2021",
    "source_file": "源文件(相对原始目录) / source file, POSIX path relative to the raw folder",
    "format": "文件形式 / input form the reader recognised (html, pdf, docx, flat_text …)",
    "published": "发布日期(清单) / publication date from the manifest",
    "source_url": "来源网址(清单) / source URL from the manifest",
    "title": "标题 / title as printed",
    "parser_version": "解析器版本 / parser version (declared version + hash of its code)",
    "status": "状态 / loaded | quarantined | superseded | duplicate | skipped",
    "error_reason": "隔离原因 / why the file was not loaded (etl.errors.REASONS)",
    "error_detail": "隔离说明 / one line on what is wrong with the file",
    "identity_source": "身份来源 / JSON: where agency, year, … came from (title, prose, manifest …)",
    "warnings": "解析提示 / the parser's warnings, one per line",
    "row_key": "表三行 / row of table 三 (template_section3_rows)",
    "applicant": "表三列(申请人类型) / column of table 三 (template_section3_columns), total = 总计",
    "category": "表二类别 / category of table 二 (template_section2)",
    "metric": "指标 / metric (table 二: template_section2; aggregates: metrics.md)",
    "item": "表四项目 / review | suit_direct | suit_after_review",
    "outcome": "表四结果 / upheld | corrected | other | pending | total",
    "key": "键 / key (table 四: item_outcome; prose_figures: the figure)",
    "value": "数值 / the value (NULL unless state is number, inferred or ocr)",
    "raw": "原文 / the text as printed ('' when nothing was printed)",
    "state": "单元格状态 / number | blank | dash | text | inferred | unknown | absent …",
    "source": "出处 / where in the document (line, table row/column, page)",
    "note": "说明 / why (e.g. why digits run together stayed unknown)",
    "text": "原句 / the sentence the figure was read from",
    "rule": "规则 / validation rule (table rules)",
    "severity": "严重程度 / error | warning",
    "n_checks": "检查数 / checks made", "n_passed": "通过数 / passed", "n_failed": "未通过数 / failed",
    "n_not_assessable": "无法判断数 / not assessable (a blank, dash or unknown participant)",
    "cells": "涉及单元格 / the cells involved, with their values",
    "formula": "公式 / the formula checked",
    "expected": "应为 / expected value", "actual": "实为 / actual value",
    "delta": "差额 / actual − expected",
    "message": "说明 / what is wrong, in one line",
    "n_reports": "报告数 / loaded reports that printed a value for the metric",
    "original_value": "更正前的值 / the value before a correction (state corrected)",
    "original_state": "更正前的状态 / the cell's state before a correction",
    "file": "更正文件 / the corrections file", "line": "行号 / line in that file",
    "reason": "理由或原因 / why (a correction's reason; a check's reason)",
    "who": "更正人 / who made the correction", "when": "更正日期 / when",
    "table": "表 / applications | active_disclosure | review_litigation",
    "row": "行 / row key, category or item", "column": "列 / applicant, metric or outcome",
}
