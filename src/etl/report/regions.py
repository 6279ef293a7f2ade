"""One page per region, drilling down province → city → district → street/department: totals by
year, level and result type from the ``aggregates`` table, four charts, the region's agencies
ranked by share refused, the rules broken below it, and the agencies that report at this node.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter

import duckdb

from etl.report import layout, svg
from etl.report.data import IndexRow, card_anchor, card_path, page_of_key, region_path_file
from etl.report.html import esc, link, num, num_texts, page, paged_name, pager, pct, table
from etl.report.issues import rule_name_zh
from etl.template import SECTION3_GROUPS, SECTION3_ROWS
from etl.template.labels_zh import REPORT_STATUS_ZH

DEPTH = 1
ALL = "(all)"
UNKNOWN = "(unknown)"

#: Agency levels as the manifests name them (etl.synth.region, data/raw/*/manifest.csv).
LEVEL_ZH = {"province": "省级", "city": "市级", "district": "区级", "county": "县级",
            "street": "街道", "township": "乡镇", "department": "部门", UNKNOWN: "(未知)"}


def level_zh(level: str | None) -> str:
    if not level:
        return "(未知)"
    return LEVEL_ZH.get(level, level)


# The result groups of table 三 as the aggregates name them, in printed order (一)…(六).
OUTCOME_GROUPS = (("granted", "(一)"), ("partial", "(二)"), ("denied", "(三)"),
                  ("unable", "(四)"), ("rejected", "(五)"), ("other", "(六)"))
DENIED_GROUP = dict(OUTCOME_GROUPS)["denied"]      # 不予公开: the "share refused" of the ranking


def _group_name(g: str) -> str:
    return SECTION3_GROUPS[g][0]


_ENUM = re.compile(r"^(?:[一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)|\d+\.)")


def plain_label(label: str) -> str:
    """A row label without its printed enumerator: ``一、本年新收…`` -> ``本年新收…``."""
    return _ENUM.sub("", label)


def _row_label(key: str) -> str:
    for r in SECTION3_ROWS:
        if r.key == key:
            return plain_label(r.label)
    raise KeyError(key)


#: The columns of the totals tables: (metric of the aggregates table, Chinese header).
def total_columns() -> list[tuple[str, str]]:
    cols = [("reports", "报告数"),
            ("applications.new_received.total", _row_label("new_received")),
            ("applications.carried_over", _row_label("carried_over")),
            ("applications.total", "办理结果" + _row_label("total")),
            ("applications.carried_forward", _row_label("carried_forward"))]
    cols += [(f"outcome_group.{k}", _group_name(g)) for k, g in OUTCOME_GROUPS]
    cols += [(f"review_litigation.{c.key}", layout.section4_group_label(c.item) + "总计")
             for c in layout.section4_columns() if c.outcome == "total"]
    return cols


# --- the region tree and what each node shows -------------------------------------------------

@lru_cache(maxsize=None)
def _metrics() -> tuple[str, ...]:
    """The aggregates' metrics the region pages show."""
    return tuple(sorted({m for m, _ in total_columns()} | {
        f"review_litigation.{c.key}" for c in layout.section4_columns()} | {
        f"outcome.{r.key}" for r in layout.section3_rows("2021") if r.is_result_block}))




class Totals:
    """A node's numbers of one year (or one level, all years): one float per metric of
    ``_metrics()``, NaN where the aggregates have none.  An array, not a dict: 7k regions x 7
    years x 72 metrics held as dicts of floats took ~300 MB."""

    __slots__ = ("values",)

    def __init__(self, values: array):
        self.values = values

    def get(self, metric: str, default=None):
        i = _METRIC_INDEX.get(metric)
        if i is not None:
            v = self.values[i]
            if v == v:                  # not NaN
                return v
        return default


_METRIC_INDEX = {m: i for i, m in enumerate(_metrics())}


@dataclass
class Node:
    path: str                       # "" = every region
    name: str
    children: list[str] = field(default_factory=list)
    by_year: dict[int, Totals] = field(default_factory=dict)
    by_level: dict[str, Totals] = field(default_factory=dict)
    failing: dict[str, int] = field(default_factory=dict)        # rule -> reports failing
    ranking: list[tuple] = field(default_factory=list)  # (share, agency, key, latest, denied, handled)
    agencies: list[IndexRow] = field(default_factory=list)       # from the report index
    n_unknown_cells: int = 0


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


