"""The table grids the office forms share (DOCX in render_docx, PDF in render_pdf): each table
as a grid of printed cells plus its merges (r0, c0, r1, c1), as a Word or PDF author lays it out —
merged header and label cells, the vertical 三、本年度办理结果 label, Word's ragged "save as" rows
(word_export), table 三 cut in two (split_table), table 四 under a flat header (flat_table4)."""

from __future__ import annotations

import random

from etl.synth.report import SynthReport
from etl.template import (
    SECTION2_CONTENT_HEADER,
    SECTION3_APPLICANT_HEADER,
    SECTION3_LEGAL_PERSON_HEADER,
    SECTION3_RESULTS_CAPTION,
    SECTION4_SUIT_HEADER,
)

Merge = tuple[int, int, int, int]
Grid = tuple[list[list[str]], list[Merge]]


def section2_grids(r: SynthReport) -> list[Grid]:
    """One table per 第二十条 item: the item as a merged first row, then the metric header."""
    out = []
    for item, metrics, rows in r.section2_tables():
        n = len(metrics) + 1
        grid = [[item] + [""] * (n - 1), [SECTION2_CONTENT_HEADER] + metrics]
        grid += [[label] + cells for label, cells in rows]
        out.append((grid, [(0, 0, 0, n - 1)]))
    return out


def table3_grid(r: SynthReport) -> Grid:
    """Table 三 as a 10-column grid plus merges (r0, c0, r1, c1): three label columns
    (三、本年度办理结果 | group | row label) then the seven cells."""
    cols = r.column_labels()
    grid = [[r.identity_note(), "", "", SECTION3_APPLICANT_HEADER] + [""] * 6,
            ["", "", "", cols[0], SECTION3_LEGAL_PERSON_HEADER, "", "", "", "", cols[6]],
            ["", "", "", ""] + cols[1:6] + [""]]
    merges = [(0, 0, 2, 2), (0, 3, 0, 9), (1, 3, 2, 3), (1, 4, 1, 8), (1, 9, 2, 9)]
    rows = [row for row in r.table3_rows() if row[0] is not None]
    start_results = None
    group_rows: dict[str, list[int]] = {}
    for row_key, group, label, cells in rows:
        i = len(grid)
        in_results = group is not None or row_key == "total"
        if in_results and start_results is None:
            start_results = i
        lead = SECTION3_RESULTS_CAPTION if i == start_results else ""
        if group and group != SECTION3_RESULTS_CAPTION:
            first = group not in group_rows
            group_rows.setdefault(group, []).append(i)
            grid.append([lead, group if first else "", label] + cells)
        elif in_results:
            grid.append([lead, label, ""] + cells)
            merges.append((i, 1, i, 2))
        else:
            grid.append([label, "", ""] + cells)
            merges.append((i, 0, i, 2))
        if row_key == "total" and start_results is not None:
            merges.append((start_results, 0, i, 0))
    merges += [(idx[0], 1, idx[-1], 1) for idx in group_rows.values() if len(idx) > 1]
    return grid, merges


def section4_grid(r: SynthReport) -> Grid:
    groups, outcomes = r.section4_groups(), r.section4_outcomes()
    grid = [[groups[0]] + [""] * 4 + [SECTION4_SUIT_HEADER] + [""] * 9,
            outcomes + [groups[1]] + [""] * 4 + [groups[2]] + [""] * 4,
            [""] * 5 + outcomes * 2,
            r.section4_cells()]
    merges = [(0, 0, 0, 4), (0, 5, 0, 14), (1, 5, 1, 9), (1, 10, 1, 14)] + \
             [(1, c, 2, c) for c in range(5)]
    return grid, merges


SHORT = "\x00short"           # a grid cell Word leaves out of its row (w:gridAfter)


def ragged(grid: list[list[str]], merges: list[Merge], rng: random.Random) -> Grid:
    """Word's "save as" tables: one more grid column at the right; each row's last cell either
    spans into it (w:gridSpan) or the row stops short of it (w:gridAfter)."""
    width = len(grid[0])
    out = [row + [""] for row in grid]
    spans: list[Merge] = []
    edge_rows: set[int] = set()
    for r0, c0, r1, c1 in merges:
        if c1 == width - 1:                  # a cell reaching the right edge reaches the new one
            spans.append((r0, c0, r1, width))
            edge_rows.update(range(r0, r1 + 1))
        else:
            spans.append((r0, c0, r1, c1))
    for i, row in enumerate(out):
        if i in edge_rows:
            continue
        if rng.random() < 0.5:
            spans.append((i, width - 1, i, width))
        else:
            row[width] = SHORT
    return out, spans


def split_grid(grid: list[list[str]], merges: list[Merge], rng: random.Random) -> tuple[Grid, Grid]:
    """Table 三 as two tables: the header and the first rows, then the rest (no header); a span
    crossing the cut ends above it (its continuation below is empty)."""
    cut = rng.randrange(3 + 4, len(grid) - 3)
    first: list[Merge] = []
    second: list[Merge] = []
    for r0, c0, r1, c1 in merges:
        if r1 < cut:
            first.append((r0, c0, r1, c1))
        elif r0 >= cut:
            second.append((r0 - cut, c0, r1 - cut, c1))
        elif (r0, c0) != (cut - 1, c1):
            first.append((r0, c0, cut - 1, c1))
    return (grid[:cut], first), (grid[cut:], second)


def flat_section4_grid(r: SynthReport, rng: random.Random) -> Grid:
    """Table 四 under a scrambled one-row header: fifteen values in one row, or three rows of five."""
    outcomes = [o for _ in r.section4_groups() for o in r.section4_outcomes()]
    rng.shuffle(outcomes)
    cells = r.section4_cells()
    if rng.random() < 0.5:
        return [outcomes, cells], []
    return [outcomes[:5]] + [cells[g * 5:g * 5 + 5] for g in range(3)], []
