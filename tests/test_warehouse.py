"""The warehouse without Prefect: discovery + manifests, Parquet with declared schemas, the
atomic snapshot swap, quarantine, duplicates, determinism, one-year reruns, and `etl sql`.

These run the real parser over copies of the fixtures (text/HTML forms: fast) in a temp dir.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import FIXTURES, make_raw, query
from etl import pipeline
from etl.warehouse.discover import discover
from etl.warehouse.query import ReadOnlyError, check_read_only, connect_readonly, run_query
from etl.warehouse.schemas import SCHEMAS, TABLES
from etl.warehouse.store import Layout

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("wh")
    raw = make_raw(root)
    summary = pipeline.run_pipeline(raw, root / "warehouse")
    return raw, root / "warehouse", summary


# --- discovery ---------------------------------------------------------------------------------

def test_discover_manifests_at_any_depth(tmp_path):
    raw = make_raw(tmp_path)
    files = {f.rel: f for f in discover(raw)}
    assert "truth/x.json" not in files and "manifest.csv" not in files
    assert files["sub/011_pingtan_2021.txt"].manifest["agency_id"] == "pingtan"
    assert files["deep/er/013_pingtan_2023.txt"].manifest_year == 2023     # deeper manifest
    assert files["broken/empty.txt"].manifest == {}
    assert list(files) == sorted(files)
    only_2024 = [f.rel for f in discover(raw, 2024)]
    # manifest says another year -> skipped; no manifest year -> kept (must be parsed to know)
    assert "007_huaian_hongze_district_2024.txt" in only_2024
    assert "006_huaian_hongze_district_2023.txt" not in only_2024
    assert "broken/empty.txt" in only_2024


def test_plan_batches_are_coarse():
    files = list(range(100_000))
    batches = pipeline.plan_batches(files)
    assert len(batches) == pipeline.MAX_PARSE_TASKS
    assert sum(map(len, batches)) == 100_000
    assert len(pipeline.plan_batches(list(range(30)))) == 1


# --- the tables --------------------------------------------------------------------------------

def test_reports_loaded_and_quarantined(built):
    _, wh, summary = built
    rows = query(wh, "SELECT source_file, status, error_reason, agency_id, year, report_id "
                     "FROM reports ORDER BY source_file")
    by_file = {r[0]: r for r in rows}
    assert by_file["broken/empty.txt"][1:3] == ("quarantined", "empty")
    assert by_file["broken/old.doc"][1:3] == ("quarantined", "unsupported_format")
    assert by_file["broken/notes.txt"][1] == "quarantined"
    loaded = sorted(f for f, r in by_file.items() if r[1] == "loaded")
    assert loaded == ["000_0ef24cf9c99c7ecf.txt", "006_huaian_hongze_district_2023.txt",
                      "007_huaian_hongze_district_2024.txt", "deep/er/013_pingtan_2023.txt",
                      "sub/011_pingtan_2021.txt"]
    assert by_file["sub/011_pingtan_2021.txt"][3:5] == ("pingtan", 2021)
    assert all(len(r[5]) == 16 for r in rows)
    assert summary["quarantined"] == 3 and summary["loaded"] == 5
    assert {q["file"] for q in summary["quarantined_files"]} == {
        "broken/empty.txt", "broken/old.doc", "broken/notes.txt"}


def test_fact_tables_by_sql(built):
    _, wh, _ = built
    # the seed: 本年新收 3 by 自然人, total 3
    rows = query(wh, "SELECT applicant, value, state FROM applications WHERE agency_id = 'nanxing' "
                     "AND row_key = 'new_received' AND applicant IN ('natural_person', 'total') "
                     "ORDER BY applicant")
    assert rows == [("natural_person", 3, "number"), ("total", 3, "number")]
    (n,) = query(wh, "SELECT count(*) FROM applications WHERE agency_id = 'nanxing'")[0]
    assert n == 25 * 7
    rl = query(wh, "SELECT item, outcome, key, value FROM review_litigation "
                   "WHERE agency_id = 'hongze' AND year = 2023 AND item = 'review' ORDER BY outcome")
    assert ("review", "upheld", "review_upheld", 10) in rl and ("review", "total", "review_total", 0) in rl
    cols = [r[0] for r in query(wh, "SELECT column_name FROM (DESCRIBE applications)")]
    assert cols[:12] == ["report_id", "year", "agency_id", "agency", "region_path", "level",
                         "row_key", "applicant", "value", "raw", "state", "source"]


def test_real_inconsistencies_listed(built):
    _, wh, _ = built
    rows = query(wh, "SELECT agency_id, year, rule, delta FROM validation_issues ORDER BY ALL")
    assert ("hongze", 2023, "review_sum", -11) in rows
    assert ("hongze", 2023, "review_sum", -5) in rows
    assert ("hongze", 2024, "prose_vs_table", -78) in rows
    # 平潭 2023: prose 393 vs a 现行有效 cell run together with its neighbours ("77132470")
    assert ("pingtan", 2023, "prose_vs_table", None) in rows
    # the consistent seed has nothing
    assert [r for r in rows if r[0] == "nanxing"] == []


def test_parquet_schemas_are_declared(built):
    _, wh, _ = built
    current = Layout.at(wh).current
    for t in TABLES:
        files = sorted(current.glob(f"{t}/*/*.parquet"))
        assert files, t
        for f in files:
            assert pq.read_schema(f).remove_metadata().equals(SCHEMAS[t]), (t, f)
    # partitioned by year (unknown-year quarantined files in year=0)
    years = sorted(p.name for p in (current / "reports").iterdir())
    assert years == ["year=0", "year=2021", "year=2023", "year=2024"]


def test_duckdb_file_views_use_absolute_paths(built, tmp_path):
    _, wh, _ = built
    code = ("import duckdb,sys; c=duckdb.connect(sys.argv[1], read_only=True); "
            "print(c.execute(\"select count(*) from reports where status='loaded'\").fetchone()[0]); "
            "print(c.execute('select count(*) from aggregates').fetchone()[0] > 0)")
    out = subprocess.run([sys.executable, "-c", code, str(wh / "warehouse.duckdb")], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["5", "True"]


# --- determinism, reruns, failures -------------------------------------------------------------

def _dump(wh: Path) -> dict[str, list]:
    out = {}
    for t in TABLES:
        names, rows = run_query(f"SELECT * FROM {t}", wh)
        out[t] = sorted(map(repr, rows))
    return out


def test_two_runs_give_identical_tables(built, tmp_path):
    raw, wh, _ = built
    again = tmp_path / "again"
    pipeline.run_pipeline(raw, again)
    assert _dump(again) == _dump(wh)


def test_year_rerun_replaces_exactly_that_year(tmp_path):
    raw = make_raw(tmp_path)
    wh = tmp_path / "warehouse"
    pipeline.run_pipeline(raw, wh)
    layout = Layout.at(wh)
    before = {t: pipeline.store.partitions(layout.current_snapshot(), t)
              for t in ("reports", "applications")}
    before_rows = _dump(wh)
    # 2024's report changes on disk (a corrected 本年新收 cell), 2023's file disappears: a rerun
    # of 2024 must pick up the first and must not notice the second.
    p = raw / "007_huaian_hongze_district_2024.txt"
    p.write_text(p.read_text("utf-8").replace("信息公开申请17件", "信息公开申请95件"), "utf-8")
    (raw / "000_0ef24cf9c99c7ecf.txt").unlink()
    summary = pipeline.run_pipeline(raw, wh, year=2024)
    assert summary["files"] >= 1
    after = {t: pipeline.store.partitions(layout.current_snapshot(), t)
             for t in ("reports", "applications")}
    for t in after:
        assert set(after[t]) == set(before[t])
        for y in after[t]:
            assert (after[t][y] == before[t][y]) == (y != 2024), (t, y)
    # the seed (2023) is still there; 2024's prose issue is gone
    assert query(wh, "SELECT count(*) FROM reports WHERE agency_id = 'nanxing'") == [(1,)]
    assert query(wh, "SELECT count(*) FROM validation_issues WHERE year = 2024 "
                     "AND rule = 'prose_vs_table'") == [(0,)]
    after_rows = _dump(wh)
    # other years: identical rows
    for t in ("applications", "review_litigation"):
        assert [r for r in after_rows[t] if "2024" not in r] == \
               [r for r in before_rows[t] if "2024" not in r]


def test_failure_mid_run_leaves_previous_warehouse(built, tmp_path, monkeypatch):
    raw, _, _ = built
    wh = tmp_path / "w"
    pipeline.run_pipeline(raw, wh)
    layout = Layout.at(wh)
    snap, rows = layout.current_snapshot(), _dump(wh)
    db_bytes = layout.duckdb.read_bytes()

    def boom(ctx, years):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "aggregate", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        pipeline.run_pipeline(raw, wh)
    assert layout.current_snapshot() == snap
    assert _dump(wh) == rows
    assert layout.duckdb.read_bytes() == db_bytes
    assert sorted(p.name for p in layout.snapshots.iterdir()) == [snap.name]
    assert not any((layout.root / ".staging").iterdir())
    runs = query(wh, "SELECT status, error FROM runs ORDER BY started_at")
    assert runs[-1] == ("failed", "RuntimeError: disk full")


def test_duplicate_agency_year_superseded_by_latest_published(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    text = (FIXTURES / "000_0ef24cf9c99c7ecf.txt").read_text("utf-8")
    (raw / "a.txt").write_text(text, "utf-8")
    (raw / "b.txt").write_text(text.replace("2023年", "2023年 ", 1), "utf-8")     # other bytes
    (raw / "manifest.csv").write_text(
        "file,agency_id,year,published\na.txt,n,2023,2024-02-01\nb.txt,n,2023,2024-01-20\n", "utf-8")
    pipeline.run_pipeline(raw, tmp_path / "w")
    rows = query(tmp_path / "w", "SELECT source_file, status FROM reports ORDER BY 1")
    assert rows == [("a.txt", "loaded"), ("b.txt", "superseded")]
    assert query(tmp_path / "w", "SELECT source_file, rule FROM validation_issues") == \
        [("b.txt", "duplicate_report")]
    (n,) = query(tmp_path / "w", "SELECT value FROM aggregates WHERE metric = 'reports' "
                                 "AND region_path = '(all)' AND level = '(all)'")[0]
    assert n == 1


# --- etl sql -----------------------------------------------------------------------------------

@pytest.mark.parametrize("q", [
    "COPY (SELECT 1) TO 'x.csv'", "CREATE TABLE t AS SELECT 1", "INSERT INTO rules VALUES (1)",
    "ATTACH 'x.duckdb'", "SELECT 1; DROP VIEW reports", "SET threads = 1",
])
def test_sql_rejects_writes(q):
    with pytest.raises(ReadOnlyError):
        check_read_only(q)


def test_sql_cannot_touch_files_outside_the_warehouse(built, tmp_path):
    _, wh, _ = built
    con = connect_readonly(wh)
    try:
        with pytest.raises(duckdb.Error):
            con.execute(f"SELECT * FROM read_csv('{FIXTURES / '000_0ef24cf9c99c7ecf.truth.json'}')")
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access = true")
    finally:
        con.close()


def test_open_sql_session_does_not_block_a_run(built, tmp_path):
    raw, _, _ = built
    wh = tmp_path / "w"
    pipeline.run_pipeline(raw, wh)
    con = connect_readonly(wh)                      # an analyst's session stays open …
    try:
        before = con.execute("SELECT count(*) FROM reports").fetchone()
        pipeline.run_pipeline(raw, wh)              # … while the nightly run publishes
        assert con.execute("SELECT count(*) FROM reports").fetchone() == before
    finally:
        con.close()


def test_sql_command_formats(built, capsys):
    from etl.warehouse.query import sql_command

    _, wh, _ = built
    q = "SELECT agency_id, year FROM reports WHERE agency_id = 'nanxing'"
    assert sql_command(q, wh, "csv") == 0
    assert capsys.readouterr().out == "agency_id,year\nnanxing,2023\n"
    assert sql_command(q, wh, "json") == 0
    assert '"agency_id": "nanxing"' in capsys.readouterr().out
    assert sql_command("DELETE FROM reports", wh, "table") == 2
    assert "read-only" in capsys.readouterr().err


def test_a_file_that_hangs_the_parser_is_quarantined(tmp_path, monkeypatch):
    import time as _time

    import etl.parse

    def stuck(data, path, manifest=None):
        _time.sleep(5)

    monkeypatch.setattr(etl.parse, "parse_bytes", stuck)
    f = tmp_path / "r.txt"
    f.write_text("x", "utf-8")
    src = pipeline.SourceFile(str(f), "r.txt", 1, {})
    rid, result = pipeline.parse_one(src, timeout=0.2)
    assert (result.reason, result.detail) == ("parse_failed", "timeout: parsing took over 0.2 s")
