"""The warehouse from a notebook: ``wh = etl.open_warehouse("data/warehouse")``.

``wh.sql(...)`` returns a pandas DataFrame; ``wh.table3(agency, year)`` (and ``table2``,
``table4``, ``issues``) give one report's tables in template shape with the template's Chinese
labels.  The connection is the read-only one ``etl sql`` uses (it never blocks a nightly run).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from etl.export.cells import Cell, find_reports, report_cells
from etl.report import layout


class Warehouse:
    def __init__(self, path: str | Path):
        from etl.warehouse.query import connect_readonly

        self.path = Path(path)
        self.con = connect_readonly(self.path)

    # --- SQL ----------------------------------------------------------------------------------

    def sql(self, query: str, params: list | dict | None = None) -> pd.DataFrame:
        """A read-only query (SELECT, PIVOT, …) as a DataFrame; bind values with ``params``."""
        from etl.warehouse.query import check_read_only

        check_read_only(query)
        return self.con.execute(query, params).df()

    # --- one report in template shape ---------------------------------------------------------

    def _report(self, agency: str, year: int) -> tuple[str, str | None]:
        reports = find_reports(self.con, agency, year)
        if not reports:
            raise LookupError(f"no report of {agency!r} for {year}")
        loaded = [r for r in reports if r[4] == "loaded"] or reports
        return loaded[0][0], loaded[0][3]

    @staticmethod
    def _shown(cell: Cell | None):
        return pd.NA if cell is None or cell.value is None else cell.shown

    def table3(self, agency: str, year: int, states: bool = False) -> pd.DataFrame:
        """Table 三 of the agency's report on ``year``: rows and columns as printed, labelled
        in Chinese.  Values are numbers (<NA> where the report prints none: blank, dash, text,
        unknown); ``states=True`` gives each cell's state instead (number, blank, unknown, …).
        ``agency``: its agency_id or its exact name."""
        rid, template = self._report(agency, year)
        cells = report_cells(self.con, rid).s3
        version = layout.version_or_default(template)
        rows = layout.section3_rows(version)
        cols = layout.section3_columns()
        data = [[(cells[(r.key, c.key)].state if (r.key, c.key) in cells else "absent")
                 if states else self._shown(cells.get((r.key, c.key))) for c in cols]
                for r in rows]
        df = pd.DataFrame(data, index=pd.Index([r.full_label for r in rows], name="行"),
                          columns=pd.Index([c.label for c in cols], name="列"))
        return df if states else df.astype("Int64")

    def table4(self, agency: str, year: int) -> pd.DataFrame:
        """Section 四: one row per group (行政复议, 行政诉讼 未经复议直接起诉, 复议后起诉), one
        column per outcome (结果维持 … 总计)."""
        rid, _ = self._report(agency, year)
        cells = report_cells(self.con, rid).s4
        cols = layout.section4_columns()
        groups = list(dict.fromkeys(c.item for c in cols))
        outcomes = list(dict.fromkeys(c.label for c in cols))
        data = [[self._shown(cells.get(c.key)) for c in cols if c.item == g] for g in groups]
        return pd.DataFrame(data, index=pd.Index([layout.section4_group_label(g) for g in groups],
                                                 name="组"),
                            columns=pd.Index(outcomes, name="结果")).astype("Int64")

    def table2(self, agency: str, year: int) -> dict[str, pd.DataFrame]:
        """Section 二: one DataFrame per table (keyed by its heading, e.g. 第二十条第(一)项)."""
        rid, template = self._report(agency, year)
        cells = report_cells(self.con, rid).s2
        out = {}
        for t in layout.section2_tables(template):
            data = [[self._shown(cells.get((ck, mk))) for mk, _ in t.metrics]
                    for ck, _ in t.categories]
            out[t.heading] = pd.DataFrame(
                data, index=pd.Index([cl for _, cl in t.categories], name="类别"),
                columns=pd.Index([ml for _, ml in t.metrics], name="项目")).astype("Float64")
        return out

    def issues(self, agency: str | None = None, year: int | None = None) -> pd.DataFrame:
        """The failed checks (of one agency, of one year), with the rule's Chinese name and
        message beside the English."""
        from etl.report.issues import describe

        df = self.sql("""
            SELECT i.* FROM validation_issues i
            WHERE (? IS NULL OR i.agency_id = ? OR i.agency = ?) AND (? IS NULL OR i.year = ?)
            ORDER BY region_path, agency, year, rule""", [agency, agency, agency, year, year])
        texts = [describe(r.rule, r.severity, r.formula, r.cells,
                          None if pd.isna(r.expected) else r.expected,
                          None if pd.isna(r.actual) else r.actual,
                          None if pd.isna(r.delta) else r.delta, r.year)
                 for r in df.itertuples()]
        df.insert(df.columns.get_loc("rule"), "规则", [t.rule_zh for t in texts])
        df["说明"] = [t.message_zh for t in texts]
        return df

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Warehouse {self.path}>"


def open_warehouse(path: str | Path = "data/warehouse") -> Warehouse:
    """The published warehouse at ``path``, read-only."""
    return Warehouse(path)
