"""``etl export``: one agency's reports (every year, or one) or one region's totals, as an
``.xlsx`` (a sheet per table in template layout + 待改问题) or as CSV files with a UTF-8 BOM."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import duckdb

from etl.export.cells import find_reports, region_sums, region_years, report_cells
from etl.export.sheets import add_report_block, issues_sheet, table_sheets, write_csv_folder, write_xlsx
from etl.template.labels_zh import REPORT_STATUS_ZH

_ISSUE_COLS = ("agency, year, region_path, rule, severity, cells, formula, expected, actual, "
               "delta, message, source_file")


def _issues(con, where: str, args: list) -> list[dict]:
    names = [c.strip() for c in _ISSUE_COLS.split(",")]
    rows = con.execute(f"SELECT {_ISSUE_COLS} FROM validation_issues WHERE {where} "
                       "ORDER BY region_path, agency, year, severity, rule, cells", args).fetchall()
    return [dict(zip(names, r)) for r in rows]


def agency_workbook(con: duckdb.DuckDBPyConnection, agency: str, year: int | None = None):
    """The sheets for one agency: its reports' tables (a block per year) + its issues."""
    reports = find_reports(con, agency, year)
    if not reports:
        raise LookupError(f"no report of {agency!r}" + (f" for {year}" if year else ""))
    sheets = table_sheets()
    for rid, name, y, template, status, _, source in reports:
        issues = _issues(con, "report_id = ?", [rid])
        title = f"{name} {y}年度({REPORT_STATUS_ZH.get(status, status)}) {source}"
        add_report_block(sheets, title, report_cells(con, rid), template, issues, y)
    ids = [r[0] for r in reports]
    issues = _issues(con, "list_contains(?, report_id)", [ids])
    return list(sheets.values()) + [issues_sheet(issues)], reports[-1][1]


def region_workbook(con: duckdb.DuckDBPyConnection, region: str, year: int | None = None):
    """The sheets for a region: each table summed over its loaded reports (a block per year)
    + every issue in the region (what the office sends back, agency by agency)."""
    years = [year] if year else region_years(con, region)
    if not years:
        raise LookupError(f"no loaded report in region {region!r}")
    sheets = table_sheets()
    for y in years:
        cells, n = region_sums(con, region, y)
        add_report_block(sheets, f"{region} {y}年度 合计({n} 份报告)", cells,
                         "2019" if y <= 2020 else "2021", (), y)
    where = "(region_path = ? OR starts_with(region_path, ? || '/'))" + (" AND year = ?" if year else "")
    issues = _issues(con, where, [region, region] + ([year] if year else []))
    return list(sheets.values()) + [issues_sheet(issues)], region


def _safe_name(text: str) -> str:
    return re.sub(r"[^\w\u4e00-\u9fff-]+", "_", text).strip("_")[:60] or "export"


def export_command(warehouse: Path, agency: str | None, region: str | None, year: int | None,
                   fmt: str, out: Path | None) -> int:
    from etl.warehouse.query import connect_readonly

    if (agency is None) == (region is None):
        print("etl export: give --agency or --region (one of them)", file=sys.stderr)
        return 2
    if fmt not in ("xlsx", "csv"):
        print(f"etl export: unknown --format {fmt!r}: xlsx | csv", file=sys.stderr)
        return 2
    try:
        con = connect_readonly(warehouse)
    except FileNotFoundError as e:
        print(f"etl export: {e}", file=sys.stderr)
        return 2
    try:
        if agency:
            sheets, name = agency_workbook(con, agency, year)
        elif region:
            sheets, name = region_workbook(con, region, year)
        else:
            raise ValueError("an empty --agency or --region names nothing")
    except (LookupError, ValueError) as e:
        print(f"etl export: {e}", file=sys.stderr)
        return 2
    finally:
        con.close()
    stem = _safe_name(name) + (f"_{year}" if year else "")
    if fmt == "xlsx":
        path = out or Path(f"{stem}.xlsx")
        write_xlsx(sheets, path)
        print(f"{path}: {', '.join(s.name for s in sheets)}")
    else:
        folder = out or Path(stem)
        for p in write_csv_folder(sheets, folder):
            print(p)
    return 0
