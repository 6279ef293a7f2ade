"""`etl report`: the static site built from a real (small) warehouse — its pages, the marks on a
report card, escaping of document text, links, pagination — and the same pages opened in headless
Chromium (rendered DOM asserted, screenshots kept in tests/output/)."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from etl.report import build_site
from etl.report.data import agency_path, card_anchor, region_path_file
from etl.template import RULES, SECTION3_ROWS, SECTION4_GROUPS
from etl.template.labels_zh import RULES_ZH
from etl.warehouse.query import connect_readonly, run_query
from report_fixtures import HOSTILE, make_warehouse

OUTPUT = Path(__file__).parent / "output"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    wh = make_warehouse(tmp_path_factory)
    out = tmp_path_factory.mktemp("site") / "report"
    con = connect_readonly(wh)
    try:
        stats = build_site(con, out)
    finally:
        con.close()
    return wh, out, stats


def _card(wh: Path, out: Path, agency_id: str, year: int) -> tuple[str, str]:
    """(the agency page's html, the card section of that year)."""
    [(rid, key)] = run_query(f"SELECT report_id, agency_key FROM reports WHERE agency_id = "
                             f"'{agency_id}' AND year = {year}", wh)[1]
    page = (out / agency_path(key, rid)).read_text("utf-8")
    anchor = card_anchor(rid)
    m = re.search(rf'<section class="card" id="{anchor}">(.*?)</section>', page, re.S)
    assert m, anchor
    return page, m.group(1)


def test_site_has_every_page_kind(site):
    wh, out, stats = site
    assert (out / "index.html").is_file() and (out / "style.css").is_file()
    assert (out / region_path_file("")).is_file()
    n_reports = run_query("SELECT count(DISTINCT report_id) FROM reports WHERE status IN "
                          "('loaded', 'superseded')", wh)[1][0][0]
    assert stats.cards == n_reports
    regions = {r[0] for r in run_query("SELECT DISTINCT region_path FROM reports", wh)[1]}
    for r in regions:                                  # every region and every ancestor
        parts = r.split("/")
        for i in range(1, len(parts) + 1):
            assert (out / region_path_file("/".join(parts[:i]))).is_file(), r
    assert stats.bytes == sum(p.stat().st_size for p in out.rglob("*.html"))
    for rule in {r.id for r in RULES}:
        assert (out / "rules" / f"{rule}.html").is_file()


def test_overview_in_chinese_with_english_beside(site):
    wh, out, _ = site
    page = (out / "index.html").read_text("utf-8")
    for rule in ("identity", "row_total", "review_sum"):
        assert RULES_ZH[rule].name in page and f">{rule}<" in page
    # rules broken by rule: the identity row counts the one failing report
    row = re.search(r"表三勾稽关系.*?</tr>", page, re.S).group(0)
    failed = run_query("SELECT count(*) FROM validation_results WHERE rule = 'identity' "
                       "AND status = 'failed'", wh)[1][0][0]
    assert failed == 1 and re.findall(r"<td>(\d+)</td>", row)[0] == "1"
    assert "未能确定的格" in page


def test_card_marks_the_failed_cells_with_formula_expected_actual_delta(site):
    wh, out, _ = site
    _, card = _card(wh, out, "js-sq-shuyang", 2025)
    # table 三, row 一 (本年新收), column 总计 is named by identity and row_total: two issues
    row = re.search(r"<tr>(?:<th[^>]*>[^<]*</th>)*<th[^>]*>一、本年新收政府信息公开申请数量</th>(.*?)</tr>",
                    card).group(1)
    tds = re.findall(r"<td[^>]*>.*?</td>", row)
    assert len(tds) == 7
    assert 'class="number fail"' in tds[-1] and ">9999<" in tds[-1]
    marks = re.findall(r'href="#[^"]+-issue-(\d)"', tds[-1])
    assert sorted(marks) == ["1", "2"]
    # the applicant cells of that row take part in row_total
    assert all("part" in td for td in tds[:6])
    issues = run_query("SELECT rule, expected, actual, delta FROM validation_issues WHERE "
                       "agency_id = 'js-sq-shuyang' ORDER BY severity, rule, cells", wh)[1]
    for rule, expected, actual, delta in issues:
        tr = re.search(rf'<tr id="[^"]+-issue-\d">(?:(?!</tr>).)*<div class="en">{rule}</div>'
                       rf'(?:(?!</tr>).)*</tr>', card, re.S).group(0)
        nums = re.findall(r"<td class=n>(-?\d+)</td>", tr)
        assert nums == [str(expected), str(actual), str(delta)]
        assert "「一、本年新收政府信息公开申请数量|总计」" in tr      # formula in Chinese labels


def test_card_lays_out_the_template_with_its_labels(site):
    wh, out, _ = site
    _, card = _card(wh, out, "js-sq-shuyang", 2025)
    for row in SECTION3_ROWS:
        assert html.escape(row.label, quote=True) in card or row.key == "other_other"
    for g in SECTION4_GROUPS:
        for part in g.label.split(" "):
            assert part in card
    # a 2019 report prints the single 其他处理 row, not the 2021 sub-rows
    _, card19 = _card(wh, out, "fj-pingtan", 2019)
    assert "(六)其他处理" in card19 and "逾期不补正" not in card19


def test_unknown_cell_is_marked_with_its_reason(site):
    wh, out, _ = site
    page, card = _card(wh, out, "zj-nanxing", 2023)
    assert card.count('class="unknown"') == 1
    foot = re.search(r'<ol class="foot">(.*?)</ol>', card, re.S).group(1)
    assert "(一)予以公开|自然人" in foot
    assert "no unique split &lt;i&gt;x&lt;/i&gt;" in foot and "1 2&lt;b&gt;3&lt;/b&gt;" in foot


def test_document_text_is_escaped_everywhere(site):
    _, out, _ = site
    for p in out.rglob("*.html"):
        text = p.read_text("utf-8")
        assert "<script" not in text, p
        assert not re.search(r'(href|src)="\s*javascript', text, re.I), p
    wh, out, _ = site
    page, card = _card(wh, out, "zj-nanxing", 2023)
    assert html.escape(HOSTILE, quote=True) in page      # shown, as text
    assert 'href="javascript' not in page


def test_every_relative_link_resolves(site):
    _, out, _ = site
    for p in out.rglob("*.html"):
        for href in re.findall(r'href="([^"]+)"', p.read_text("utf-8")):
            href = html.unescape(href)
            if href.startswith(("http://", "https://", "file://", "#")):
                continue
            target = (p.parent / href.split("#")[0]).resolve()
            assert target.is_file(), (p, href)
            if "#" in href:
                anchor = href.split("#", 1)[1]
                assert f'id="{anchor}"' in target.read_text("utf-8"), (p, href)


def test_build_site_writes_only_inside_its_folder(site, tmp_path):
    wh, _, _ = site
    out = tmp_path / "a" / "site"
    con = connect_readonly(wh)
    try:
        build_site(con, out)
    finally:
        con.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["site"]


def test_long_lists_are_split_into_pages(site, tmp_path, monkeypatch):
    from etl.report import overview, regions

    wh, _, _ = site
    monkeypatch.setattr(overview, "ROWS_PER_PAGE", 1)
    monkeypatch.setattr(regions, "AGENCIES_PER_PAGE", 1)
    out = tmp_path / "site"
    con = connect_readonly(wh)
    try:
        build_site(con, out)
    finally:
        con.close()
    n_agencies = run_query("SELECT count(DISTINCT agency_key) FROM reports "
                           "WHERE status = 'loaded'", wh)[1][0][0]
    pages = sorted(out.glob("agencies*.html"))
    assert len(pages) == n_agencies > 1
    assert 'href="agencies-2.html"' in (out / "agencies.html").read_text("utf-8")
    # review_sum failed twice (洪泽 2023: review and suit after review): two pages of issues
    assert (out / "rules" / "review_sum-2.html").is_file()
    assert not (out / "rules" / "review_sum-3.html").exists()


def test_corrected_cell_shows_the_original_value():
    """Cells corrected by an office (state ``corrected``, ``original_value`` beside): the card
    shows the new value and the printed one struck through."""
    from etl.report.cards import render_card
    from etl.report.data import S3_POS, CardReport, Cells, CellSpecial

    toks = ["1"] * len(S3_POS)
    pos = S3_POS[("granted", "total")]
    toks[pos] = "x"
    s3 = Cells(toks, {pos: CellSpecial("corrected", 7, "5", "office fix", 5)})
    rep = CardReport("ab" * 8, 2023, "a1", "某局", "id:a1", "某省", "department", "2021",
                     "x.txt", "html", None, None, None, "loaded", None, None,
                     Cells([None] * 40), s3, Cells([None] * 15), [], None, [], [])
    card = render_card(rep)
    td = re.search(r'<td class="corrected"[^>]*>.*?</td>', card).group(0)
    assert "<del>5</del>7" in td and "原印 5" in td


# --- in a real browser ------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium(args: list[str], profile: Path) -> str:
    res = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian package chromium "
                                             "(.ci/system-packages.txt)")
