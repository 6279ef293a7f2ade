"""What parsing produces: cells with provenance, prose figures, and the report's identity.

``ParsedReport.to_json()`` is the schema of ``etl parse --json`` and of the synthetic corpus's
``truth/*.json``; ``ParsedReport.from_json`` reads it back (the warehouse and the evaluator both
use it, so this module is the one home of that shape).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from etl.template import (
    SECTION3_COLUMN_KEYS,
    SECTION3_ROW_KEYS,
    SECTION3_WIDTH,
    SECTION4_KEYS,
    section2_keys,
)

Number = int | float


# slots: ~270 cells a report are built on the parse's hot path (construction ~17 % cheaper)
@dataclass(slots=True)
class Cell:
    section: str                    # "2", "3" or "4"
    row: str                        # section 2: category; section 3: row key; section 4: group prefix
    column: str                     # section 2: metric; section 3: column key; section 4: outcome
    value: Number | None            # the number, or None (blank, dash, text, unknown, absent)
    raw: str                        # the text as printed ("" when nothing was printed)
    state: str                      # one of etl.template.CELL_STATES
    source: str = ""                # provenance: "line 123", "table 2 r5 c3 p3", …
    note: str = ""                  # why: e.g. the reason a digit run stayed unknown

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.section, self.row, self.column)


@dataclass
class ProseFigure:
    key: str                        # one of etl.template.PROSE_FIGURE_KEYS
    value: Number
    text: str                       # the sentence fragment it was read from
    source: str = ""                # "line 12"


@dataclass
class ParsedReport:
    file: str
    form: str
    agency: str | None
    year: int | None
    template: str | None            # "2019" | "2021" — from what the tables print
    cells: list[Cell] = field(default_factory=list)
    prose: list[ProseFigure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    identity_source: dict[str, str] = field(default_factory=dict)   # {"agency": "title", "year": "prose", …}
    title: str | None = None

    # ---- views ------------------------------------------------------------------------------
    def cell(self, section: str, row: str, column: str) -> Cell | None:
        for c in self.cells:
            if c.section == section and c.row == row and c.column == column:
                return c
        return None

    def section2(self) -> dict[str, dict[str, Number | None]]:
        version = self.template or "2021"
        out: dict[str, dict[str, Number | None]] = {
            cat: {m: None for m in metrics} for cat, metrics in section2_keys(version).items()
        }
        for c in self.cells:
            if c.section == "2":
                out.setdefault(c.row, {})[c.column] = c.value
        return out

    def section3(self) -> dict[str, list[Number | None]]:
        out: dict[str, list[Number | None]] = {k: [None] * SECTION3_WIDTH for k in SECTION3_ROW_KEYS}
        for c in self.cells:
            if c.section == "3" and c.row in out:
                out[c.row][SECTION3_COLUMN_KEYS.index(c.column)] = c.value
        return out

    def section4(self) -> dict[str, Number | None]:
        out: dict[str, Number | None] = {k: None for k in SECTION4_KEYS}
        for c in self.cells:
            if c.section == "4":
                out[f"{c.row}_{c.column}"] = c.value
        return out

    # ---- the JSON of `etl parse --json` and of truth files ----------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.form,
            "agency": self.agency,
            "year": self.year,
            "template": self.template,
            "section2": self.section2(),
            "section3": self.section3(),
            "section4": self.section4(),
            "prose": [asdict(p) for p in self.prose],
            "cells": [asdict(c) for c in self.cells],
            "warnings": list(self.warnings),
            "identity_source": dict(self.identity_source),
            "title": self.title,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ParsedReport":
        """Rebuild a report from its JSON.  When ``cells`` is missing (a hand-written truth
        file), cells are derived from the section dicts with state ``number``/``blank``."""
        rep = cls(
            file=data.get("file", ""),
            form=data.get("format", ""),
            agency=data.get("agency"),
            year=data.get("year"),
            template=data.get("template"),
            warnings=list(data.get("warnings", [])),
            identity_source=dict(data.get("identity_source", {})),
            title=data.get("title"),
        )
        rep.prose = [ProseFigure(**p) for p in data.get("prose", [])]
        if data.get("cells"):
            rep.cells = [Cell(**c) for c in data["cells"]]
            return rep
        for cat, metrics in (data.get("section2") or {}).items():
            for metric, v in metrics.items():
                rep.cells.append(_derived("2", cat, metric, v))
        for row, values in (data.get("section3") or {}).items():
            for col, v in zip(SECTION3_COLUMN_KEYS, values):
                rep.cells.append(_derived("3", row, col, v))
        for key, v in (data.get("section4") or {}).items():
            prefix, outcome = key.rsplit("_", 1)
            rep.cells.append(_derived("4", prefix, outcome, v))
        return rep


def _derived(section: str, row: str, column: str, value: Number | None) -> Cell:
    return Cell(section, row, column, value, "" if value is None else str(value),
                "blank" if value is None else "number", "truth")
