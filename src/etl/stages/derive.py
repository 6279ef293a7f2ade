"""Stages 5 and 6 — validate and aggregate: the SQL of ``etl.checks`` and ``etl.aggregates`` over
the new snapshot, recomputed only for the years that can have changed.

The facts of year t decide its checks and, through the cross-year rules, those of year t+1;
aggregates of year t read its facts and its validation results.  So a run recomputes the derived
tables of the years it rewrote and the years after them, and links every other year's published
partitions.  A change to the rules or the aggregates themselves (their SQL, the template)
recomputes every year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from etl.code_digest import digest, module_file, source_files
from etl.killpoint import killpoint
from etl.stages import memory
from etl.stages.write import Written
from etl.template import CROSS_YEAR_RULES
from etl.warehouse import store
from etl.warehouse.schemas import SCHEMAS
from etl.warehouse.views import create_template_tables, create_views, register_functions


@lru_cache(maxsize=1)
def derived_version() -> str:
    """The rules, the aggregates and the template and views they read."""
    sql = (".sql", ".py")
    return "+".join((digest([*source_files("checks", suffixes=sql),
                             module_file("template/definitions.py"),
                             module_file("warehouse/views.py")]),
                     digest(source_files("aggregates", suffixes=sql))))


def years_to_derive(written: Written, previous: Path | None) -> set[int]:
    present = {y for y in written.years if y != 0}
    if not same_rules(previous):
        return present
    return {y for y in written.changed | {y + 1 for y in written.changed} if y in present}


def same_rules(previous: Path | None) -> bool:
    """The published snapshot's checks and aggregates were made by these rules."""
    return store.read_meta(previous).get("derived_version") == derived_version()


def _template(con: duckdb.DuckDBPyConnection) -> None:
    """What the SQL reads besides the views: once per stage (the views change with each year)."""
    create_template_tables(con)
    register_functions(con)


@dataclass
class Derived:
    years: set[int]                 # years recomputed
    issues_by_rule: dict[str, int]  # over the recomputed years
    reused: set[int] = field(default_factory=set)   # years whose single-year results were kept
    unchanged: set[int] = field(default_factory=set)    # ... and whose results did not move at all


def _link_others(snapshot: Path, previous: Path | None, table: str, years: set[int],
                 keep_years: set[int]) -> None:
    for y, vdir in store.partitions(previous, table).items():
        if y in keep_years and y not in years:
            store.link_partition(snapshot, table, y, vdir)


def _write_years(layout: store.Layout, run_id: str, snapshot: Path, table: str, tbl: pa.Table,
                 years: set[int]) -> None:
    for y in sorted(years):
        store.write_partition(layout, snapshot, run_id, table, y,
                              tbl.filter(pc.equal(tbl.column("year"), y)))


def _checks(con: duckdb.DuckDBPyConnection, snapshot: Path, year: int,
            rules: tuple[str, ...]) -> dict[str, pa.Table]:
    """The results and issues of ``rules`` for the reports of ``year``, with their identity.
    Rules about one report read that year's views only; the cross-year rules read the year
    before as well.

    On every DuckDB thread of the run: one thread cost ~7 % less CPU but 10-37 % more wall
    time (validate 13.4 s against 9.8-12.0 s at 100k reports on 2 quiet cores)."""
    from etl.checks import run_checks

    parts: dict[str, list[pa.Table]] = {"validation_results": [], "validation_issues": []}
    for rules_, years in ((tuple(r for r in rules if r not in CROSS_YEAR_RULES), {year}),
                          (tuple(r for r in rules if r in CROSS_YEAR_RULES), {year - 1, year})):
        if not rules_:
            continue
        create_views(con, snapshot, years)
        results, issues = run_checks(con, rules_, year)
        parts["validation_results"].append(results)
        parts["validation_issues"].append(issues)
    return {name: pa.concat_tables(tbls) for name, tbls in parts.items()}


def _published(previous: Path, table: str, year: int) -> pa.Table:
    import pyarrow.parquet as pq

    return pq.read_table(store.partitions(previous, table)[year] / "part-0.parquet")


def _with_kept(previous: Path, table: str, year: int, fresh: pa.Table) -> tuple[pa.Table, bool]:
    """``fresh`` (the cross-year rules' rows of ``year``) with the published rows of every
    other rule, and whether the whole equals the published partition (then it is linked, not
    written: the year's aggregates and the database's rows of it stay as they are)."""
    old = _published(previous, table, year)
    others = old.filter(pc.invert(pc.is_in(old.column("rule"), pa.array(sorted(CROSS_YEAR_RULES)))))
    schema = SCHEMAS[table]
    merged = pa.concat_tables([others.select(schema.names).cast(schema),
                               fresh.select(schema.names).cast(schema)])
    same = store.sort_table(table, merged).equals(old.select(schema.names).cast(schema))
    merged = merged.append_column("year", pa.array([year] * merged.num_rows, pa.int32()))
    return merged, same


