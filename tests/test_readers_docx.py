"""DOCX reader: the seed report as a Word file (made by tests/fixtures/docx/make_fixtures.py),
merged-cell variants built here with python-docx, and broken files."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from docx import Document as WordDocument

from etl.document import TableGrid, TextLine
from etl.errors import REASONS, ReportError
from etl.readers import read_bytes, read_path
from etl.readers.docx import read_docx

FIXTURES = Path(__file__).parent / "fixtures"
DOCX = FIXTURES / "docx"
TRUTH = json.loads((FIXTURES / "000_0ef24cf9c99c7ecf.truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed():
    return read_path(DOCX / "seed_report.docx")


def _save(doc) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_body_order_paragraphs_and_tables_interleaved(seed):
    kinds = ["T" if isinstance(b, TableGrid) else "L" for b in seed.blocks]
    assert kinds.count("T") == 6                           # 4 section 二 tables, 三, 四
    texts = [b.text for b in seed.text_lines()]
    assert texts[0] == "南星街道2023年政府信息公开工作年度报告" == seed.title
    heading3 = next(i for i, b in enumerate(seed.blocks)
                    if isinstance(b, TextLine) and b.text == "三、收到和处理政府信息公开申请情况")
    assert isinstance(seed.blocks[heading3 + 1], TableGrid)
    assert seed.blocks[heading3 + 1].n_rows == 28
    # a w:br inside one paragraph makes two visual lines
    assert texts[-2:] == ["南星街道办事处", "2024年1月20日"]
    assert seed.form == "docx"


def test_page_break_counts_pages(seed):
    t3 = seed.tables()[4]
    assert seed.tables()[0].page == 1 and t3.page == 2
    assert seed.text_lines()[-1].page == 2


def test_table3_merged_cells_expanded_with_origin(seed):
    t3 = seed.tables()[4]
    assert (t3.n_rows, t3.n_cols) == (28, 10)
    # header: the 3x3 note, 自然人 down two rows, and a two-line header cell joined
    assert {t3.origin[r][c] for r in range(3) for c in range(3)} == {(0, 0)}
    assert t3.origin[1][3] == t3.origin[2][3] == (1, 3)
    assert t3.rows[2][4] == "商业企业"
    assert t3.origin[2][4] != t3.origin[2][5]
    # the vertical label covers the 22 result rows (w:vMerge), one origin
    first = next(i for i, r in enumerate(t3.rows) if r[1] == "（一）予以公开")
    last = next(i for i, r in enumerate(t3.rows) if r[1] == "（七）总计")
    assert last - first + 1 == 22
    assert {t3.origin[i][0] for i in range(first, last + 1)} == {(first, 0)}
    assert {t3.rows[i][0] for i in range(first, last + 1)} == {"三、本年度办理结果"}
    # data cells: the seed's truth
    new_received = next(r for r in t3.rows if r[0].startswith("一、本年新收"))
    assert [int(v) for v in new_received[3:]] == TRUTH["section3"]["new_received"]
    # equal neighbouring values are distinct cells
    assert t3.origin[first][4] != t3.origin[first][5]


def test_seed_docx_parses_to_truth(seed):
    parse = pytest.importorskip("etl.parse")
    report = parse.parse_document(seed)
    section3 = report.section3()
    assert {k: section3[k] for k in TRUTH["section3"]} == TRUTH["section3"]
    assert report.section4() == TRUTH["section4"]
    section2 = report.section2()
    assert {k: section2.get(k) for k in TRUTH["section2"]} == TRUTH["section2"]


def test_vmerge_continuation_with_text_joins_it():
    doc = WordDocument()
    table = doc.add_table(rows=3, cols=2)
    top = table.cell(0, 0).merge(table.cell(1, 0))
    top.paragraphs[0].add_run("（四）")
    top.add_paragraph("无法提供")
    table.cell(0, 1).text = "1"
    table.cell(1, 1).text = "1"                            # the same value: two distinct cells
    table.cell(2, 0).text = "总计"
    table.cell(2, 1).text = "2"
    grid = read_docx(_save(doc), "merge.docx").tables()[0]
    assert grid.rows == [["（四）无法提供", "1"], ["（四）无法提供", "1"], ["总计", "2"]]
    assert grid.origin == [[(0, 0), (0, 1)], [(0, 0), (1, 1)], [(2, 0), (2, 1)]]


def test_grid_span_and_short_rows_padded():
    doc = WordDocument()
    table = doc.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "第二十条第（五）项"
    table.cell(1, 0).text = "行政许可"
    table.cell(1, 1).merge(table.cell(1, 2)).text = "12"
    grid = read_docx(_save(doc), "span.docx").tables()[0]
    assert grid.rows == [["第二十条第（五）项"] * 3, ["行政许可", "12", "12"]]
    assert grid.origin[1] == [(1, 0), (1, 1), (1, 1)]


def test_one_cell_box_is_text():
    doc = WordDocument()
    doc.add_table(rows=1, cols=1).cell(0, 0).text = "六、其他需要报告的事项"
    parsed = read_docx(_save(doc), "box.docx")
    assert parsed.tables() == [] and parsed.blocks[0].text == "六、其他需要报告的事项"


@pytest.mark.parametrize("name, reason", [
    ("truncated.docx", "truncated"),
    ("corrupt.docx", "corrupt"),
    ("not_word.docx", "corrupt"),
    ("encrypted.docx", "encrypted"),
    ("legacy.doc", "unsupported_format"),
])
def test_broken_word_files_get_their_own_reason(name, reason):
    with pytest.raises(ReportError) as err:
        read_path(DOCX / name)
    assert err.value.reason == reason and reason in REASONS
    assert name in str(err.value)


def test_wps_and_renamed_doc():
    with pytest.raises(ReportError) as err:
        read_bytes((DOCX / "legacy.doc").read_bytes(), "report.wps")
    assert err.value.reason == "unsupported_format"
    with pytest.raises(ReportError) as err:
        read_bytes((DOCX / "legacy.doc").read_bytes(), "report.docx")
    # the fixture is an OLE2 container without a WordDocument stream: not Word, whatever its name
    assert err.value.reason == "unsupported_format" and "Word" in err.value.detail
    doc = read_bytes((DOCX / "seed_report.docx").read_bytes(), "report.wps")   # OOXML saved as .wps
    assert doc.form == "docx" and len(doc.tables()) == 6


def test_empty_word_document_is_empty():
    with pytest.raises(ReportError) as err:
        read_docx(_save(WordDocument()), "blank.docx")
    assert err.value.reason == "empty"


def test_text_box_fallback_is_not_read_twice():
    from lxml import etree

    doc = WordDocument()
    p = doc.add_paragraph()
    mc = "http://schemas.openxmlformats.org/markup-compatibility/2006"
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    xml = (f'<mc:AlternateContent xmlns:mc="{mc}" xmlns:w="{w}">'
           f'<mc:Choice Requires="wps"><w:r><w:t>一、总体情况</w:t></w:r></mc:Choice>'
           f'<mc:Fallback><w:r><w:t>一、总体情况</w:t></w:r></mc:Fallback></mc:AlternateContent>')
    p._p.append(etree.fromstring(xml))
    parsed = read_docx(_save(doc), "textbox.docx")
    assert [b.text for b in parsed.blocks] == ["一、总体情况"]


def test_damaged_deflate_stream_is_corrupt():
    data = bytearray((DOCX / "seed_report.docx").read_bytes())
    start = data.find(b"word/document.xml") + 200        # inside the compressed document part
    for i in range(start, start + 40):
        data[i] ^= 0x5A
    with pytest.raises(ReportError) as err:
        read_bytes(bytes(data), "damaged.docx")
    assert err.value.reason == "corrupt"