@dataclass
class TreeData:
    """What the region pages read from the warehouse (``read_tree_data``), kept apart from the
    tree built of it so the queries can run while the run's process does other work."""
    totals: list[tuple[str, int | None, str | None, Totals]]   # (region, year, level, totals)
    failing: list[tuple[str, str, int]]                          # (node path, rule, reports)
    ranked: list[tuple]        # (agency key, agency, region, latest report, denied, handled)


def read_tree_data(con: duckdb.DuckDBPyConnection) -> TreeData:
    return TreeData(_read_totals(con), *_read_failing_and_ranked(con))


def _read_totals(con: duckdb.DuckDBPyConnection) -> list:
    """Per region x year (all levels) and per region x level (all years summed): the shown
    metrics as Totals.  The long form (millions of rows) streams as Arrow batches into two
    dense matrices (numpy): no Python object per value, and a bounded result in DuckDB."""
    import numpy as np

    metrics = list(_metrics())
    paths = [r[0] for r in con.execute(
        "SELECT DISTINCT region_path FROM aggregates WHERE region_path IS NOT NULL "
        "ORDER BY 1").fetchall()]
    levels = [r[0] for r in con.execute(
        "SELECT DISTINCT level FROM aggregates WHERE level IS NOT NULL AND level <> ? "
        "ORDER BY 1", [ALL]).fetchall()]
    [(lo, hi)] = con.execute("SELECT min(year), max(year) FROM aggregates").fetchall()
    if not paths or lo is None:
        return []
    n_years = hi - lo + 1
    by_year = np.full((len(paths) * n_years, len(metrics)), np.nan)
    by_level = np.full((len(paths) * max(len(levels), 1), len(metrics)), np.nan)
    # Each value's row of its matrix is computed in DuckDB (paths, levels and metrics joined
    # as their indexes): only numbers reach Python.
    index = """m AS (SELECT unnest($m::VARCHAR[]) AS metric, generate_subscripts($m, 1) - 1 AS i),
               p AS (SELECT unnest($p::VARCHAR[]) AS region_path,
                            generate_subscripts($p, 1) - 1 AS k)"""
    queries = ((by_year, f"""
        WITH {index}
        SELECT (p.k * $n + a.year - $lo)::INTEGER AS row, m.i::SMALLINT AS i, a.value
        FROM aggregates a JOIN m USING (metric) JOIN p USING (region_path)
        WHERE a.level = $all AND a.year IS NOT NULL AND a.value IS NOT NULL""",
                {"n": n_years, "lo": lo}), (by_level, f"""
        WITH {index}, l AS (SELECT unnest($l::VARCHAR[]) AS level,
                                   generate_subscripts($l, 1) - 1 AS j)
        SELECT (p.k * $n + l.j)::INTEGER AS row, m.i::SMALLINT AS i, sum(a.value) AS value
        FROM aggregates a JOIN m USING (metric) JOIN p USING (region_path) JOIN l USING (level)
        WHERE a.level <> $all AND a.year IS NOT NULL AND a.value IS NOT NULL
        GROUP BY ALL""", {"n": len(levels), "l": levels}))
    for matrix, query, params in queries:
        reader = con.sql(query, params={"m": metrics, "p": paths, "all": ALL, **params}
                         ).to_arrow_reader(50_000)
        for batch in reader:
            matrix[batch.column("row").to_numpy(), batch.column("i").to_numpy()] = \
                batch.column("value").to_numpy()
    out = []
    for matrix, part in ((by_year, lambda k: (lo + k % n_years, None)),
                         (by_level, lambda k: (None, levels[k % len(levels)]))):
        width = n_years if matrix is by_year else len(levels)
        for k in np.flatnonzero(~np.isnan(matrix).all(axis=1)).tolist():
            values = array("d")
            values.frombytes(matrix[k].tobytes())
            out.append((paths[k // width], *part(k), Totals(values)))
    return out


def _read_failing_and_ranked(con: duckdb.DuckDBPyConnection) -> tuple[list, list]:
    failing = con.execute("""
        WITH failed AS (
            SELECT coalesce(region_path, ?) AS path, rule, report_id FROM validation_results
            WHERE status = 'failed')
        SELECT array_to_string(string_split(path, '/')[1:k], '/') AS node, rule,
               count(DISTINCT report_id)
        FROM failed, range(1, len(string_split(path, '/')) + 1) t(k)
        GROUP BY ALL
        UNION ALL
        SELECT '', rule, count(DISTINCT report_id) FROM failed GROUP BY ALL""",
        [UNKNOWN]).fetchall()
    # Share refused (不予公开 ÷ 办理结果总计, the printed 总计 column, all years of loaded
    # reports) per agency; agencies that handled fewer than RANK_MIN_HANDLED applications are
    # left out (one refusal of two is not a pattern).
    ranked = con.execute("""
        WITH rep AS (
            SELECT report_id, agency_key, agency, region_path, year FROM reports
            WHERE status = 'loaded'
            QUALIFY row_number() OVER (PARTITION BY report_id ORDER BY source_file) = 1)
        SELECT coalesce(r.agency_key, 'report:' || r.report_id) AS key,
               arg_max(r.agency, r.year), arg_max(r.region_path, r.year),
               arg_max(r.report_id, r.year),
               sum(a.value) FILTER (a.row_key IN (SELECT unnest($denied))) AS denied,
               sum(a.value) FILTER (a.row_key = 'total') AS handled
        FROM applications a JOIN rep r USING (report_id)
        WHERE a.status = 'loaded' AND a.applicant = 'total'
        GROUP BY ALL HAVING sum(a.value) FILTER (a.row_key = 'total') >= $min""",
        {"denied": [r.key for r in SECTION3_ROWS if r.group == DENIED_GROUP],
         "min": RANK_MIN_HANDLED}).fetchall()
    return failing, ranked


def build_tree(index: list, data: TreeData) -> dict[str, Node]:
    """Every region path of a report and all its ancestors; "" is the root."""
    nodes: dict[str, Node] = {"": Node("", "全部地区")}
    paths = {r.region_path or UNKNOWN for r in index}
    for p in sorted(paths):
        parts = p.split("/") if p != UNKNOWN else [UNKNOWN]
        for i in range(1, len(parts) + 1):
            q = "/".join(parts[:i])
            if q not in nodes:
                nodes[q] = Node(q, parts[i - 1] if q != UNKNOWN else "(未知地区)")
                nodes[_parent(q) if q != UNKNOWN else ""].children.append(q)
    for path, year, level, got in data.totals:
        node = nodes.get("" if path == ALL else path)
        if node is None:
            continue
        if level is not None:           # one level, all years
            node.by_level[level] = got
        elif year is not None:          # one year, all levels
            node.by_year[year] = got
    for path, rule, n in data.failing:
        if path in nodes:
            nodes[path].failing[rule] = n
    _rank_agencies(data.ranked, nodes)
    for r in index:
        nodes[r.region_path or UNKNOWN].agencies.append(r)
        p = r.region_path or UNKNOWN
        while True:
            nodes[p].n_unknown_cells += r.n_unknown
            if p in ("", UNKNOWN):
                if p == UNKNOWN:
                    nodes[""].n_unknown_cells += r.n_unknown
                break
            p = _parent(p)
    return nodes


RANK_TOP = 20
RANK_MIN_HANDLED = 10


def _rank_agencies(rows: list[tuple], nodes: dict[str, Node]) -> None:
    """The agencies ranked by share refused within every region above them."""
    per_node: dict[str, list] = defaultdict(list)
    for key, agency, region, latest, denied, handled in rows:
        share = (denied or 0) / handled
        p = region or UNKNOWN
        item = (share, agency, key, latest, denied or 0, handled)
        while True:
            per_node[p].append(item)
            if p == "":
                break
            p = "" if p == UNKNOWN else _parent(p)
    for p, items in per_node.items():
        if p in nodes:
            items.sort(key=lambda x: (-x[0], -x[5], x[1] or "", x[2]))
            nodes[p].ranking = items[:RANK_TOP]


# --- rendering --------------------------------------------------------------------------------

AGENCIES_PER_PAGE = 300


@lru_cache(maxsize=None)
def _total_columns() -> tuple[list[str], itemgetter]:
    """(headers, the getter of their values from a Totals' array) of the totals tables."""
    cols = total_columns()
    return [h for _, h in cols], itemgetter(*(_METRIC_INDEX[m] for m, _ in cols))


def _totals_table(first_header: str, rows: list[tuple[str, Totals]]) -> str:
    headers, values = _total_columns()
    body = [[k, *num_texts(values(d.values))] for k, d in rows]
    return table([first_header, *headers], body, cls="list totals")


@lru_cache(maxsize=None)
def _trend_and_mix() -> tuple[list[tuple[str, int]], itemgetter, list[str]]:
    """The trend chart's series (name, Totals index); the getter of the result groups'
    values and their names (the mix chart)."""
    trend = [(_row_label("new_received"), "applications.new_received.total"),
             ("办理结果" + _row_label("total"), "applications.total"),
             (_row_label("carried_forward"), "applications.carried_forward")]
    return ([(name, _METRIC_INDEX[m]) for name, m in trend],
            itemgetter(*(_METRIC_INDEX[f"outcome_group.{k}"] for k, _ in OUTCOME_GROUPS)),
            [_group_name(g) for _, g in OUTCOME_GROUPS])


def _charts(node: Node) -> str:
    years = sorted(node.by_year)
    ys = [str(y) for y in years]
    per_year = [node.by_year[y].values for y in years]
    series, groups_of, group_names = _trend_and_mix()
    trend = svg.line_chart("历年申请数量", ys, [
        (name, [None if a[i] != a[i] else a[i] for a in per_year]) for name, i in series])
    mix = svg.stacked_bars("办理结果构成(占办理总数)", [
        (y, [None if v != v else v for v in groups_of(a)]) for y, a in zip(ys, per_year)],
        group_names)
    labels, items = _review_columns()
    groups = [(name, [sum([v if v == v else 0 for v in (a[i] for a in per_year)]) for i in cols])
              for name, cols in items]
    review = svg.stacked_bars("行政复议、行政诉讼结果(历年合计)", groups, labels, share=False,
                              label_width=150)
    ranking = svg.ranked_bars(
        f"不予公开比例最高的机关(历年合计,办理≥{RANK_MIN_HANDLED}件)",
        [(a or "(机关未知)", s, f"{100 * s:.1f}% ({d}/{h})") for s, a, _, _, d, h in node.ranking],
        vmax=max([s for s, *_ in node.ranking] or [1]))
    return f'<div class="charts">{trend}{mix}{review}{ranking}</div>'


@lru_cache(maxsize=None)
def _review_columns() -> tuple[list[str], list[tuple[str, list[int]]]]:
    """(the outcome labels, per item of table 四 (复议, 诉讼…) its label and the Totals
    indexes of its outcome columns) of the review chart."""
    outcome_cols = [c for c in layout.section4_columns() if c.outcome not in ("total",)]
    labels = [c.label for c in outcome_cols if c.item == outcome_cols[0].item]
    items = [(layout.section4_group_label(item).replace("行政诉讼 ", "诉讼·"),
              [_METRIC_INDEX[f"review_litigation.{c.key}"] for c in outcome_cols
               if c.item == item])
             for item in dict.fromkeys(c.item for c in outcome_cols)]
    return labels, items


def _agency_rows(agencies: list[IndexRow]) -> list[list[str]]:
    """One row per agency at this node: its years linked to their cards."""
    by_agency: dict[str, list[IndexRow]] = defaultdict(list)
    for r in agencies:
        by_agency[r.agency_key or f"report:{r.report_id}"].append(r)
    rows = []
    for key, reps in sorted(by_agency.items(), key=lambda kv: (kv[1][0].agency or "", kv[0])):
        reps.sort(key=lambda r: (r.year, r.status != "loaded"))
        cards = "../" + page_of_key(key)        # the agency's page (card_path, once)
        years = " ".join(link(f"{cards}#{card_anchor(r.report_id)}",
                              f"{r.year}" + ("(旧版)" if r.status == "superseded" else ""),
                              "fail" if r.n_errors else None) for r in reps)
        rows.append([esc(reps[-1].agency or "(机关未知)"), esc(level_zh(reps[-1].level)), years,
                     num(sum(r.n_errors for r in reps)), num(sum(r.n_warnings for r in reps)),
                     num(sum(r.n_unknown for r in reps))])
    return rows


def region_pages(node: Node) -> list[str]:
    """The files of a node's page(s), relative to the site root (agencies split 300 a page)."""
    n_agencies = len({a.agency_key or f"report:{a.report_id}" for a in node.agencies})
    n_pages = max(1, -(-n_agencies // AGENCIES_PER_PAGE))
    base = region_path_file(node.path)[len("regions/"):-len(".html")]
    return ["regions/" + paged_name(base, i) for i in range(1, n_pages + 1)]


def region_digest(node: Node, nodes: dict[str, Node]) -> str:
    """A digest of everything the node's pages show (its numbers, its children's, its agencies):
    equal digests, equal pages.  Much cheaper than rendering them."""
    h = hashlib.sha1()

    def totals(by: dict) -> None:
        for k in sorted(by):
            h.update(f"|{k}|".encode())
            h.update(by[k].values.tobytes())

    kids = [(c, nodes[c].name, sorted(nodes[c].failing.items()), nodes[c].n_unknown_cells)
            for c in sorted(node.children)]
    h.update(repr((node.path, node.name, sorted(node.failing.items()), node.ranking,
                   [tuple(a) for a in node.agencies], node.n_unknown_cells, kids)).encode())
    totals(node.by_year)
    h.update(b"|levels")
    totals(node.by_level)
    for c in sorted(node.children):
        h.update(b"|child")
        totals(nodes[c].by_year)
    return h.hexdigest()


def render_region(node: Node, nodes: dict[str, Node], write) -> int:
    """Write the node's page(s) through ``write(relpath, html)``; returns pages written."""
    crumbs: list[tuple[str | None, str]] = [("index.html", "总览")]
    if node.path:
        crumbs.append((region_path_file(""), "全部地区"))
        if node.path != UNKNOWN:
            parts = node.path.split("/")
            for i in range(1, len(parts)):
                q = "/".join(parts[:i])
                crumbs.append((region_path_file(q), parts[i - 1]))
    title = node.name if not node.path else node.path
    years = sorted(node.by_year)
    body = []
    if node.children:
        kids = []
        for c in sorted(node.children, key=lambda c: nodes[c].name):
            k = nodes[c]
            latest = k.by_year[max(k.by_year)] if k.by_year else None
            kids.append([link("../" + region_path_file(c), k.name),
                         num(sum(d.get("reports", 0) for d in k.by_year.values())),
                         num(latest.get("applications.new_received.total") if latest else None),
                         num(sum(k.failing.values())), num(k.n_unknown_cells)])
        body.append("<h2>下级地区</h2>" + table(
            ["地区", "报告数(历年)", f"{_row_label('new_received')}(最近一年)",
             "未通过核对(报告×规则)", "未能确定的格"], kids, cls="list totals"))
    if years:
        body.append("<h2>图表</h2>" + _charts(node))
        body.append("<h2>按年度</h2>" + _totals_table(
            "年度", [(str(y), node.by_year[y]) for y in years]))
        body.append("<h2>按层级(历年合计)</h2>" + _totals_table(
            "层级", [(esc(level_zh(lv)), d) for lv, d in sorted(node.by_level.items())]))
        body.append("<h2>按办理结果类型</h2>" + _result_types(node, years))
    else:
        body.append('<p class="note">本地区没有已入库的报告。</p>')
    if node.ranking:
        body.append("<h2>不予公开比例排名</h2>" + table(
            ["#", "机关", "不予公开", "办理结果总计", "比例"],
            [[str(i), link("../" + card_path(key, latest), a or "(机关未知)"), num(d), num(h), pct(s)]
             for i, (s, a, key, latest, d, h) in enumerate(node.ranking, 1)], cls="list totals"))
    if node.failing:
        body.append("<h2>未通过的核对规则(本地区及下级)</h2>" + table(
            ["规则", "rule", "未通过的报告数"],
            [[esc(rule_name_zh(r)), f'<span class="en">{esc(r)}</span>', num(n)]
             for r, n in sorted(node.failing.items(), key=lambda x: (-x[1], x[0]))]))
    head = "".join(body)
    rows = _agency_rows(node.agencies)
    n_pages = max(1, -(-len(rows) // AGENCIES_PER_PAGE))
    base = region_path_file(node.path)[len("regions/"):-len(".html")]

    def href(i: int) -> str:
        return paged_name(base, i)

    for i in range(1, n_pages + 1):
        chunk = rows[(i - 1) * AGENCIES_PER_PAGE: i * AGENCIES_PER_PAGE]
        agencies = ""
        if chunk:
            nav = pager(href, n_pages, i)
            agencies = ("<h2>本级机关</h2>" + nav + table(
                ["机关", "层级", "年度(报告核对卡)", "错误", "警告", "未能确定的格"], chunk) + nav)
        write("regions/" + href(i), page(title, (head if i == 1 else "") + agencies, DEPTH, crumbs))
    return n_pages


@lru_cache(maxsize=None)
def _result_rows() -> tuple[tuple[str, ...], itemgetter]:
    """(escaped labels, the getter of their values from a Totals' array) of the result rows
    of table 三."""
    rows = [r for r in layout.section3_rows("2021") if r.is_result_block and r.key != "total"]
    return (tuple(esc(r.full_label) for r in rows),
            itemgetter(*(_METRIC_INDEX[f"outcome.{r.key}"] for r in rows)))


def _result_types(node: Node, years: list[int]) -> str:
    """Each result row of table 三 (total column), by year."""
    labels, values = _result_rows()
    rows = [[label, *num_texts(vals)]
            for label, vals in zip(labels, zip(*[values(node.by_year[y].values) for y in years]))
            if any(v == v for v in vals)]                     # (NaN: none that year)
    return table(["办理结果"] + [str(y) for y in years], rows, cls="list totals")


def status_zh(status: str) -> str:
    return REPORT_STATUS_ZH.get(status, status)
