"""`etl` — the command line.  Thin: every command calls one function of its package.

Imports are inside the commands so that `etl parse` does not pay for Prefect and DuckDB.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="政府信息公开工作年度报告 → cells → Parquet → DuckDB, checked and aggregated.")


@app.command()
def parse(
    file: Path = typer.Argument(..., help="A report: .txt, .md, .html, .pdf, .docx"),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables"),
) -> None:
    """Read one report into the template's cells."""
    from etl.parse.command import parse_command

    raise typer.Exit(parse_command(file, json_out))


@functools.lru_cache(maxsize=1)
def _flows():
    """flows/nightly.py of this checkout (the Prefect code lives there, beside src/)."""
    import importlib.util
    import sys

    path = Path(__file__).resolve().parents[2] / "flows" / "nightly.py"
    if not path.is_file():
        raise typer.BadParameter(f"{path} not found: run etl from a checkout of the project")
    spec = importlib.util.spec_from_file_location("flows.nightly", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("flows.nightly", module)
    spec.loader.exec_module(module)
    return module


@app.command()
def run(
    year: Optional[str] = typer.Option(None, help="Rebuild exactly this year (others stay as they are)"),
    raw: Path = typer.Option(Path("data/raw"), help="Folder of input reports (any depth)"),
    warehouse: Path = typer.Option(Path("data/warehouse"), help="Warehouse folder (Parquet + DuckDB)"),
    allow_shrink: bool = typer.Option(False, "--allow-shrink",
                                      help="Publish even if the run finds far fewer reports than "
                                           "the published warehouse has (ETL_SHRINK_RATIO)"),
    dask: Optional[str] = typer.Option(None, help="Parse on this Dask scheduler "
                                                  "(tcp://host:8786; default $ETL_DASK_ADDRESS)"),
    corrections: Path = typer.Option(Path("data/corrections"),
                                     help="Folder of correction files (*.csv; see `etl correct`)"),
) -> None:
    """Run the nightly flow now: parse → Parquet → DuckDB → checks → aggregates.

    Settings (environment): ETL_PARSE_TIMEOUT, ETL_WORKER_MEMORY, ETL_MAX_FILE_BYTES,
    ETL_MAX_INFLATED_BYTES, ETL_WORKERS, ETL_DUCKDB_MEMORY, ETL_SHRINK_RATIO (see README)."""
    from etl.settings import SettingError, check_year

    try:
        y = check_year(year)
    except SettingError as e:
        typer.echo(f"etl run: {e}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(_flows().run_command(year=y, raw=raw, warehouse=warehouse,
                                          allow_shrink=allow_shrink, dask=dask,
                                          corrections=corrections))


@app.command()
def correct(
    table: str = typer.Option(..., help="applications | active_disclosure | review_litigation"),
    row: str = typer.Option(..., help="row_key (table 三), category (二) or item (四)"),
    column: str = typer.Option(..., help="applicant (三), metric (二) or outcome (四)"),
    value: str = typer.Option(..., help="the right value"),
    reason: str = typer.Option(..., help="why (kept in the corrections table)"),
    who: str = typer.Option(..., help="who corrects (kept in the corrections table)"),
    report_id: Optional[str] = typer.Option(None, help="the report (its content hash)"),
    agency_id: Optional[str] = typer.Option(None, help="…or the agency id and --year"),
    agency: Optional[str] = typer.Option(None, help="…or the agency name and --year"),
    year: Optional[int] = typer.Option(None, help="the report year"),
    warehouse: Path = typer.Option(Path("data/warehouse"), help="Warehouse folder"),
    folder: Path = typer.Option(Path("data/corrections"), help="Folder of correction files"),
) -> None:
    """Record a correction of one cell (applied, with the original kept, at the next run)."""
    from etl.stages.corrections import correct_command

    raise typer.Exit(correct_command(warehouse, folder, table, row, column, value, reason, who,
                                     report_id, agency_id, agency, year))


