"""`etl export`, `etl sql` output formats, the notebook API and the Chinese labels, on a real
small warehouse: every number checked against the warehouse itself."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from etl.errors import REASONS
from etl.export.command import export_command
from etl.export.formats import read_query
from etl.report import layout
from etl.template import CELL_STATES, PROSE_FIGURE_KEYS, RULE_IDS
from etl.template.labels_zh import CELL_STATE_ZH, PROSE_FIGURES_ZH, QUARANTINE_REASONS_ZH, RULES_ZH
from etl.warehouse.query import run_query, sql_command
from report_fixtures import HOSTILE, make_warehouse


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    return make_warehouse(tmp_path_factory)


def test_every_rule_state_and_prose_figure_has_a_chinese_name(wh):
    rules = {r[0] for r in run_query("SELECT rule FROM rules", wh)[1]}
    assert rules == set(RULE_IDS)
    assert rules <= set(RULES_ZH)
    assert set(CELL_STATES) <= set(CELL_STATE_ZH)
    assert set(PROSE_FIGURE_KEYS) == set(PROSE_FIGURES_ZH)
    assert set(REASONS) <= set(QUARANTINE_REASONS_ZH)


# --- xlsx / csv exports -----------------------------------------------------------------------

def _cells(wh, agency_id, year):
    return {(r, c): v for r, c, v in run_query(
        f"SELECT row_key, applicant, value FROM applications WHERE agency_id = '{agency_id}' "
        f"AND year = {year}", wh)[1]}


def test_agency_xlsx_in_template_layout_with_its_issues(wh, tmp_path):
    out = tmp_path / "shuyang.xlsx"
    assert export_command(wh, "js-sq-shuyang", None, None, "xlsx", out) == 0
    book = load_workbook(out)
    assert book.sheetnames == [layout.section_heading(n) for n in ("二", "三", "四")] + ["待改问题"]
    ws = book[layout.section_heading("三")]
    frame = layout.section3_frame("2021")
    # header as printed: 申请人情况 over the 7 columns, 法人或其他组织 over five (merged)
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "D2:J2" in merged and "E3:I3" in merged
    assert ws["D2"].value == "申请人情况" and ws["E3"].value == "法人或其他组织"
    body = 2 + frame.head_rows
    cells = _cells(wh, "js-sq-shuyang", 2025)
    labels = {}
    for h in frame.labels:
        labels.setdefault(h.row, []).append(ws.cell(body + h.row, 1 + h.col).value)
    for i, key in enumerate(frame.rows):
        assert layout.section3_row(key, "2021").label in labels[i]
        for j, col in enumerate(frame.columns):
            got = ws.cell(body + i, 4 + j).value
            assert got == cells[(key, col)], (key, col)
    # the cell the issues name is marked, with the issue in its comment
    c = ws.cell(body + frame.rows.index("new_received"), 4 + frame.columns.index("total"))
    assert c.value == 9999 and c.fill.fgColor.rgb.endswith("FFCDD2")
    assert "表三勾稽关系" in c.comment.text and "申请人合计" in c.comment.text
    issues = book["待改问题"]
    n = run_query("SELECT count(*) FROM validation_issues WHERE agency_id = 'js-sq-shuyang'",
                  wh)[1][0][0]
    assert issues.max_row == 1 + n == 3
    rows = list(issues.iter_rows(min_row=2, values_only=True))
    assert {r[4] for r in rows} == {"identity", "row_total"}
    assert {r[3] for r in rows} == {RULES_ZH["identity"].name, RULES_ZH["row_total"].name}


def test_region_xlsx_sums_match_the_aggregates(wh, tmp_path):
    out = tmp_path / "js.xlsx"
    assert export_command(wh, None, "江苏省", 2023, "xlsx", out) == 0
    ws = load_workbook(out)[layout.section_heading("三")]
    frame = layout.section3_frame("2021")
    body = 2 + frame.head_rows
    got = ws.cell(body + frame.rows.index("new_received"), 4 + frame.columns.index("total")).value
    [(want,)] = run_query("SELECT value FROM aggregates WHERE region_path = '江苏省' AND "
                          "level = '(all)' AND year = 2023 AND "
                          "metric = 'applications.new_received.total'", wh)[1]
    assert got == want == 21


def test_csv_export_has_a_bom_and_no_formula(wh, tmp_path):
    out = tmp_path / "seed"
    assert export_command(wh, "zj-nanxing", None, None, "csv", out) == 0
    files = sorted(p.name for p in out.iterdir())
    assert "待改问题.csv" in files and f"{layout.section_heading('三')}.csv" in files
    raw = (out / f"{layout.section_heading('三')}.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert HOSTILE.replace('"', '""') in text            # the agency name, quoted, as text


def test_spreadsheet_text_never_becomes_a_formula(tmp_path):
    from etl.export.sheets import Sheet, write_xlsx

    write_xlsx([Sheet("s", [["=HYPERLINK(\"http://x\")", "-5", -5, "+1 2"]])], tmp_path / "f.xlsx")
    ws = load_workbook(tmp_path / "f.xlsx")["s"]
    assert ws["A1"].value == "'=HYPERLINK(\"http://x\")" and ws["A1"].data_type == "s"
    assert ws["B1"].value == "-5" and ws["C1"].value == -5 and ws["D1"].value == "'+1 2"


def test_export_refuses_what_it_cannot_name(wh, tmp_path, capsys):
    assert export_command(wh, "no-such-agency", None, None, "xlsx", tmp_path / "x.xlsx") == 2
    assert "no report" in capsys.readouterr().err
    assert export_command(wh, None, None, None, "xlsx", tmp_path / "x.xlsx") == 2
    # an empty name names nothing: not a region "None" of no reports
    assert export_command(wh, "", None, 2023, "xlsx", tmp_path / "x.xlsx") == 2
    assert export_command(wh, None, "", 2023, "xlsx", tmp_path / "x.xlsx") == 2
    assert not (tmp_path / "x.xlsx").exists()


# --- etl sql output ---------------------------------------------------------------------------

Q = "SELECT agency_id, year FROM reports WHERE agency_id = 'js-sq-shuyang'"


def test_sql_formats(wh, tmp_path, capsys):
    assert sql_command(Q, wh, "csv") == 0
    assert capsys.readouterr().out == "agency_id,year\njs-sq-shuyang,2025\n"   # no BOM on stdout
    assert sql_command(Q, wh, "csv", bom=True) == 0
    assert capsys.readouterr().out.startswith("\ufeffagency_id")
    assert sql_command(Q, wh, "csv", out=tmp_path / "q.csv") == 0
    assert (tmp_path / "q.csv").read_bytes().startswith(b"\xef\xbb\xbfagency_id,year")
    assert sql_command(Q, wh, "json") == 0
    assert json.loads(capsys.readouterr().out) == [{"agency_id": "js-sq-shuyang", "year": 2025}]
    assert sql_command(Q, wh, "vertical") == 0
    assert capsys.readouterr().out == "-[ 1 ]-------\nagency_id | js-sq-shuyang\nyear      | 2025\n"
    assert sql_command(Q, wh, "xlsx") == 2                      # needs --out
    assert sql_command(Q, wh, "xlsx", out=tmp_path / "q.xlsx") == 0
    ws = load_workbook(tmp_path / "q.xlsx").active
    assert [c.value for c in ws[2]] == ["js-sq-shuyang", 2025]


def test_sql_pivot_works_and_writes_stay_refused(wh, tmp_path, capsys):
    q = ("PIVOT (SELECT level, year FROM reports WHERE year IS NOT NULL) "
         "ON level USING count(*) ORDER BY year")
    assert sql_command(q, wh, "json") == 0
    rows = json.loads(capsys.readouterr().out)
    want = dict(run_query("SELECT year, count(*) FROM reports WHERE level = 'district' "
                          "GROUP BY year", wh)[1])
    assert {r["year"]: r["district"] for r in rows if r["district"]} == want
    target = tmp_path / "leak.csv"
    assert sql_command(f"COPY (PIVOT reports ON level USING count(*)) TO '{target}'", wh,
                       "csv") == 2                                  # refused: not a PIVOT
    assert not target.exists()
    assert sql_command("DELETE FROM reports", wh, "csv") == 2


def test_sql_reads_its_query_from_a_file_or_stdin(wh, tmp_path):
    f = tmp_path / "q.sql"
    f.write_text(Q, encoding="utf-8")
    assert read_query(None, f) == Q
    assert read_query("-", None, io.StringIO(Q)) == Q
    assert read_query(None, None, io.StringIO(Q)) == Q
    with pytest.raises(ValueError):
        read_query("SELECT 1", f)
    res = subprocess.run([sys.executable, "-m", "etl.cli", "sql", "--warehouse", str(wh),
                          "-f", "csv"], input=Q, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout == "agency_id,year\njs-sq-shuyang,2025\n"


# --- the notebook API -------------------------------------------------------------------------

def test_open_warehouse_table3_in_template_shape(wh):
    import etl

    cells = _cells(wh, "js-sq-shuyang", 2025)
    with etl.open_warehouse(wh) as w:
        t = w.table3("js-sq-shuyang", 2025)
        assert t.shape == (25, 7)
        assert list(t.columns) == [c.label for c in layout.section3_columns()]
        assert list(t.index) == [r.full_label for r in layout.section3_rows("2021")]
        for r in layout.section3_rows("2021"):
            for c in layout.section3_columns():
                v = t.loc[r.full_label, c.label]
                assert (None if v is etl.notebook.pd.NA else int(v)) == cells[(r.key, c.key)]
        # a 2019 report: the single 其他处理 row
        t19 = w.table3("fj-pingtan", 2019)
        assert t19.shape == (23, 7) and "(六)其他处理" in t19.index
        # the unknown cell is <NA>, and its state says why
        seed = w.table3("zj-nanxing", 2023)
        assert seed.loc["(一)予以公开", "自然人"] is etl.notebook.pd.NA
        assert w.table3("zj-nanxing", 2023, states=True).loc["(一)予以公开", "自然人"] == "unknown"
        df = w.sql("SELECT agency_id, count(*) AS n FROM reports GROUP BY 1 ORDER BY 1")
        assert list(df.columns) == ["agency_id", "n"] and df["n"].sum() == 8
        issues = w.issues("js-sq-shuyang")
        assert set(issues["规则"]) == {RULES_ZH["identity"].name, RULES_ZH["row_total"].name}
        assert w.table4("js-ha-hongze", 2023).loc["行政复议", "总计"] == 0
        with pytest.raises(LookupError):
            w.table3("js-sq-shuyang", 2019)
