"""What the report site reads from the warehouse: bulk queries over the contract views, shaped
for rendering.  Everything heavy is aggregated in DuckDB (one row per report or per region),
because the site is rebuilt every night at up to 100k reports: a report's 175 cells of table 三
come back as ONE string of tokens, not as 175 Python objects, and every table is scanned once.

All queries bind their parameters; nothing from the warehouse is pasted into SQL.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

import duckdb

from etl.template import SECTION2, SECTION3_COLUMN_KEYS, SECTION3_ROW_KEYS, SECTION4_KEYS

# --- where things live in the site ------------------------------------------------------------

_REPORT_ID = re.compile(r"^[0-9a-f]{8,64}$")


def agency_file_key(agency_key: str | None, report_id: str) -> str:
    """The key that groups a report's card with the agency's other years (a report without a
    known agency is its own group)."""
    return agency_key or f"report:{report_id}"


def agency_path(agency_key: str | None, report_id: str) -> str:
    """The page holding an agency's report cards (all its years), relative to the site root:
    named by a hash of the agency key, so no document text ever becomes a path."""
    return page_of_key(agency_file_key(agency_key, report_id))


@lru_cache(maxsize=32768)
def page_of_key(file_key: str) -> str:
    h = hashlib.sha1(file_key.encode("utf-8")).hexdigest()
    return f"cards/{h[:2]}/{h[2:14]}.html"


def card_anchor(report_id: str) -> str:
    return "r" + (report_id if _REPORT_ID.match(report_id or "") else
                  hashlib.sha256(str(report_id).encode()).hexdigest()[:16])


def card_path(agency_key: str | None, report_id: str) -> str:
    """Link to one report card (one agency-year): the agency's page, at the card."""
    return f"{agency_path(agency_key, report_id)}#{card_anchor(report_id)}"


@lru_cache(maxsize=8192)
def region_path_file(path: str) -> str:
    """The page of a region node, relative to the site root; ``""`` is the all-regions root."""
    if not path:
        return "regions/all.html"
    return f"regions/{hashlib.sha1(path.encode('utf-8')).hexdigest()[:12]}.html"


def has_column(con: duckdb.DuckDBPyConnection, view: str, column: str) -> bool:
    return any(r[0] == column for r in con.execute(f"DESCRIBE {view}").fetchall())


def raw_root(con: duckdb.DuckDBPyConnection) -> str | None:
    """The raw root of the latest completed run (source files are relative to it)."""
    try:
        row = con.execute("SELECT raw_root FROM runs WHERE status = 'completed' "
                          "ORDER BY started_at DESC LIMIT 1").fetchall()
    except duckdb.Error:
        return None
    return row[0][0] if row else None


# --- cell tokens ------------------------------------------------------------------------------
# A report's cells of one table travel as ONE string of tokens joined by "\x1f".  A token is
# the cell's position as one character (chr(_POS_BASE + pos)) followed by: the number for state
# number, "" for blank, "i<number>" for inferred, "a" for absent, "x" for anything else (dash,
# text, unknown, corrected, …), whose raw text, note and original value are read apart.  The
# tokens come unordered (an ordered string_agg costs DuckDB twice as much); Python sorts them by
# their position character.  The position characters stay below 256 (Python then holds the
# string one byte per character, and a character of it is a shared object).

_TOKEN = """CASE f.state
    WHEN 'number' THEN {v}
    WHEN 'blank' THEN ''
    WHEN 'inferred' THEN 'i' || {v}
    WHEN 'absent' THEN 'a'
    ELSE 'x' END"""
_SIMPLE_STATES = "('number', 'blank', 'inferred', 'absent')"

# Position of a cell in its table: table 三 row-major over the template's 25 x 7, table 四 the
# 15 keys in printed order, table 二 the (category, metric) pairs of both versions numbered.
S3_POS = {(r, c): i * len(SECTION3_COLUMN_KEYS) + j
          for i, r in enumerate(SECTION3_ROW_KEYS) for j, c in enumerate(SECTION3_COLUMN_KEYS)}
