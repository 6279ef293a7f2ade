"""A small warehouse for the report, export and notebook tests: real reports (truth files) and
variants that break a rule, leave a cell unknown, or carry hostile text in every field a page
shows."""

from __future__ import annotations

from conftest import build_warehouse, real_item, seed_report, set_cell, truth_report, variant

HOSTILE = '<script>alert("x")</script>&\'"'


def report_items() -> list[tuple[dict, object]]:
    items = [real_item(n) for n in ("001_shanghai_gov_office_2019", "006_huaian_hongze_district_2023",
                                    "007_huaian_hongze_district_2024", "009_pingtan_2019",
                                    "011_pingtan_2021", "013_pingtan_2023")]
    # 沭阳 2025 with 本年新收|总计 changed: identity and row_total fail on that cell.
    broken = set_cell(variant(truth_report("002_shuyang_county_2025")), "3", "new_received",
                      "total", 9999)
    items.append(real_item("002_shuyang_county_2025", broken))
    # 南星街道 with one cell of table 三 left unknown, and hostile text everywhere.
    seed = variant(seed_report())
    c = seed.cell("3", "granted", "natural_person")
    c.value, c.state, c.raw, c.note = None, "unknown", "1 2<b>3</b>", "no unique split <i>x</i>"
    seed.agency = HOSTILE
    seed.warnings.append(HOSTILE)
    items.append(({"file": "000_seed.txt", "agency": HOSTILE, "year": 2023,
                   "agency_id": "zj-nanxing", "region_path": f"浙江省/杭州市/{HOSTILE}",
                   "level": "street", "source_url": "javascript:alert(1)"}, seed))
    return items


def make_warehouse(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("report-wh"), report_items())
