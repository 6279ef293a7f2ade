"""The published warehouse is sacred: a run that fails before its swap leaves it byte for byte; a
failure after the swap cannot take it away; a full disk, an empty raw folder, a shrunken one, a
second writer and the leftovers of killed runs are all handled — each broken here on purpose."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import make_raw, nightly_flow, query
from etl.warehouse.store import Layout

pytestmark = pytest.mark.flow


def run_state(raw, wh, **kw):
    return nightly_flow().nightly(raw=str(raw), warehouse=str(wh), return_state=True, **kw)


def published(wh: Path) -> dict[str, str]:
    """What readers see: the current snapshot's files, the entry links."""
    layout = Layout.at(wh)
    snap = layout.current_snapshot()
    out = {"current": os.readlink(layout.current), "warehouse.duckdb": os.readlink(layout.duckdb)}
    for dirpath, dirnames, filenames in os.walk(snap, followlinks=True):
        for name in filenames:
            p = Path(dirpath) / name
            out[str(p.relative_to(snap))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture()
def good(prefect_harness, tmp_path):
    raw = make_raw(tmp_path)
    wh = tmp_path / "wh"
    assert run_state(raw, wh).is_completed()
    return raw, wh


def _change(raw: Path) -> None:
    p = raw / "007_huaian_hongze_district_2024.txt"
    p.write_text(p.read_text("utf-8").replace("信息公开申请17件", "信息公开申请95件"), "utf-8")


@pytest.mark.parametrize("stage", ["etl.stages.derive.aggregate",
                                   "etl.stages.publish.build_snapshot_database",
                                   "etl.warehouse.store.sync_tree"])
def test_failure_before_the_swap_leaves_the_warehouse_as_it_was(good, monkeypatch, stage):
    raw, wh = good
    before = published(wh)
    _change(raw)
    module, name = stage.rsplit(".", 1)

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(__import__(module, fromlist=[name]), name, boom)
    state = run_state(raw, wh)
    assert state.is_failed()
    assert published(wh) == before
    layout = Layout.at(wh)
    assert [p.name for p in layout.snapshots.iterdir()] == [layout.current_snapshot().name]
    assert not any((wh / ".staging").iterdir())
    status, error = query(wh, "SELECT status, error FROM runs ORDER BY started_at")[-1]
    assert status == "failed" and "No space left" in error


def test_failure_after_the_swap_keeps_the_new_warehouse(good, monkeypatch):
    """Issue 8.1: the clean-up of a failure after the swap deleted the published snapshot."""
    raw, wh = good
    _change(raw)
    (wh / "warehouse.duckdb.tmp").mkdir()          # the original reproduction
    import etl.stages.publish as publish
    import etl.warehouse.store as store

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish, "record_run", boom)
    monkeypatch.setattr(store, "collect_garbage", boom)
    state = run_state(raw, wh)
    assert state.is_completed(), state.message
    assert query(wh, "SELECT count(*) > 0 FROM reports") == [(True,)]
    assert query(wh, "SELECT count(*) FROM validation_issues WHERE year = 2024 "
                     "AND rule = 'prose_vs_table'") == [(0,)]
    monkeypatch.undo()
    # the next run completes the log from the snapshot and tidies up
    assert run_state(raw, wh).is_completed()
    assert [s for (s,) in query(wh, "SELECT status FROM runs ORDER BY started_at")] == \
        ["completed", "completed", "unchanged"]
    assert not (wh / "warehouse.duckdb.tmp").exists()


def test_the_discard_refuses_the_published_snapshot(good):
    from etl.warehouse.store import discard

    _, wh = good
    layout = Layout.at(wh)
    with pytest.raises(RuntimeError, match="refusing"):
        discard(layout, layout.current_snapshot().name)
    assert query(wh, "SELECT count(*) > 0 FROM reports") == [(True,)]


def test_empty_or_shrunken_raw_folder_is_refused(good, tmp_path):
    raw, wh = good
    before = published(wh)
    empty = tmp_path / "empty"
    empty.mkdir()
    state = run_state(empty, wh)
    assert state.is_failed() and "no report files" in state.message.lower() + _exc(state)
    assert published(wh) == before
    half = tmp_path / "half"
    shutil.copytree(raw, half)
    for p in ("006_huaian_hongze_district_2023.txt", "007_huaian_hongze_district_2024.txt",
              "000_0ef24cf9c99c7ecf.txt", "sub/011_pingtan_2021.txt", "broken/notes.txt"):
        (half / p).unlink()
    state = run_state(half, wh)
    assert state.is_failed() and "allow-shrink" in _exc(state)
    assert published(wh) == before
    assert query(wh, "SELECT status FROM runs ORDER BY started_at")[-2:] == [("refused",), ("refused",)]
    # told to: it publishes
    assert run_state(half, wh, allow_shrink=True).is_completed()
    assert query(wh, "SELECT count(*) FROM reports") == [(3,)]


def test_a_second_writer_fails_fast(good):
    raw, wh = good
    with open(wh / ".writer.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        state = run_state(raw, wh)
    assert state.is_failed() and "another run holds" in _exc(state)


def test_leftovers_of_killed_runs_are_swept(good):
    raw, wh = good
    layout = Layout.at(wh)
    (wh / ".staging" / "20990101T000000000000Z-dead00" / "spill").mkdir(parents=True)
    (layout.snapshots / "20990101T000000000000Z-dead00" / "reports").mkdir(parents=True)
    (layout.versions / "applications" / "year=2023" / "20990101T000000000000Z-dead00").mkdir(parents=True)
    (layout.versions / "applications" / "year=2023" / "20990101T000000000000Z-dead00" /
     "part-0.parquet").write_bytes(b"x" * 10_000)
    _change(raw)
    assert run_state(raw, wh).is_completed()
    assert not (layout.snapshots / "20990101T000000000000Z-dead00").exists()
    assert not (layout.versions / "applications" / "year=2023" / "20990101T000000000000Z-dead00").exists()
    assert not any((wh / ".staging").iterdir())


def test_full_disk_during_publish(prefect_harness, tmp_path):
    """A real full disk (a small tmpfs): the run fails, the warehouse before it stays whole and
    queryable; with space again the next run succeeds."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        raw = make_raw(tmp_path)
        wh = mnt / "wh"
        assert run_state(raw, wh).is_completed()
        before = published(wh)
        _change(raw)
        st = os.statvfs(mnt)
        filler = mnt / "filler"
        with open(filler, "wb") as fh:          # leave ~300 KB: the run starts, then fills it
            fh.write(b"\0" * max(0, st.f_bavail * st.f_frsize - 300_000))
        state = run_state(raw, wh)
        assert state.is_failed()
        assert published(wh) == before
        assert query(wh, "SELECT count(*) > 0 FROM applications") == [(True,)]
        filler.unlink()
        assert run_state(raw, wh).is_completed()
        assert query(wh, "SELECT count(*) FROM validation_issues WHERE year = 2024 "
                         "AND rule = 'prose_vs_table'") == [(0,)]
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _exc(state) -> str:
    try:
        state.result()
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return ""
