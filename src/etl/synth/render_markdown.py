"""Markdown form: the text PDF-to-Markdown tools (MinerU-like, OCR pipelines) produce, like
002: ``#`` headings, pipe tables for the report's tables, prose as paragraphs.

Layout classes it shows: ``loose_labels`` (table 三's row labels fall out of the table: value-only
rows, the labels as loose lines before, after or between them, some lost, the wrapped column
header as a fake first row), ``flat_table4`` (table 四 as one row of 15 or three rows of 5 under a
scrambled header), ``split_table`` (table 三 as two tables), plus the classes every form shows.
Plain string building.
"""

from __future__ import annotations

import random

from etl.synth.render_text import _section_order
from etl.synth.report import SynthReport
from etl.template import SECTION2_CONTENT_HEADER, SECTION3_APPLICANT_HEADER


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _rule(n: int) -> str:
    return "|" + "---|" * n


def render_markdown(r: SynthReport, rng: random.Random) -> str:
    out: list[str] = []
    add = out.append
    title = r.title_lines()
    if title:
        add("# " + title[0])
        out.extend(title[1:])
        add("")
    add(r.prose.intro)
    add("")
    for key in _section_order(r):
        heading = r.heading(key)
        if heading is not None:
            add(("## " if rng.random() < 0.85 else "") + heading)
            add("")
        for p in r.paragraphs(key):
            add(p)
            add("")
        if key == "active_disclosure":
            for item, metrics, rows in r.section2_tables():
                add("### " + item)
                add(_row([SECTION2_CONTENT_HEADER] + metrics))
                add(_rule(len(metrics) + 1))
                for label, cells in rows:
                    add(_row([label] + [c or "" for c in cells]))
                add("")
        elif key == "applications":
            add(r.identity_note())
            add("")
            out.extend(_loose_table3(r) if r.layout("loose_labels") else _table3(r, rng))
            add("")
        elif key == "review_litigation":
            out.extend(_flat_table4(r) if r.layout("flat_table4") else _table4(r, rng))
            add("")
    out.extend(r.signature)
    return "\n".join(out) + "\n"


def _header3(r: SynthReport, rng: random.Random) -> list[str]:
    cols = r.column_labels()
    if rng.random() < 0.5:
        return [_row(["项目"] + cols), _rule(8)]
    # the merged header cells flattened into three rows
    return [_row([r.identity_note(), SECTION3_APPLICANT_HEADER] + [""] * 6), _rule(8),
            _row(["", cols[0], "法人或其他组织", "", "", "", "", cols[6]]),
            _row(["", ""] + cols[1:6] + [""])]


def _table3(r: SynthReport, rng: random.Random) -> list[str]:
    lines = _header3(r, rng)
    rows = r.table3_rows()
    cut = -1
    if r.layout("split_table"):
        data = [i for i, row in enumerate(rows) if row[0] is not None]
        cut = r.layout_rng().choice(data[3:-3])
    for i, (row_key, _, label, cells) in enumerate(rows):
        if i == cut:
            # the table goes on after a page break: a second table, without the header
            lines += ["", "<!-- page break -->", "", _row([label] + cells), _rule(8)]
            continue
        lines.append(_row([label] + ([c or "" for c in cells] if row_key else [""] * 7)))
    return lines


def _loose_table3(r: SynthReport) -> list[str]:
    """Value-only rows; the labels as loose lines before, after or between chunks of them."""
    rng = r.layout_rng()
    rows = r.table3_rows()
    labels = [label for _, _, label, _ in rows]
    values = [cells for key, _, _, cells in rows if key is not None]
    header = [_row([c[:2] if len(c) > 3 else c for c in r.column_labels()]), _rule(7)]
    if rng.random() < 0.5:               # the header's wrapped second line as another fake row
        header.append(_row(["", *(c[2:] if len(c) > 3 else "" for c in r.column_labels()[1:6]), ""]))

    def lost(items: list[str]) -> list[str]:
        kept = [x for x in items if rng.random() >= 0.15]
        # a reworded label that got lost is no longer printed: no departure to report
        r.departures[:] = [d for d in r.departures if d["kind"] != "row_label" or d["printed"] in kept
                           or d["printed"] not in items]
        return kept

    mode = rng.choice(("before", "after", "interleaved"))
    body = [_row([c or "" for c in v]) for v in values]
    if r.layout("split_table"):                # two tables: a page break between the value rows
        cut = rng.randrange(4, len(body) - 3)
        body = body[:cut] + ["", "<!-- page break -->", ""] + body[cut:]
    if mode == "before":
        return lost(labels) + [""] + header + body
    if mode == "after":
        return header + body + [""] + lost(labels)
    # interleaved: the table comes in chunks; the labels of a chunk's rows (some lost) before it
    # (so the Markdown prints table 三 as several tables: a departure the parser reports)
    lines = list(header)
    i = 0
    first = True
    while i < len(rows):
        j = min(len(rows), i + rng.randint(2, 7))
        chunk = rows[i:j]
        if not first:
            lines.append("")
        lines += lost([label for _, _, label, _ in chunk])
        lines.append("")
        chunk_rows = [_row([c or "" for c in cells]) for key, _, _, cells in chunk if key is not None]
        lines += chunk_rows if first else chunk_rows[:1] + [_rule(7)] + chunk_rows[1:]
        first = False
        i = j
    if not any(d["kind"] == "table_split" for d in r.departures):
        r.departures.append({"kind": "table_split", "section": "三",
                             "printed": "table 三 printed as several tables"})
    return lines


def _table4(r: SynthReport, rng: random.Random) -> list[str]:
    groups, outcomes = r.section4_groups(), r.section4_outcomes()
    cells = r.section4_cells()
    if rng.random() < 0.5:                                     # like 002: one small table a group
        lines = []
        for g, name in enumerate(("行政复议", "行政诉讼（未经复议直接起诉）", "行政诉讼（复议后起诉）")):
            lines += ["### " + name, _row(outcomes), _rule(5), _row(cells[g * 5:g * 5 + 5]), ""]
        return lines
    return [_row([groups[0]] + [""] * 4 + ["行政诉讼"] + [""] * 9), _rule(15),
            _row(outcomes + [groups[1]] + [""] * 4 + [groups[2]] + [""] * 4),
            _row([""] * 5 + outcomes * 2), _row(cells)]


def _flat_table4(r: SynthReport) -> list[str]:
    rng = r.layout_rng()
    outcomes = [o for _ in r.section4_groups() for o in r.section4_outcomes()]
    rng.shuffle(outcomes)
    cells = r.section4_cells()
    if rng.random() < 0.5:
        return [_row(outcomes), _rule(15), _row(cells)]
    return [_row(outcomes[:5]), _rule(5)] + [_row(cells[g * 5:g * 5 + 5]) for g in range(3)]
