"""Readers: one module per input form, each turning a file into an :class:`etl.document.Document`.

``read_path`` dispatches on the file's bytes first (magic numbers) and its extension second, so a
PDF saved as ``.html`` is still read as a PDF.  Legacy Word (.doc/.wps/.rtf, sniffed by content)
goes through LibreOffice to the DOCX reader (:mod:`etl.readers.legacy_word`); page images and the
scanned pages of PDFs are read by OCR (:mod:`etl.readers.scan`).  Every failure is a :class:`etl.errors.ReportError`
naming the file and the reason.
"""

from __future__ import annotations

from pathlib import Path

from etl.document import Document
from etl.errors import ReportError

#: Extensions we recognise but cannot read (yet): a clear quarantine reason, not a crash.
UNSUPPORTED = {
    ".xls": "spreadsheet", ".xlsx": "spreadsheet", ".gif": "image (GIF)", ".zip": "archive",
    ".rar": "archive",
}
#: Image magic numbers: report pages photographed or scanned (read by OCR).
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")
DOCX_EXTENSIONS = {".docx", ".docm", ".dotx", ".wps"}   # WPS Office also saves OOXML as .wps
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
TEXT_EXTENSIONS = {".txt", ".md", ".markdown", ".text", ""}
HTML_EXTENSIONS = {".html", ".htm", ".shtml", ".xhtml", ".jsp", ".php", ".asp", ".aspx"}


def read_path(path: str | Path) -> Document:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ReportError(str(path), "unreadable", e.strerror or str(e)) from e
    return read_bytes(data, str(path))


def read_bytes(data: bytes, path: str) -> Document:
    suffix = Path(path).suffix.lower()
    if not data:
        raise ReportError(path, "empty", "the file has no content")
    if data.startswith(b"%PDF") or suffix == ".pdf":
        from etl.readers.limits import check_pdf
        from etl.readers.pdf import read_pdf

        check_pdf(data, path)
        return read_pdf(data, path)
    if data.startswith(b"PK\x03\x04") and (suffix in DOCX_EXTENSIONS or b"word/document" in data):
        from etl.readers.docx import read_docx
        from etl.readers.limits import check_zip

        check_zip(data, path)
        return read_docx(data, path)
    if data.startswith(OLE2_MAGIC):
        # A password-protected .docx is not a ZIP: Office wraps the encrypted package in an OLE2
        # compound file with an "EncryptedPackage" stream, the same container as a legacy .doc.
        if ENCRYPTED_PACKAGE in data:
            raise ReportError(path, "encrypted", "a password-protected Office document")
        from etl.readers.legacy_word import is_word_binary, read_legacy_word

        if is_word_binary(data):                # .doc, .wps (WPS Office), or either misnamed
            return read_legacy_word(data, path)
        raise ReportError(path, "unsupported_format",
                          UNSUPPORTED.get(suffix, "OLE2 compound file without a Word document (.xls/.ppt?)"))
    if data.lstrip()[:5] == b"{\\rtf":
        from etl.readers.legacy_word import read_legacy_word

        return read_legacy_word(data, path)
    if data.startswith(IMAGE_MAGIC):
        from etl.readers.scan import read_image

        return read_image(data, path)
    if suffix in DOCX_EXTENSIONS:
        raise ReportError(path, "corrupt", "not a ZIP container, so not a readable .docx")
    if suffix in UNSUPPORTED:
        raise ReportError(path, "unsupported_format", UNSUPPORTED[suffix])
    from etl.readers.encoding import decode_bytes

    text, encoding = decode_bytes(data, path)
    head = text[:2000].lower()
    if suffix in HTML_EXTENSIONS or "<table" in head or "<html" in head or "<p" in head[:200]:
        from etl.readers.html import read_html

        doc = read_html(text, path)
    else:
        from etl.readers.text import read_text

        doc = read_text(text, path)
    doc.meta.setdefault("encoding", encoding)
    return doc