def test_pages_render_in_chromium(site, tmp_path):
    wh, out, _ = site
    OUTPUT.mkdir(exist_ok=True)
    [(rid, key)] = run_query("SELECT report_id, agency_key FROM reports WHERE agency_id = "
                             "'js-sq-shuyang'", wh)[1]
    card = out / agency_path(key, rid)
    region = out / region_path_file("江苏省")
    dom = _chromium(["--dump-dom", card.as_uri()], tmp_path / "p1")
    # the rendered DOM: the failing cell, its marks, Chinese labels, no script ran
    assert dom.count('class="number fail"') == 4          # the four cells identity names
    assert "表三勾稽关系" in dom and "申请人合计" in dom and "三、本年度办理结果" in dom
    dom = _chromium(["--dump-dom", (out / "index.html").as_uri()], tmp_path / "p2")
    assert "<svg" not in dom and "核对规则" in dom
    dom = _chromium(["--dump-dom", region.as_uri()], tmp_path / "p3")
    assert dom.count("<svg") == 4 and "不予公开比例最高的机关" in dom
    hostile = out / agency_path("id:zj-nanxing", "")
    for name, page in (("index", out / "index.html"), ("card", card), ("region", region),
                       ("hostile", hostile)):
        shot = OUTPUT / f"report-{name}.png"
        shot.unlink(missing_ok=True)
        _chromium(["--window-size=1400,2000", f"--screenshot={shot}", page.as_uri()],
                  tmp_path / f"s-{name}")
        assert shot.stat().st_size > 10_000, shot
    dom = _chromium(["--dump-dom", hostile.as_uri()], tmp_path / "p4")
    assert "<script>alert" not in dom and '&lt;script&gt;alert("x")' in dom   # as text


