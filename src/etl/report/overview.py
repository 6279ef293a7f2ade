"""The overview (index.html) and the long lists it links to, each split into pages: the issues
of every rule, the cells left unknown, the files that could not be read, and the agency
directory.
"""

from __future__ import annotations

import re
from collections import defaultdict

import duckdb

from etl.report.data import (
    IndexRow,
    card_anchor,
    card_path,
    has_column,
    page_of_key,
    region_path_file,
    unknown_reasons,
)
from etl.report.html import delta, esc, link, num, page, paged_name, pager, table
from etl.report.issues import describe, rule_name_zh
from etl.report.regions import UNKNOWN, Node, level_zh
from etl.template.labels_zh import CELL_STATE_ZH, QUARANTINE_REASONS_ZH, RULES_ZH, SEVERITY_ZH

ROWS_PER_PAGE = 500


def _paged(write, base: str, title: str, depth: int, headers: list[str], rows: list[list[str]],
           intro: str = "") -> int:
    """Write ``rows`` as pages ``base.html``, ``base-2.html`` …; returns the number of pages."""
    n = max(1, -(-len(rows) // ROWS_PER_PAGE))
    name = base.rsplit("/", 1)[-1]
    for i in range(1, n + 1):
        nav = pager(lambda k: paged_name(name, k), n, i)
        chunk = rows[(i - 1) * ROWS_PER_PAGE: i * ROWS_PER_PAGE]
        body = intro + nav + (table(headers, chunk) if chunk else '<p class="note">(无)</p>') + nav
        write(paged_name(base, i), page(title, body, depth, [("index.html", "总览")]))
    return n


def _rule_file(rule: str) -> str:
    return "rules/" + re.sub(r"[^a-z0-9_]", "_", rule.lower())


# --- the overview -----------------------------------------------------------------------------

def _runs(con: duckdb.DuckDBPyConnection) -> str:
    try:
        runs = con.execute("""
            SELECT run_id, started_at, finished_at, year, status, files, loaded, quarantined,
                   superseded, issues, error
            FROM runs ORDER BY started_at DESC LIMIT 20""").fetchall()
    except duckdb.Error:
        return '<p class="note">没有运行记录。</p>'
    done = [r for r in runs if r[4] == "completed"]
    out = []
    if runs and runs[0][4] != "completed":
        out.append(f'<div class="banner">最近一次运行 {esc(runs[0][0])} 失败,仓库保持上一次的'
                   f'结果:{esc(runs[0][10])}</div>')
    if not done:
        return "".join(out) + '<p class="note">没有完成的运行。</p>'
    cur, prev = done[0], (done[1] if len(done) > 1 else None)
    # The run's own counts are shown only where the warehouse agrees with them (else the
    # warehouse's count, and no change: a wrong delta is worse than none).
    now = dict(con.execute("SELECT status, count(DISTINCT source_file) FROM reports "
                           "GROUP BY status").fetchall())
    now["issues"] = con.execute("SELECT count(*) FROM validation_issues").fetchall()[0][0]
    labels = (("files", "文件", 5), ("loaded", "已入库", 6), ("quarantined", "无法读取", 7),
              ("superseded", "已被替代", 8), ("issues", "未通过的核对", 9))
    rows = []
    for en, zh, i in labels:
        value, before = cur[i], prev[i] if prev else None
        if en != "files" and value != now.get(en, 0):
            value, before = now.get(en, 0), None
        change = delta(value - before) if value is not None and before is not None else num(None)
        rows.append([esc(zh), f'<span class="en">{en}</span>', num(value), num(before), change])
    scope = "全部年度" if cur[3] is None else f"仅重建 {cur[3]} 年度"
    finished = cur[2].strftime("%Y-%m-%d %H:%M UTC") if cur[2] else "?"
    out.append(f"<p>本次运行 <code>{esc(cur[0])}</code>,{esc(finished)} 完成({esc(scope)})"
               + (f";上次 <code>{esc(prev[0])}</code>" if prev else ";此前没有完成的运行")
               + "。</p>")
    out.append(table(["", "", "本次", "上次", "变化"], rows, cls="list totals"))
    return "".join(out)


def _rules(con: duckdb.DuckDBPyConnection) -> str:
    counts = {r[0]: r[1:] for r in con.execute("""
        SELECT rule, count(*) FILTER (status = 'failed'), count(*) FILTER (status = 'not_assessable'),
               count(*) FILTER (status = 'passed')
        FROM validation_results GROUP BY rule""").fetchall()}
    issues = dict(con.execute("SELECT rule, count(*) FROM validation_issues GROUP BY rule").fetchall())
    rows = []
    for rule, severity, description in con.execute(
            "SELECT rule, severity, description FROM rules").fetchall():
        failed, na, passed = counts.get(rule, (0, 0, 0))
        zh = RULES_ZH.get(rule)
        name = link(paged_name(_rule_file(rule), 1), zh.name if zh else rule)
        rows.append([name, f'<span class="en">{esc(rule)}</span>',
                     esc(SEVERITY_ZH.get(severity, severity)),
                     esc(zh.description if zh else ""), f'<span class="en">{esc(description)}</span>',
                     num(failed), num(issues.get(rule, 0)), num(na), num(passed)])
    return table(["规则", "rule", "级别", "说明", "description", "未通过的报告", "问题条数",
                  "无法核对的报告", "通过的报告"], rows)


def _rules_by_region(nodes: dict[str, Node], rules: list[str]) -> str:
    shown = [p for p in nodes if p and (p == UNKNOWN or p.count("/") <= 1)]
    shown.sort()
    used = [r for r in rules if any(nodes[p].failing.get(r) for p in shown)]
    if not used:
        return '<p class="note">没有未通过的核对。</p>'
    rows = []
    for p in shown:
        n = nodes[p]
        depth = 0 if p == UNKNOWN else p.count("/")
        rows.append([f'<span class="d{depth}">{link(region_path_file(p), n.name)}</span>']
                    + [num(n.failing.get(r)) if n.failing.get(r) else "" for r in used])
    headers = [f"{esc(rule_name_zh(r))}<div class=en>{esc(r)}</div>" for r in used]
    return table(["地区"] + headers, rows, cls="list totals", raw_headers=True)


def _unknown_summary(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute("""
        SELECT section, count(*), count(DISTINCT report_id) FROM (
            SELECT '三' AS section, report_id FROM applications WHERE state = 'unknown'
            UNION ALL SELECT '四', report_id FROM review_litigation WHERE state = 'unknown'
            UNION ALL SELECT '二', report_id FROM active_disclosure WHERE state = 'unknown')
        GROUP BY section ORDER BY section""").fetchall()
    if not rows:
        return '<p class="note">没有未能确定的格。</p>'
    return table(["表", "未能确定的格", "涉及报告"],
                 [[f"表{esc(s)}", num(n), num(r)] for s, n, r in rows])


def _corrected(con: duckdb.DuckDBPyConnection) -> str:
    if not has_column(con, "applications", "original_value"):
        return ""
    n = con.execute("""
        SELECT (SELECT count(*) FROM applications WHERE state = 'corrected')
             + (SELECT count(*) FROM review_litigation WHERE state = 'corrected')
             + (SELECT count(*) FROM active_disclosure WHERE state = 'corrected')""").fetchall()[0][0]
    return f"<p>{esc(CELL_STATE_ZH['corrected'])}的格:{num(n)}</p>"


def render_overview(con, nodes: dict[str, Node], index: list[IndexRow], write) -> None:
    status = dict(con.execute("SELECT status, count(*) FROM reports GROUP BY status").fetchall())
    quarantine = con.execute("""
        SELECT coalesce(error_reason, '?'), count(*) FROM reports WHERE status = 'quarantined'
        GROUP BY ALL ORDER BY 2 DESC""").fetchall()
    rules = [r[0] for r in con.execute("SELECT rule FROM rules").fetchall()]
    n_unknown_reports = sum(1 for r in index if r.n_unknown)
    body = [
        "<h2>运行</h2>", _runs(con),
        "<h2>仓库现状</h2>",
        table(["已入库", "无法读取", "已被替代", "机关", "地区"],
              [[num(status.get("loaded", 0)), num(status.get("quarantined", 0)),
                num(status.get("superseded", 0)),
                num(len({r.agency_key or r.report_id for r in index})), num(len(nodes) - 1)]]),
        f'<p>{link(region_path_file(""), "按地区查看(全部地区)")} · '
        f'{link(paged_name("agencies", 1), "机关目录")} · '
        f'{link(paged_name("unknown", 1), f"未能确定的格({n_unknown_reports} 份报告)")} · '
        f'{link(paged_name("quarantined", 1), "无法读取的文件")}</p>',
        "<h2>核对规则</h2>", _rules(con),
        "<h2>按地区的未通过核对(报告数)</h2>", _rules_by_region(nodes, rules),
        "<h2>尚待人工处理</h2><h3>未能确定的格</h3>", _unknown_summary(con), _corrected(con),
        "<h3>无法读取的文件</h3>",
        table(["原因", "reason", "文件数"],
              [[esc(QUARANTINE_REASONS_ZH.get(r, r)), f'<span class="en">{esc(r)}</span>', num(n)]
               for r, n in quarantine], cls="list totals") if quarantine
        else '<p class="note">没有。</p>',
    ]
    write("index.html", page("总览", "".join(body), 0))


# --- the lists --------------------------------------------------------------------------------

def render_rule_lists(con: duckdb.DuckDBPyConnection, write) -> int:
    by_rule: dict[str, list[list[str]]] = defaultdict(list)
    for (rid, key, agency, year, region, rule, severity, cells, formula, expected, actual, dlt,
         message) in con.execute("""
            SELECT i.report_id, r.agency_key, i.agency, i.year, i.region_path, i.rule, i.severity,
                   i.cells, i.formula, i.expected, i.actual, i.delta, i.message
            FROM validation_issues i
            LEFT JOIN (SELECT DISTINCT report_id, agency_key FROM reports) r USING (report_id)
            ORDER BY i.rule, i.region_path, i.agency, i.year, i.cells""").fetchall():
        t = describe(rule, severity, formula, cells, expected, actual, dlt, year)
        by_rule[rule].append([
            link("../" + card_path(key, rid), agency or "(机关未知)"), esc(year), esc(region),
            esc(t.formula_zh), num(expected), num(actual), num(dlt), esc(t.message_zh),
            f'<span class="en">{esc(message)}</span>'])
    pages = 0
    for (rule,) in con.execute("SELECT rule FROM rules").fetchall():
        zh = RULES_ZH.get(rule)
        intro = f"<p>{esc(zh.description if zh else '')} <span class=en>({esc(rule)})</span></p>"
        pages += _paged(write, _rule_file(rule), f"未通过:{rule_name_zh(rule)}", 1,
                        ["机关", "年度", "地区", "公式", "应为", "实际", "差额", "说明",
                         "message"], by_rule.get(rule, []), intro)
    return pages


def render_unknown_list(con, index: list[IndexRow], write) -> int:
    reasons = unknown_reasons(con)
    rows = [[link(card_path(r.agency_key, r.report_id), r.agency or "(机关未知)"), esc(r.year),
             esc(r.region_path), num(r.n_unknown),
             "<br>".join(esc(x) for x in reasons.get(r.report_id, [])[:3])]
            for r in index if r.n_unknown]
    return _paged(write, "unknown", "未能确定的格", 0, ["机关", "年度", "地区", "格数", "原因"], rows,
                  "<p>这些格的数字连写在一起、无法唯一拆分,需要人工对照原文填写。</p>")


def render_quarantined(con, write) -> int:
    rows = [[esc(f), f'{esc(QUARANTINE_REASONS_ZH.get(reason, reason))}<div class="en">'
             f'{esc(reason)}</div>', esc(detail)] for f, reason, detail in con.execute("""
        SELECT source_file, error_reason, error_detail FROM reports
        WHERE status = 'quarantined' ORDER BY error_reason, source_file""").fetchall()]
    return _paged(write, "quarantined", "无法读取的文件", 0, ["文件", "原因", "详情"], rows)


def render_agency_directory(index: list[IndexRow], write) -> int:
    by_agency: dict[str, list[IndexRow]] = defaultdict(list)
    for r in index:
        by_agency[r.agency_key or f"report:{r.report_id}"].append(r)
    rows = []
    for key, reps in sorted(by_agency.items(),
                            key=lambda kv: (kv[1][0].region_path or "", kv[1][0].agency or "")):
        reps.sort(key=lambda r: (r.year, r.status != "loaded"))
        last = reps[-1]
        cards = page_of_key(key)        # the agency's page (card_path, once)
        years = " ".join(link(f"{cards}#{card_anchor(r.report_id)}", r.year) for r in reps)
        region = link(region_path_file(last.region_path or UNKNOWN), last.region_path or "(未知)")
        rows.append([esc(last.agency or "(机关未知)"), region, esc(level_zh(last.level)), years,
                     num(sum(r.n_errors for r in reps))])
    return _paged(write, "agencies", "机关目录", 0, ["机关", "地区", "层级", "年度", "错误"], rows)

