"""Decompression bombs are quarantined as `bomb` from their headers, before anything inflates."""

from __future__ import annotations

import io
import resource
import subprocess
import sys
import zipfile
import zlib

import pytest

from etl.errors import ReportError
from etl.readers import read_bytes
from etl.readers.limits import check_pdf, check_zip, max_inflated

INFLATED = 300 * 2**20            # over the default 256 MB a part


def zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            chunk = b"\0" * (4 * 2**20)
            for _ in range(INFLATED // len(chunk)):
                fh.write(chunk)
    return buf.getvalue()


def pdf_bomb() -> bytes:
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(b"\0" * (4 * 2**20)) for _ in range(INFLATED // (4 * 2**20)))
    body += comp.flush()
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
            b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >> endobj\n"
            + f"4 0 obj << /Length {len(body)} /Filter /FlateDecode >>\nstream\n".encode()
            + body + b"\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


@pytest.mark.parametrize("make, name", [(zip_bomb, "bomb.docx"), (pdf_bomb, "bomb.pdf")])
def test_bombs_are_quarantined_small(make, name):
    data = make()
    assert len(data) < 2 * 2**20 and INFLATED > max_inflated()
    with pytest.raises(ReportError) as e:
        read_bytes(data, name)
    assert e.value.reason == "bomb"


def test_checking_a_bomb_costs_little_memory(tmp_path):
    """In a fresh process: reading a 300 MB-inflating PDF and docx costs little more than
    reading two ordinary ones (the interpreter and the readers' libraries)."""
    from conftest import FIXTURES

    (tmp_path / "b.pdf").write_bytes(pdf_bomb())
    (tmp_path / "b.docx").write_bytes(zip_bomb())
    code = ("import resource,sys\n"
            "from etl.readers import read_path\n"
            "from etl.errors import ReportError\n"
            "for p in sys.argv[1:]:\n"
            "    try: read_path(p)\n"
            "    except ReportError as e: assert e.reason == 'bomb', e\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n")
    def peak_mb(*files) -> int:
        out = subprocess.run([sys.executable, "-c", code, *map(str, files)], capture_output=True,
                             text=True, check=True)
        return int(out.stdout)

    baseline = peak_mb(FIXTURES / "realdata" / "006_huaian_hongze_district_2023.pdf",
                       FIXTURES / "docx" / "seed_report.docx")
    bombs = peak_mb(tmp_path / "b.pdf", tmp_path / "b.docx")
    assert bombs < baseline + 64, (bombs, baseline)        # MB; inflated they would be 300+


def test_ordinary_documents_pass(tmp_path):
    from conftest import FIXTURES

    check_zip((FIXTURES / "docx" / "seed_report.docx").read_bytes(), "seed_report.docx")
    for pdf in sorted((FIXTURES / "realdata").glob("*.pdf")):
        check_pdf(pdf.read_bytes(), pdf.name)


def test_forged_zip_sizes_do_not_get_past_the_reader():
    """A directory that understates a member's size: zipfile stops at the declared size and the
    CRC fails, so the reader sees a corrupt file, never the real inflated bytes."""
    data = bytearray(zip_bomb())
    # rewrite every declared uncompressed size of document.xml to 1000 bytes
    off = data.find(b"word/document.xml")
    assert off > 0
    with pytest.raises(ReportError) as e:
        read_bytes(bytes(data).replace(b"\xff\xff\xff\xff", b"\xe8\x03\x00\x00"), "forged.docx")
    assert e.value.reason in ("bomb", "corrupt")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024 < 2000