S4_POS = {k: i for i, k in enumerate(SECTION4_KEYS)}
S2_POS: dict[tuple[str, str], int] = {}
for _tables in SECTION2.values():
    for _t in _tables:
        for _c in _t.categories:
            for _m in _t.metrics:
                S2_POS.setdefault((_c.key, _m.key), len(S2_POS))


@dataclass(slots=True)
class CellSpecial:
    state: str
    value: float | int | None
    raw: str | None
    note: str | None
    original: float | int | None


@dataclass(slots=True)
class Cells:
    """A report's cells of one table: ``tokens[pos]`` (None = the report has no such cell) and
    the specials (token "x") by pos."""
    tokens: list[str | None]
    specials: dict[int, CellSpecial] = field(default_factory=dict)


_POS_BASE = 0x50
_SEP = "\x1f"                # between tokens: neither a position nor in a number
assert _POS_BASE + max(len(S2_POS), len(S3_POS), len(S4_POS)) <= 0x100
_STRIP = itemgetter(slice(1, None))         # a token without its position character
_HEAD = itemgetter(0)
#: (table size, the position characters a report has) -> gathers its tokens into table order
_GATHER: dict[tuple[int, str], itemgetter] = {}


def _cells(size: int, tokens: str | None, specials: dict[int, CellSpecial] | None) -> Cells:
    parts = tokens.split(_SEP) if tokens else []
    parts.sort()                    # by position
    if len(parts) == size:          # every cell of the table: sorted = in printed order
        return Cells(list(map(_STRIP, parts)), specials or {})
    # some cells missing (e.g. 2021-only rows of a 2019 report): the few layouts reports have
    # are gathered by one itemgetter each, None where a cell is missing
    heads = "".join(map(_HEAD, parts))
    gather = _GATHER.get((size, heads))
    if gather is None:
        at = {ord(h) - _POS_BASE: i for i, h in enumerate(heads)}
        gather = itemgetter(*(at.get(p, len(parts)) for p in range(size)))
        if len(_GATHER) < 1024:
            _GATHER[size, heads] = gather
    return Cells(list(gather([*map(_STRIP, parts), None])), specials or {})


def _position_cte(keys: tuple[str, ...], positions: dict) -> tuple[str, dict]:
    """A CTE ``p`` with the position character (``pc``) of every cell of a table, from bound
    lists (no temp objects: the connection may be a read-only one with its configuration
    locked)."""
    cols = [list(positions)] if len(keys) == 1 else [list(c) for c in zip(*positions)]
    params = {f"k{i}": c for i, c in enumerate(cols)} | {
        "pc": [chr(_POS_BASE + p) for p in positions.values()]}
    sql = ", ".join(f"unnest($k{i}) AS {k}" for i, k in enumerate(keys))
    return f"p AS (SELECT {sql}, unnest($pc) AS pc)", params


def _original(con, view: str) -> str:
    """``original_value`` when the warehouse has corrections, else NULL (older warehouses)."""
    return "f.original_value" if has_column(con, view, "original_value") else "NULL"


# --- report cards -----------------------------------------------------------------------------

@dataclass(slots=True)
class CardReport:
    report_id: str
    year: int
    agency_id: str | None
    agency: str | None
    agency_key: str | None
    region_path: str | None
    level: str | None
    template: str | None
    source_file: str | None
    format: str | None
    published: object
    source_url: str | None
    title: str | None
    status: str
    error_detail: str | None
    warnings: str | None
    s2: Cells
    s3: Cells
    s4: Cells
    checks: list[tuple[str, str, str | None]]  # checks not passed: (rule, status, reason), by rule
    passed: str | None          # the rules passed, joined by "," (in no order)
    issues: list[tuple]         # (rule, severity, cells, formula, expected, actual, delta, message)
    prose: list[tuple]          # (key, value, text, source)


#: The reports' columns a card shows: the first fields of CardReport, in its order.
_REPORT_COLS = tuple(f.name for f in fields(CardReport))[:16]


_FILE_KEY = "coalesce(agency_key, 'report:' || report_id)"


