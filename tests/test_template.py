"""The template is declared once (etl.template) and everything else derives from it: the rule
catalogue, the rule SQL files, the warehouse's ``rules`` table and what ``etl eval`` scores."""

from __future__ import annotations

import re
from importlib import resources

import duckdb

from etl.checks import RULE_FILES
from etl.synth.evaluate import QUARANTINE, Evaluation, evaluate
from etl.synth.faults import FAULT_RULES
from etl.template import (
    RULE_IDS,
    RULES,
    SECTION3_COLUMN_KEYS,
    SECTION3_TOTAL_INDEX,
    SECTION3_WIDTH,
    SECTION4_KEYS,
    SECTION4_SUM_GROUPS,
)
from etl.warehouse.views import create_template_tables


def _rule_files() -> set[str]:
    folder = resources.files("etl.checks").joinpath("rules")
    return {p.name[:-4] for p in folder.iterdir() if p.name.endswith(".sql")}


def test_one_sql_file_per_catalogued_rule_and_no_other():
    assert _rule_files() == set(RULE_IDS)
    assert RULE_FILES == RULE_IDS
    assert len(set(RULE_IDS)) == len(RULE_IDS)


def test_each_rule_file_reports_under_its_own_name():
    folder = resources.files("etl.checks").joinpath("rules")
    for rule in RULE_IDS:
        sql = folder.joinpath(f"{rule}.sql").read_text("utf-8")
        named = set(re.findall(r"'([a-z_]+)' AS rule", sql))
        assert named == {rule}, (rule, named)


def test_warehouse_rules_table_is_the_catalogue():
    con = duckdb.connect()
    create_template_tables(con)
    got = con.execute("SELECT rule, scope, severity, description FROM rules").fetchall()
    assert got == [(r.id, r.scope, r.severity, r.description) for r in RULES]
    assert {s for _, _, s, _ in got} <= {"error", "warning"}


def test_eval_scores_every_rule_and_only_those():
    ev = evaluate({}, _empty_warehouse())
    assert isinstance(ev, Evaluation)
    assert set(ev.rules) == set(RULE_IDS) | {QUARANTINE}
    # every synthetic fault names a rule of the catalogue (or none)
    assert set(FAULT_RULES.values()) - {""} <= set(RULE_IDS)


def test_shapes_are_derived_from_the_template():
    assert SECTION3_WIDTH == len(SECTION3_COLUMN_KEYS)
    assert SECTION3_COLUMN_KEYS[SECTION3_TOTAL_INDEX] == "total"
    for parts, total in SECTION4_SUM_GROUPS:
        assert SECTION4_KEYS[total].endswith("_total")
        prefix = SECTION4_KEYS[total][: -len("_total")]
        assert all(SECTION4_KEYS[i].startswith(prefix + "_") for i in parts)
    indices = sorted(i for parts, t in SECTION4_SUM_GROUPS for i in (*parts, t))
    assert indices == list(range(len(SECTION4_KEYS)))


def _empty_warehouse():
    from etl.synth.evaluate import Warehouse

    return Warehouse({}, {}, {})
