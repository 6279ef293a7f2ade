"""The cells of one report, or the sums over a region, keyed by template position — what the
exports and the notebook API lay out in template shape (etl.report.layout).

Every query binds its parameters; a region is matched as a path prefix (``starts_with``), never
with LIKE (a ``%`` in a region name would be a wildcard).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from etl.report.data import has_column


@dataclass(frozen=True)
class Cell:
    value: float | int | None
    state: str
    raw: str | None = None
    note: str | None = None
    original: float | int | None = None

    @property
    def shown(self):
        """What a spreadsheet cell shows: the number, else the printed text ('' for blank)."""
        if self.value is not None:
            return int(self.value) if float(self.value).is_integer() else self.value
        if self.state == "unknown":
            return "?"
        return self.raw or ""


@dataclass
class ReportCells:
    s2: dict[tuple[str, str], Cell]     # (category, metric)
    s3: dict[tuple[str, str], Cell]     # (row_key, applicant)
    s4: dict[str, Cell]                 # key


def _orig(con, view: str) -> str:
    return "original_value" if has_column(con, view, "original_value") else "NULL"


def report_cells(con: duckdb.DuckDBPyConnection, report_id: str) -> ReportCells:
    s3 = {(r, c): Cell(*rest) for r, c, *rest in con.execute(
        f"SELECT row_key, applicant, value, state, raw, note, {_orig(con, 'applications')} "
        "FROM applications WHERE report_id = ?", [report_id]).fetchall()}
    s4 = {k: Cell(*rest) for k, *rest in con.execute(
        f"SELECT key, value, state, raw, note, {_orig(con, 'review_litigation')} "
        "FROM review_litigation WHERE report_id = ?", [report_id]).fetchall()}
    s2 = {(c, m): Cell(*rest) for c, m, *rest in con.execute(
        f"SELECT category, metric, value, state, raw, note, {_orig(con, 'active_disclosure')} "
        "FROM active_disclosure WHERE report_id = ?", [report_id]).fetchall()}
    return ReportCells(s2, s3, s4)


_IN_REGION = "(region_path = ? OR starts_with(region_path, ? || '/'))"


def region_sums(con: duckdb.DuckDBPyConnection, region: str, year: int) -> tuple[ReportCells, int]:
    """Each cell summed over the loaded reports of ``region`` (and below) for ``year``; a blank
    adds nothing (as in the aggregates).  Returns (cells, number of reports)."""
    args = [region, region, year]
    n = con.execute(f"SELECT count(DISTINCT report_id) FROM reports WHERE status = 'loaded' "
                    f"AND {_IN_REGION} AND year = ?", args).fetchall()[0][0]

    def summed(sql: str):
        return con.execute(sql, args).fetchall()

    s3 = {(r, c): Cell(v, "number" if v is not None else "blank") for r, c, v in summed(
        f"SELECT row_key, applicant, sum(value) FROM applications WHERE status = 'loaded' "
        f"AND {_IN_REGION} AND year = ? GROUP BY ALL")}
    s4 = {k: Cell(v, "number" if v is not None else "blank") for k, v in summed(
        f"SELECT key, sum(value) FROM review_litigation WHERE status = 'loaded' "
        f"AND {_IN_REGION} AND year = ? GROUP BY ALL")}
    s2 = {(c, m): Cell(v, "number" if v is not None else "blank") for c, m, v in summed(
        f"SELECT category, metric, sum(value) FROM active_disclosure WHERE status = 'loaded' "
        f"AND {_IN_REGION} AND year = ? GROUP BY ALL")}
    return ReportCells(s2, s3, s4), n


def find_reports(con: duckdb.DuckDBPyConnection, agency: str, year: int | None = None) -> list[tuple]:
    """Reports (loaded first) of the agency named by its agency_id, its exact name or its
    agency_key: [(report_id, agency, year, template, status, region_path, source_file)]."""
    rows = con.execute("""
        SELECT DISTINCT report_id, agency, year, template, status, region_path, source_file,
               agency_key
        FROM reports
        WHERE status IN ('loaded', 'superseded')
          AND (agency_id = ? OR agency = ? OR agency_key = ?) AND (? IS NULL OR year = ?)
        ORDER BY year, status <> 'loaded', source_file""",
        [agency, agency, agency, year, year]).fetchall()
    keys = {r[7] for r in rows}
    if len(keys) > 1:
        raise ValueError(f"{agency!r} names {len(keys)} agencies ({', '.join(sorted(map(str, keys)))}); "
                         f"name one by its agency_id")
    return [r[:7] for r in rows]


def region_years(con: duckdb.DuckDBPyConnection, region: str) -> list[int]:
    return [r[0] for r in con.execute(
        f"SELECT DISTINCT year FROM reports WHERE status = 'loaded' AND {_IN_REGION} "
        "AND year IS NOT NULL ORDER BY year", [region, region]).fetchall()]