def validate(layout: store.Layout, run_id: str, written: Written, previous: Path | None,
             years: set[int], con: duckdb.DuckDBPyConnection) -> Derived:
    """The checks of each year in ``years``, one year at a time (the views hold that year, and
    the one before for the cross-year rules): memory follows a year's reports, never the whole
    warehouse's.  A year recomputed only because the year before it changed (its own reports
    did not, nor the rules) can only see its cross-year results change: those are computed, the
    rest are the published ones; when nothing moved, the published partitions are linked."""
    from etl.checks import RULE_FILES

    keep = {y for y in written.years if y != 0}
    tables = ("validation_results", "validation_issues")
    for t in tables:
        _link_others(written.snapshot, previous, t, years, keep)
    rules_unchanged = same_rules(previous)
    by_rule: dict[str, int] = {}
    reused, unchanged = set(), set()
    _template(con)
    for y in sorted(years):
        kept = (previous is not None and rules_unchanged and y not in written.changed
                and all(y in store.partitions(previous, t) for t in tables))
        fresh = _checks(con, written.snapshot, y,
                        tuple(r for r in RULE_FILES if r in CROSS_YEAR_RULES) if kept else RULE_FILES)
        if kept:
            assert previous is not None
            merged = {t: _with_kept(previous, t, y, fresh[t]) for t in tables}
            fresh = {t: tbl for t, (tbl, _) in merged.items()}
            reused.add(y)
            if all(same for _, same in merged.values()):
                unchanged.add(y)
        for name, tbl in fresh.items():
            if y in unchanged:
                assert previous is not None
                store.link_partition(written.snapshot, name, y, store.partitions(previous, name)[y])
            else:
                _write_years(layout, run_id, written.snapshot, name, tbl, {y})
            killpoint("validate.partition_written")
            if name == "validation_issues":
                for r in tbl.column("rule").to_pylist():
                    by_rule[r] = by_rule.get(r, 0) + 1
        memory.release()        # one year's peak, not the sum of every year's leftovers
    killpoint("validate.done")
    return Derived(years, dict(sorted(by_rule.items())), reused, unchanged)


def years_to_aggregate(years: set[int], derived: Derived) -> set[int]:
    """A year's aggregates read its facts and its validation results: unchanged both, they are
    the published ones."""
    return years - derived.unchanged


#: The names aggregates.sql returns as ranks, by the kind aggregate_names files them under.
_RANKED = {"region_path": "region", "level": "level", "metric": "metric"}


def _names(con: duckdb.DuckDBPyConnection) -> dict[str, pa.Array]:
    """{kind: the names of aggregate_names by rank}"""
    return {kind: pa.array(values, pa.string()) for kind, values in con.sql(
        "SELECT kind, list(name ORDER BY rk) FROM aggregate_names GROUP BY kind").fetchall()}


def _named(names: dict[str, pa.Array], ranked: pa.RecordBatchReader) -> pa.RecordBatchReader:
    """The aggregates' batches with their names in place of the ranks."""
    fields = [pa.field(c, pa.string()) if c in _RANKED else ranked.schema.field(c)
              for c in ("year", "region_path", "level", "metric", "value", "n_reports")]

    def batches():
        for b in ranked:
            yield pa.RecordBatch.from_arrays(
                [pc.take(names[_RANKED[f.name]], b.column(f"{_RANKED[f.name]}_rk"))
                 if f.name in _RANKED else b.column(f.name) for f in fields], schema=pa.schema(fields))
    return pa.RecordBatchReader.from_batches(pa.schema(fields), batches())


def aggregate(layout: store.Layout, run_id: str, written: Written, previous: Path | None,
              years: set[int], con: duckdb.DuckDBPyConnection) -> int:
    """The aggregates of each year in ``years``, one year at a time, streamed into the file
    (a year has millions of region x level x metric rows at 100k reports).  The rows are
    summed and sorted by the ranks of their names (sort_key follows the file's sort keys), and
    the names put back batch by batch."""
    from etl.aggregates import aggregate_sql, sums_sql
    from etl.warehouse.schemas import SORT_KEYS

    assert SORT_KEYS["aggregates"] == tuple(_RANKED), "aggregates.sql's sort_key orders by these"
    keep = {y for y in written.years if y != 0}
    _link_others(written.snapshot, previous, "aggregates", years, keep)
    _template(con)
    for y in sorted(years):
        create_views(con, written.snapshot, {y})
        con.execute(sums_sql())
        names = _names(con)
        reader = _named(names, con.sql(f"SELECT * EXCLUDE (sort_key) FROM ({aggregate_sql().rstrip().rstrip(';')}) "
                                       f"WHERE year = $year ORDER BY sort_key",
                                       params={"year": y}).to_arrow_reader(store.STREAM_ROWS))
        store.stream_partition(layout, written.snapshot, run_id, "aggregates", y, reader)
        con.execute("DROP TABLE aggregate_printed; DROP TABLE aggregate_ancestors; "
                    "DROP TABLE aggregate_rates; DROP TABLE aggregate_names")
        memory.release()
    killpoint("aggregate.done")
    return len(years)
