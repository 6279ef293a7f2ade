"""The warehouse a run publishes: Parquet with declared schemas, a self-contained DuckDB file,
quarantine, duplicates, determinism, incremental and one-year reruns.

Real flow runs (Prefect test harness) of the real parser over copies of the fixtures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import FIXTURES, make_raw, nightly_flow, query
from etl.warehouse.query import run_query
from etl.warehouse.schemas import SCHEMAS, TABLES
from etl.warehouse.store import Layout, partitions

pytestmark = pytest.mark.flow


def run(raw, wh, **kw) -> dict:
    state = nightly_flow().nightly(raw=str(raw), warehouse=str(wh), return_state=True, **kw)
    assert state.is_completed(), state.message
    return state.result()


def dump(wh: Path) -> dict[str, list]:
    return {t: sorted(map(repr, run_query(f"SELECT * FROM {t}", wh)[1])) for t in TABLES}


@pytest.fixture(scope="module")
def built(prefect_harness, tmp_path_factory):
    root = tmp_path_factory.mktemp("wh")
    raw = make_raw(root)
    summary = run(raw, root / "warehouse")
    return raw, root / "warehouse", summary


# --- the tables --------------------------------------------------------------------------------

def test_reports_loaded_and_quarantined(built):
    _, wh, summary = built
    rows = query(wh, "SELECT source_file, status, error_reason, agency_id, year, report_id "
                     "FROM reports ORDER BY source_file")
    by_file = {r[0]: r for r in rows}
    assert by_file["broken/empty.txt"][1:3] == ("quarantined", "empty")
    assert by_file["broken/old.doc"][1] == "quarantined"
    assert by_file["broken/notes.txt"][1] == "quarantined"
    loaded = sorted(f for f, r in by_file.items() if r[1] == "loaded")
    assert loaded == ["000_0ef24cf9c99c7ecf.txt", "006_huaian_hongze_district_2023.txt",
                      "007_huaian_hongze_district_2024.txt", "deep/er/013_pingtan_2023.txt",
                      "sub/011_pingtan_2021.txt"]
    assert by_file["sub/011_pingtan_2021.txt"][3:5] == ("pingtan", 2021)
    assert all(len(r[5]) == 16 for r in rows)
    assert (summary["quarantined"], summary["loaded"]) == (3, 5)
    assert {p["file"] for p in summary["problem_files"]} == {
        "broken/empty.txt", "broken/old.doc", "broken/notes.txt"}


def test_fact_tables_by_sql(built):
    _, wh, _ = built
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
    assert cols == ["report_id", "year", "agency_id", "agency", "region_path", "level",
                    "row_key", "applicant", "value", "raw", "state", "source", "note",
                    "original_value", "original_state", "status"]


def test_real_inconsistencies_listed(built):
    _, wh, _ = built
    rows = query(wh, "SELECT agency_id, year, rule, delta FROM validation_issues ORDER BY ALL")
    assert ("hongze", 2023, "review_sum", -11) in rows
    assert ("hongze", 2023, "review_sum", -5) in rows
    assert ("hongze", 2024, "prose_vs_table", -78) in rows
    # 平潭 2023: prose 393 vs a 现行有效 cell run together with its neighbours ("77132470")
    assert ("pingtan", 2023, "prose_vs_table", None) in rows
    assert [r for r in rows if r[0] == "nanxing"] == []


def test_parquet_schemas_are_declared_and_carry_identity(built):
    _, wh, _ = built
    current = Layout.at(wh).current
    for t in TABLES:
        files = sorted(current.glob(f"{t}/*/*.parquet"))
        assert files, t
        for f in files:
            assert pq.read_schema(f).remove_metadata().equals(SCHEMAS[t]), (t, f)
    years = sorted(p.name for p in (current / "reports").iterdir())
    assert years == ["year=0", "year=2021", "year=2023", "year=2024"]
    # a pandas/polars user reads one table's folder and has agency and region without a join
    tbl = pq.read_table(current / "applications" / "year=2023" / "part-0.parquet")
    assert {"agency", "region_path", "level", "status"} <= set(tbl.column_names)
    assert "江苏省/淮安市/洪泽区" in tbl.column("region_path").to_pylist()


def test_duckdb_file_is_self_contained(built, tmp_path):
    """Copied elsewhere (the warehouse folder gone), the file still answers: tables, not views
    over paths; comments on its columns; Chinese labels in the template tables."""
    _, wh, _ = built
    copy = tmp_path / "mailed.duckdb"
    shutil.copy(wh / "warehouse.duckdb", copy)
    code = ("import duckdb,sys; c=duckdb.connect(sys.argv[1], read_only=True); "
            "print(c.execute(\"select count(*) from reports where status='loaded'\").fetchone()[0]); "
            "print(c.execute('select count(*) > 0 from aggregates').fetchone()[0]); "
            "print(c.execute(\"select count(*) from duckdb_views() where not internal\").fetchone()[0]); "
            "print(c.execute(\"select comment from duckdb_columns() where table_name='applications' "
            "and column_name='applicant'\").fetchone()[0]); "
            "print(c.execute(\"select label from template_section3_rows "
            "where row_key='carried_forward'\").fetchone()[0])")
    out = subprocess.run([sys.executable, "-c", code, str(copy)], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[:2] == ["5", "True"]
    assert out[2] == "1"                     # report_identity only: no view reads a path
    assert "申请人" in out[3]
    assert out[4] == "四、结转下年度继续办理"


def test_duckdb_file_opens_in_the_stable_duckdb_cli(built, tmp_path):
    """The DuckDB CLI of the current stable release (1.5, from PyPI's duckdb-cli) opens it."""
    cli = shutil.which("duckdb", path=str(Path(sys.executable).parent))
    if cli is None:
        pytest.skip("duckdb-cli not installed (pip install -e '.[test]' installs it)")
    _, wh, _ = built
    version = subprocess.run([cli, "--version"], capture_output=True, text=True).stdout
    assert version.startswith("v1.")
    out = subprocess.run([cli, "-readonly", "-csv", "-noheader", str(wh / "warehouse.duckdb"),
                          "-c", "select count(*) from applications where agency_id = 'nanxing'"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(25 * 7)


# --- determinism, incremental and one-year reruns ------------------------------------------------

def test_two_runs_give_identical_tables(built, tmp_path):
    raw, wh, _ = built
    again = tmp_path / "again"
    run(raw, again)
    assert dump(again) == dump(wh)


def test_unchanged_corpus_is_a_no_op(built, tmp_path):
    raw, _, _ = built
    wh = tmp_path / "w"
    run(raw, wh)
    snap = Layout.at(wh).current_snapshot()
    s = run(raw, wh)
    assert (s["status"], s["parsed"], s["years_rebuilt"]) == ("unchanged", 0, [])
    assert Layout.at(wh).current_snapshot() == snap
    (n_issues,) = query(wh, "SELECT count(*) FROM validation_issues")[0]
    assert n_issues > 0
    assert query(wh, "SELECT status, issues FROM runs ORDER BY started_at") == \
        [("completed", n_issues), ("unchanged", n_issues)]
    assert (wh / "report" / "index.html").is_file()          # the published report site
    # confirmed from the inputs' digest right after discovery: nothing planned or parsed
    stages = json.loads(query(wh, "SELECT stage_seconds FROM runs ORDER BY started_at")[-1][0])
    assert "confirm" in stages and "plan" not in stages and "resolve" not in stages


def test_inputs_that_may_differ_take_the_ordinary_path(built, tmp_path):
    raw0, _, _ = built
    raw = tmp_path / "raw"
    shutil.copytree(raw0, raw)
    wh = tmp_path / "w"
    run(raw, wh)

    def stages() -> dict:
        return json.loads(query(wh, "SELECT stage_seconds FROM runs ORDER BY started_at")[-1][0])

    p = raw / "007_huaian_hongze_district_2024.txt"
    p.write_bytes(p.read_bytes())                 # same bytes, a new ctime: parsed again? no —
    s = run(raw, wh)                              # the cache knows the content; checked anew
    assert s["status"] == "unchanged" and "resolve" in stages()
    s = run(raw, wh)                              # ... and remembered: the next night confirms
    assert s["status"] == "unchanged" and "confirm" in stages()
    fixes = tmp_path / "fixes"
    fixes.mkdir()
    (fixes / "a.csv").write_text("report_id,section,row,column,value,reason,by,at\n", "utf-8")
    s = run(raw, wh, corrections=str(fixes))      # a correction file is an input too
    assert "resolve" in stages()


def test_one_changed_file_reparses_one_file_and_rewrites_one_year(built, tmp_path):
    raw0, _, _ = built
    raw = tmp_path / "raw"
    shutil.copytree(raw0, raw)
    wh = tmp_path / "w"
    run(raw, wh)
    layout = Layout.at(wh)
    before = {t: partitions(layout.current_snapshot(), t) for t in ("reports", "applications")}
    p = raw / "007_huaian_hongze_district_2024.txt"
    p.write_text(p.read_text("utf-8").replace("信息公开申请17件", "信息公开申请95件"), "utf-8")
    s = run(raw, wh)
    assert (s["parsed"], s["years_rebuilt"]) == (1, [2024])
    after = {t: partitions(layout.current_snapshot(), t) for t in before}
    for t in after:
        assert set(after[t]) == set(before[t])
        for y in after[t]:
            assert (after[t][y] == before[t][y]) == (y != 2024), (t, y)


def _full_build_beside(snapshot: Path, runs_from: Path) -> Path:
    """The same snapshot's partitions in a sibling folder (relative links stay valid), its
    database built in full, for comparison."""
    import duckdb

    from etl.warehouse.database import build_database

    twin = snapshot.parent / f"{snapshot.name}-full"
    twin.mkdir()
    for t in TABLES:
        shutil.copytree(snapshot / t, twin / t, symlinks=True)
    con = duckdb.connect(str(runs_from), read_only=True)
    runs = con.sql("SELECT * FROM runs").to_arrow_table()
    con.close()
    built = build_database(twin, runs, 256 * 2**20, twin / "spill")
    assert built.mode == "full"
    return built.path


def _table_differences(a: Path, b: Path) -> dict[str, tuple[int, int]]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    def count(sql: str) -> int:
        return con.execute(sql).fetchall()[0][0]

    out = {}
    for t in (*TABLES, "runs", "template_section3_rows", "rules"):
        n = count(f"SELECT count(*) FROM a.{t}")
        assert n or t == "corrections", f"{t} is empty: the comparison would prove nothing"
        out[t] = (count(f"SELECT count(*) FROM (FROM a.{t} EXCEPT ALL FROM b.{t})"),
                  count(f"SELECT count(*) FROM (FROM b.{t} EXCEPT ALL FROM a.{t})"))
    comments = ("SELECT table_name, column_name, comment FROM duckdb_columns() "
                "WHERE database_name = '{}' ORDER BY ALL")
    differ = con.execute(comments.format("a")).fetchall() != con.execute(comments.format("b")).fetchall()
    out["comments"] = (int(differ), 0)
    con.close()
    return {k: v for k, v in out.items() if v != (0, 0)}


def test_changed_partitions_replaced_in_a_copy_of_the_database(built, tmp_path):
    """A night that changes one year copies the published warehouse.duckdb and replaces that
    year's rows (and the next year's derived rows): the result equals a full build, and the
    published file is never written."""
    import hashlib

    from etl.warehouse.store import read_meta

    raw0, _, _ = built
    raw = tmp_path / "raw"
    shutil.copytree(raw0, raw)
    wh = tmp_path / "w"
    run(raw, wh)
    layout = Layout.at(wh)
    first = layout.current_snapshot()
    assert read_meta(first)["database"]["mode"] == "full"
    published = hashlib.sha256((first / "warehouse.duckdb").read_bytes()).hexdigest()
    p = raw / "007_huaian_hongze_district_2024.txt"
    p.write_text(p.read_text("utf-8").replace("信息公开申请17件", "信息公开申请95件"), "utf-8")
    run(raw, wh)
    second = layout.current_snapshot()
    assert read_meta(second)["database"]["mode"] == "copied"
    assert read_meta(second)["database"]["full_bytes"] == read_meta(first)["database"]["full_bytes"]
    assert hashlib.sha256((first / "warehouse.duckdb").read_bytes()).hexdigest() == published
    assert query(wh, "SELECT count(*) FROM prose_figures WHERE year = 2024 AND value = 95") != [(0,)]
    twin = _full_build_beside(second, second / "warehouse.duckdb")
    assert _table_differences(second / "warehouse.duckdb", twin) == {}


def test_next_year_recomputes_its_cross_year_rules_and_keeps_the_rest(built, tmp_path, caplog):
    """2023 changes: 2024's own reports did not, so only its cross-year results can move —
    those are computed, the rest kept.  A change that moves none of them (a prose figure)
    leaves 2024's derived partitions linked as they were; one that does (a carried-forward
    cell) rewrites them.  Either way the warehouse equals one built from scratch."""
    import logging

    raw0, _, _ = built
    raw = tmp_path / "raw"
    shutil.copytree(raw0, raw)
    wh = tmp_path / "w"
    run(raw, wh)
    layout = Layout.at(wh)
    derived = ("validation_results", "validation_issues", "aggregates")
    chain = ("SELECT status, reason FROM validation_results WHERE year = 2024 "
             "AND rule = 'carry_chain' AND agency_id = 'hongze'")
    p = raw / "006_huaian_hongze_district_2023.txt"
    for old, new, moves in (("受理政府信息公开申请21件", "受理政府信息公开申请25件", False),
                            ("四、结转下年度继续办理                   0",
                             "四、结转下年度继续办理                   3", True)):
        before = {t: partitions(layout.current_snapshot(), t)[2024] for t in derived}
        chain_before = query(wh, chain)
        text = p.read_text("utf-8")
        assert old in text
        p.write_text(text.replace(old, new), "utf-8")
        caplog.clear()
        with caplog.at_level(logging.INFO):
            s = run(raw, wh)
        assert s["years_rebuilt"] == [2023]
        note = "(2024: its cross-year rules only" + ("" if moves else ", unchanged") + ")"
        assert f"validate: years [2023, 2024] {note}" in caplog.text
        after = {t: partitions(layout.current_snapshot(), t)[2024] for t in derived}
        assert all((after[t] == before[t]) != moves for t in derived), (moves, before, after)
        assert (query(wh, chain) != chain_before) == moves
        fresh = tmp_path / f"fresh-{moves}"
        run(raw, fresh)
        assert dump(wh) == dump(fresh)


def test_database_built_in_full_when_the_copy_would_be_wrong_or_wasteful(built, tmp_path):
    """Another code version, a file grown past MAX_GROWTH, or most partitions changed: the
    previous file is not copied."""
    from etl.warehouse import database
    from etl.warehouse.store import read_meta, write_meta

    raw, _, _ = built
    wh = tmp_path / "w"
    run(raw, wh)
    snap = Layout.at(wh).current_snapshot()
    twin = snap.parent / "twin"
    twin.mkdir()
    for t in TABLES:
        shutil.copytree(snap / t, twin / t, symlinks=True)
    meta = read_meta(snap)
    assert database._copy_plan(twin, snap) == (snap / "warehouse.duckdb", {}, meta["database"]["full_bytes"])
    (twin / "reports" / "year=2024").unlink()      # one partition gone: its rows are replaced
    assert database._copy_plan(twin, snap)[1] == {"reports": [2024]}
    for key, value in (("version", "other"), ("full_bytes", 1000)):
        write_meta(snap, {**meta, "database": {**meta["database"], key: value}})
        assert database._copy_plan(twin, snap) is None, key
    write_meta(snap, meta)
    for t in TABLES:
        for link in (twin / t).iterdir():
            link.unlink()                          # every partition changed
    assert database._copy_plan(twin, snap) is None


def test_manifest_change_reapplies_identity_without_reparsing(built, tmp_path):
    raw0, _, _ = built
    raw = tmp_path / "raw"
    shutil.copytree(raw0, raw)
    wh = tmp_path / "w"
    run(raw, wh)
    m = raw / "manifest.csv"
    m.write_text(m.read_text("utf-8").replace(",street,", ",街道,"), "utf-8")
    s = run(raw, wh)
    assert (s["parsed"], s["years_rebuilt"]) == (0, [2023])
    assert query(wh, "SELECT DISTINCT level FROM applications WHERE agency_id = 'nanxing'") == [("街道",)]


def test_year_rerun_replaces_exactly_that_year(built, tmp_path):
    raw0, _, _ = built
    raw = tmp_path / "raw"
    shutil.copytree(raw0, raw)
    wh = tmp_path / "w"
    run(raw, wh)
    layout = Layout.at(wh)
    before = {t: partitions(layout.current_snapshot(), t) for t in ("reports", "applications")}
    before_rows = dump(wh)
    # 2024's report changes on disk, 2023's file disappears: a rerun of 2024 picks up the first
    # and must not notice the second.
    p = raw / "007_huaian_hongze_district_2024.txt"
    p.write_text(p.read_text("utf-8").replace("信息公开申请17件", "信息公开申请95件"), "utf-8")
    (raw / "000_0ef24cf9c99c7ecf.txt").unlink()
    s = run(raw, wh, year=2024)
    assert s["year"] == 2024 and s["years_rebuilt"] == [2024]
    # the one-year summary counts that year's files and issues only
    assert s["files"] == s["loaded"] + s["quarantined"] + s["superseded"] + s["duplicate"]
    assert s["issues"] == query(wh, "SELECT count(*) FROM validation_issues WHERE year = 2024")[0][0]
    after = {t: partitions(layout.current_snapshot(), t) for t in before}
    for t in after:
        assert set(after[t]) == set(before[t])
        for y in after[t]:
            assert (after[t][y] == before[t][y]) == (y != 2024), (t, y)
    assert query(wh, "SELECT count(*) FROM reports WHERE agency_id = 'nanxing'") == [(1,)]
    assert query(wh, "SELECT count(*) FROM validation_issues WHERE year = 2024 "
                     "AND rule = 'prose_vs_table'") == [(0,)]
    after_rows = dump(wh)
    for t in ("applications", "review_litigation"):
        assert [r for r in after_rows[t] if "2024" not in r] == \
               [r for r in before_rows[t] if "2024" not in r]


def test_year_rerun_twice_is_identical(built, tmp_path):
    raw, _, _ = built
    wh = tmp_path / "w"
    run(raw, wh)
    before = dump(wh)
    run(raw, wh, year=2023)
    assert dump(wh) == before


# --- duplicates -----------------------------------------------------------------------------------

def test_duplicate_agency_year_superseded_by_latest_published(prefect_harness, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    text = (FIXTURES / "000_0ef24cf9c99c7ecf.txt").read_text("utf-8")
    (raw / "a.txt").write_text(text, "utf-8")
    (raw / "b.txt").write_text(text.replace("2023年", "2023年 ", 1), "utf-8")     # other bytes
    (raw / "manifest.csv").write_text(
        "file,agency_id,year,published\na.txt,n,2023,2024-02-01\nb.txt,n,2023,2024-01-20\n", "utf-8")
    run(raw, tmp_path / "w")
    rows = query(tmp_path / "w", "SELECT source_file, status FROM reports ORDER BY 1")
    assert rows == [("a.txt", "loaded"), ("b.txt", "superseded")]
    assert query(tmp_path / "w", "SELECT source_file, rule FROM validation_issues") == \
        [("b.txt", "duplicate_report")]
    (n,) = query(tmp_path / "w", "SELECT value FROM aggregates WHERE metric = 'reports' "
                                 "AND region_path = '(all)' AND level = '(all)'")[0]
    assert n == 1


def test_byte_identical_copy_is_a_duplicate_and_steals_nothing(built, tmp_path):
    """Issue 8.6: a copy of a report (same bytes) in another folder, with no manifest row, is
    marked duplicate_file; the original keeps its identity and its cells; aggregates count it once."""
    raw0, wh0, _ = built
    raw = tmp_path / "raw"
    shutil.copytree(raw0, raw)
    (raw / "copies").mkdir()
    shutil.copy(raw / "000_0ef24cf9c99c7ecf.txt", raw / "copies" / "zz_copy.txt")
    wh = tmp_path / "w"
    run(raw, wh)
    rows = query(wh, "SELECT source_file, status, error_reason, error_detail, agency_id FROM reports "
                     "WHERE source_file LIKE '%0ef24cf9%' OR source_file LIKE '%zz_copy%' ORDER BY 1")
    assert rows == [("000_0ef24cf9c99c7ecf.txt", "loaded", None, None, "nanxing"),
                    ("copies/zz_copy.txt", "duplicate", "duplicate_file",
                     "same bytes as 000_0ef24cf9c99c7ecf.txt", None)]
    assert query(wh, "SELECT count(*) FROM applications WHERE agency_id = 'nanxing'") == [(175,)]
    q = ("SELECT value FROM aggregates WHERE metric = 'reports' AND region_path = '(all)' "
         "AND level = '(all)' AND year = 2023")
    assert query(wh, q) == query(wh0, q)


# --- etl run -------------------------------------------------------------------------------------

def test_etl_run_command(prefect_harness, tmp_path, capsys):
    """`etl run` prints a summary: exit 0 with broken files, the first few named, markup in a
    file name printed as it is; 2 for a missing raw folder or a bad year."""
    flows = nightly_flow()
    raw = make_raw(tmp_path)
    weird = raw / "broken" / "[bold]x[red]'PDF'\x1b[2J.txt"     # markup and a terminal escape
    weird.write_bytes(b"")
    assert flows.run_command(year=None, raw=raw, warehouse=tmp_path / "wh") == 0
    out = capsys.readouterr().out
    assert "broken/empty.txt: empty" in out and "review_sum: 2" in out
    assert "[bold]x[red]'PDF'\\x1b[2J.txt: empty" in out and "\x1b" not in out
    assert query(tmp_path / "wh", "SELECT count(*) FROM reports") == [(9,)]
    assert flows.run_command(year=None, raw=tmp_path / "nope", warehouse=tmp_path / "wh") == 2
    assert "no such folder" in capsys.readouterr().err


def test_summary_names_a_few_problem_files_not_all(prefect_harness, tmp_path, capsys):
    raw = make_raw(tmp_path)
    for i in range(30):
        (raw / "broken" / f"e{i:02d}.txt").write_bytes(b"")
    flows = nightly_flow()
    assert flows.run_command(year=None, raw=raw, warehouse=tmp_path / "wh") == 0
    out = capsys.readouterr().out
    assert "33 files not loaded; the first 10:" in out
    assert out.count(": empty —") <= 10


def test_cli_validates_its_arguments(tmp_path):
    etl = Path(sys.executable).parent / "etl"
    env = {**os.environ, "ETL_PARSE_TIMEOUT": "inf"}
    for args, env_, needle in [
        (["run", "--year", "1800"], None, "--year"),
        (["run", "--year", "99999999999"], None, "--year"),
        (["run", "--year", "abc"], None, "--year"),
        (["run", "--raw", str(tmp_path)], env, "ETL_PARSE_TIMEOUT"),
        (["run", "--raw", str(tmp_path), "--warehouse", str(tmp_path / "wh")], None, "inside --raw"),
    ]:
        r = subprocess.run([str(etl), *args], capture_output=True, text=True, env=env_, timeout=120)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert needle in r.stderr, (args, r.stderr)


def test_parse_on_a_dask_cluster_gives_the_same_warehouse(built, tmp_path):
    """`--dask`: the batches go to a Dask cluster (a LocalCluster of 2 worker processes here),
    each through the killable pool on its worker; the tables are those of a local run."""
    distributed = pytest.importorskip("distributed")
    raw, wh0, _ = built
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        s = run(raw, tmp_path / "w", dask=cluster.scheduler_address)
    assert s["parsed"] == 8
    assert dump(tmp_path / "w") == dump(wh0)
