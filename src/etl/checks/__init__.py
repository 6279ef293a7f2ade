"""Validation as SQL over the warehouse views (one file per rule in ``rules/``) and a small runner.

Every rule file returns *check instances* with the same columns::

    report_id, rule, cells, formula, expected, actual, delta, status, reason, message

``status`` is passed | failed | not_assessable (a blank/dash/unknown participant is never read
as 0).  The runner turns the instances into ``validation_results`` (one row per report x rule:
failed if any instance failed, else not_assessable if any instance — or every instance — could
not be assessed, else passed) and ``validation_issues`` (the failed instances, with the rule's
severity).  Cross-year instances carry the report of the later year t.
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

    The texts (cells, formula, message) are kept only for failed instances: a passed check needs
    none, and at 100k reports they would be most of the memory."""
    prepare(con)
    union = "\nUNION ALL BY NAME\n".join(
        f"SELECT * FROM ({rule_sql(r).rstrip().rstrip(';')})" for r in rules)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE check_instances AS
        SELECT report_id, rule, status, reason, expected, actual, delta,
               CASE WHEN status = 'failed' THEN cells END AS cells,
               CASE WHEN status = 'failed' THEN formula END AS formula,
               CASE WHEN status = 'failed' THEN message END AS message
        FROM ({union})""")
    con.execute("CREATE OR REPLACE TEMP TABLE rules_run AS SELECT * FROM rules WHERE rule IN "
                "(SELECT unnest(?::VARCHAR[]))", [list(rules)])


def run_checks(con: duckdb.DuckDBPyConnection,
               rules: tuple[str, ...] = RULE_FILES) -> tuple[pa.Table, pa.Table]:
    """(validation_results, validation_issues) as Arrow tables with a ``year`` column.  Rules
    run one at a time, so memory holds one rule's instances, not all of them."""
    results, issues = [], []
    for rule in rules:
        check_instances(con, (rule,))
        results.append(con.sql(_sql("results")).to_arrow_table())
        issues.append(con.sql(_sql("issues")).to_arrow_table())
    con.execute("DROP TABLE IF EXISTS check_instances")
    return pa.concat_tables(results), pa.concat_tables(issues)
