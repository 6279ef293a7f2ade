"""Table 三: items of its section -> cells (label-anchored, never by counting).

Each table is read by the same small state machine: a label that names a row opens that row;
the value tokens that follow (on the same line, or on the next lines for one-cell-per-line
text) fill it in column order until it has as many cells as the template gives it.  A label
that names no row (a wrapped label's tail, a vertical label's single characters, header words)
changes nothing; a row label followed directly by another row label was a group heading
(``(六)其他处理`` over its three sub-rows) and is replaced.  Runs of digits (crawler dumps) go to
the digit solver with the table's identities.

Columns: in a grid whose header names all seven columns (or all fifteen of section 四), cells
are placed by their header; otherwise in the template's order, which every real header prints.

Never a wrong number — when the text cannot place a cell, the cell is ``unknown`` with a note:
a row with fewer values than columns (blank cells vanished from aligned text), more values than
columns straight after one label (labels listed apart from their numbers, an extra column), a
one-digit-per-cell run that breaks its own sum (blank cells vanish from glued text too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from etl.model import Cell
from etl.parse import conformance
from etl.parse.cells import (
    N3,
    RESULTS,
    WORD_CELL,
    RowRead,
    distrust_one_digit_split,
    make_cell,
    split_cells,
    text_warnings,
)
from etl.parse.items import Item, Token, norm
from etl.parse.labels import GROUP6, is_bare_other, match_row, match_row_continued, rows_named
from etl.parse.memo import MAX_ENTRIES, MAX_TEXT_LEN, memo_short
from etl.parse.values import classify
from etl.template import (
    ROWS_2021_ONLY,
    SECTION3_COLUMN_KEYS,
    SECTION3_COLUMNS,
    SECTION3_GROUPS,
    SECTION3_HEADER_GROUPS,
    SECTION3_ROW_KEYS,
    SECTION3_ROWS,
    SECTION3_TOTAL_INDEX,
    normalize_label,
    section3_row,
    section3_rows_for,
)

_GROUP6_ROWS = frozenset(("reject_confirm", "other_overdue_correction", "other_unpaid_fee"))
#: the sums a run's cells obey, as (places of the parts, place of their total)
_ROW_SUM = (((*range(SECTION3_TOTAL_INDEX),), SECTION3_TOTAL_INDEX),)
# (word in the column's header text, column key), in the template's order
_COLUMN_WORDS: tuple[tuple[str, str], ...] = tuple(
    (normalize_label(w), c.key) for c in SECTION3_COLUMNS for w in c.header_words)
_HEADER_GROUPS = tuple(normalize_label(g) for g in SECTION3_HEADER_GROUPS)
#: the column a header text ending in a bare 其他 names (法人或其他组织 holds 其他 too)
_OTHER_COLUMN = next(c.key for c in SECTION3_COLUMNS if not c.header_words)
_OTHER_WORD = normalize_label(next(c.label for c in SECTION3_COLUMNS if not c.header_words))


def _header_columns(column_texts: list[str]) -> dict[int, str] | None:
    """{grid column: column key} from a table's header text per grid column (its label-only
    rows' cells, normalized and joined top to bottom), when all seven columns are named exactly
    once (else None: the values are then read in the template's order)."""
    found: dict[int, str] = {}
    for c, text in enumerate(column_texts):
        key = _column_key(text)
        if key is not None:
            found[c] = key
    if sorted(found.values()) != sorted(SECTION3_COLUMN_KEYS):
        return None
    return found


@memo_short
def _column_key(text: str) -> str | None:
    """The column key a header text names, or None.  Memoised: every label-only row of a table
    (group rows too) re-reads the header, and the header texts are the template's."""
    words = text
    for caption in _HEADER_GROUPS:
        words = words.replace(caption, "")
    key = next((k for w, k in _COLUMN_WORDS if w in words), None)
    if key is None and words.endswith(_OTHER_WORD):
        key = _OTHER_COLUMN
    return key


def _add_header_row(column_texts: list[str], grid_row: list[str]) -> None:
    """Append a label-only row's cells to the header text of each grid column."""
    if len(grid_row) > len(column_texts):
        column_texts.extend([""] * (len(grid_row) - len(column_texts)))
    for c, cell in enumerate(grid_row):
        column_texts[c] += norm(cell)


def _by_header(it: Item, columns: dict[int, str]) -> list[Token]:
    """A table row's value cells in template column order, placed by their header; a column
    the row has no cell for is blank."""
    by_key = {columns[t.col]: t for t in it.values if t.col in columns}
    return [by_key.get(k) or Token("", it.source, False, -1) for k in SECTION3_COLUMN_KEYS]


@dataclass
class Table3:
    """Table 三 as read: its rows, and every whole row of values (seven plain cells) in document
    order, so that rows printed apart from their labels can be placed afterwards."""
    rows: dict[str, RowRead]
    value_rows: list[tuple[int, list[Token]]] = field(default_factory=list)
    stray: int = 0                  # values no row took (printed outside any row as read)
    #: row -> (first label naming it, source)
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)   # what reading met (given out by section3_cells)
    tables: set[int] = field(default_factory=set)       # the grids its rows were printed in
    copies: bool = False            # a value cell is a copy of one merged from the row above

    def __len__(self) -> int:       # rows read (a value row counts: it is a row of the table)
        return max(len(self.rows), len(self.value_rows))


