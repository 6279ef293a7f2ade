"""PDF reader: the two real 洪泽区 reports, generated layouts and broken files."""

from __future__ import annotations

import ctypes
import json
from pathlib import Path

import pytest

from etl.document import TableGrid
from etl.errors import REASONS, ReportError
from etl.readers import read_path
from etl.readers.pdf import read_pdf

FIXTURES = Path(__file__).parent / "fixtures"
REAL = FIXTURES / "realdata"
PDF = FIXTURES / "pdf"
#: the CJK font pdfium finds for non-embedded Chinese fonts (Debian fonts-wqy-microhei)
CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
REAL_PDFS = ["006_huaian_hongze_district_2023", "007_huaian_hongze_district_2024"]


@pytest.fixture(scope="module", params=REAL_PDFS)
def real(request):
    name = request.param
    truth = json.loads((REAL / "truth" / f"{name}.json").read_text(encoding="utf-8"))
    return read_path(REAL / f"{name}.pdf"), truth


def _table_with(doc, text: str) -> TableGrid:
    return next(t for t in doc.tables() if any(text in c for row in t.rows for c in row))


def _row(table: TableGrid, label: str) -> list[str]:
    return next(r for r in table.rows if any(c.startswith(label) for c in r))


def test_real_table3_is_one_grid_over_two_pages(real):
    doc, truth = real
    t3 = _table_with(doc, "本年新收政府信息公开申请数量")
    assert (t3.n_rows, t3.n_cols) == (26, 10)
    assert t3.page == 3 and t3.pages is not None and set(t3.pages) == {3, 4}
    assert len(t3.pages) == t3.n_rows
    # the vertical label, printed one character per line and cut by the page break, is one cell
    granted = next(i for i, r in enumerate(t3.rows) if r[1] == "（一）予以公开")
    total = next(i for i, r in enumerate(t3.rows) if r[1] == "（七）总计")
    assert {t3.rows[i][0] for i in range(granted, total + 1)} == {"三、本年度办理结果"}
    assert {t3.origin[i][0] for i in range(granted, total + 1)} == {(granted, 0)}
    # a two-line label cell is joined without a space
    assert "（二）部分公开（区分处理的，只计这一情形，不计其他情形）" in t3.rows[granted + 1]
    # data cells: the truth file's numbers, column by column
    new_received = [int(v) for v in _row(t3, "一、本年新收")[3:]]
    assert new_received == truth["section3"]["new_received"]
    not_held = [int(v) for v in _row(t3, "1.本机关不掌握")[3:]]
    assert not_held == truth["section3"]["unable_not_held"]


def test_real_section4_row(real):
    doc, truth = real
    t4 = _table_with(doc, "行政复议")
    assert t4.n_cols == 15
    values = [int(v) for v in t4.rows[-1]]
    assert values == list(truth["section4"].values())


def test_real_text_lines_drop_page_numbers_and_keep_order(real):
    doc, _ = real
    texts = [b.text for b in doc.text_lines()]
    assert not any(t.strip("-— ").isdigit() for t in texts)          # "- 3 -" is gone
    assert texts.index("一、总体情况") < texts.index("五、存在的主要问题及改进情况")
    kinds = [type(b).__name__ for b in doc.blocks]
    i3 = texts.index("三、收到和处理政府信息公开申请情况")
    block = doc.blocks.index(doc.text_lines()[i3])
    assert kinds[block + 1] == "TableGrid"
    assert [b.line for b in doc.blocks] == list(range(1, len(doc.blocks) + 1))
    assert doc.title.endswith("2023年政府信息公开工作年度报告") or doc.title.endswith("2024年政府信息公开工作年度报告")
    assert all(b.page in range(1, 6) for b in doc.text_lines())


def test_real_pdfs_parse_to_truth(real):
    parse = pytest.importorskip("etl.parse")
    doc, truth = real
    report = parse.parse_document(doc)
    section3 = report.section3()
    # the truth lists the rows the report prints (no 2021-only sub-rows of （六） here)
    assert {k: section3[k] for k in truth["section3"]} == truth["section3"]
    assert report.section4() == truth["section4"]
    section2 = report.section2()
    assert {k: section2.get(k) for k in truth["section2"]} == truth["section2"]