def _card_reports(also: str = "TRUE") -> str:
    """The reports with a card (one row per report_id), those matching ``also`` — a condition
    on report_id only: the window partitions by it, so a report's rows are kept or dropped
    together and a filtered query does not rank every report of the warehouse."""
    return f"""
    SELECT {", ".join(_REPORT_COLS)}, parser_version FROM reports
    WHERE status IN ('loaded', 'superseded') AND year IS NOT NULL AND ({also})
    QUALIFY row_number() OVER (PARTITION BY report_id
                               ORDER BY status = 'loaded' DESC, source_file) = 1"""


def agency_fingerprints(con: duckdb.DuckDBPyConnection, salt: str) -> dict[str, str]:
    """Per agency page (file key): a digest of everything its cards show — each report's row,
    a hash of every one of its cells (value, state, raw text, note, original value), its check
    results, issues and prose figures — plus ``salt`` (the rendering code and the source root).
    Equal digests, equal pages: the page can be reused instead of rendered.  Per report the
    rows of a table are combined order-free (xor of their hashes, with their count); costs one
    hashing scan of each table, no text leaves DuckDB."""
    cells = []
    for view, keys in (("applications", "row_key, applicant"),
                       ("review_litigation", "key"), ("active_disclosure", "category, metric")):
        orig = "original_value" if has_column(con, view, "original_value") else "NULL"
        cells.append(f"SELECT report_id, hash({keys}, value, state, raw, note, {orig}) AS h "
                     f"FROM {view}")
    # The report's row enters as its md5, taken before the window picks one row per report:
    # the window then holds four narrow columns, not the reports' texts (which took ~200 MB).
    rows = con.execute(f"""
        WITH r AS (
            SELECT report_id, k, row_md5 FROM (
                SELECT report_id, {_FILE_KEY} AS k, status, source_file,
                       md5(to_json(struct_pack({", ".join(f"{c} := {c}" for c in _REPORT_COLS)},
                                               parser_version := parser_version))) AS row_md5
                FROM reports WHERE status IN ('loaded', 'superseded') AND year IS NOT NULL)
            QUALIFY row_number() OVER (PARTITION BY report_id
                                       ORDER BY status = 'loaded' DESC, source_file) = 1),
        c AS (SELECT report_id, bit_xor(h) AS h, count(*) AS n
              FROM ({" UNION ALL ".join(cells)}) GROUP BY report_id),
        res AS (SELECT report_id, bit_xor(hash(rule, status, reason)) AS h, count(*) AS n
                FROM validation_results GROUP BY report_id),
        iss AS (SELECT report_id, bit_xor(hash(rule, severity, cells, formula, expected, actual,
                                               delta, message)) AS h, count(*) AS n
                FROM validation_issues GROUP BY report_id),
        pr AS (SELECT report_id, bit_xor(hash(key, value, text, source)) AS h, count(*) AS n
               FROM prose_figures GROUP BY report_id),
        -- A digest per report, combined per agency order-free (xor of the two halves of each
        -- report's md5, with their count): an ordered aggregate keeps a sort per group, which
        -- at 14k agencies overflowed any memory limit.
        per_report AS (
            SELECT k, to_json(struct_pack(r := row_md5, c := c.h, n := c.n, res := res.h,
                       res_n := res.n, iss := iss.h, iss_n := iss.n, pr := pr.h,
                       pr_n := pr.n)) AS j
            FROM r LEFT JOIN c USING (report_id) LEFT JOIN res USING (report_id)
            LEFT JOIN iss USING (report_id) LEFT JOIN pr USING (report_id))
        SELECT k, md5(concat_ws('|', $salt, bit_xor(md5_number_upper(j)),
                                bit_xor(md5_number_lower(j)), count(*)))
        FROM per_report GROUP BY k""", {"salt": salt}).fetchall()
    return dict(rows)


