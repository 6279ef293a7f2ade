"""What the report site reads from the warehouse: bulk queries over the contract views, shaped
for rendering.  Everything heavy is aggregated in DuckDB (one row per report or per region),
because the site is rebuilt every night at up to 100k reports: a report's 175 cells of table 三
come back as ONE string of tokens, not as 175 Python objects, and every table is scanned once.

All queries bind their parameters; nothing from the warehouse is pasted into SQL.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
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


def page_of_key(file_key: str) -> str:
    h = hashlib.sha1(file_key.encode("utf-8")).hexdigest()
    return f"cards/{h[:2]}/{h[2:14]}.html"


def card_anchor(report_id: str) -> str:
    return "r" + (report_id if _REPORT_ID.match(report_id or "") else
                  hashlib.sha256(str(report_id).encode()).hexdigest()[:16])


def card_path(agency_key: str | None, report_id: str) -> str:
    """Link to one report card (one agency-year): the agency's page, at the card."""
    return f"{agency_path(agency_key, report_id)}#{card_anchor(report_id)}"


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
# A report's cells of one table travel as ONE string of tokens joined by "|".  A token is the
# cell's position as one character (chr(256 + pos)) followed by: the number for state number,
# "" for blank, "i<number>" for inferred, "a" for absent, "x" for anything else (dash, text,
# unknown, corrected, …), whose raw text, note and original value come in a short list beside.
# The tokens come unordered (an ordered string_agg costs DuckDB three times as much); Python
# sorts them by their position character.

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


@dataclass
class CellSpecial:
    state: str
    value: float | int | None
    raw: str | None
    note: str | None
    original: float | int | None


@dataclass
class Cells:
    """A report's cells of one table: ``tokens[pos]`` (None = the report has no such cell) and
    the specials (token "x") by pos."""
    tokens: list[str | None]
    specials: dict[int, CellSpecial] = field(default_factory=dict)


_POS_BASE = 256


def _cells(size: int, tokens: str | None, specials) -> Cells:
    parts = tokens.split("|") if tokens else []
    if len(parts) == size:          # every cell of the table: sorted = in printed order
        parts.sort()
        toks: list[str | None] = [t[1:] for t in parts]
    else:                           # some cells missing (e.g. 2021-only rows of a 2019 report)
        toks = [None] * size
        for t in parts:
            toks[ord(t[0]) - _POS_BASE] = t[1:]
    return Cells(toks, {d["p"]: CellSpecial(d["s"], d["v"], d["raw"], d["note"], d["o"])
                        for d in specials or ()})


def _positions() -> tuple[str, dict]:
    """CTEs with the position of every template cell, from bound lists (no temp objects: the
    connection may be a read-only one with its configuration locked)."""
    sql = """
        pos3 AS (SELECT unnest($r3) AS row_key, unnest($c3) AS applicant, unnest($p3) AS pos),
        pos4 AS (SELECT unnest($k4) AS key, unnest($p4) AS pos),
        pos2 AS (SELECT unnest($c2) AS category, unnest($m2) AS metric, unnest($p2) AS pos)"""
    params = {
        "r3": [k[0] for k in S3_POS], "c3": [k[1] for k in S3_POS], "p3": list(S3_POS.values()),
        "k4": list(S4_POS), "p4": list(S4_POS.values()),
        "c2": [k[0] for k in S2_POS], "m2": [k[1] for k in S2_POS], "p2": list(S2_POS.values()),
    }
    return sql, params


def _original(con, view: str) -> str:
    """``original_value`` when the warehouse has corrections, else NULL (older warehouses)."""
    return "f.original_value" if has_column(con, view, "original_value") else "NULL"


def _section_sql(con, view: str, join: str, value: str) -> str:
    token = _TOKEN.format(v=value)
    return f"""
        SELECT f.report_id,
            string_agg(chr(({_POS_BASE} + p.pos)::INTEGER) || {token}, '|') AS tokens,
            list(struct_pack(p := p.pos, s := f.state, v := f.value, raw := f.raw,
                             note := f.note, o := {_original(con, view)}))
                FILTER (WHERE f.state NOT IN {_SIMPLE_STATES}) AS specials
        FROM {view} f JOIN {join}
        WHERE f.status IN ('loaded', 'superseded') AND f.report_id IN (SELECT report_id FROM r)
        GROUP BY f.report_id"""


# --- report cards -----------------------------------------------------------------------------

@dataclass
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
    results: list[tuple[str, str, str | None]]     # (rule, status, reason)
    issues: list[dict]          # validation_issues rows (rule, severity, cells, formula, …)
    prose: list[dict]           # prose_figures rows (key, value, text, source)


_REPORT_COLS = ("report_id", "year", "agency_id", "agency", "agency_key", "region_path", "level",
                "template", "source_file", "format", "published", "source_url", "title",
                "status", "error_detail", "warnings")


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


