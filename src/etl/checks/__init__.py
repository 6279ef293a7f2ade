"""Validation as SQL over the warehouse views (one file per rule in ``rules/``) and a small runner.

Every rule file returns *check instances* with the same columns::

    report_id, rule, cells, formula, expected, actual, delta, status, reason, message

``status`` is passed | failed | not_assessable (a blank/dash/unknown participant is never read
as 0).  ``reason`` is read only where the instance is not assessable, and the texts (cells,
formula, message) only where it failed: a rule builds them for those alone (formatting them for
every passed instance was most of a rule's time at 100k reports).  The runner turns the
instances into ``validation_results`` (one row per report x rule: failed if any instance failed,
else not_assessable if any instance — or every instance — could not be assessed, else passed)
and ``validation_issues`` (the failed instances, with the rule's severity).  Cross-year
instances carry the report of the later year t.
"""

from __future__ import annotations

from importlib import resources

import duckdb
import pyarrow as pa

from etl.template import PROSE_RESULT_GROUPS, RULE_IDS

#: The order rules run in: the template's catalogue (etl.template.RULES), one SQL file per rule.
RULE_FILES: tuple[str, ...] = RULE_IDS


def rule_sql(rule: str) -> str:
    return resources.files("etl.checks").joinpath("rules", f"{rule}.sql").read_text("utf-8")


def _sql(name: str) -> str:
    return resources.files("etl.checks").joinpath(f"{name}.sql").read_text("utf-8")


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Helpers the rule files use (the views and template tables must exist already)."""
    con.execute("CREATE OR REPLACE MACRO cv(v, s) AS coalesce(CAST(v AS VARCHAR), s)")
    con.execute("CREATE OR REPLACE TEMP VIEW loaded_reports AS "
                "SELECT * FROM reports WHERE status = 'loaded'")
    # prose figures that state a sum of result groups of table 三 (etl.template)
    con.execute("CREATE OR REPLACE TEMP TABLE prose_result_groups (key VARCHAR, result_group VARCHAR)")
    con.executemany("INSERT INTO prose_result_groups VALUES (?, ?)",
                    [(k, g) for k, groups in PROSE_RESULT_GROUPS.items() for g in groups])


def check_instances(con: duckdb.DuckDBPyConnection, rules: tuple[str, ...] = RULE_FILES) -> None:
    """Run the rule files into the temp table ``check_instances`` (and ``rules_run``).

    An instance keeps only what the results and issues read of it: its reason when it is not
    assessable; its numbers (cast to the issues' BIGINT) and texts (cells, formula, message)
    when it failed.  A passed check needs none, and at 100k reports they would be most of the
    memory.  One statement per rule: a statement holds its rule's intermediate tables to its
    end, so one statement for every rule would hold all of them at once (and spill)."""
    prepare(con)
    con.execute("""CREATE OR REPLACE TEMP TABLE check_instances (report_id VARCHAR, rule VARCHAR,
        status VARCHAR, reason VARCHAR, expected BIGINT, actual BIGINT, delta BIGINT,
        cells VARCHAR, formula VARCHAR, message VARCHAR)""")
    for r in rules:
        con.execute(f"""
            INSERT INTO check_instances
            SELECT report_id, rule, status,
                   CASE WHEN status = 'not_assessable' THEN reason END,
                   CASE WHEN status = 'failed' THEN expected::BIGINT END,
                   CASE WHEN status = 'failed' THEN actual::BIGINT END,
                   CASE WHEN status = 'failed' THEN delta::BIGINT END,
                   CASE WHEN status = 'failed' THEN cells END,
                   CASE WHEN status = 'failed' THEN formula END,
                   CASE WHEN status = 'failed' THEN message END
            FROM ({rule_sql(r).rstrip().rstrip(';')})""")
    con.execute("CREATE OR REPLACE TEMP TABLE rules_run AS SELECT * FROM rules WHERE rule IN "
                "(SELECT unnest(?::VARCHAR[]))", [list(rules)])


#: Each result and issue with its report's identity (report_identity: one row per report_id).
_WITH_IDENTITY = """
    SELECT v.*, r.agency_id, r.agency, r.region_path, r.level, r.source_file
    FROM ({}) v LEFT JOIN report_identity r USING (report_id)
    WHERE $year IS NULL OR v.year = $year"""


def run_checks(con: duckdb.DuckDBPyConnection, rules: tuple[str, ...] = RULE_FILES,
               year: int | None = None) -> tuple[pa.Table, pa.Table]:
    """(validation_results, validation_issues) of the reports of ``year`` (every year's when
    None) as Arrow tables with a ``year`` column and the reports' identity: one pass of the
    results and issues queries over the instances of every rule."""
    check_instances(con, rules)
    results, issues = (con.sql(_WITH_IDENTITY.format(_sql(name).rstrip().rstrip(";")),
                               params={"year": year}).to_arrow_table()
                       for name in ("results", "issues"))
    con.execute("DROP TABLE IF EXISTS check_instances")
    return results, issues
