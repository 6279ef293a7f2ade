"""The parser: Document -> template cells, exactly (label-anchored, never by counting numbers).

``parse_path`` = ``readers.read_path`` + ``parse_document``.  Cells carry value, raw text,
state and provenance; digit runs are split by :mod:`etl.parse.digits`, prose figures come from
:mod:`etl.parse.prose`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from etl.document import Document, TableGrid
from etl.errors import ReportError
from etl.model import ParsedReport

#: Bump when the parser's output for the same input may change (the warehouse re-parses).
PARSER_VERSION = "1.1.0"


def parse_document(doc: Document, manifest: dict | None = None) -> ParsedReport:
    from etl.parse.report import parse_document as _parse

    report = _parse(doc, manifest)
    # (which blocks are tables, asked in C first: a text document has hundreds of lines and no
    # table, and a Python loop over its blocks cost 2 % of its parse)
    if doc.form == "scan" or (TableGrid in set(map(type, doc.blocks))
                              and any(t.ocr is not None for t in doc.tables())):
        from etl.readers.scan.accept import accept_ocr_cells

        accept_ocr_cells(report, doc)     # OCR'd values stand only where identities hold
    return report


def parse_path(path: str | Path, manifest: dict | None = None) -> ParsedReport:
    from etl.readers import read_path

    return _guarded(path, lambda: read_path(path), manifest)


def parse_bytes(data: bytes, path: str | Path, manifest: dict | None = None) -> ParsedReport:
    """``parse_path`` for a caller that already holds the file's bytes (the pipeline reads them
    once, to hash them and to parse them)."""
    from etl.readers import read_bytes

    return _guarded(path, lambda: read_bytes(data, str(path)), manifest)


def _guarded(path: str | Path, read: Callable[[], Document], manifest: dict | None) -> ParsedReport:
    try:
        return parse_document(read(), manifest)
    except ReportError:
        raise
    except Exception as e:                       # a bug must still name the file, not kill a run
        detail = " ".join(f"{type(e).__name__}: {e}".split())[:200]
        raise ReportError(str(path), "parse_failed", detail) from e


__all__ = ["PARSER_VERSION", "parse_bytes", "parse_document", "parse_path"]
