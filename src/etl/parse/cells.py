"""What the three table readers share: a row as read, and how printed tokens become cells.

Never a wrong number: when the text cannot place a cell, the cell is ``unknown`` with a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from etl.model import Cell
from etl.parse.items import Token
from etl.parse.values import classify
from etl.template import RESULT_ROW_KEYS, SECTION3_WIDTH

N3 = SECTION3_WIDTH
RESULTS = frozenset(RESULT_ROW_KEYS)
WORD_CELL = re.compile(r"^(?:未统计|不适用|暂无|无数据|暂缺|不详|未填报?|未知|空|N/?A)$", re.I)


@dataclass
class RowRead:
    key: str
    label: str
    source: str
    tokens: list[Token] = field(default_factory=list)
    extra: int = 0                  # values that followed a full row without a label between
    last_item: int = -1             # index of the item that gave the last token
    first_item: int = -1            # index of the item that gave the first token
    note: str = ""                  # how the row was placed when not beside its label
    after_label: bool = False       # its label came right after another row label (a caption
    #                                 over sub-rows, or labels listed apart from their values)

    @property
    def clean(self) -> bool:
        """Read as printed: one item gave the whole row, nothing followed it."""
        return (self.extra == 0 and self.first_item == self.last_item and self.first_item >= 0
                and bool(self.tokens) and not self.tokens[0].run)


# a warm-cache peek (classify(raw) without yuan; etl.parse.memo sets .cache); a miss calls it
_classified = classify.cache.get

#: the note of a cell whose printed cell is merged with the one above
MERGED_FROM_ABOVE = "printed once, merged with the cell above: its value belongs to the row it starts in"


def make_cell(section: str, row: str, col: str, tok: Token | None, *, yuan: bool = False) -> Cell:
    if tok is None:
        return Cell(section, row, col, None, "", "absent", "", "not printed")
    if tok.copy:
        return Cell(section, row, col, None, tok.raw.strip(), "unknown", tok.source, MERGED_FROM_ABOVE)
    value, state = classify(tok.raw, True) if yuan else _classified(tok.raw) or classify(tok.raw)
    return Cell(section, row, col, value, tok.raw.strip(), state, tok.source)


def split_cells(section: str, row: str, cols, split, run: Token) -> list[Cell]:
    return [Cell(section, row, col, v, run.raw, st, run.source, split.note)
            for col, v, st in zip(cols, split.values, split.states)]


def text_warnings(cells: list[Cell], warnings: list[str]) -> None:
    for c in [c for c in cells if c.state == "text"]:        # (rare: filtered in one pass)
        warnings.append(f"section {c.section} {c.row}.{c.column}: text {c.raw!r} is not a number "
                        f"({c.source})")


def distrust_one_digit_split(split, groups, raw: str) -> None:
    """A run with exactly one digit per cell has only one split, but a blank cell prints no
    digit at all, so when that split breaks the table's own sum the cells are not known: a
    crawled 258|12|_|_|1|1|_ reads "2581211", which is not 2|5|8|1|2|1|1.  Those cells become
    unknown instead of wrong numbers (the solver keeps the split; this is the parser's doubt
    about what the run holds)."""
    n = len(split.values)
    if len(raw) < n or sum(map(str.isdigit, raw)) != n or any(s != "inferred" for s in split.states):
        return
    for parts, total in groups:
        if sum(split.values[i] for i in parts) != split.values[total]:
            for i in (*parts, total):
                split.values[i] = None
                split.states[i] = "unknown"
            split.note = (f"one digit per cell breaks the row/group sum: blank cells may be "
                          f"missing from the run {raw.strip()!r}")


