"""Shared test helpers: real reports from the truth files, a warehouse built from them without
the parser, and (for the flow tests only) a Prefect test harness.

The truth files are REAL reports with real inconsistencies.  ``truth_report`` turns one into a
ParsedReport the way the parser would emit it: rows the printed table does not have (2021-only
其他处理 sub-rows on a 2019 template or on the old single-row form) get state ``absent``.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

from etl.model import ParsedReport, ProseFigure
from etl.template import ROWS_2021_ONLY

FIXTURES = Path(__file__).parent / "fixtures"
REALDATA = FIXTURES / "realdata"
TRUTH = REALDATA / "truth"

def pytest_configure(config):
    config.addinivalue_line("markers", "flow: runs the Prefect flow (ephemeral server, ~10 s setup)")
    config.addinivalue_line("markers", "slow: long-running (kill points, hostile corpora); "
                                       "`-m 'not slow'` skips them")
    # flows/nightly.py sets Prefect's environment (project-local home, run logs to the API)
    # before Prefect is first imported: load it before anything else imports Prefect.
    nightly_flow()


def truth_report(name: str) -> ParsedReport:
    """A truth file (``tests/fixtures/realdata/truth/<name>.json``) as a ParsedReport."""
    data = json.loads((TRUTH / f"{name}.json").read_text("utf-8"))
    rep = ParsedReport.from_json(data)
    rep.file = name
    sec3 = rep.section3()
    for c in rep.cells:
        # A 2021-only row that is null in every column was not printed (old single 其他处理 row).
        if c.section == "3" and c.row in ROWS_2021_ONLY and all(v is None for v in sec3[c.row]):
            c.state = "absent"
    return rep


def seed_report() -> ParsedReport:
    data = json.loads((FIXTURES / "000_0ef24cf9c99c7ecf.truth.json").read_text("utf-8"))
    rep = ParsedReport.from_json(data)
    rep.file = "000_0ef24cf9c99c7ecf"
    return rep


def set_cell(rep: ParsedReport, section: str, row: str, column: str, value) -> ParsedReport:
    """A variant: one cell changed (value None -> a blank cell)."""
    c = rep.cell(section, row, column)
    assert c is not None, (section, row, column)
    c.value = value
    c.raw = "" if value is None else str(value)
    c.state = "blank" if value is None else "number"
    return rep


def add_prose(rep: ParsedReport, key: str, value, text: str = "") -> ParsedReport:
    rep.prose.append(ProseFigure(key, value, text or f"{key} {value}", "line 1"))
    return rep


def variant(rep: ParsedReport) -> ParsedReport:
    return copy.deepcopy(rep)


def build_warehouse(tmp_path: Path, items: list[tuple[dict, ParsedReport]], name: str = "wh") -> Path:
    """Run every stage after parsing (resolve, write, validate, aggregate, database, publish) on
    reports given directly, as if the parser had made them; ``items`` = [(manifest row incl.
    "file", report)].  Returns the warehouse folder."""
    from etl.settings import Settings
    from etl.stages.discover import SourceFile
    from etl.stages.offline import publish_reports
    from etl.stages.run import open_run

    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    with open_run(raw, tmp_path / name, None, Settings.load(), allow_shrink=True) as run:
        given = []
        for i, (manifest, rep) in enumerate(items):
            m = {k: str(v) for k, v in manifest.items() if k != "file" and v is not None}
            f = SourceFile(str(raw / manifest["file"]), manifest["file"], 0, m)
            rep = copy.deepcopy(rep)
            if f.manifest_year is not None:      # as the parser does with a manifest year
                rep.year = f.manifest_year
            given.append((f, f"{i:04d}" + manifest["file"][:12].encode().hex()[:12], rep))
        publish_reports(run, given, "test")
    return run.layout.root


def nightly_flow():
    """flows/nightly.py, loaded as `etl run` loads it."""
    from etl.cli import _flows

    return _flows()


def query(warehouse: Path, sql: str) -> list[tuple]:
    from etl.warehouse.query import run_query

    return run_query(sql, warehouse)[1]


# Identity of the real agencies (stable ids across years, as data/raw/real/manifest.csv has them).
REAL_MANIFEST = {
    "001_shanghai_gov_office_2019": {"agency_id": "sh-gov-office", "region_path": "上海市",
                                     "level": "department"},
    "002_shuyang_county_2025": {"agency_id": "js-sq-shuyang", "region_path": "江苏省/宿迁市/沭阳县",
                                "level": "county"},
    "006_huaian_hongze_district_2023": {"agency_id": "js-ha-hongze",
                                        "region_path": "江苏省/淮安市/洪泽区", "level": "district"},
    "007_huaian_hongze_district_2024": {"agency_id": "js-ha-hongze",
                                        "region_path": "江苏省/淮安市/洪泽区", "level": "district"},
    "009_pingtan_2019": {"agency_id": "fj-pingtan", "region_path": "福建省/平潭综合实验区", "level": "city"},
    "011_pingtan_2021": {"agency_id": "fj-pingtan", "region_path": "福建省/平潭综合实验区", "level": "city"},
    "013_pingtan_2023": {"agency_id": "fj-pingtan", "region_path": "福建省/平潭综合实验区", "level": "city"},
}


def real_item(name: str, rep: ParsedReport | None = None, **overrides) -> tuple[dict, ParsedReport]:
    rep = rep if rep is not None else truth_report(name)
    m = {"file": f"{name}.txt", "agency": rep.agency, "year": rep.year, **REAL_MANIFEST.get(name, {})}
    m.update(overrides)
    return m, rep


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API for the flow tests only (~10 s, once per session)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


# --- a small raw tree (real files, manifests at two depths, broken files) -------------------------

MANIFEST = """file,agency_id,agency,region_path,level,year,format,source_url,published
000_0ef24cf9c99c7ecf.txt,nanxing,南星街道,浙江省/杭州市/上城区/南星街道,street,2023,flat_text,,
006_huaian_hongze_district_2023.txt,hongze,淮安市洪泽区人民政府,江苏省/淮安市/洪泽区,district,2023,,,
007_huaian_hongze_district_2024.txt,hongze,淮安市洪泽区人民政府,江苏省/淮安市/洪泽区,district,2024,,,
sub/011_pingtan_2021.txt,pingtan,平潭综合实验区（管委会）,福建省/平潭综合实验区,city,2021,,,
"""


def make_raw(root: Path) -> Path:
    """A small raw tree: a manifest at the top (one row for a file in a sub-folder), a deeper
    manifest in deep/, a broken file of each kind, a truth JSON that must be ignored."""
    raw = root / "raw"
    (raw / "sub").mkdir(parents=True)
    (raw / "deep" / "er").mkdir(parents=True)
    shutil.copy(FIXTURES / "000_0ef24cf9c99c7ecf.txt", raw)
    shutil.copy(REALDATA / "006_huaian_hongze_district_2023.txt", raw)
    shutil.copy(REALDATA / "007_huaian_hongze_district_2024.txt", raw)
    shutil.copy(REALDATA / "011_pingtan_2021.txt", raw / "sub")
    shutil.copy(REALDATA / "013_pingtan_2023.txt", raw / "deep" / "er")
    (raw / "manifest.csv").write_text(MANIFEST, encoding="utf-8")
    (raw / "deep" / "manifest.csv").write_text(
        "file,agency_id,agency,region_path,level,year\n"
        "er/013_pingtan_2023.txt,pingtan,平潭综合实验区（管委会）,福建省/平潭综合实验区,city,2023\n",
        encoding="utf-8")
    (raw / "broken").mkdir()
    (raw / "broken" / "empty.txt").write_bytes(b"")
    (raw / "broken" / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)
    (raw / "broken" / "notes.txt").write_text("这不是一份年度报告。\n只是一段文字。\n", encoding="utf-8")
    (raw / "truth").mkdir()
    (raw / "truth" / "x.json").write_text("{}", encoding="utf-8")
    return raw
