"""Speed of the HTML, PDF and DOCX readers on one core (prints figures; no assertions).

    .venv/bin/python bench/bench_readers.py [--seconds 2]

HTML: the real 上海 2019 fragment, and a seed-sized page (the seed report, rendered from its Word
fixture into an HTML table page with rowspan/colspan and site chrome), reader alone and reader +
parser.  PDF: the two real 洪泽区 reports with this reader (pypdfium2) and, for comparison, what
pdfplumber alone needs just to extract words and ruling lines from the same pages.  DOCX: the
seed report as Word.
"""

from __future__ import annotations

import argparse
import html
import io
import time
from pathlib import Path

from etl.document import TableGrid
from etl.readers import read_bytes

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures"


def rate(fn, seconds: float) -> tuple[float, int]:
    """(mean CPU seconds per call, calls) over about ``seconds``, after one warm-up.

    CPU time, not wall time: the machine is shared, and a descheduled process is not slower."""
    fn()
    n, t0 = 0, time.process_time()
    while True:
        fn()
        n += 1
        elapsed = time.process_time() - t0
        if elapsed >= seconds:
            return elapsed / n, n


def seed_html() -> str:
    """The seed report as a site page: <p> per line, tables with spans taken from origin."""
    doc = read_bytes((FIX / "docx" / "seed_report.docx").read_bytes(), "seed.docx")
    out = ['<html><head><meta charset="utf-8"><title>南星街道2023年政府信息公开工作年度报告_上城区人民政府</title>'
           "</head><body><nav><a>首页</a><a>政务公开</a></nav><div class='crumb'>当前位置：首页 > 政务公开</div>"
           "<div class='article'>"]
    for b in doc.blocks:
        if not isinstance(b, TableGrid):
            out.append(f"<p>{html.escape(b.text)}</p>")
            continue
        out.append('<table border="1"><tbody>')
        for r, row in enumerate(b.rows):
            out.append("<tr>")
            for c, text in enumerate(row):
                if b.origin[r][c] != (r, c):
                    continue
                rs = sum(1 for rr in range(r, b.n_rows) if b.origin[rr][c] == (r, c))
                cs = sum(1 for cc in range(c, b.n_cols) if b.origin[r][cc] == (r, c))
                attrs = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
                out.append(f"<td{attrs}><p>{html.escape(text) or '&nbsp;'}</p></td>")
            out.append("</tr>")
        out.append("</tbody></table>")
    out.append("</div><footer><p>版权所有 上城区人民政府 浙ICP备12345678号</p></footer></body></html>")
    return "".join(out)


def pdfplumber_extract(data: bytes) -> None:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_words()
            page.lines  # noqa: B018  (the ruling lines, as the geometry step would need them)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0)
    secs = ap.parse_args().seconds
    try:
        from etl.parse import parse_document
    except ImportError:                                  # the parser is another module's work
        parse_document = None

    rows: list[tuple[str, str, float]] = []
    page = seed_html()
    shanghai = (FIX / "realdata" / "001_shanghai_gov_office_2019.html").read_bytes()
    for name, data in (("seed-sized page (%.1f KB)" % (len(page.encode()) / 1024), page.encode()),
                       ("上海 2019 fragment (%.1f KB)" % (len(shanghai) / 1024), shanghai)):
        rows.append(("html read", name, rate(lambda d=data: read_bytes(d, "x.html"), secs)[0]))
        if parse_document is not None:
            rows.append(("html read+parse", name,
                         rate(lambda d=data: parse_document(read_bytes(d, "x.html")), secs)[0]))
    for name in ("006_huaian_hongze_district_2023.pdf", "007_huaian_hongze_district_2024.pdf"):
        data = (FIX / "realdata" / name).read_bytes()
        rows.append(("pdf read (pypdfium2)", name, rate(lambda d=data: read_bytes(d, "x.pdf"), secs)[0]))
        rows.append(("pdf words+lines (pdfplumber)", name, rate(lambda d=data: pdfplumber_extract(d), secs)[0]))
        if parse_document is not None:
            rows.append(("pdf read+parse", name,
                         rate(lambda d=data: parse_document(read_bytes(d, "x.pdf")), secs)[0]))
    docx = (FIX / "docx" / "seed_report.docx").read_bytes()
    rows.append(("docx read", "seed_report.docx", rate(lambda: read_bytes(docx, "x.docx"), secs)[0]))
    if parse_document is not None:
        rows.append(("docx read+parse", "seed_report.docx",
                     rate(lambda: parse_document(read_bytes(docx, "x.docx")), secs)[0]))

    print(f"{'what':32} {'file':40} {'ms/file':>9} {'files/s':>9}")
    for what, name, t in rows:
        print(f"{what:32} {name:40} {t * 1000:9.2f} {1 / t:9.0f}")


if __name__ == "__main__":
    main()
