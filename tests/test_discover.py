"""Discovery: manifests at any depth, and everything under the raw folder that is not a report
becomes one entry with a reason — never a hang, never a crash."""

from __future__ import annotations

import os
import shutil
import threading

from conftest import FIXTURES, make_raw
from etl.stages.discover import discover, read_manifest


def test_manifests_at_any_depth(tmp_path):
    raw = make_raw(tmp_path)
    files = {f.rel: f for f in discover(raw).files}
    assert "truth/x.json" not in files and "manifest.csv" not in files
    assert files["sub/011_pingtan_2021.txt"].manifest["agency_id"] == "pingtan"
    assert files["deep/er/013_pingtan_2023.txt"].manifest_year == 2023     # deeper manifest
    assert files["broken/empty.txt"].manifest == {}
    assert list(files) == sorted(files)
    only_2024 = [f.rel for f in discover(raw, 2024).files]
    # manifest says another year -> skipped; no manifest year -> kept (must be parsed to know)
    assert "007_huaian_hongze_district_2024.txt" in only_2024
    assert "006_huaian_hongze_district_2023.txt" not in only_2024
    assert "broken/empty.txt" in only_2024


def test_special_files_become_entries_with_reasons(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(FIXTURES / "000_0ef24cf9c99c7ecf.txt", raw / "good.txt")
    os.mkfifo(raw / "pipe.txt")                              # would block a plain open()
    os.symlink(raw / "nowhere.txt", raw / "dangling.txt")
    os.symlink("loop_b.txt", raw / "loop_a.txt")
    os.symlink("loop_a.txt", raw / "loop_b.txt")
    (raw / "d").mkdir()
    os.symlink("..", raw / "d" / "up")                        # a folder loop
    inv = _with_deadline(lambda: discover(raw), 10)
    assert [f.rel for f in inv.files] == ["good.txt"]
    reasons = {s.rel: s.reason for s in inv.skipped}
    assert reasons == {"pipe.txt": "not_a_regular_file", "dangling.txt": "broken_link",
                       "loop_a.txt": "broken_link", "loop_b.txt": "broken_link"}


def test_file_name_that_is_not_utf8_is_read_and_shown(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    gbk = "南星街道2023年报告.txt".encode("gb18030")
    with open(os.path.join(os.fsencode(raw), gbk), "wb") as fh:
        fh.write((FIXTURES / "000_0ef24cf9c99c7ecf.txt").read_bytes())
    junk = b"\xff\xfe\xfa.txt"
    with open(os.path.join(os.fsencode(raw), junk), "wb") as fh:
        fh.write(b"x")
    inv = discover(raw)
    by_rel = {f.rel: f for f in inv.files}
    assert "南星街道2023年报告.txt" in by_rel                 # what Chinese Windows zips hold
    assert any("GB 18030" in w for w in by_rel["南星街道2023年报告.txt"].warnings)
    (escaped,) = [r for r in by_rel if r.endswith(".txt") and "\\x" in r]
    assert os.path.exists(by_rel[escaped].path)              # still opened by its real name
    assert isinstance(by_rel[escaped].path, bytes)


def test_bad_manifests_are_entries_and_bad_values_are_dropped(tmp_path):
    raw = make_raw(tmp_path)
    (raw / "sub" / "manifest.csv").write_bytes(b"\xff\xfe\x00garbage")
    inv = discover(raw)
    assert ("sub/manifest.csv", "bad_manifest") in {(s.rel, s.reason) for s in inv.skipped}
    assert {f.rel for f in inv.files} >= {"sub/011_pingtan_2021.txt"}
    rows, warnings = read_manifest("file,year\na.txt,1800\n../../etc/passwd,2023\nb.txt,2023\n".encode())
    assert rows["a.txt"].get("year") is None and "1800" in rows["a.txt"]["_warning"]
    assert "../../etc/passwd" not in rows and rows["b.txt"]["year"] == "2023"
    assert any("outside" in w for w in warnings)


def test_the_warehouse_folder_is_never_read_back(tmp_path):
    raw = make_raw(tmp_path)
    (raw / "wh" / "versions").mkdir(parents=True)
    (raw / "wh" / "versions" / "x.txt").write_text("x", "utf-8")
    inv = discover(raw, exclude=(raw / "wh",))
    assert not any(f.rel.startswith("wh/") for f in inv.files)


def _with_deadline(fn, seconds):
    out, err = [], []
    t = threading.Thread(target=lambda: _run(fn, out, err), daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"discovery still running after {seconds} s"
    if err:
        raise err[0]
    return out[0]


def _run(fn, out, err):
    try:
        out.append(fn())
    except BaseException as e:
        err.append(e)


def test_a_walk_begun_in_the_background_is_the_same_walk_and_a_failed_one_is_none(tmp_path):
    from concurrent.futures import Future

    from etl.stages.discover import in_background, result_or_none

    raw = make_raw(tmp_path)
    assert result_or_none(in_background(raw, 2023, ())) == discover(raw, 2023)
    failed: Future = Future()
    failed.set_exception(OSError("the raw folder's disk went away"))
    assert result_or_none(failed) is None           # the discover task then walks again
    assert result_or_none(None) is None
