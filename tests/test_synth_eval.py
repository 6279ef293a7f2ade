"""`etl eval` against a tiny DuckDB warehouse built here from a corpus's own truth (the
contract's tables and columns), then spoiled in known ways."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from etl.synth.command import TEXT_FORMS, generate
from etl.synth.evaluate import eval_command, evaluate, load_truth, load_warehouse
from etl.template import SECTION3_COLUMN_KEYS


def _build_warehouse(corpus: Path, db: Path, prefix: str = "") -> None:
    """A warehouse that read every document perfectly and flagged exactly the recorded faults
    (tables built in Python, loaded in bulk through Arrow)."""
    import pyarrow as pa

    truth = load_truth(corpus)
    tables: dict[str, list[tuple]] = {k: [] for k in (
        "reports", "applications", "active_disclosure", "review_litigation",
        "validation_results", "validation_issues")}
    state = lambda v: "blank" if v is None else "number"   # noqa: E731
    for i, (file, t) in enumerate(sorted(truth.items())):
        rid = f"r{i:05d}"
        kinds = [f["kind"] for f in t["faults"]]
        status = ("quarantined" if "corrupt" in kinds else
                  "superseded" if "duplicate" in kinds else "loaded")
        tables["reports"].append((rid, prefix + file, status,
                                  "corrupt" if status == "quarantined" else None))
        if status == "quarantined":
            continue
        tables["applications"] += [(rid, row, col, v, state(v)) for row, vals in t["section3"].items()
                                   for col, v in zip(SECTION3_COLUMN_KEYS, vals)]
        tables["active_disclosure"] += [(rid, cat, m, None if v is None else float(v), state(v))
                                        for cat, ms in t["section2"].items() for m, v in ms.items()]
        tables["review_litigation"] += [(rid, k.rsplit("_", 1)[0], k.rsplit("_", 1)[1], k, v, state(v))
                                        for k, v in t["section4"].items()]
        for f in t["faults"]:
            if f["rule"]:
                tables["validation_results"].append((rid, f["rule"], "failed"))
                tables["validation_issues"].append((rid, f["rule"]))
        if t.get("departures") and status == "loaded":     # what template_conformance reports
            tables["validation_results"].append((rid, "template_conformance", "failed"))
    columns = {
        "reports": [("report_id", pa.string()), ("source_file", pa.string()), ("status", pa.string()),
                    ("error_reason", pa.string())],
        "applications": [("report_id", pa.string()), ("row_key", pa.string()),
                         ("applicant", pa.string()), ("value", pa.int64()), ("state", pa.string())],
        "active_disclosure": [("report_id", pa.string()), ("category", pa.string()),
                              ("metric", pa.string()), ("value", pa.float64()), ("state", pa.string())],
        "review_litigation": [("report_id", pa.string()), ("item", pa.string()), ("outcome", pa.string()),
                              ("key", pa.string()), ("value", pa.int64()), ("state", pa.string())],
        "validation_results": [("report_id", pa.string()), ("rule", pa.string()), ("status", pa.string())],
        "validation_issues": [("report_id", pa.string()), ("rule", pa.string())],
    }
    con = duckdb.connect(str(db))
    for name, rows in tables.items():
        schema = pa.schema(columns[name])
        arrow = pa.Table.from_pylist([dict(zip(schema.names, r)) for r in rows], schema=schema)  # noqa: F841
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM arrow")
    con.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("evalcorpus")
    generate(out, reports=280, forms=TEXT_FORMS, fault_rate=0.5, seed=21, workers=1)
    return out


def test_perfect_warehouse_scores_100(corpus, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _build_warehouse(corpus, db, prefix="synth/")     # run over a parent folder: source_file prefixed
    ev = evaluate(load_truth(corpus), load_warehouse(tmp_path))
    assert ev.not_found == []
    assert ev.text_html().cells > 10_000 and ev.text_html().accuracy == 1.0
    used = {rule: c for rule, c in ev.rules.items() if c.tp}
    assert {"identity", "carry_chain", "quarantine", "duplicate_report"} <= set(used)
    for rule, c in ev.rules.items():
        assert (c.fp, c.fn) == (0, 0), rule


def test_spoiled_warehouse_is_caught(corpus, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _build_warehouse(corpus, db)
    con = duckdb.connect(str(db))
    # one wrong cell, one unknown cell, one missed fault, one false alarm
    # an HTML report with applications (crawler dumps are counted apart from text/HTML)
    truth = sorted(load_truth(corpus).items())
    rid = next(f"r{i:05d}" for i, (_, t) in enumerate(truth)
               if t["format"] == "html" and not t["faults"] and t["section3"]["total"][-1])
    con.execute("UPDATE applications SET value = value + 1 WHERE report_id = ? AND row_key = 'total' "
                "AND applicant = 'total'", [rid])
    con.execute("UPDATE applications SET value = NULL, state = 'unknown' WHERE report_id = ? "
                "AND row_key = 'granted' AND applicant = 'natural_person'", [rid])
    not_crawler = {f"r{i:05d}" for i, (_, t) in enumerate(truth) if t["format"] != "crawler"}
    missed = next(r for (r,) in con.execute("SELECT report_id FROM validation_results WHERE "
                                             "rule = 'identity' ORDER BY report_id").fetchall()
                  if r in not_crawler)
    con.execute("DELETE FROM validation_results WHERE report_id = ? AND rule = 'identity'", [missed])
    con.execute("DELETE FROM validation_issues WHERE report_id = ? AND rule = 'identity'", [missed])
    clean = next(r for (r,) in con.execute("SELECT report_id FROM reports WHERE report_id NOT IN "
                                            "(SELECT report_id FROM validation_results) AND status = "
                                            "'loaded' ORDER BY report_id").fetchall()
                 if r in not_crawler)
    con.execute("INSERT INTO validation_results VALUES (?, 'review_sum', 'failed')", [clean])
    con.close()
    ev = evaluate(load_truth(corpus), load_warehouse(db))
    counts = ev.text_html()
    assert (counts.wrong, counts.unknown) == (1, 1)
    assert ev.rules["identity"].fn == 1 and ev.rules["identity"].recall < 1.0
    assert ev.rules["review_sum"].fp == 1 and ev.rules["review_sum"].precision < 1.0
    assert ev.mismatches[0][2] == "3/total/total"


def test_eval_command_reports_missing_inputs(tmp_path, corpus, capsys):
    assert eval_command(tmp_path, tmp_path) == 2                      # no truth/ here
    assert eval_command(corpus, tmp_path / "nowhere") == 2            # no warehouse there
    assert "nowhere" in capsys.readouterr().err
