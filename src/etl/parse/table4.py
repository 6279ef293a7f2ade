"""Table 四: fifteen values in the template's order (the header prints the groups in that order),
placed by the header where a grid names all fifteen, by group where each group prints its own
five, by the group sums where blank cells vanished."""

from __future__ import annotations

import re
from typing import Sequence

from etl.model import Cell
from etl.parse.cells import distrust_one_digit_split, make_cell, text_warnings
from etl.parse.items import Item, Token, norm
from etl.parse.labels import GROUP4_OF as _GROUP4_OF
from etl.parse.labels import GROUP4_RE as _GROUP4_RE
from etl.parse.labels import match_group4
from etl.parse.values import classify
from etl.template import (
    SECTION4_GROUPS,
    SECTION4_KEYS,
    SECTION4_OUTCOMES,
    SECTION4_SUIT_HEADER,
    SECTION4_SUM_GROUPS,
    normalize_label,
)

_OUTCOMES = [o for o, _ in SECTION4_OUTCOMES]
_OUTCOME_RE = re.compile("|".join(re.escape(normalize_label(lab)) for _, lab in SECTION4_OUTCOMES))
_OUTCOME_OF = {normalize_label(lab): o for o, lab in SECTION4_OUTCOMES}
_KEYS = [(g.prefix, o) for g in SECTION4_GROUPS for o in _OUTCOMES]
_SUIT_HEADER = normalize_label(SECTION4_SUIT_HEADER)


def _header_row(it: Item) -> bool:
    """A row of header words whose empty cells are no values: its label names an outcome
    (结果维持 …), or 行政诉讼 without naming which kind, or more than one group."""
    label = it.norm
    if not label or not it.values or any(t.raw.strip() for t in it.values):
        return False
    if _OUTCOME_RE.search(label):
        return True
    named = {_GROUP4_OF[m.group()] for m in _GROUP4_RE.finditer(label)}
    if _SUIT_HEADER in label and not named - {SECTION4_GROUPS[0].prefix}:
        named.add(_SUIT_HEADER)             # 行政诉讼 over both kinds of suit, not one group
    return len(named) > 1


def section4_cells(items: list[Item], warnings: list[str]) -> list[Cell]:
    tokens = [t for it in items if not _header_row(it) for t in it.values]
    if len(tokens) > len(_KEYS) and not any(t.run for t in tokens):
        # empty cells at the edges of a grid wider than the table (a label column left empty, a
        # PDF's column lines shared with the table above): never more values than cells
        while len(tokens) > len(_KEYS) and not tokens[0].raw.strip():
            tokens = tokens[1:]
        while len(tokens) > len(_KEYS) and not tokens[-1].raw.strip():
            tokens = tokens[:-1]
    runs = [t for t in tokens if t.run]
    cells: list[Cell] = []
    keys = _KEYS
    if runs:
        from etl.parse.digits import solve_section4

        run = Token(" ".join(t.raw for t in runs), runs[0].source, run=True)
        split = solve_section4(run.raw)
        distrust_one_digit_split(split, SECTION4_SUM_GROUPS, run.raw)
        for (g, o), v, st in zip(keys, split.values, split.states):
            cells.append(Cell("4", g, o, v, run.raw, st, run.source, split.note))
        return cells
    if not tokens:
        warnings.append("section 4: no values found")
        return [Cell("4", g, o, None, "", "absent", "", "not printed") for g, o in keys]
    placed = _section4_by_header(items)
    if placed is not None:
        # a grid whose header names group and outcome over every column: each value sits under
        # its own header cell
        cells = [make_cell("4", g, o, placed.get((g, o)) or Token("", "", False, -1)) for g, o in keys]
        text_warnings(cells, warnings)
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
        cells = _in_order([by_group[g].get(o) for g, o in keys], tokens, warnings)
    else:
        cells = [make_cell("4", g, o, tok) for (g, o), tok in zip(keys, tokens)]
    text_warnings(cells, warnings)
    return cells


def _in_order(by_header: list[Token | None], printed: list[Token] | None,
              warnings: list[str]) -> list[Cell]:
    """Cells as a header line places them, when it agrees with the template's order (the
    national template fixes it).  A header line naming the outcomes in another order is a
    scrambled one (merged header cells extracted out of order) unless the values say otherwise: the
    fifteen values in printed order are the template's when their groups hold total = sum of
    outcomes; the header's order is taken only when it holds them and that one does not."""
    if printed is None or all(a is b for a, b in zip(by_header, printed)):
        return [make_cell("4", g, o, tok) for (g, o), tok in zip(_KEYS, by_header)]
    in_template = _sums_hold([None if t.copy else classify(t.raw)[0] for t in printed])
    in_header = _sums_hold([None if t is None or t.copy else classify(t.raw)[0] for t in by_header])
    chosen: Sequence[Token | None]
    if in_template:
        chosen, why = printed, "the fifteen values in the template's order hold every group's sum"
    elif in_header:
        chosen, why = by_header, "the header's order holds every group's sum and the template's does not"
    else:
        warnings.append("section 4: the header names the columns out of the template's order and "
                        "the group sums decide neither; cells unknown")
        raw = " ".join(t.raw for t in printed)
        return [Cell("4", g, o, None, raw, "unknown", printed[0].source,
                     "header out of the template's order; group sums decide neither order")
                for g, o in _KEYS]
    note = f"header printed out of the template's order: {why}"
    warnings.append(f"section 4: {note}")
    out = []
    for (g, o), tok in zip(_KEYS, chosen):
        c = make_cell("4", g, o, tok)
        if c.state == "number":
            c.state = "inferred"
        c.note = note
        out.append(c)
    return out


def _sums_hold(values: list) -> bool:
    """Every group of section 四 holds total = sum of its four outcomes (a group with a blank
    cell is not checked), and at least one group is checked."""
    checked = 0
    for parts, total in SECTION4_SUM_GROUPS:
        if None in [values[i] for i in (*parts, total)]:
            continue
        checked += 1
        if sum(values[i] for i in parts) != values[total]:
            return False
    return checked > 0


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
    note = f"{k} values for {n} cells: {len(sols)} placement(s) satisfy the group totals"
    out: list[tuple[int | float | None, str, str, str, str]] = []
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
            if it.values and not _header_row(it):
                data.setdefault(it.table, []).append(it)
            else:
                headers.setdefault(it.table, []).append(it.grid)
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




def _section4_by_group(items: list[Item]) -> dict[str, dict[str, Token]] | None:
    """{group: {outcome: token}} when the values come in batches of five, each after exactly
    one group label (and, where printed, a header naming the five outcomes in its order)."""
    out: dict[str, dict[str, Token]] = {}
    groups_seen: list[str] = []
    header: list[str] | None = None
    for it in items:
        label_norm = it.norm
        if label_norm and (not it.values or _header_row(it)):
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