def test_generated_split_table_merged_with_repeated_header_dropped():
    doc = read_path(PDF / "split_table.pdf")
    tables = doc.tables()
    assert len(tables) == 1
    t3 = tables[0]
    assert t3.n_rows == 28                              # 3 header rows + 25, the repeat dropped
    assert sum(1 for r in t3.rows if r[3] == "自然人") == 2      # header rows 1-2 only, once
    assert t3.pages.count(1) == 15 and t3.pages.count(2) == 13
    label_rows = [r[0] for r in t3.rows[5:27]]
    assert set(label_rows) == {"三、本年度办理结果"}          # "三、本年度" + "办理结果" over the cut
    # the group cell closed at the page foot is not joined with the next page's group
    assert _row(t3, "（三）不予公开")[1] == "（三）不予公开"
    assert [r[1] for r in t3.rows if r[2] == "1.本机关不掌握相关政府信息"] == ["（四）无法提供"]
    long_label = "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"
    assert any(r[2] == long_label for r in t3.rows)     # a five-line cell in one string
    texts = [b.text for b in doc.text_lines()]
    assert "某某街道办事处政务公开专栏" not in texts       # running header on both pages
    assert not any(t.startswith("-") for t in texts)
    assert doc.title == "某某街道2023年政府信息公开工作年度报告"