@app.command()
def sql(
    query: Optional[str] = typer.Argument(None, help="SQL over the warehouse (read-only); - or none: stdin"),
    warehouse: Path = typer.Option(Path("data/warehouse"), help="Warehouse folder"),
    fmt: str = typer.Option("table", "--format", "-f",
                            help="table | csv | json | xlsx | vertical (one line per column)"),
    file: Optional[Path] = typer.Option(None, "--file", help="Read the query from this file"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write to this file"),
    bom: Optional[bool] = typer.Option(None, "--bom/--no-bom",
                                       help="UTF-8 BOM before CSV (default: in files, not on stdout)"),
) -> None:
    """Ad hoc read-only SQL; never blocks a nightly run."""
    from etl.export.formats import read_query
    from etl.warehouse.query import sql_command

    try:
        text = read_query(query, file)
    except (ValueError, OSError) as e:
        typer.echo(f"etl sql: {e}", err=True)
        raise typer.Exit(2)
    raise typer.Exit(sql_command(text, warehouse=warehouse, fmt=fmt, out=out, bom=bom))


@app.command()
def report(
    warehouse: Path = typer.Option(Path("data/warehouse"), help="Warehouse folder"),
    out: Optional[Path] = typer.Option(None, help="Site folder (default: <warehouse>/report)"),
) -> None:
    """Build the static report site (overview, regions, a card per agency-year), in Chinese."""
    from etl.report.command import report_command

    raise typer.Exit(report_command(warehouse=warehouse, out=out))


@app.command()
def export(
    agency: Optional[str] = typer.Option(None, help="Agency: its agency_id or its exact name"),
    region: Optional[str] = typer.Option(None, help="Region path, e.g. 江苏省/淮安市 (and below)"),
    year: Optional[int] = typer.Option(None, help="Only this year (default: every year)"),
    fmt: str = typer.Option("xlsx", "--format", "-f", help="xlsx | csv (a folder, UTF-8 BOM)"),
    out: Optional[Path] = typer.Option(None, help="Output file (xlsx) or folder (csv)"),
    warehouse: Path = typer.Option(Path("data/warehouse"), help="Warehouse folder"),
) -> None:
    """Export an agency's reports or a region's totals in template layout, with the issues."""
    from etl.export.command import export_command

    raise typer.Exit(export_command(warehouse=warehouse, agency=agency, region=region, year=year,
                                    fmt=fmt, out=out))


@app.command()
def serve(
    cron: str = typer.Option("0 2 * * *", help="Cron schedule of the nightly run"),
    timezone: str = typer.Option("Asia/Shanghai", help="Timezone of the cron schedule"),
    raw: Path = typer.Option(Path("data/raw"), help="Folder of input reports"),
    warehouse: Path = typer.Option(Path("data/warehouse"), help="Warehouse folder"),
) -> None:
    """Serve the nightly deployment on a cron schedule (needs `prefect server start`)."""
    raise typer.Exit(_flows().serve_command(cron=cron, timezone=timezone, raw=raw,
                                            warehouse=warehouse))


@app.command()
def synth(
    out: Path = typer.Option(..., help="Output folder (documents, truth/, manifest.csv)"),
    agencies: Optional[int] = typer.Option(None, help="Number of agencies (each publishes every year)"),
    reports: Optional[int] = typer.Option(None, help="Number of reports (overrides --agencies)"),
    years: str = typer.Option("2019-2025", help="Year range, e.g. 2019-2025"),
    formats: str = typer.Option("flat_text,html,layout_text,run_text,crawler,docx,pdf",
                                help="Comma-separated output forms "
                                     "(also: scan = scanned PDF, doc = legacy Word; slow)"),
    fault_rate: float = typer.Option(0.1, help="Share of reports given a recorded fault"),
    seed: int = typer.Option(1, help="Random seed (same seed, same bytes)"),
    layouts: str = typer.Option("none", help="Layout classes drawn per report: none, all, or a "
                                             "comma list (docs/layouts.md)"),
    layout_rate: float = typer.Option(0.5, help="Share of reports printed in a layout class"),
) -> None:
    """Generate a realistic synthetic region with ground truth."""
    from etl.synth.command import synth_command

    raise typer.Exit(synth_command(out=out, agencies=agencies, reports=reports, years=years,
                                   formats=formats, fault_rate=fault_rate, seed=seed,
                                   layouts=layouts, layout_rate=layout_rate))


@app.command("eval")
def evaluate(
    truth: Path = typer.Option(..., help="Folder with truth/*.json and manifest.csv (from etl synth)"),
    warehouse: Path = typer.Option(Path("data/warehouse"), help="Warehouse built from that folder"),
) -> None:
    """Compare the warehouse with the truth: cell accuracy and per-rule precision/recall."""
    from etl.synth.evaluate import eval_command

    raise typer.Exit(eval_command(truth=truth, warehouse=warehouse))


if __name__ == "__main__":
    app()
