"""Damaged input never crashes the parser: whatever is cut, repeated, swapped or glued, the
result is a ParsedReport or a ReportError naming the file (one broken report never stops a run),
and cells that are read keep a legal state."""

from __future__ import annotations

import random
from pathlib import Path

from etl.errors import ReportError
from etl.parse import parse_document
from etl.readers.text import read_text
from etl.template import CELL_STATES

FIX = Path(__file__).parent / "fixtures"
FILES = [FIX / "000_0ef24cf9c99c7ecf.txt", *sorted((FIX / "realdata").glob("*.txt")),
         FIX / "realdata/002_shuyang_county_2025.md"]


def _damaged(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 25)):
        if not lines:
            break
        op, i = rng.random(), rng.randrange(len(lines))
        if op < 0.3:
            del lines[i]
        elif op < 0.5:
            lines.insert(i, rng.choice(lines))
        elif op < 0.7:
            lines[i] = lines[i][:rng.randint(0, len(lines[i]))]
        elif op < 0.85:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            pos = rng.randint(0, len(lines[i]))
            lines[i] = lines[i][:pos] + rng.choice(["0", "/", "—", "三", "\t5", "|", "12 3", "2."]) \
                + lines[i][pos:]
    return "\n".join(lines)


def test_damaged_reports_parse_or_raise_report_error():
    rng = random.Random(20261129)
    parsed = 0
    for n in range(120):
        path = FILES[n % len(FILES)]
        text = _damaged(rng, path.read_text(encoding="utf-8"))
        try:
            rep = parse_document(read_text(text, str(path)))
        except ReportError as e:
            assert e.path == str(path)
            continue
        parsed += 1
        assert {c.state for c in rep.cells} <= set(CELL_STATES)
        assert all(c.value is None for c in rep.cells if c.state != "number" and c.state != "inferred")
    assert parsed > 60