def test_unchanged_agency_pages_are_taken_over_changed_ones_rendered(site, tmp_path_factory):
    """A nightly rebuild keeps the pages of agencies whose reports, checks and cells did not
    change (hard links into the new site) and renders the others."""
    from conftest import build_warehouse
    from etl.report.data import agency_path as path_of
    from report_fixtures import report_items

    wh, _, _ = site
    first = tmp_path_factory.mktemp("site1") / "report"
    con = connect_readonly(wh)
    try:        # the same raw root for both (the source links are part of the pages)
        stats = build_site(con, first, source_root="/srv/raw")
    finally:
        con.close()
    items = report_items()
    for manifest, rep in items:                 # 沭阳: one more cell changed
        if manifest.get("agency_id") == "js-sq-shuyang":
            c = rep.cell("3", "carried_forward", "total")
            c.value, c.raw = 4242, "4242"
    wh2 = build_warehouse(tmp_path_factory.mktemp("report-wh2"), items)
    out = tmp_path_factory.mktemp("site2") / "report"
    con = connect_readonly(wh2)
    try:
        again = build_site(con, out, source_root="/srv/raw", previous=first)
    finally:
        con.close()
    assert again.agencies == stats.agencies and again.reused == stats.agencies - 1
    [(rid, key)] = run_query("SELECT report_id, agency_key FROM reports WHERE agency_id = "
                             "'js-sq-shuyang'", wh2)[1]
    page = out / path_of(key, rid)
    assert ">4242<" in page.read_text("utf-8")
    assert page.stat().st_ino != (first / path_of(key, rid)).stat().st_ino
    [(rid, key)] = run_query("SELECT report_id, agency_key FROM reports WHERE agency_id = "
                             "'js-ha-hongze' AND year = 2023", wh2)[1]
    kept = out / path_of(key, rid)
    assert kept.stat().st_ino == (first / path_of(key, rid)).stat().st_ino
    assert (out / ".manifest.json").is_file() and (out / "index.html").is_file()
    # regions: the pages above 沭阳 changed (its numbers did), the others were taken over
    assert 0 < again.reused_regions < again.regions
    for region in ("江苏省", "江苏省/宿迁市", "江苏省/宿迁市/沭阳县", ""):
        p = out / region_path_file(region)
        assert p.stat().st_ino != (first / region_path_file(region)).stat().st_ino, region
    p = out / region_path_file("福建省")
    assert p.stat().st_ino == (first / region_path_file("福建省")).stat().st_ino