def iter_agency_cards(con: duckdb.DuckDBPyConnection, report_ids: list[str] | None = None):
    """Yield the cards of one agency at a time (its reports with cells, loaded or superseded,
    by year); ``report_ids``: just these reports (whole agencies: the caller passes every report
    of an agency page it renders).  A few queries one after another, each scanning one table
    once and aggregating its rows per report in DuckDB; DuckDB holds the result of one of them
    at a time, so a batch can be large (each scan of a table costs the same for 100 reports as
    for 10,000).  Byte-identical copies share a report_id: one card."""
    if report_ids is None:
        ids, params = "TRUE", {}
    else:
        ids, params = "report_id IN (SELECT unnest($ids::VARCHAR[]))", {"ids": list(report_ids)}
    # One thread: the per-report lists are aggregated in hash tables that cannot spill, one set
    # per thread (with every core at work they overflowed the workers' memory limit).  A
    # session whose configuration is locked — `etl report` on a published warehouse, under
    # ETL_QUERY_MEMORY — keeps its own.
    threads, locked = con.execute("SELECT current_setting('threads'), "
                                  "current_setting('lock_configuration')").fetchone() or (1, True)
    if not locked:
        con.execute("SET threads = 1")
    try:
        reports = con.execute(f"""
            SELECT {", ".join(_REPORT_COLS)} FROM ({_card_reports(ids)})
            ORDER BY {_FILE_KEY}, year, status <> 'loaded', report_id""", params).fetchall()
        (t2, x2), (t3, x3), (t4, x4) = (_section(con, name, ids, params)
                                        for name in ("s2", "s3", "s4"))
        passed = dict(con.execute(f"""
            SELECT report_id, string_agg(rule, ',') FROM validation_results
            WHERE status = 'passed' AND {ids} GROUP BY report_id""", params).fetchall())
        checks = _by_report(con, f"""
            SELECT report_id, rule, status, reason FROM validation_results
            WHERE status <> 'passed' AND {ids} ORDER BY report_id, rule, status, reason""",
                            params)
        issues = _by_report(con, f"""
            SELECT report_id, rule, severity, cells, formula, expected, actual, delta, message
            FROM validation_issues WHERE {ids}
            ORDER BY report_id, severity, rule, cells, formula, expected, actual, delta,
                     message""", params)
        prose = _prose(con, ids, params)
    finally:
        if not locked:
            con.execute(f"SET threads = {int(threads)}")
    group: list[CardReport] = []
    key = None
    n2, n3, n4 = len(S2_POS), len(S3_POS), len(S4_POS)
    for (rid, year, agency_id, agency, agency_key, region_path, level, template, source_file,
         fmt, published, source_url, title, status, error_detail, warnings) in reports:
        rep = CardReport(rid, year, agency_id, agency, agency_key, region_path, level, template,
                         source_file, fmt, published, source_url, title, status, error_detail,
                         warnings, _cells(n2, t2.get(rid), x2.get(rid)),
                         _cells(n3, t3.get(rid), x3.get(rid)), _cells(n4, t4.get(rid), x4.get(rid)),
                         checks.get(rid, []), passed.get(rid), issues.get(rid, []),
                         prose.get(rid, []))
        k = agency_file_key(rep.agency_key, rid)
        if k != key and group:
            yield group
            group = []
        key = k
        group.append(rep)
    if group:
        yield group


def _by_report(con, sql: str, params: dict) -> dict[str, list[tuple]]:
    """report_id -> its rows (without the report_id), of a query whose rows start with the
    report_id and come ordered by it: flat rows cost Python a third of lists of structs."""
    rows = con.execute(sql, params).fetchall()
    return {rid: [r[1:] for r in group] for rid, group in groupby(rows, itemgetter(0))}


#: The cell tables of a card: (view, key columns, their positions, the value as text).
_SECTIONS: dict[str, tuple[str, tuple[str, ...], dict, str]] = {
    "s2": ("active_disclosure", ("category", "metric"), S2_POS,
           "CASE WHEN f.value = trunc(f.value) THEN f.value::BIGINT::VARCHAR "
           "ELSE f.value::VARCHAR END"),
    "s3": ("applications", ("row_key", "applicant"), S3_POS, "f.value::VARCHAR"),
    "s4": ("review_litigation", ("key",), S4_POS, "f.value::VARCHAR"),
}


