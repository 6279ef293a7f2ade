"""The write stage's fact partitions: the declared schema, rows in the table's sort order, each
row with its own report's identity — the same files whatever the chunk and batch sizes."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from conftest import add_prose, build_warehouse, seed_report, set_cell, variant
from etl.stages import write
from etl.warehouse import store
from etl.warehouse.schemas import SCHEMAS

FACTS = ("applications", "active_disclosure", "review_litigation", "prose_figures")


def _items() -> list:
    """Five reports of 2023, each with its own count in one cell; the files sort in the
    reverse order of the report ids (the ids begin with the item's number)."""
    items = []
    for i, name in enumerate("edcba"):
        rep = set_cell(variant(seed_report()), "3", "new_received", "commercial", 10 + i)
        add_prose(add_prose(rep, "review_total", i, "行政复议 N 件"), "applications_received", 10 + i)
        items.append(({"file": f"{name}.txt", "agency_id": f"ag{i}", "agency": f"机关{i}",
                       "year": 2023, "level": "street", "region_path": f"浙江省/杭州市/区{i}"}, rep))
    return items


def _partition(wh, table: str):
    return store.Layout.at(wh).current / table / "year=2023" / "part-0.parquet"


def test_fact_rows_sorted_with_their_own_identity_whatever_the_chunks(tmp_path, monkeypatch):
    whole = build_warehouse(tmp_path, _items(), "whole")
    monkeypatch.setattr(write, "CHUNK_ROWS", 100)      # about one report's table 三 per chunk
    monkeypatch.setattr(store, "STREAM_ROWS", 64)
    chunked = build_warehouse(tmp_path, _items(), "chunked")
    for t in FACTS:
        f, g = _partition(whole, t), _partition(chunked, t)
        assert pq.read_schema(f).remove_metadata().equals(SCHEMAS[t]), t
        rows = pq.read_table(f)
        assert rows.num_rows >= 5, t
        assert rows.equals(store.sort_table(t, rows)), t          # in SORT_KEYS order
        assert pq.read_table(g).equals(rows), t                    # chunks change nothing
        if rows.num_rows > 64:
            assert pq.ParquetFile(g).metadata.num_row_groups > 1, t
    cells = pq.read_table(_partition(whole, "applications")).to_pylist()
    assert len({r["report_id"] for r in cells}) == 5
    for r in cells:
        i = int(r["report_id"][:4])
        assert (r["agency_id"], r["agency"], r["region_path"], r["status"]) == \
            (f"ag{i}", f"机关{i}", f"浙江省/杭州市/区{i}", "loaded"), r
        if (r["row_key"], r["applicant"]) == ("new_received", "commercial"):
            assert r["value"] == 10 + i, r


def test_batches_written_beside_keep_their_order_and_a_writer_error_stops_the_stream():
    done: list[int] = []
    with store._beside(done.append) as put:
        for i in range(200):
            put(i)
    assert done == list(range(200))

    def fail_at_3(i: int) -> None:
        if i == 3:
            raise OSError("disk full")
        done.append(i)

    done.clear()
    made = []
    with pytest.raises(OSError, match="disk full"):
        with store._beside(fail_at_3) as put:
            for i in range(1000):
                made.append(i)
                put(i)
    assert done == [0, 1, 2] and len(made) < 1000       # the stream stopped, nothing after 3