def test_an_empty_warehouse_still_gets_a_site(tmp_path):
    from conftest import build_warehouse

    wh = build_warehouse(tmp_path, [])
    con = connect_readonly(wh)
    try:
        stats = build_site(con, tmp_path / "site")
    finally:
        con.close()
    assert stats.cards == 0 and stats.regions == 1
    assert "没有已入库的报告" in (tmp_path / "site" / region_path_file("")).read_text("utf-8")
    assert "核对规则" in (tmp_path / "site" / "index.html").read_text("utf-8")


def test_region_ranks_its_agencies_by_share_refused(site):
    wh, out, _ = site
    page = (out / region_path_file("江苏省")).read_text("utf-8")
    table = re.search(r"<h2>不予公开比例排名</h2>(.*?)</table>", page, re.S).group(1)
    got = re.findall(r"<tr><td>(\d+)</td><td><a [^>]*>([^<]+)</a></td><td>([\d,]+)</td>"
                     r"<td>([\d,]+)</td><td>([\d.]+)%</td></tr>", table)
    want = run_query("""
        SELECT agency, sum(value) FILTER (row_key LIKE 'deny_%') AS d,
               sum(value) FILTER (row_key = 'total') AS h
        FROM applications WHERE applicant = 'total' AND region_path LIKE '江苏省%'
        GROUP BY agency HAVING h >= 10 ORDER BY d / h DESC""", wh)[1]
    assert [(a, int(d.replace(",", "")), int(h.replace(",", ""))) for _, a, d, h, _ in got] \
        == [(a, d, h) for a, d, h in want]
    assert len(got) == 2


def test_cards_read_in_batches_are_the_same_pages(site, tmp_path, monkeypatch):
    from etl.report import site as site_module

    wh, first, _ = site
    monkeypatch.setattr(site_module, "REPORTS_PER_BATCH", 2)
    out = tmp_path / "batched"
    con = connect_readonly(wh)
    try:
        stats = build_site(con, out)
    finally:
        con.close()
    pages = sorted(p.relative_to(first) for p in (first / "cards").rglob("*.html"))
    assert pages == sorted(p.relative_to(out) for p in (out / "cards").rglob("*.html"))
    assert len(pages) == stats.agencies
    for p in pages:
        assert (first / p).read_bytes() == (out / p).read_bytes(), p


