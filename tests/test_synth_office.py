"""The office forms are written from templates (render_docx: document.xml into a cached python-docx
skeleton; render_pdf: page content laid out by platypus's rules), not through python-docx's and
reportlab's object models.  These tests hold them to what those models made: a Word package with
merged cells, a PDF with a CJK text layer and table 三 over a page break — and documents that the
project's parser reads back exactly as their truth says, in every layout class."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from etl.synth.command import generate
from etl.synth.evaluate import report_cells, same_value, truth_cells
from etl.synth.layouts import LAYOUT_NAMES
from etl.synth.render_pdf import text_width, wrap

parse = pytest.importorskip("etl.parse")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def office_corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("office")
    generate(out, reports=28, forms=("docx", "pdf"), fault_rate=0.2, seed=41, workers=1,
             layouts=LAYOUT_NAMES, layout_rate=1.0)
    return out


def _truths(corpus: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((corpus / "truth").rglob("*.json"))]


def test_office_documents_parse_to_their_truth_in_every_layout_class(office_corpus):
    truths = [t for t in _truths(office_corpus) if not any(f["kind"] == "corrupt" for f in t["faults"])]
    layouts = {name for t in truths for name in t["layouts"]}
    # the classes these forms can show are all drawn (so each one's printing is checked below)
    assert {"word_export", "split_table", "flat_table4", "broken_title", "heading_typos",
            "result_prose"} <= layouts
    assert {t["format"] for t in truths} == {"docx", "pdf"}
    bad, cells = [], 0
    for t in truths:
        got = report_cells(parse.parse_path(office_corpus / t["file"]))
        for key, want in truth_cells(t):
            cells += 1
            value, state = got.get(key, (None, "absent"))
            if not same_value(want, value):
                bad.append((t["file"], t["layouts"], key, want, value, state))
    assert cells > 4000
    assert bad == [], bad[:10]


def test_docx_is_a_word_package_with_merged_cells(office_corpus):
    import docx

    t = next(t for t in _truths(office_corpus) if t["format"] == "docx" and not t["faults"]
             and "split_table" not in t["layouts"])
    data = (office_corpus / t["file"]).read_bytes()
    document = docx.Document(io.BytesIO(data))           # python-docx opens it as Word would
    assert document.paragraphs and len(document.tables) >= 3
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert names[0] == "[Content_Types].xml" and "word/styles.xml" in names
    tbl = next(tb for tb in document.tables if "申请人情况" in tb._tbl.xml)._tbl
    assert tbl.findall(f".//{W}gridSpan") and tbl.findall(f".//{W}vMerge")
    assert "TableGrid" in tbl.xml


def test_pdf_has_a_cjk_text_layer_and_table_3_runs_over_a_page_break(office_corpus):
    import pypdfium2 as pdfium

    from etl.readers.pdf import read_pdf

    t = next(t for t in _truths(office_corpus) if t["format"] == "pdf" and not t["faults"])
    data = (office_corpus / t["file"]).read_bytes()
    # the font is referenced, not embedded: readers need its CMap (UniGB-UCS2-H), as with
    # reportlab's built-in STSong-Light
    assert b"/BaseFont /STSong-Light" in data and b"/UniGB-UCS2-H" in data and b"/FontFile" not in data
    pdf = pdfium.PdfDocument(data)
    try:
        assert len(pdf) >= 3
        text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()
    assert "本年新收政府信息公开申请数量" in text and t["agency"] in text.replace("\r\n", "")
    doc = read_pdf(data, t["file"])
    table3 = next(b for b in doc.tables() if any("申请人情况" in c for c in b.rows[0]))
    assert table3.pages is not None and len(set(table3.pages)) == 2


def test_pdf_lines_never_split_a_number_and_hang_closing_punctuation():
    for lead in range(6, 12):                            # the number straddles the line end somewhere
        text = "本" * lead + "12345件" + "办结。" * 6 + "（已答复）其中"   # (platypus hangs one mark, not two)
        lines = wrap(text, (100.0, 100.0), 11)           # 9 CJK characters a line
        assert "".join(lines) == text
        assert any("12345" in line for line in lines), lines
        assert not any(line.startswith(("。", "、", "）")) for line in lines), lines
        for line in lines:                               # full, but only a hanging 。、） past the edge
            body = line[:-1] if line.endswith(("。", "、", "）")) else line
            assert text_width(body, 11) <= 100.0, lines
    assert wrap("短", (100.0, 100.0), 11) == ["短"]