def read_section3(items: list[Item]) -> Table3:
    warnings: list[str] = []
    rows: dict[str, RowRead] = {}
    value_rows: list[tuple[int, list[Token]]] = []
    stray = 0
    headers: dict[int, list[str]] = {}          # table -> header text per grid column
    columns: dict[int, dict[int, str]] = {}     # table -> {grid column: column key}
    last_columns: tuple | None = None           # (width, map, its columns) of the last table
    current: RowRead | None = None
    results_started = False
    group6 = False
    last_key: str | None = None
    carry = ""                                  # label-only text since the last values
    orphans: list[Token] = []                   # values no open row took (label after them?)
    orphan_carry = ""
    orphan_item = -1
    labels: dict[str, tuple[str, str]] = {}
    tables: set[int] = set()                    # the grids its rows were printed in
    after_label = False                         # the last item was a row label without values
    for idx, it in enumerate(items):
        values = it.values                      # in header order when the header names them
        label_norm = it.norm if it.label else ""    # (a property: read once; none for values)
        named = match_row(label_norm) if label_norm else None
        if (values and named is None and label_norm and it.in_table and _blank(values)
                and not is_bare_other(label_norm)):
            values = []                         # a caption or header row: its empty cells are no values
        if it.in_table and it.grid is not None:
            if not values:
                column_texts = headers.setdefault(it.table, [])
                _add_header_row(column_texts, it.grid)
                found = _header_columns(column_texts)
                if found:
                    # (the columns a value may sit under: named by the header, as a template
                    # column or another one such as 备注)
                    columns[it.table] = found
                    last_columns = (len(it.grid), found, set(found))
            else:
                cols = columns.get(it.table)
                if cols is None and last_columns and last_columns[0] == len(it.grid) and \
                        all(t.col in last_columns[2] or not t.raw.strip() for t in values):
                    # continued after a page break, same columns — unless a printed value sits
                    # under none of them (the continuation is laid out otherwise: read in order)
                    cols = last_columns[1]
                if cols is not None:
                    values = _by_header(it, cols)
        if len(values) == N3 and not values[0].run:
            value_rows.append((idx, values))
            if it.in_table:
                tables.add(it.table)
        if (label_norm and not values and not it.in_table and current is not None
                and 0 < len(current.tokens) < N3 and not current.tokens[0].run
                and WORD_CELL.match(label_norm)):
            # one cell per line and the row is half read: a word that reports print instead of
            # a number (未统计).  Only known words: a label's tail or a vertical label's
            # character must never slide the row's numbers into the wrong columns.
            current.tokens.append(Token(it.label, it.source))
            continue
        if label_norm:
            key = named
            if key is None and carry:
                # a label broken over lines with the fragment cut in two (6.属于四类过程 / 性信息)
                key = match_row_continued(carry, label_norm)
            if key is None and orphans:
                key = match_row_continued(orphan_carry, label_norm)
            if orphans:
                if key is not None and key not in rows and (len(orphans) == N3 or orphans[0].run) \
                        and not _NUMBERED_LABEL.match(label_norm):
                    # the numbers sat between the two halves of a label whose first half named
                    # no row (5.要求行政机关确认或 / numbers / 重新出具已获取信息)
                    rows[key] = RowRead(key, orphan_carry + it.label, it.source, orphans,
                                        last_item=orphan_item, first_item=orphan_item)
                    current, last_key = rows[key], key
                    results_started = results_started or key in RESULTS
                    orphans, carry = [], ""
                    continue
                warnings.append(f"section 3: {len(orphans)} value(s) outside any row "
                                f"({orphans[0].source})")
                stray += len(orphans)
                orphans = []
            carry = (carry + label_norm)[-40:] if key is None and not values else ""
            if GROUP6 in label_norm:
                group6 = True
            glued = bool(values) and values[0].run and key is not None
            if (key is None or glued) and results_started and is_bare_other(label_norm) and (
                    group6 or last_key in _GROUP6_ROWS or key in _GROUP6_ROWS):
                key = "other_other"             # (…申请3.其他: the bare 3.其他 is named last)
            if glued and key is not None and len(named_rows := rows_named(label_norm)) > 1:
                # a crawled line glues the labels of rows that printed no digit at all (blank
                # cells) to the next row's: those rows are printed, and blank
                for k in named_rows:
                    if k != key and k not in rows and _ORDER[k] < _ORDER[key]:
                        rows[k] = RowRead(k, it.label, it.source, [Token("", it.source)] * N3,
                                          last_item=idx, first_item=idx)
            if key == "total" and not results_started:
                key = None                       # 总计 in the column header, not the (七) row
            if key is not None and key not in labels:
                labels[key] = (it.label, it.source)
                if it.in_table and values:
                    tables.add(it.table)
            if key is not None:
                if (current is not None and current.tokens and _ORDER[key] < _ORDER[current.key]
                        and _blank(current.tokens)):
                    # a row of empty cells, then a row the template prints before it: that was
                    # a group caption printed as a row ((六)其他处理 over its sub-rows)
                    rows.pop(current.key, None)
                if key in rows and rows[key].tokens:
                    # a row we already read: a repeated header after a page break, or a title
                    current = None
                else:
                    if current is not None and not current.tokens:
                        rows.pop(current.key, None)      # it was a group heading
                    current = rows[key] = RowRead(key, it.label, it.source, after_label=after_label)
                    last_key = key
                    results_started = results_started or key in RESULTS
            after_label = key is not None and not values
        if values:
            for tok in values:
                if tok.run and current is not None and current.tokens and current.tokens[0].run:
                    # text inside a row's run (a dash, a word): one run, so the solver sees it
                    first = current.tokens[0]
                    current.tokens[0] = Token(first.raw + it.label + tok.raw, first.source, run=True)
                    continue
                # a run is a whole row (crawler); plain tokens fill a row one cell at a time
                if current is not None and (tok.run and not current.tokens or
                                            not tok.run and len(current.tokens) < N3
                                            and not (current.tokens and current.tokens[0].run)):
                    if not current.tokens:
                        current.first_item = idx
                    current.tokens.append(tok)
                    current.last_item = idx
                elif (current is not None and not tok.run and current.tokens
                      and idx - current.last_item <= 1 and not current.tokens[0].run):
                    # more numbers than columns straight after one label: not a row of this
                    # table as printed (labels listed apart from their numbers, an extra
                    # column) — its cells cannot be placed
                    current.extra += 1
                    current.last_item = idx
                elif not tok.run and (orphans or (carry and rows)):
                    # values after label text that named no row: hold them, the label's tail
                    # may follow
                    if not orphans:
                        orphan_carry = carry
                        orphan_item = idx
                    orphans.append(tok)
                    current = None
                else:
                    if tok.raw.strip():
                        stray += 1
                        if results_started or current is not None:
                            warnings.append(f"section 3: value {tok.raw!r} outside any row ({tok.source})")
            carry = ""
            after_label = False
    if orphans:
        warnings.append(f"section 3: {len(orphans)} value(s) outside any row ({orphans[0].source})")
        stray += len(orphans)
    return Table3({k: r for k, r in rows.items() if r.tokens}, value_rows, stray, labels=labels,
                  warnings=warnings, tables=tables, copies=any(it.copies for it in items))