def iter_agency_cards(con: duckdb.DuckDBPyConnection, report_ids: list[str] | None = None,
                      batch: int = 2000):
    """Yield the cards of one agency at a time (its reports with cells, loaded or superseded,
    by year); ``report_ids``: just these reports (whole agencies: the caller passes every report
    of an agency page it renders).  One query: every table is scanned once, the per-report
    texts are aggregated in DuckDB, and rows reach Python ``batch`` at a time.  Byte-identical
    copies share a report_id: one card."""
    positions, params = _positions()
    s2_value = ("CASE WHEN f.value = trunc(f.value) THEN f.value::BIGINT::VARCHAR "
                "ELSE f.value::VARCHAR END")
    sections = {
        "s2": _section_sql(con, "active_disclosure", "pos2 p USING (category, metric)",
                           s2_value),
        "s3": _section_sql(con, "applications", "pos3 p USING (row_key, applicant)",
                           "f.value::VARCHAR"),
        "s4": _section_sql(con, "review_litigation", "pos4 p USING (key)",
                           "f.value::VARCHAR"),
    }
    reports = _card_reports()
    if report_ids is not None:
        params["ids"] = list(report_ids)
        reports = _card_reports("report_id IN (SELECT unnest($ids::VARCHAR[]))")
    sql = f"""
        WITH {positions}, r AS (
            SELECT {", ".join(_REPORT_COLS)} FROM ({reports})
        ), s2 AS ({sections["s2"]}), s3 AS ({sections["s3"]}), s4 AS ({sections["s4"]}),
        res AS (
            SELECT report_id,
                list(struct_pack(rule := rule, status := status, reason := reason)
                     ORDER BY rule) FILTER (WHERE status <> 'passed') AS other,
                string_agg(rule, ',') FILTER (WHERE status = 'passed') AS passed
            FROM validation_results WHERE report_id IN (SELECT report_id FROM r)
            GROUP BY report_id
        ), iss AS (
            SELECT report_id, list(struct_pack(rule := rule, severity := severity, cells := cells,
                formula := formula, expected := expected, actual := actual, delta := delta,
                message := message) ORDER BY severity, rule, cells) AS issues
            FROM validation_issues WHERE report_id IN (SELECT report_id FROM r)
            GROUP BY report_id
        ), pr AS (
            SELECT report_id, list(struct_pack(key := key, value := value, text := text,
                source := source) ORDER BY key, source) AS prose
            FROM prose_figures WHERE report_id IN (SELECT report_id FROM r) GROUP BY report_id
        )
        SELECT r.*, s2.tokens, s2.specials, s3.tokens, s3.specials, s4.tokens, s4.specials,
               res.other, res.passed, iss.issues, pr.prose
        FROM r LEFT JOIN s2 USING (report_id) LEFT JOIN s3 USING (report_id)
        LEFT JOIN s4 USING (report_id) LEFT JOIN res USING (report_id)
        LEFT JOIN iss USING (report_id) LEFT JOIN pr USING (report_id)
        ORDER BY coalesce(r.agency_key, 'report:' || r.report_id), r.year,
                 r.status <> 'loaded', r.report_id"""
    # One thread: the per-report lists are aggregated in hash tables that cannot spill, one set
    # per thread; with every core at work a batch of 20,000 reports overflowed 384 MB at 100k
    # reports, on one thread it peaks far below (the query is a small part of the page cost).
    # (A setting changed while a result streams would cut it short: restored at the end.  A
    # session whose configuration is locked — `etl report` on a published warehouse, under
    # ETL_QUERY_MEMORY — keeps its own.)
    threads, locked = con.execute("SELECT current_setting('threads'), "
                                  "current_setting('lock_configuration')").fetchone() or (1, True)
    if not locked:
        con.execute("SET threads = 1")
    try:
        yield from _cards(con.execute(sql, params), batch)
    finally:
        if not locked:
            con.execute(f"SET threads = {int(threads)}")


def _cards(cur: duckdb.DuckDBPyConnection, batch: int):
    n = len(_REPORT_COLS)
    group: list[CardReport] = []
    key = None
    while rows := cur.fetchmany(batch):
        for row in rows:
            t2, x2, t3, x3, t4, x4, other, passed, issues, prose = row[n:]
            results = [(d["rule"], d["status"], d["reason"]) for d in other or ()]
            if passed:
                results += [(rule, "passed", None) for rule in passed.split(",")]
            rep = CardReport(**dict(zip(_REPORT_COLS, row[:n])),
                             s2=_cells(len(S2_POS), t2, x2), s3=_cells(len(S3_POS), t3, x3),
                             s4=_cells(len(S4_POS), t4, x4), results=results,
                             issues=issues or [], prose=prose or [])
            k = agency_file_key(rep.agency_key, rep.report_id)
            if k != key and group:
                yield group
                group = []
            key = k
            group.append(rep)
    if group:
        yield group


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
