"""The body of ``etl parse FILE [--json]``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from etl.errors import ReportError


def parse_command(file: Path, json_out: bool) -> int:
    from etl.parse import parse_path

    try:
        report = parse_path(file)
    except ReportError as e:
        # one line naming the file and the reason: "FILE: reason — detail"
        print(str(e).replace("\n", " "), file=sys.stderr)
        return 2
    if json_out:
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=1) + "\n")
        return 0
    _print_tables(report)
    return 0


def _fmt(v) -> str:
    return "" if v is None else str(v)


def _print_tables(report) -> None:
    from rich.console import Console
    from rich.table import Table

    from etl.template import SECTION3_COLUMNS, SECTION3_ROWS, SECTION4_GROUPS, SECTION4_OUTCOMES, section2_keys

    console = Console()
    console.print(f"[bold]{report.agency or '?'}[/bold]  {report.year or '?'}  "
                  f"template {report.template}  ({report.form}: {report.file})")
    states = {(c.section, c.row, c.column): c.state for c in report.cells}

    def show(section, row, col, v):
        st = states.get((section, row, col), "")
        text = _fmt(v)
        if st in ("dash", "blank", "text"):
            return f"[dim]{st}[/dim]" if v is None else text
        if st == "unknown":
            return "[red]?[/red]"
        if st == "inferred":
            return f"[cyan]{text}[/cyan]"
        if st == "absent":
            return "[dim]·[/dim]"
        return text

    t2 = Table(title="二、主动公开政府信息情况")
    t2.add_column("category")
    t2.add_column("metric")
    t2.add_column("value", justify="right")
    s2 = report.section2()
    for cat, metrics in section2_keys(report.template or "2021").items():
        for m in metrics:
            t2.add_row(cat, m, show("2", cat, m, s2.get(cat, {}).get(m)))
    console.print(t2)

    t3 = Table(title="三、收到和处理政府信息公开申请情况")
    t3.add_column("row", no_wrap=True)
    for col in SECTION3_COLUMNS:
        t3.add_column(col.label, justify="right")
    s3 = report.section3()
    for row in SECTION3_ROWS:
        if report.template not in row.versions:
            continue
        t3.add_row(row.key, *[show("3", row.key, col.key, v)
                                for col, v in zip(SECTION3_COLUMNS, s3[row.key])])
    console.print(t3)

    t4 = Table(title="四、行政复议、行政诉讼")
    t4.add_column("group")
    for _, label in SECTION4_OUTCOMES:
        t4.add_column(label, justify="right")
    s4 = report.section4()
    for g in SECTION4_GROUPS:
        t4.add_row(g.label, *[show("4", g.prefix, o, s4[f"{g.prefix}_{o}"]) for o, _ in SECTION4_OUTCOMES])
    console.print(t4)

    for p in report.prose:
        console.print(f"prose {p.key} = {p.value}  [dim]{p.text} ({p.source})[/dim]")
    for w in report.warnings:
        console.print(f"[yellow]warning[/yellow] {w}")