#: a row label that starts with its own number (2.重复申请, (五)…, 四、…) is a label of its own,
#: never the tail of one broken around the numbers before it
_NUMBERED_LABEL = re.compile(r"^(?:\d{1,2}[.,、]|\([一二三四五六七]\)|[一二三四][,、.])")


def _blank(tokens: list[Token]) -> bool:
    return not any(t.raw.strip() for t in tokens)


_ORDER = {k: i for i, k in enumerate(SECTION3_ROW_KEYS)}
#: (row, printed label) -> reworded?  Labels are mostly the template's own, in every report.
_REWORDED: dict[tuple[str, str], bool] = {}


# ---- rows printed apart from their labels ----------------------------------------------------

def _printed_row_lists(version: str) -> list[tuple[str, ...]]:
    """The row lists a table of this version prints: every row, or (2021) with the old single
    (六)其他处理 row instead of its three sub-rows."""
    full = section3_rows_for(version)
    single = tuple(k for k in full if k not in ROWS_2021_ONLY)
    return [full] if single == full else [full, single]


def _place_in_template_order(table: Table3, version: str) -> tuple[dict[str, RowRead] | None, str]:
    """Value rows whose labels are not beside them (PDF-to-Markdown / OCR text: value-only rows,
    the labels as loose lines around them): when there are exactly as many whole value rows as
    the template prints rows, row i is the template's row i.  Taken only when that agrees with
    every row read beside its label, and the table's own identities hold for it (identity and
    results_sum, each checked in at least one column); else (None, why)."""
    clean = {r.first_item: key for key, r in table.rows.items()
             if r.clean and not r.after_label and not _caption(r.label)}
    vr = table.value_rows
    loose = sum(1 for idx, _ in vr if idx not in clean)
    counts = " or ".join(str(len(h)) for h in _printed_row_lists(version))
    why = f"{len(vr)} whole value rows for the {counts} rows the {version} template prints"
    for rows in _printed_row_lists(version):
        if len(rows) != len(vr):
            continue
        order = {idx: key for (idx, _), key in zip(vr, rows)}
        if any(order.get(idx) != key for idx, key in clean.items()):
            why = "the rows read beside their labels are not in the template's order"
            continue
        values = {key: [None if t.copy else classify(t.raw)[0] for t in toks]
                  for (_, toks), key in zip(vr, rows)}
        ok, why = _identities_hold(values, rows)
        if ok:
            confirmed = "identity and results_sum hold"
        elif _labels_in_order([k for k, (label, _) in table.labels.items() if not _caption(label)], rows):
            # the table breaks its own sums (validation will say so), but the row labels it
            # prints, though apart from the values, are the template's rows in its order
            confirmed = (f"the {len(table.labels)} row labels printed apart from the values follow "
                         f"the template's order ({why})")
        else:
            continue
        note = (f"printed apart from its label: {loose} of {len(rows)} value rows placed in the "
                f"template's row order; {confirmed}")
        placed: dict[str, RowRead] = {}
        single = not set(ROWS_2021_ONLY) & set(rows)
        for (idx, toks), key in zip(vr, rows):
            label = _SINGLE_OTHER_LABEL if single and key == "other_other" else section3_row(key).label
            r = RowRead(key, label, toks[0].source if toks else "", list(toks), 0, idx, idx)
            if idx not in clean:
                r.note = note
            placed[key] = r
        return placed, note
    return None, why