def _prose(con, ids: str, params: dict) -> dict[str, list[tuple]]:
    """report_id -> its prose figures (key, value, text, source).  A sentence states several
    figures and keys and sources repeat: each text is held once (a batch's prose took ~20 MB,
    most of a card worker's Python data)."""
    out: dict[str, list[tuple]] = {}
    same: dict[str, str] = {}
    one = same.setdefault
    for rid, key, value, text, source in con.execute(f"""
            SELECT report_id, key, value, text, source FROM prose_figures WHERE {ids}
            ORDER BY report_id, key, source, value, text""", params).fetchall():
        row = (one(key, key), value, one(text, text), one(source, source))
        if rid in out:
            out[rid].append(row)
        else:
            out[rid] = [row]
    return out


def _section(con, name: str, ids: str, params: dict) -> tuple[dict, dict]:
    """(report_id -> tokens, report_id -> specials) of one table (see _TOKEN): the tokens of
    every cell, and apart the cells that are not a plain number, blank or absent (few: their
    texts are not read for every cell, and their positions are looked up here)."""
    view, keys, positions, value = _SECTIONS[name]
    cte, pos = _position_cte(keys, positions)
    where = f"f.status IN ('loaded', 'superseded') AND {ids}"
    tokens = dict(con.execute(f"""
        WITH {cte}
        SELECT f.report_id, string_agg(p.pc || {_TOKEN.format(v=value)}, chr({ord(_SEP)}))
        FROM {view} f JOIN p USING ({", ".join(keys)}) WHERE {where}
        GROUP BY f.report_id""", {**pos, **params}).fetchall())
    specials: dict[str, dict[int, CellSpecial]] = {}
    one = len(keys) == 1
    for rid, *key, state, v, raw, note, original in con.execute(f"""
            SELECT report_id, {", ".join(keys)}, state, value, raw, note, {_original(con, view)}
            FROM {view} f WHERE {where} AND state NOT IN {_SIMPLE_STATES}""",
                                                                  params).fetchall():
        p = positions.get(key[0] if one else tuple(key))
        if p is not None:
            specials.setdefault(rid, {})[p] = CellSpecial(state, v, raw, note, original)
    return tokens, specials


# --- the index of all reports with cards ------------------------------------------------------

class IndexRow(NamedTuple):
    """A report with a card, with what lists and region pages show of it (a tuple: region
    pages digest lists of them)."""
    report_id: str
    year: int
    agency_key: str | None
    agency: str | None
    region_path: str | None
    level: str | None
    status: str
    n_errors: int
    n_warnings: int
    n_unknown: int


_UNKNOWN_CELLS = """
    SELECT report_id, note FROM applications WHERE state = 'unknown'
    UNION ALL SELECT report_id, note FROM review_litigation WHERE state = 'unknown'
    UNION ALL SELECT report_id, note FROM active_disclosure WHERE state = 'unknown'"""


def report_index(con: duckdb.DuckDBPyConnection) -> list[IndexRow]:
    rows = con.execute(f"""
        WITH r AS (
            SELECT report_id, year, agency_key, agency, region_path, level, status FROM reports
            WHERE status IN ('loaded', 'superseded') AND year IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY report_id
                                       ORDER BY status = 'loaded' DESC, source_file) = 1
        ), iss AS (
            SELECT report_id, count(*) FILTER (severity = 'error') AS e,
                   count(*) FILTER (severity <> 'error') AS w
            FROM validation_issues GROUP BY report_id
        ), unk AS (
            SELECT report_id, count(*) AS n FROM ({_UNKNOWN_CELLS}) GROUP BY report_id
        )
        SELECT r.*, coalesce(iss.e, 0), coalesce(iss.w, 0), coalesce(unk.n, 0)
        FROM r LEFT JOIN iss USING (report_id) LEFT JOIN unk USING (report_id)
        ORDER BY region_path, agency, year, report_id""").fetchall()
    return [IndexRow(*r) for r in rows]


def unknown_reasons(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """report_id -> the distinct reasons its unknown cells were left unknown."""
    # Distinct pairs in order, grouped here: an ordered aggregate keeps a sort per report.
    out: dict[str, list[str]] = {}
    for rid, note in con.execute(f"""
            SELECT DISTINCT report_id, coalesce(note, '') AS note FROM ({_UNKNOWN_CELLS})
            ORDER BY report_id, note""").fetchall():
        out.setdefault(rid, []).append(note)
    return out