def test_borderless_columns_fall_back_to_alignment():
    doc = read_path(PDF / "borderless.pdf")
    (table,) = doc.tables()
    assert table.n_cols == 15
    assert table.rows[-1] == ["2", "0", "1", "0", "3", "0", "0", "0", "1", "1", "4", "0", "0", "0", "4"]
    # the header wrapped over two lines (结果/维持) is one header row
    assert table.n_rows == 2
    assert table.rows[0][:5] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    texts = [b.text for b in doc.text_lines()]
    assert texts == ["四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "无。"]


@pytest.mark.parametrize("name, reason", [
    ("encrypted.pdf", "encrypted"),
    ("corrupt.pdf", "corrupt"),
    ("truncated.pdf", "truncated"),
    ("blank.pdf", "empty"),
    ("outlines.pdf", "no_text_layer"),
])
def test_broken_pdfs_get_their_own_reason(name, reason):
    with pytest.raises(ReportError) as err:
        read_path(PDF / name)
    assert err.value.reason == reason
    assert reason in REASONS
    assert name in str(err.value)


def test_pdf_bytes_under_a_wrong_extension_are_still_read():
    data = (PDF / "split_table.pdf").read_bytes()
    from etl.readers import read_bytes

    doc = read_bytes(data, "report.html")
    assert doc.form == "pdf" and len(doc.tables()) == 1


def test_garbage_after_pdf_magic_is_corrupt_not_a_crash():
    with pytest.raises(ReportError) as err:
        read_pdf(b"%PDF-1.4\n%%EOF\n", "tiny.pdf")
    assert err.value.reason == "corrupt"


def _skipped_text_objects(path: Path) -> int:
    """Text objects on page 1 of which pdfium's text page has no character (pdfium API only)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument(path.read_bytes())
    try:
        page = pdf[0]
        objects = {ctypes.cast(raw.FPDFPage_GetObject(page.raw, i), ctypes.c_void_p).value
                   for i in range(raw.FPDFPage_CountObjects(page.raw))
                   if raw.FPDFPageObj_GetType(raw.FPDFPage_GetObject(page.raw, i)) == raw.FPDF_PAGEOBJ_TEXT}
        textpage = page.get_textpage()
        kept = {ctypes.cast(raw.FPDFText_GetTextObject(textpage.raw, i), ctypes.c_void_p).value
                for i in range(raw.FPDFText_CountChars(textpage.raw))}
        return len(objects - kept)
    finally:
        pdf.close()


def test_lone_cid_chars_are_read_whatever_fonts_are_installed():
    """reportlab writes one-character strings in the non-embedded CID font STSong-Light.  pdfium
    cannot measure such a glyph without a system font that has it, and its text page skips an
    object of no width: with no CJK font installed these fullwidth digits vanish.  A skipped
    object sends the page to pdfminer, so the digits are read with or without the font."""
    doc = read_path(PDF / "lone_chars.pdf")
    (table,) = doc.tables()
    assert table.rows[1] == list("２０１０３０００１１４０００４")
    assert any("pdfminer" in w for w in doc.warnings) == (_skipped_text_objects(PDF / "lone_chars.pdf") > 0)


@pytest.mark.skipif(not Path(CJK_FONT).exists(), reason="fonts-wqy-microhei is not installed")
def test_with_the_cjk_font_installed_pdfium_reads_every_glyph_and_pdfminer_never_runs():
    """With fonts-wqy-microhei (.ci/system-packages.txt) pdfium measures every glyph of
    STSong-Light: the pdfminer fallback (≈4x the CPU of a page) never runs on our PDFs."""
    for name in ("lone_chars.pdf", "borderless3.pdf", "filled_rules.pdf", "split_three.pdf"):
        assert _skipped_text_objects(PDF / name) == 0, name
        assert not any("pdfminer" in w for w in read_path(PDF / name).warnings), name


def test_image_only_pdf_is_read_by_ocr_not_quarantined():
    doc = read_path(PDF / "image_only.pdf")
    assert doc.form == "scan" and doc.meta["ocr_pages"] == "1" and doc.tables()


def test_clean_pdf_does_not_take_the_slow_path(real):
    doc, _ = real
    assert not any("pdfminer" in w for w in doc.warnings)


def test_borders_as_filled_rectangles_in_one_path():
    doc = read_path(PDF / "filled_rules.pdf")
    (table,) = doc.tables()
    assert (table.n_rows, table.n_cols) == (2, 15)
    assert table.rows[1] == [str(k) for k in range(15)]


def test_table_over_three_pages_with_partial_header():
    doc = read_path(PDF / "split_three.pdf")
    (t3,) = doc.tables()
    assert t3.n_rows == 28 and sorted(set(t3.pages)) == [1, 2, 3]
    assert sum(1 for r in t3.rows if r[4] == "商业企业") == 1          # partial header dropped
    assert {r[0] for r in t3.rows[5:27]} == {"三、本年度办理结果"}        # 三、本年 + 度办理 + 结果
    # a group label printed again in the continued part stays one label
    assert {r[1] for r in t3.rows if r[2].startswith(("1.属于国家秘密", "8.属于行政查询"))} == {"（三）不予公开"}


def test_borderless_table3_with_wrapped_labels():
    doc = read_path(PDF / "borderless3.pdf")
    rows = [r for t in doc.tables() for r in t.rows]
    assert ["一、本年新收政府信息公开申请数量", "3", "0", "0", "0", "0", "0", "3"] in rows
    assert ["（七）总计", "3", "0", "0", "0", "0", "0", "3"] in rows
    # a wrapped label's halves stay text lines around their numbers, a column gap is a space
    texts = [b.text for b in doc.text_lines()]
    assert "0 0 0 0 0 0 0" in texts and "（二）部分公开（区分处理的，只计这一情形" in texts
    parse = pytest.importorskip("etl.parse")
    truth = json.loads((FIXTURES / "000_0ef24cf9c99c7ecf.truth.json").read_text(encoding="utf-8"))
    section3 = parse.parse_document(doc).section3()
    for key in ("new_received", "partial", "unable_not_held", "total", "carried_forward"):
        assert section3[key] == truth["section3"][key], key


def test_scanned_page_inside_a_text_pdf_is_ocrd(tmp_path):
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "mixed.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("STSong-Light", 12)
    c.drawString(70, 700, "一、总体情况 ")
    c.showPage()
    c.drawImage(ImageReader(Image.new("L", (60, 80), 200)), 0, 0, width=A4[0], height=A4[1])
    c.showPage()
    c.save()
    doc = read_path(path)
    assert [b.text for b in doc.text_lines()] == ["一、总体情况"]
    assert doc.meta["ocr_pages"] == "2"                          # a blank grey scan: no text
    assert any(w.startswith("page 2: read by OCR") for w in doc.warnings)


def test_rotated_page_reads_as_displayed():
    doc = read_path(PDF / "rotated.pdf")
    assert not any("pdfminer" in w for w in doc.warnings)      # pdfium's own path
    (table,) = doc.tables()
    assert (table.n_rows, table.n_cols) == (2, 15)
    assert table.rows[1] == [str(k) for k in range(15)]
    assert table.rows[0][:5] == ["upheld", "fixed", "other", "open", "total"]
    assert doc.text_lines()[0].text == "Section 4: review and litigation"
