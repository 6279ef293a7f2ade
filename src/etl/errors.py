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
    "bomb": "the file would inflate far beyond its size (a ZIP member or PDF stream over the limit)",
    "too_large": "the file, or what parsing it needs, is larger than the run allows",
    "timeout": "parsing took longer than ETL_PARSE_TIMEOUT; the worker was killed",
    "worker_crashed": "the parse worker died on this file (a crash in a library, or the OOM killer)",
    "not_a_regular_file": "a FIFO, socket or device under the raw folder; never opened",
    "broken_link": "a symbolic link to nothing, or a loop of links",
    "bad_manifest": "a manifest.csv that cannot be read as a UTF-8 CSV",
    "manifest_warning": "a manifest.csv with rows or values that were ignored",
    "duplicate_file": "the same bytes as another file; that one is kept",
}

#: Reasons that depend on the machine or the moment, not on the file's bytes: never cached, so
#: the next run tries the file again.
TRANSIENT_REASONS: frozenset[str] = frozenset({
    "unreadable", "timeout", "worker_crashed", "too_large", "not_a_regular_file",
    "missing_dependency", "converter_missing", "converter_timeout", "converter_failed",
    "ocr_unavailable",
})