#: a group's caption ((六)其他处理): the single row of that name in the 2019 form, the caption
#: over its sub-rows in 2021 — in a table whose labels are apart from the values, never an anchor
_CAPTIONS = frozenset(normalize_label(g + w) for g, words in SECTION3_GROUPS.items() for w in words
                      if sum(r.group == g for r in SECTION3_ROWS) > 1)       # groups over sub-rows


def _caption(label: str) -> bool:
    return normalize_label(label) in _CAPTIONS


def _labels_in_order(labels: list[str], rows: tuple[str, ...]) -> bool:
    """The rows the table's labels name (first mention each, in document order) are rows of
    ``rows``, in its order, and at least half of them."""
    order = {k: i for i, k in enumerate(rows)}
    places = [order.get(k, -1) for k in labels]
    return (len(places) * 2 >= len(rows) and -1 not in places
            and all(a < b for a, b in zip(places, places[1:])))


#: the label of the single (六)其他处理 row (2019 template, and 2021 reports on the old form)
_OTHER_GROUP = section3_row("other_other").group or ""
_SINGLE_OTHER_LABEL = _OTHER_GROUP + SECTION3_GROUPS[_OTHER_GROUP][0]
_OTHER_WORD_NORM = normalize_label(SECTION3_GROUPS[_OTHER_GROUP][0])      # 其他处理


