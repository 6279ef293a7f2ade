"""Section 二: small tables; the category label anchors the row, the template gives its metrics."""

from __future__ import annotations

from typing import Sequence

from etl.model import Cell, ProseFigure
from etl.parse.cells import RowRead, make_cell, split_cells, text_warnings
from etl.parse.items import Item, Token
from etl.parse.labels import find_metrics, match_category
from etl.template import PROSE_SECTION2_CELLS, SECTION2

# {version: {category: its metrics}}, in printed order (read-only)
_METRICS_OF = {version: {cat.key: table.metrics for table in tables for cat in table.categories}
               for version, tables in SECTION2.items()}


def section2_cells(items: list[Item], version: str, warnings: list[str],
                   prose: Sequence[ProseFigure] = ()) -> list[Cell]:
    """``prose``: the figures the report's prose states; those naming a cell of section 二
    (PROSE_SECTION2_CELLS) constrain a row whose digits ran together."""
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
            cells.extend(make_cell("2", cat, m.key, None) for m in metrics)
            continue
        if r.tokens[0].run:
            from etl.parse.digits import solve_fixed

            split = solve_fixed(r.tokens[0].raw, n, _pins(cat, metrics, version, prose))
            cells.extend(split_cells("2", cat, [m.key for m in metrics], split, r.tokens[0]))
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
            c = make_cell("2", cat, m.key, by_key[m.key], yuan=(m.key == "amount"))
            if m.key == "amount" and wan_of.get(cat) and c.state == "number" and \
                    c.value is not None and "元" not in c.raw:
                # 采购总金额（万元） with a bare number: stored in 元
                c.value = round(c.value * 10000, 6)
                c.value = int(c.value) if float(c.value).is_integer() else c.value
                c.note = "printed in 万元 (header); stored in 元"
            cells.append(c)
    missing = [c for c in metrics_of if c not in rows]
    if missing and len(missing) < len(metrics_of):
        warnings.append("section 2: categories not found: " + ", ".join(missing))
    text_warnings(cells, warnings)
    return cells


def _pins(cat: str, metrics, version: str, prose) -> dict[int, tuple[int, str]]:
    """{place in the row: (value, "prose key=value (line n)")} for the prose figures that name a
    cell of this row: constraints on how its run-together digits split, never a check's subject
    (prose_vs_table does not check a figure against the cell it split)."""
    cells = PROSE_SECTION2_CELLS.get(version, {})
    out: dict[int, tuple[int, str]] = {}
    for p in prose:
        cell = cells.get(p.key)
        if cell is None or cell[0] != cat or not isinstance(p.value, int):
            continue
        keys = [m.key for m in metrics]
        if cell[1] in keys:
            out[keys.index(cell[1])] = (p.value, f"prose {p.key}={p.value} ({p.source})")
    return out
