"""Errors that name the file and what is wrong with it.

A reader or parser raises :class:`ReportError` for input it cannot use; the pipeline records the
file with ``reason`` (a short machine-readable code) and ``detail`` (one human line) and goes on.
"""

from __future__ import annotations


class ReportError(Exception):
    """A report that cannot be read or parsed. ``str(err)`` is one line naming the file."""

    def __init__(self, path: str, reason: str, detail: str = ""):
        self.path = str(path)
        self.reason = reason            # e.g. "unsupported_format", "no_text_layer", "encrypted"
        self.detail = detail
        super().__init__(f"{self.path}: {reason}" + (f" — {detail}" if detail else ""))


#: Quarantine reasons (the ``reason`` of a ReportError), one place for their meaning.
REASONS: dict[str, str] = {
    "unsupported_format": "a file type the pipeline does not read (e.g. spreadsheets, archives)",
    "unreadable": "the file cannot be opened (permissions, vanished, I/O error)",
    "empty": "the file is empty",
    "undecodable": "the text is in no encoding we can detect",
    "corrupt": "the file is damaged and cannot be opened",
    "truncated": "the file ends before its structure does",
    "encrypted": "the PDF/DOCX is password-protected",
    "no_text_layer": "a PDF whose glyphs are drawn as outlines: no text and no page image to OCR",
    "converter_missing": "LibreOffice is not installed (apt-get install libreoffice-writer-nogui)",
    "converter_timeout": "LibreOffice took longer than ETL_CONVERT_TIMEOUT and was killed",
    "converter_failed": "LibreOffice crashed or wrote nothing converting a .doc/.wps/.rtf",
    "ocr_unavailable": "the OCR engine cannot be loaded (the detail names what to install)",
    "not_a_report": "no table 三 and no section headings of an annual report were found",
    "parse_failed": "an unexpected error while parsing (a bug: please report the file)",
}
