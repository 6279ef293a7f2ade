"""The output side of ``etl sql``: where the query comes from (argument, ``--file``, stdin) and
how its rows are written (``-f table | csv | json | xlsx | vertical``).

* csv: to a file (``--out``) with a UTF-8 BOM, so Excel on Chinese Windows reads it as UTF-8; to
  stdout without one (pipes), unless ``--bom``.
* vertical (alias ``line``): one ``column | value`` line per column, a header line per row — for
  rows too wide for a terminal (``SELECT * FROM reports``).
* xlsx: needs ``--out``.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import sys
import unicodedata
from pathlib import Path

from etl.textsafe import plain

FORMATS = ("table", "csv", "json", "xlsx", "vertical", "line")


def read_query(query: str | None, file: Path | None, stdin=None) -> str:
    """The SQL text: ``--file``, else the argument, else stdin (also when the argument is
    ``-``).  Raises ValueError when there is none."""
    stdin = stdin if stdin is not None else sys.stdin
    if file is not None:
        if query not in (None, "-"):
            raise ValueError("give the query as an argument or with --file, not both")
        return Path(file).read_text("utf-8")
    if query is not None and query != "-":
        return query
    if stdin is None or stdin.isatty():
        raise ValueError("no query: give it as an argument, with --file, or on stdin")
    text = stdin.read()
    if not text.strip():
        raise ValueError("no query on stdin")
    return text


def _jsonable(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return str(v)


def _text(v) -> str:
    return "" if v is None else str(v)


def to_csv(names: list[str], rows: list[tuple]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    w.writerows([_text(v) for v in r] for r in rows)
    return buf.getvalue()


def to_json(names: list[str], rows: list[tuple]) -> str:
    return json.dumps([{n: _jsonable(v) for n, v in zip(names, r)} for r in rows],
                      ensure_ascii=False, indent=1) + "\n"


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def to_vertical(names: list[str], rows: list[tuple]) -> str:
    """For a terminal: values are one line of printable text (document text may hold control
    characters and escape sequences)."""
    names = [plain(n) for n in names]
    pad = max([_width(n) for n in names] or [0])
    out = []
    for i, r in enumerate(rows, 1):
        out.append(f"-[ {i} ]" + "-" * max(4, pad - 2))
        for n, v in zip(names, r):
            value = "" if v is None else plain(v, limit=10_000)
            out.append(f"{n}{' ' * (pad - _width(n))} | {value}")
    return "\n".join(out) + ("\n" if out else "")


def to_xlsx(names: list[str], rows: list[tuple], path: Path) -> None:
    from etl.export.sheets import Sheet, write_xlsx

    def cell(v):
        if isinstance(v, (dt.datetime, dt.time)) and getattr(v, "tzinfo", None) is not None:
            return v.isoformat()        # Excel has no time zones
        if isinstance(v, (list, tuple, dict)):
            return json.dumps(_jsonable(v), ensure_ascii=False)
        if isinstance(v, decimal.Decimal):
            return float(v)
        return v

    sheet = Sheet("query", [list(names)] + [[cell(v) for v in r] for r in rows])
    for c in range(1, len(names) + 1):
        sheet.styles[(1, c)] = "head"
    write_xlsx([sheet], path)


def _table(names: list[str], rows: list[tuple]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Text objects: a value is shown as it is, never read as rich markup
    table = Table(show_lines=False)
    for n in names:
        table.add_column(Text(plain(n)), overflow="fold")
    for r in rows:
        table.add_row(*(Text("" if v is None else plain(v, limit=10_000)) for v in r))
    Console().print(table)


def write_result(names: list[str], rows: list[tuple], fmt: str, out: Path | None = None,
                 bom: bool | None = None) -> int:
    """Write a query result; returns the exit code (2 for a usage error)."""
    if fmt == "xlsx":
        if out is None:
            print("etl sql: -f xlsx needs --out FILE.xlsx", file=sys.stderr)
            return 2
        to_xlsx(names, rows, Path(out))
    elif fmt == "table" and out is None:
        _table(names, rows)
    else:
        text = {"csv": to_csv, "json": to_json, "vertical": to_vertical, "line": to_vertical,
                "table": to_vertical}[fmt](names, rows)
        use_bom = bom if bom is not None else (fmt == "csv" and out is not None)
        if out is not None:
            Path(out).write_text(text, encoding="utf-8-sig" if use_bom else "utf-8")
        else:
            sys.stdout.write(("\ufeff" if use_bom else "") + text)
    if out is not None or fmt == "table":
        print(f"{len(rows)} rows" + (f" -> {out}" if out is not None else ""), file=sys.stderr)
    return 0
