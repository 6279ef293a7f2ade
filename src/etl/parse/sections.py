"""The three tables: items of a section -> template cells (label-anchored, never by counting).

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
from etl.parse.items import Item, Token, norm
from etl.parse.memo import memo_short
from etl.parse.labels import (GROUP6, find_metrics, is_bare_other, match_category, match_group4,
                              match_row, match_row_continued)
from etl.parse.values import classify
from etl.template import (
    RESULT_ROW_KEYS,
    SECTION2,
    SECTION3_COLUMN_KEYS,
    SECTION3_COLUMNS,
    SECTION3_HEADER_GROUPS,
    SECTION3_ROW_KEYS,
    SECTION3_TOTAL_INDEX,
    SECTION3_WIDTH,
    SECTION4_GROUPS,
    SECTION4_KEYS,
    SECTION4_OUTCOMES,
    SECTION4_SUM_GROUPS,
    normalize_label,
    section3_rows_for,
)

N3 = SECTION3_WIDTH
_RESULTS = frozenset(RESULT_ROW_KEYS)
_WORD_CELL = re.compile(r"^(?:未统计|不适用|暂无|无数据|暂缺|不详|未填报?|未知|空|N/?A)$", re.I)
_GROUP6_ROWS = frozenset(("reject_confirm", "other_overdue_correction", "other_unpaid_fee"))


@dataclass
class RowRead:
    key: str
    label: str
    source: str
    tokens: list[Token] = field(default_factory=list)
    extra: int = 0                  # values that followed a full row without a label between
    last_item: int = -1             # index of the item that gave the last token


def _cell(section: str, row: str, col: str, tok: Token | None, *, yuan: bool = False) -> Cell:
    if tok is None:
        return Cell(section, row, col, None, "", "absent", "", "not printed")
    value, state = classify(tok.raw, yuan)
    return Cell(section, row, col, value, tok.raw.strip(), state, tok.source)


def _split_cells(section: str, row: str, cols, split, run: Token) -> list[Cell]:
    return [Cell(section, row, col, v, run.raw, st, run.source, split.note)
            for col, v, st in zip(cols, split.values, split.states)]


def _text_warnings(cells: list[Cell], warnings: list[str]) -> None:
    for c in cells:
        if c.state == "text":
            warnings.append(f"section {c.section} {c.row}.{c.column}: text {c.raw!r} is not a number "
                            f"({c.source})")


# --------------------------------------------------------------------------------------------
# Section 三
# --------------------------------------------------------------------------------------------

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


def read_section3(items: list[Item], warnings: list[str]) -> dict[str, RowRead]:
    rows: dict[str, RowRead] = {}
    headers: dict[int, list[str]] = {}          # table -> header text per grid column
    columns: dict[int, dict[int, str]] = {}     # table -> {grid column: column key}
    last_columns: tuple[int, dict[int, str]] | None = None   # (width, map) of the last table
    current: RowRead | None = None
    results_started = False
    group6 = False
    last_key: str | None = None
    carry = ""                                  # label-only text since the last values
    orphans: list[Token] = []                   # values no open row took (label after them?)
    orphan_carry = ""
    for idx, it in enumerate(items):
        values = it.values                      # in header order when the header names them
        label_norm = it.norm                    # (a property: read once)
        if it.in_table and it.grid is not None:
            if not values:
                column_texts = headers.setdefault(it.table, [])
                _add_header_row(column_texts, it.grid)
                found = _header_columns(column_texts)
                if found:
                    columns[it.table] = found
                    last_columns = (len(it.grid), found)
            else:
                cols = columns.get(it.table)
                if cols is None and last_columns and last_columns[0] == len(it.grid):
                    cols = last_columns[1]      # continued after a page break, same columns
                if cols is not None:
                    values = _by_header(it, cols)
        if (label_norm and not values and not it.in_table and current is not None
                and 0 < len(current.tokens) < N3 and not current.tokens[0].run
                and _WORD_CELL.match(label_norm)):
            # one cell per line and the row is half read: a word that reports print instead of
            # a number (未统计).  Only known words: a label's tail or a vertical label's
            # character must never slide the row's numbers into the wrong columns.
            current.tokens.append(Token(it.label, it.source))
            continue
        if label_norm:
            key = match_row(label_norm)
            if key is None and carry:
                # a label broken over lines with the fragment cut in two (6.属于四类过程 / 性信息)
                key = match_row_continued(carry, label_norm)
            if key is None and orphans:
                key = match_row_continued(orphan_carry, label_norm)
            if orphans:
                if key is not None and key not in rows and (len(orphans) == N3 or orphans[0].run):
                    # the numbers sat between the two halves of a label whose first half named
                    # no row (5.要求行政机关确认或 / numbers / 重新出具已获取信息)
                    rows[key] = RowRead(key, orphan_carry + it.label, it.source, orphans)
                    current, last_key = rows[key], key
                    results_started = results_started or key in _RESULTS
                    orphans, carry = [], ""
                    continue
                warnings.append(f"section 3: {len(orphans)} value(s) outside any row "
                                f"({orphans[0].source})")
                orphans = []
            carry = (carry + label_norm)[-40:] if key is None and not values else ""
            if GROUP6 in label_norm:
                group6 = True
            if key is None and results_started and is_bare_other(label_norm) and (
                    group6 or last_key in _GROUP6_ROWS):
                key = "other_other"
            if key == "total" and not results_started:
                key = None                       # 总计 in the column header, not the (七) row
            if key is not None:
                if key in rows and rows[key].tokens:
                    # a row we already read: a repeated header after a page break, or a title
                    current = None
                else:
                    if current is not None and not current.tokens:
                        rows.pop(current.key, None)      # it was a group heading
                    current = rows[key] = RowRead(key, it.label, it.source)
                    last_key = key
                    results_started = results_started or key in _RESULTS
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
                    orphans.append(tok)
                    current = None
                elif results_started or current is not None:
                    if tok.raw.strip():
                        warnings.append(f"section 3: value {tok.raw!r} outside any row ({tok.source})")
            carry = ""
    if orphans:
        warnings.append(f"section 3: {len(orphans)} value(s) outside any row ({orphans[0].source})")
    return {k: r for k, r in rows.items() if r.tokens}


def section3_cells(rows: dict[str, RowRead], version: str, warnings: list[str]) -> list[Cell]:
    present = section3_rows_for(version)
    runs = {k: r.tokens[0] for k, r in rows.items() if r.tokens and r.tokens[0].run}
    splits = {}
    if runs:
        from etl.parse.digits import solve_section3

        known = {}
        for k, r in rows.items():
            if k not in runs and len(r.tokens) == N3:
                known[k] = [classify(t.raw)[0] for t in r.tokens]
        table_rows = tuple(k for k in SECTION3_ROW_KEYS if k in rows)
        splits = solve_section3({k: t.raw for k, t in runs.items()}, known, table_rows)
        for k, split in splits.items():
            _distrust_one_digit_split(split, _ROW_SUM, runs[k].raw)
    cells: list[Cell] = []
    for key in present:
        r = rows.get(key)
        if r is None:
            cells.extend(_cell("3", key, col, None) for col in SECTION3_COLUMN_KEYS)
            continue
        if key in runs:
            cells.extend(_split_cells("3", key, SECTION3_COLUMN_KEYS, splits[key], runs[key]))
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
        # (the common case, every row of every report: _cell's body inlined for its ~200 cells)
        for col, tok in zip(SECTION3_COLUMN_KEYS, r.tokens):
            value, state = classify(tok.raw)
            cells.append(Cell("3", key, col, value, tok.raw.strip(), state, tok.source))
    # rows the printed table has but this template version does not (2019 report with 2021 rows)
    for key in rows:
        if key not in present:
            warnings.append(f"section 3: row {key} printed but not in the {version} template")
    missing = [k for k in present if k not in rows]
    if version == "2021" and "other_other" in rows and set(missing) >= {
            "other_overdue_correction", "other_unpaid_fee"} and rows["other_other"].label and \
            "其他处理" in rows["other_other"].label.replace(" ", ""):
        warnings.append("section 3: the old single (六)其他处理 row is printed on a 2021-template "
                        "report; stored under other_other")
        missing = [k for k in missing if k not in ("other_overdue_correction", "other_unpaid_fee")]
    if missing:
        warnings.append("section 3: rows not found: " + ", ".join(missing))
    _text_warnings(cells, warnings)
    return cells


#: the sums a run's cells obey, as (places of the parts, place of their total)
_ROW_SUM = (((*range(SECTION3_TOTAL_INDEX),), SECTION3_TOTAL_INDEX),)


def _distrust_one_digit_split(split, groups, raw: str) -> None:
    """A run with exactly one digit per cell has only one split, but a blank cell prints no
    digit at all, so when that split breaks the table's own sum the cells are not known: a
    crawled 258|12|_|_|1|1|_ reads "2581211", which is not 2|5|8|1|2|1|1.  Those cells become
    unknown instead of wrong numbers (the solver keeps the split; this is the parser's doubt
    about what the run holds)."""
    digits = sum(ch.isdigit() for ch in raw)
    if digits != len(split.values) or any(s != "inferred" for s in split.states):
        return
    for parts, total in groups:
        if sum(split.values[i] for i in parts) != split.values[total]:
            for i in (*parts, total):
                split.values[i] = None
                split.states[i] = "unknown"
            split.note = (f"one digit per cell breaks the row/group sum: blank cells may be "
                          f"missing from the run {raw.strip()!r}")


# --------------------------------------------------------------------------------------------
# Section 四 — 15 values in the template's order (the header prints the groups in that order)
# --------------------------------------------------------------------------------------------

_OUTCOMES = [o for o, _ in SECTION4_OUTCOMES]


def section4_cells(items: list[Item], warnings: list[str]) -> list[Cell]:
    tokens = [t for it in items for t in it.values]
    runs = [t for t in tokens if t.run]
    cells: list[Cell] = []
    keys = [(g.prefix, o) for g in SECTION4_GROUPS for o in _OUTCOMES]
    if runs:
        from etl.parse.digits import solve_section4

        run = Token(" ".join(t.raw for t in runs), runs[0].source, run=True)
        split = solve_section4(run.raw)
        _distrust_one_digit_split(split, SECTION4_SUM_GROUPS, run.raw)
        for (g, o), v, st in zip(keys, split.values, split.states):
            cells.append(Cell("4", g, o, v, run.raw, st, run.source, split.note))
        return cells
    if not tokens:
        warnings.append("section 4: no values found")
        return [Cell("4", g, o, None, "", "absent", "", "not printed") for g, o in keys]
    placed = _section4_by_header(items)
    if placed is not None:
        cells = [_cell("4", g, o, placed.get((g, o)) or Token("", "", False, -1)) for g, o in keys]
        _text_warnings(cells, warnings)
        return cells
    if len(tokens) != len(keys):
        placed4 = _place_by_group_sums(tokens) if len(tokens) < len(keys) else None
        if placed4 is not None:
            warnings.append(f"section 4: {len(tokens)} values for {len(keys)} cells; placed where "
                            f"the group totals allow one answer")
            return [Cell("4", g, o, *placed4[i]) for i, (g, o) in enumerate(keys)]
        warnings.append(f"section 4: {len(tokens)} values for {len(keys)} cells; columns unknown")
        raw = " ".join(t.raw for t in tokens)
        return [Cell("4", g, o, None, raw, "unknown", tokens[0].source,
                     f"{len(tokens)} values for {len(keys)} cells") for g, o in keys]
    by_group = _section4_by_group(items)
    if by_group:
        # one small table per group (行政复议 / 直接起诉 / 复议后起诉), each under its own heading
        cells = [_cell("4", g.prefix, o, by_group[g.prefix].get(o)) for g in SECTION4_GROUPS
                 for o in _OUTCOMES]
    else:
        cells = [_cell("4", g, o, tok) for (g, o), tok in zip(keys, tokens)]
    _text_warnings(cells, warnings)
    return cells


_MAX_PLACEMENTS = 200


def _place_by_group_sums(tokens: list[Token]) -> list[tuple] | None:
    """Blank cells vanish from aligned text, so fewer than fifteen values are printed.  Try every
    placement of them, in order, into the fifteen cells and keep those where each group either
    prints its 总计 as the sum of its four cells or is blank throughout (the report's own
    identity, as the digit solver uses it).  A cell that is the same in every kept placement is
    read (``inferred``, or ``blank`` when it is empty in all); the others are ``unknown``.
    Returns (value, raw, state, source, note) per cell, or None when nothing is decided."""
    from itertools import combinations

    read = [classify(t.raw) for t in tokens]
    if any(state == "text" for _, state in read):
        return None
    n, k = len(SECTION4_KEYS), len(tokens)
    sols: list[tuple[int, ...]] = []
    for combo in combinations(range(n), k):
        slot: list = [None] * n
        printed = [False] * n
        for pos, (value, _) in zip(combo, read):
            slot[pos], printed[pos] = value, True
        ok = True
        for parts, total in SECTION4_SUM_GROUPS:
            if printed[total] and slot[total] is not None:
                if sum(slot[i] or 0 for i in parts) != slot[total]:
                    ok = False
                    break
            elif any(printed[i] for i in parts):
                ok = False
                break
        if ok:
            sols.append(combo)
            if len(sols) > _MAX_PLACEMENTS:
                return None
    if not sols:
        return None
    out = []
    note = f"{k} values for {n} cells: {len(sols)} placement(s) satisfy the group totals"
    decided = False
    for pos in range(n):
        where = {combo.index(pos) if pos in combo else None for combo in sols}
        if len(where) != 1:
            out.append((None, "", "unknown", tokens[0].source, note))
            continue
        (i,) = where
        decided = True
        if i is None:
            out.append((None, "", "blank", "", note))
        else:
            value, _ = read[i]
            out.append((value, tokens[i].raw, "inferred", tokens[i].source, note))
    return out if decided else None


def _section4_by_header(items: list[Item]) -> dict[tuple[str, str], Token] | None:
    """{(group, outcome): token} for the one table whose header names all fifteen columns
    (group over outcome) and that has exactly one row of values; else None."""
    headers: dict[int, list[list[str]]] = {}
    data: dict[int, list[Item]] = {}
    for it in items:
        if it.in_table and it.grid is not None:
            (data if it.values else headers).setdefault(it.table, []).append(
                it if it.values else it.grid)
    for table, rows in data.items():
        if len(rows) != 1 or table not in headers:
            continue
        hdr = headers[table]
        width = max(len(r) for r in hdr)
        found: dict[int, tuple[str, str]] = {}
        for c in range(width):
            text = "".join([norm(r[c]) for r in hdr if c < len(r)])
            group = match_group4(text)
            outcomes = [_OUTCOME_OF[m.group()] for m in _OUTCOME_RE.finditer(text)]
            if group and outcomes and len(set(outcomes)) == 1:
                found[c] = (group, outcomes[0])
        if len(found) == len(SECTION4_KEYS) and len(set(found.values())) == len(SECTION4_KEYS):
            return {found[t.col]: t for t in rows[0].values if t.col in found}
    return None


_OUTCOME_RE = re.compile("|".join(re.escape(normalize_label(lab)) for _, lab in SECTION4_OUTCOMES))
_OUTCOME_OF = {normalize_label(lab): o for o, lab in SECTION4_OUTCOMES}


def _section4_by_group(items: list[Item]) -> dict[str, dict[str, Token]] | None:
    """{group: {outcome: token}} when the values come in batches of five, each after exactly
    one group label (and, where printed, a header naming the five outcomes in its order)."""
    out: dict[str, dict[str, Token]] = {}
    groups_seen: list[str] = []
    header: list[str] | None = None
    for it in items:
        label_norm = it.norm
        if label_norm and not it.values:
            g = match_group4(label_norm)
            if g:
                groups_seen.append(g)
            names = [_OUTCOME_OF[m.group()] for m in _OUTCOME_RE.finditer(label_norm)]
            if len(names) == len(_OUTCOMES) and len(set(names)) == len(_OUTCOMES):
                header = names
            continue
        if not it.values:
            continue
        if len(it.values) != len(_OUTCOMES) or len(set(groups_seen)) != 1 or groups_seen[-1] in out:
            return None
        order = header or _OUTCOMES
        out[groups_seen[-1]] = dict(zip(order, it.values))
        groups_seen, header = [], None
    return out if len(out) == len(SECTION4_GROUPS) else None


# --------------------------------------------------------------------------------------------
# Section 二 — small tables; the category label anchors the row, the template gives its metrics
# --------------------------------------------------------------------------------------------

# {version: {category: its metrics}}, in printed order (read-only)
_METRICS_OF = {version: {cat.key: table.metrics for table in tables for cat in table.categories}
               for version, tables in SECTION2.items()}


def section2_cells(items: list[Item], version: str, warnings: list[str]) -> list[Cell]:
    metrics_of = _METRICS_OF[version]
    rows: dict[str, RowRead] = {}
    order_of: dict[str, list[str]] = {}         # metric order from the printed header
    wan_of: dict[str, bool] = {}                # header says the amount is in 万元
    current: RowRead | None = None
    header: list[str] = []
    header_wan = False
    header_done = False                          # a row was read since the header was printed
    for idx, it in enumerate(items):
        label_norm = it.norm
        if label_norm:
            key = match_category(label_norm, version)
            names = find_metrics(label_norm, version)
            if names:
                if header_done:
                    header, header_wan, header_done = [], False, False
                header += [n for n in names if n not in header]
                header_wan = header_wan or "万元" in label_norm
            if key is None and not names and not it.values:
                current = None          # other text (a new item's caption, a note): row ends
            if key is not None and not (key in rows and rows[key].tokens):
                current = rows[key] = RowRead(key, it.label, it.source)
                expected = [m.key for m in metrics_of[key]]
                if sorted(header) == sorted(expected):
                    order_of[key] = header
                elif header and len(expected) > 1:
                    warnings.append(f"section 2 {key}: header {header} is not this table's; "
                                    f"template order used ({it.source})")
                wan_of[key] = header_wan
                header_done = True
            elif key is not None:
                current = None
        for tok in it.values:
            if current is None:
                continue
            if tok.run and current.tokens and current.tokens[0].run:
                first = current.tokens[0]
                current.tokens[0] = Token(first.raw + it.label + tok.raw, first.source, run=True)
                continue
            n = len(metrics_of[current.key])
            if tok.run and not current.tokens or not tok.run and len(current.tokens) < n and \
                    not (current.tokens and current.tokens[0].run):
                current.tokens.append(tok)
                current.last_item = idx
            elif not tok.run and current.tokens and idx - current.last_item <= 1:
                current.extra += 1                  # more numbers than this table has columns
                current.last_item = idx
    cells: list[Cell] = []
    for cat, metrics in metrics_of.items():
        r = rows.get(cat)
        n = len(metrics)
        if r is None or not r.tokens:
            cells.extend(_cell("2", cat, m.key, None) for m in metrics)
            continue
        if r.tokens[0].run:
            from etl.parse.digits import solve_fixed

            split = solve_fixed(r.tokens[0].raw, n)
            cells.extend(_split_cells("2", cat, [m.key for m in metrics], split, r.tokens[0]))
            continue
        if len(r.tokens) != n or r.extra:
            warnings.append(f"section 2 {cat}: {len(r.tokens) + r.extra} values for {n} cells; their "
                            f"columns are unknown ({r.source})")
            raw = " ".join(t.raw for t in r.tokens)
            cells.extend(Cell("2", cat, m.key, None, raw, "unknown", r.source,
                              f"{len(r.tokens) + r.extra} values for {n} columns") for m in metrics)
            continue
        order = order_of.get(cat) or [m.key for m in metrics]
        by_key = dict(zip(order, r.tokens))
        for m in metrics:
            c = _cell("2", cat, m.key, by_key[m.key], yuan=(m.key == "amount"))
            if m.key == "amount" and wan_of.get(cat) and c.state == "number" and \
                    "元" not in c.raw:
                # 采购总金额（万元） with a bare number: stored in 元
                c.value = round(c.value * 10000, 6)
                c.value = int(c.value) if float(c.value).is_integer() else c.value
                c.note = "printed in 万元 (header); stored in 元"
            cells.append(c)
    missing = [c for c in metrics_of if c not in rows]
    if missing and len(missing) < len(metrics_of):
        warnings.append("section 2: categories not found: " + ", ".join(missing))
    _text_warnings(cells, warnings)
    return cells
