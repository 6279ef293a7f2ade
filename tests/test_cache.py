"""The parse cache: one parse per key whatever happens to the segments (parsed twice, compacted,
a compaction cut short), and nothing stale after the parser changes."""

from __future__ import annotations

import shutil

import duckdb

from conftest import real_item, seed_report
from etl.stages.cache import ParseCache, SegmentRows, cache_key, parser_version


def _cells_per_key(cache: ParseCache) -> dict[str, int]:
    from etl.stages.resolve import cached_parses

    names = cache.whole_segments()
    keys = cache.keys(names)
    chosen = cached_parses(cache, keys)
    con = duckdb.connect()
    cache.register(con, "cells", names)
    out = {}
    for key, row in chosen.items():
        out[key] = con.execute("SELECT count(*) FROM cells WHERE parse_id = ?",
                               [row["parse_id"]]).fetchone()[0]
    return out


def _fill(cache: ParseCache, n_segments: int) -> None:
    reports = [seed_report(), real_item("006_huaian_hongze_district_2023")[1]]
    for i in range(n_segments):
        rows = SegmentRows()
        for j, rep in enumerate(reports):
            rows.add_parse(cache_key(f"r{(i + j) % 5}", None), f"r{(i + j) % 5}", rep,
                           parser_version())
        rows.write(cache.segments, f"s{i:03d}")


def test_compaction_keeps_one_parse_per_key(tmp_path):
    cache = ParseCache(tmp_path / "cache")
    _fill(cache, 12)                                # keys r0..r4, each parsed several times
    before = _cells_per_key(cache)
    assert len(before) == 5 and len(cache.whole_segments()) == 12
    assert cache.compact(min_segments=4) == 12
    assert len(cache.whole_segments()) == 1
    assert _cells_per_key(cache) == before


def test_a_compaction_cut_short_never_doubles_cells(tmp_path):
    cache = ParseCache(tmp_path / "cache")
    _fill(cache, 6)
    before = _cells_per_key(cache)
    saved = tmp_path / "saved"
    shutil.copytree(cache.segments, saved)
    cache.compact(min_segments=2)
    for f in saved.iterdir():                       # as if killed before deleting the old ones
        shutil.copy(f, cache.segments / f.name)
    assert len(cache.whole_segments()) == 7
    assert _cells_per_key(cache) == before


def test_compaction_drops_keys_no_file_has(tmp_path):
    cache = ParseCache(tmp_path / "cache")
    _fill(cache, 6)
    cache.compact(keep={cache_key("r1", None), cache_key("r2", None)}, min_segments=2)
    assert cache.keys(cache.whole_segments()) == {cache_key("r1", None), cache_key("r2", None)}


def test_a_damaged_segment_is_left_out(tmp_path):
    cache = ParseCache(tmp_path / "cache")
    _fill(cache, 3)
    (cache.segments / "s001.cells.parquet").write_bytes(b"not parquet")
    assert cache.whole_segments() == ["s000", "s002"]


def test_the_parser_version_covers_the_parser_code():
    v = parser_version()
    assert "+" in v and len(v.split("+")[1]) == 10


def test_a_few_live_segments_are_not_merged(tmp_path):
    """A first run's segments (few, every parse live) stay as they are: merging them would cost
    more than it saves."""
    cache = ParseCache(tmp_path / "cache")
    _fill(cache, 3)
    live = cache.keys(cache.whole_segments())
    assert cache.compact(keep=live) == 0
    assert len(cache.whole_segments()) == 3


def test_segments_mostly_dead_are_merged_however_few(tmp_path):
    cache = ParseCache(tmp_path / "cache")
    _fill(cache, 3)                                 # 6 parses
    assert cache.parses(cache.whole_segments()) == 6
    assert cache.compact(keep={cache_key("r1", None)}) == 3
    assert cache.keys(cache.whole_segments()) == {cache_key("r1", None)}


def test_a_batch_is_cut_into_a_chunk_per_worker_at_least():
    from etl.stages.parse import CHUNK, chunks

    files = list(range(7))
    assert [len(c) for c in chunks(files, 2)] == [4, 3]          # type: ignore[arg-type]
    big = list(range(3 * CHUNK + 1))
    cut = chunks(big, 2)                                         # type: ignore[arg-type]
    assert max(map(len, cut)) == CHUNK and sum(cut, []) == big


def test_year_ranges_come_from_the_footers_and_name_every_segment_a_year_may_be_in(tmp_path):
    import copy

    from etl.errors import ReportError

    cache = ParseCache(tmp_path / "cache")

    def segment(name: str, years: list, failed: bool = False) -> None:
        rows = SegmentRows()
        for i, y in enumerate(years):
            rep = copy.deepcopy(seed_report())
            rep.year = y
            rows.add_parse(cache_key(f"{name}{i}", y), f"{name}{i}", rep, parser_version())
        if failed:
            rows.add_parse(cache_key(f"{name}x", None), f"{name}x", ReportError("parse_failed", "x"),
                           parser_version())
        rows.write(cache.segments, name)

    segment("a", [2021, 2021])
    segment("b", [2021, 2023])
    segment("c", [None])                            # a year the parse could not tell: NULL
    segment("d", [], failed=True)                   # no cells at all
    names = cache.whole_segments()
    assert cache.year_ranges("cells", names) == {"a": (2021, 2021), "b": (2021, 2023)}
    assert cache.year_ranges("prose", names) == {}  # the seed report states no prose figure
    con = duckdb.connect()
    for year in (2021, 2022, 2023):                 # the segments named hold every row of the year
        ranges = cache.year_ranges("cells", names)
        cache.register(con, "cells", names)
        everything = con.execute("SELECT count(*) FROM cells WHERE year = ?", [year]).fetchall()[0][0]
        cache.register(con, "cells", [n for n, r in ranges.items() if r is None or r[0] <= year <= r[1]])
        assert con.execute("SELECT count(*) FROM cells WHERE year = ?", [year]).fetchall()[0][0] == everything


def test_batches_stay_few_and_of_one_year_however_many_files():
    """A flow task per batch: the count is bounded (each costs Prefect's server CPU while the
    workers parse), every file is in exactly one batch, and a batch names its one year."""
    from etl.stages.discover import SourceFile
    from etl.stages.parse import MAX_BATCHES, MIN_BATCH, plan_batches

    years = [2019, 2020, 2021, 2022, 2023, None]
    files = [SourceFile(f"/r/{i}", f"{i}.txt", 1,
                        {"year": str(years[i % 6])} if years[i % 6] else {})
             for i in range(100_003)]
    batches = plan_batches(files)
    assert len(batches) <= MAX_BATCHES + len(years)
    assert sorted(f.rel for b in batches for f in b.files) == sorted(f.rel for f in files)
    for b in batches:
        assert {f.manifest_year for f in b.files} == {None if b.label == "unknown year" else int(b.label)}
        assert b.name.startswith(f"parse {b.label} batch {b.number}/{b.of}")
    few = plan_batches(files[:MIN_BATCH * 3])
    assert all(len(b.files) <= MIN_BATCH for b in few) and len(few) == len(years)