def test_a_warehouse_with_corrections_shows_them_on_the_card(site, tmp_path):
    """A corrected cell (state ``corrected``, ``original_value`` beside it) shows both values on
    the card, and the overview counts it."""
    wh, _, _ = site
    con = connect_readonly(wh)
    try:
        con.execute("CREATE TEMP TABLE _apps AS SELECT * FROM applications")
        con.execute("""
            CREATE OR REPLACE TEMP VIEW applications AS
            SELECT * EXCLUDE (fix) REPLACE (
                       CASE WHEN fix THEN 'corrected' ELSE state END AS state,
                       CASE WHEN fix THEN 713 ELSE value END AS value,
                       CASE WHEN fix THEN value ELSE original_value END AS original_value)
            FROM (SELECT *, agency_id = 'js-sq-shuyang' AND row_key = 'new_received'
                            AND applicant = 'total' AS fix FROM _apps)""")
        assert con.execute("SELECT count(*) FROM applications WHERE state = 'corrected'"
                           ).fetchall() == [(1,)]
        out = tmp_path / "site"
        build_site(con, out)
    finally:
        con.close()
    [(rid, key)] = run_query("SELECT report_id, agency_key FROM reports WHERE agency_id = "
                             "'js-sq-shuyang'", wh)[1]
    page = (out / agency_path(key, rid)).read_text("utf-8")
    assert re.search(r'<td class="corrected[^"]*" title="已更正: 原印 9999"><del>9999</del>713',
                     page)
    assert "已更正的格:1" in (out / "index.html").read_text("utf-8")


def test_overview_counts_agree_with_the_warehouse(site):
    """The run's counts are shown where the warehouse agrees with them; where it does not (a
    run row that counted differently) the warehouse's count is shown, without a change."""
    wh, out, _ = site
    page = (out / "index.html").read_text("utf-8")
    row = re.search(r"<tr><td>未通过的核对</td>.*?</tr>", page, re.S).group(0)
    n = run_query("SELECT count(*) FROM validation_issues", wh)[1][0][0]
    assert re.findall(r"<td>(\d+)</td>", row)[0] == str(n)


def _descendants(pid: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                kids.setdefault(int(fh.read().rsplit(b")", 1)[1].split()[1]), []).append(int(name))
        except (OSError, IndexError, ValueError):
            pass
    out, todo = [], list(kids.get(pid, []))
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def test_card_workers_write_the_same_site_and_leave_no_process(site, tmp_path, monkeypatch):
    """Cards rendered by worker processes (batches of two reports, so every worker and this
    process render some) are the very pages rendered in-process; the workers are gone after."""
    from etl.report import site as site_module

    wh, one_process, _ = site
    monkeypatch.setattr(site_module, "REPORTS_PER_WORKER_BATCH", 2)
    before = set(_descendants(os.getpid()))
    out = tmp_path / "site"
    con = connect_readonly(wh)
    try:
        stats = build_site(con, out, workers=3, worker_memory_mb=128)
    finally:
        con.close()
    assert "cards (workers)" in stats.cpu            # the workers did render cards
    left = [open(f"/proc/{p}/cmdline", "rb").read().replace(b"\0", b" ").decode()
            for p in set(_descendants(os.getpid())) - before]
    # (multiprocessing's resource tracker stays, one per process, as after the parse stage)
    assert [c for c in left if "resource_tracker" not in c] == []
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(one_process) for p in one_process.rglob("*")
                           if p.is_file())
    for rel in files:
        if rel.name != ".manifest.json":
            assert (out / rel).read_bytes() == (one_process / rel).read_bytes(), rel
    assert stats.pages == len([f for f in files if f.suffix == ".html"])
