"""`etl sql` cannot change the warehouse, whatever it is asked: every hostile query is refused
by the allow-list or by the engine (external access off, configuration locked, a read-only
database), or is harmless; the warehouse's bytes are the same afterwards.  Queries have a time
limit and a memory cap."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import duckdb
import pytest

from conftest import build_warehouse, query, real_item, seed_report
from etl.settings import Settings
from etl.warehouse.query import QueryTimeout, ReadOnlyError, connect_readonly, execute, run_query


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sql")
    return build_warehouse(tmp, [real_item("006_huaian_hongze_district_2023"),
                                 ({"file": "seed.txt", "agency_id": "nanxing", "year": 2023},
                                  seed_report())])


def fingerprint(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            p = Path(dirpath) / name
            if p.name == ".writer.lock":
                continue
            if p.is_symlink():
                out[str(p.relative_to(root))] = "-> " + os.readlink(p)
                continue
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
        for name in dirnames:
            p = Path(dirpath) / name
            if p.is_symlink():
                out[str(p.relative_to(root))] = "-> " + os.readlink(p)
    return out


def hostile(w: Path) -> list[str]:
    part = w / "current" / "reports" / "year=2023" / "part-0.parquet"
    return [
        f"EXPLAIN ANALYZE COPY (SELECT * FROM reports LIMIT 0) TO '{part}' (FORMAT parquet)",
        f"EXPLAIN ANALYZE COPY (SELECT 'x' AS run_id) TO '{w}/runs/evil.parquet' (FORMAT parquet)",
        f"EXPLAIN ANALYZE COPY (SELECT 1 AS value) TO '{w}/versions/aggregates/x.parquet' (FORMAT parquet)",
        "EXPLAIN ANALYZE INSERT INTO aggregates VALUES (2023, 'x', 'x', 'x', 1, 1)",
        "EXPLAIN ANALYZE DELETE FROM reports",
        f"COPY reports TO '{w}/stolen.csv'",
        "COPY reports TO '/tmp/etl-stolen.csv'",
        f"COPY (SELECT 1) TO '{w}/runs/fake.parquet' (FORMAT parquet)",
        "INSERT INTO aggregates VALUES (2023, 'x', 'x', 'x', 1, 1)",
        "UPDATE reports SET status = 'loaded'",
        "DELETE FROM reports",
        "DROP TABLE reports",
        "ALTER TABLE reports RENAME TO r2",
        "CREATE TABLE x AS SELECT 1",
        "CREATE VIEW reports2 AS SELECT 1",
        "CREATE TEMP TABLE t AS SELECT * FROM range(10)",
        "CREATE MACRO m() AS 1",
        "CREATE SECRET (TYPE s3, KEY_ID 'x', SECRET 'y')",
        "COMMENT ON TABLE reports IS 'x'",
        f"ATTACH '{w}/current/warehouse.duckdb' AS w2",
        "ATTACH ':memory:' AS m",
        "DETACH warehouse",
        "USE memory",
        "SET enable_external_access = true",
        "RESET lock_configuration",
        "SET memory_limit = '100GB'",
        "PRAGMA threads = 1",
        "INSTALL httpfs",
        "LOAD httpfs",
        "EXPORT DATABASE '/tmp/etl-export'",
        "IMPORT DATABASE '/tmp/etl-export'",
        "CHECKPOINT",
        "VACUUM",
        "BEGIN TRANSACTION; DELETE FROM reports; COMMIT",
        "SELECT 1; COPY reports TO '/tmp/etl-y.csv'",
        "CALL pragma_version(); DROP TABLE reports",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM read_blob('/etc/hostname')",
        f"SELECT * FROM read_text('{w}/current/snapshot.json')",
        f"SELECT * FROM read_parquet('{w}/versions/*/*/*/*.parquet')",
        "SELECT * FROM glob('/*')",
        "SELECT * FROM sniff_csv('/etc/passwd')",
        f"SELECT * FROM '{part}'",
        "SELECT * FROM query('COPY reports TO ''/tmp/etl-z.csv''')",
        "SELECT * FROM query('DELETE FROM reports')",
        "SELECT * FROM duckdb_secrets()",
    ]


def test_hostile_queries_are_refused_or_harmless(wh):
    before = fingerprint(wh)
    counts_before = query(wh, "SELECT count(*) FROM reports")
    refused = harmless = 0
    for q in hostile(wh):
        try:
            run_query(q, wh)
            harmless += 1
        except (ReadOnlyError, duckdb.Error):
            refused += 1
    assert refused + harmless == len(hostile(wh)) >= 40
    assert refused >= 40
    assert fingerprint(wh) == before
    assert query(wh, "SELECT count(*) FROM reports") == counts_before
    for stray in ("/tmp/etl-stolen.csv", "/tmp/etl-y.csv", "/tmp/etl-z.csv", "/tmp/etl-export"):
        assert not os.path.exists(stray)


def test_a_warehouse_under_duckdbs_default_temp_folder_is_still_read_only(tmp_path, monkeypatch):
    # DuckDB admits file operations into its temp directory even with external access off; its
    # default is ".tmp" under the working folder.  A warehouse kept there must stay unwritable.
    (tmp_path / ".tmp").mkdir()
    wh = build_warehouse(tmp_path / ".tmp", [({"file": "seed.txt", "agency_id": "nanxing",
                                              "year": 2023}, seed_report())])
    monkeypatch.chdir(tmp_path)
    before = fingerprint(wh)
    for q in hostile(wh)[:3] + [f"COPY reports TO '{wh}/stolen.csv'"]:
        with pytest.raises((ReadOnlyError, duckdb.Error)):
            run_query(q, wh)
    assert fingerprint(wh) == before
    assert not (wh / "stolen.csv").exists()


def test_a_session_cannot_unlock_itself(wh):
    con = connect_readonly(wh)
    try:
        assert con.execute("SELECT current_setting('enable_external_access')").fetchone() == (False,)
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access = true")
        with pytest.raises(duckdb.Error):
            con.execute("SET lock_configuration = false")
        with pytest.raises(duckdb.Error):
            con.execute("COPY reports TO '/tmp/etl-direct.csv'")
    finally:
        con.close()
    assert not os.path.exists("/tmp/etl-direct.csv")


def test_read_only_queries_work(wh):
    assert run_query("PIVOT (SELECT applicant, value FROM applications WHERE row_key = "
                     "'new_received') ON applicant USING sum(value)", wh)[1]
    assert run_query("DESCRIBE reports", wh)[1]
    assert run_query("SUMMARIZE aggregates", wh)[1]
    assert run_query("EXPLAIN SELECT * FROM reports", wh)[1]
    assert run_query("SELECT count(*) FROM runs", wh)[1] == [(1,)]
    with pytest.raises(ReadOnlyError):
        run_query("", wh)


def test_queries_have_a_time_limit(wh):
    settings = Settings.load({"query_timeout": 1})
    t0 = time.monotonic()
    with pytest.raises(QueryTimeout):
        run_query("SELECT sum(hash(range)) FROM range(1000000000000)", wh, settings)
    assert time.monotonic() - t0 < 20


def test_queries_have_a_memory_cap(wh):
    settings = Settings.load({"query_memory": "64MB"})
    con = connect_readonly(wh, settings)
    try:
        with pytest.raises(duckdb.OutOfMemoryException):
            execute(con, "SELECT list(range || 'padding padding padding') FROM range(20000000)",
                    settings.query_timeout)
    finally:
        con.close()


def test_settings_are_validated_where_they_enter():
    from etl.settings import SettingError

    for env in ({"ETL_PARSE_TIMEOUT": "inf"}, {"ETL_PARSE_TIMEOUT": "1e-6"},
                {"ETL_DUCKDB_MEMORY": "1GB'; COPY reports TO '/tmp/x"}, {"ETL_QUERY_MEMORY": "lots"},
                {"ETL_SHRINK_RATIO": "2"}, {"ETL_WORKERS": "0"}):
        with pytest.raises(SettingError) as e:
            Settings.load(environ=env)
        assert next(iter(env)) in str(e.value)