def _identities_hold(values: dict[str, list], rows: tuple[str, ...]) -> tuple[bool, str]:
    four = ("new_received", "carried_over", "total", "carried_forward")
    results = [k for k in rows if k in RESULTS]
    n_identity = n_results = 0
    for c, col in enumerate(SECTION3_COLUMN_KEYS):
        nr, co, tt, cf = (values[k][c] for k in four)
        if None not in (nr, co, tt, cf):
            n_identity += 1
            if nr + co != tt + cf:
                return False, f"identity fails in column {col} when placed in the template's order"
        parts = [values[k][c] for k in results]
        if tt is not None and None not in parts:
            n_results += 1
            if sum(parts) != tt:
                return False, f"results_sum fails in column {col} when placed in the template's order"
    if not n_identity or not n_results:
        return False, "identity and results_sum cannot both be checked (blank cells)"
    return True, ""


def section3_cells(table: Table3, version: str, warnings: list[str]) -> list[Cell]:
    present = section3_rows_for(version)
    rows = table.rows
    unplaced = ""                               # why loose value rows could not be placed
    loose = False
    if table.value_rows:                        # (runs, no value rows: the digit solver's)
        clean_items = {r.first_item for r in rows.values()
                       if r.extra == 0 and r.first_item == r.last_item}
        loose = any(idx not in clean_items for idx, _ in table.value_rows) and \
            not any(r.tokens[0].run for r in rows.values())
    placed, why = _place_in_template_order(table, version) if loose else (None, "")
    if placed is not None:
        rows = placed
        warnings.append(f"section 3: {why}")       # (what reading met is superseded)
        stray = table.stray = 0                     # every value row found its row
    else:
        warnings.extend(table.warnings)
        stray = table.stray
    if loose and placed is None:
        unplaced = why
        # labels are printed apart from the values here: a row read right after another row
        # label may have taken the values of the row before it
        rows = {k: r for k, r in rows.items() if not (r.after_label and r.clean)}
    runs = {k: r.tokens[0] for k, r in rows.items() if r.tokens and r.tokens[0].run}
    splits = {}
    if runs:
        from etl.parse.digits import solve_section3

        known = {}
        for k, row in rows.items():
            if k not in runs and len(row.tokens) == N3:
                known[k] = [None if t.copy else classify(t.raw)[0] for t in row.tokens]
        table_rows = tuple(k for k in SECTION3_ROW_KEYS if k in rows)
        splits = solve_section3({k: t.raw for k, t in runs.items()}, known, table_rows)
        for k, split in splits.items():
            distrust_one_digit_split(split, _ROW_SUM, runs[k].raw)
    # the old single (六)其他处理 row printed on a 2021-template report: its three sub-rows are
    # not printed (absent), whatever else was misread
    single_form = (version == "2021" and "other_other" in rows
                   and not any(k in rows for k in ROWS_2021_ONLY)
                   and _OTHER_WORD_NORM in normalize_label(rows["other_other"].label))
    cells: list[Cell] = []
    classified = classify.cache.get             # a warm-cache peek; a miss takes the call
    for key in present:
        r = rows.get(key)
        if r is None and (unplaced or stray) and not (single_form and key in ROWS_2021_ONLY):
            # values were printed that no row took: this row is not "not printed", it was
            # not read (never claim absent when something was misread)
            note = (f"value rows printed apart from their labels could not be placed: {unplaced}"
                    if unplaced else f"{stray} value(s) printed outside any row as read")
            cells.extend(Cell("3", key, col, None, "", "unknown", "", note) for col in SECTION3_COLUMN_KEYS)
            continue
        if r is None:
            cells.extend(make_cell("3", key, col, None) for col in SECTION3_COLUMN_KEYS)
            continue
        if key in runs:
            cells.extend(split_cells("3", key, SECTION3_COLUMN_KEYS, splits[key], runs[key]))
            continue
        if r.extra or len(r.tokens) != N3:
            # more values than columns, or fewer (blanks vanished): no column is certain
            n = len(r.tokens) + r.extra
            warnings.append(f"section 3 {key}: {n} values follow the label for {N3} columns; "
                            f"its cells are unknown ({r.source})" if r.extra else
                            f"section 3 {key}: {n} of {N3} cells printed; "
                            f"their columns are unknown ({r.source})")
            cells.extend(Cell("3", key, col, None, " ".join(t.raw for t in r.tokens), "unknown",
                              r.source, f"{n} values for {N3} columns")
                         for col in SECTION3_COLUMN_KEYS)
            continue
        if r.note or table.copies:
            for col, tok in zip(SECTION3_COLUMN_KEYS, r.tokens):
                if tok.copy:
                    cells.append(make_cell("3", key, col, tok))
                    continue
                value, state = classify(tok.raw)
                if r.note and state == "number":
                    state = "inferred"
                cells.append(Cell("3", key, col, value, tok.raw.strip(), state, tok.source, r.note))
            continue
        # (the common case, every row of every report: _cell's body inlined for its ~200 cells,
        # the memo peeked at before the call)
        for col, tok in zip(SECTION3_COLUMN_KEYS, r.tokens):
            raw = tok.raw
            value_state = classified(raw) or classify(raw)
            cells.append(Cell("3", key, col, value_state[0], raw.strip(), value_state[1], tok.source))
    # rows the printed table has but this template version does not (2019 report with 2021 rows)
    for key in rows:
        if key not in present:
            warnings.append(f"section 3: row {key} printed but not in the {version} template")
    missing = [k for k in present if k not in rows and not unplaced and not stray]
    if single_form:
        warnings.append("section 3: the old single (六)其他处理 row is printed on a 2021-template "
                        "report; stored under other_other")
        warnings.append(conformance.old_other_row(rows["other_other"].source))
        missing = [k for k in missing if k not in ROWS_2021_ONLY]
    for key, (label, source) in table.labels.items():
        reworded = _REWORDED.get((key, label))
        if reworded is None:
            reworded = conformance.row_label_finding(key, label, "") is not None
            if len(_REWORDED) < MAX_ENTRIES and len(label) <= MAX_TEXT_LEN:
                _REWORDED[(key, label)] = reworded
        if reworded and key in present:
            finding = conformance.row_label_finding(key, label, source)
            if finding is not None:             # (always: reworded is its own test, memoised)
                warnings.append(finding)
    if missing:
        warnings.append("section 3: rows not found: " + ", ".join(missing))
    text_warnings(cells, warnings)
    return cells
