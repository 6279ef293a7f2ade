"""parse/digits: digit runs split only where the table's identities leave one answer.

Real cases come from the 平潭 crawler dumps in tests/fixtures/realdata (cells run together);
the expected values are their truth files, written by hand from the original pages.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from etl.parse import digits
from etl.parse.digits import candidate_splits, solve_fixed, solve_section3, solve_section4
from etl.template import (
    RESULT_ROW_KEYS,
    SECTION3_ROWS,
    SECTION4_KEYS,
    normalize_label,
    section3_rows_for,
)

REAL = Path(__file__).parent / "fixtures" / "realdata"
PINGTAN = [("009_pingtan_2019", "2019"), ("011_pingtan_2021", "2021"), ("013_pingtan_2023", "2021")]


def truth(name: str) -> dict:
    return json.loads((REAL / "truth" / f"{name}.json").read_text(encoding="utf-8"))


def section3_runs(name: str, version: str) -> dict[str, str]:
    """The digit run after each row label of table 三 in a crawler dump (test helper only:
    finding rows is the parser's job).  A run glued to the next label's "2." loses that digit."""
    text = normalize_label((REAL / f"{name}.txt").read_text(encoding="utf-8"))
    text = text[text.index("收到和处理政府信息公开申请情况", text.index("二,主动公开政府信息情况")):]
    runs = {}
    for row in SECTION3_ROWS:
        if row.key not in section3_rows_for(version):
            continue
        label = normalize_label(row.label)
        at = text.find(label)
        if at < 0 and row.key == "other_other":        # the 2019 form's single row
            label, at = "(六)其他处理", text.find("(六)其他处理")
        assert at >= 0, row.key
        rest = text[at + len(label):]
        run = re.match(r"\d+", rest).group(0)
        if rest[len(run):].startswith("."):
            run = run[:-1]
        runs[row.key] = run
    return runs


def section4_run(name: str) -> str:
    text = (REAL / f"{name}.txt").read_text(encoding="utf-8")
    return re.search(r"尚未审结总计(\d+)\s*五、", text).group(1)


# ---- candidate_splits ------------------------------------------------------------------------

def test_candidate_splits_follow_the_rules():
    assert candidate_splits("000", 3) == [[0, 0, 0]]
    # a leading zero is a cell by itself: "01" can only be 0|1
    assert candidate_splits("01", 2) == [[0, 1]]
    assert candidate_splits("01", 1) == []
    splits = candidate_splits("230 000023", 7)         # spaces are ignored, not separators
    assert [23, 0, 0, 0, 0, 0, 23] in splits
    assert all(len(s) == 7 for s in splits)
    assert all("".join(map(str, s)) == "230000023" for s in splits)
    assert len(splits) == len({tuple(s) for s in splits})
    assert candidate_splits("12a", 2) == []
    assert candidate_splits("12", 3) == []
    assert candidate_splits("１２", 2) == [[1, 2]]      # full-width digits fold


# ---- section 三 on real crawler dumps --------------------------------------------------------

@pytest.mark.parametrize("name,version", PINGTAN)
def test_section3_real_runs_split_to_truth(name, version):
    runs = section3_runs(name, version)
    rows = section3_rows_for(version)
    result = solve_section3(runs, {}, rows)
    expected = truth(name)["section3"]
    assert set(result) == set(runs)
    for key, split in result.items():
        assert split.values == expected[key], (key, runs[key], split.note)
        assert split.states == ["inferred"] * 7


def test_brief_examples_with_irregular_spaces():
    rows = section3_rows_for("2019")
    result = solve_section3({"new_received": "230 000023", "other_other": "0 0 0 0 0 00",
                             "total": "23 0 00 0 023"}, {}, rows)
    assert result["new_received"].values == [23, 0, 0, 0, 0, 0, 23]
    assert result["other_other"].values == [0] * 7
    assert result["total"].values == [23, 0, 0, 0, 0, 0, 23]


def test_2021_rows_need_the_column_identities():
    runs = section3_runs("011_pingtan_2021", "2021")
    rows = section3_rows_for("2021")
    # alone, each row has two splits satisfying row_total: differing cells stay unknown
    alone = solve_section3({"granted": runs["granted"]}, {}, rows)["granted"]
    assert alone.values[0] is None and alone.states[0] == "unknown"
    assert alone.values[6] == 30 and alone.states[6] == "inferred"   # same in both splits
    assert alone.note.startswith("2 splits satisfy row_total")
    assert "27|0|0|2|0|1|30" in alone.note
    # with the rest of the table read cleanly, the column identities pick one
    expected = truth("011_pingtan_2021")["section3"]
    known = {k: v for k, v in expected.items() if k not in ("granted", "unable_not_held")}
    both = solve_section3({k: runs[k] for k in ("granted", "unable_not_held")}, known, rows)
    assert both["granted"].values == [27, 0, 0, 2, 0, 1, 30]
    assert both["unable_not_held"].values == [22, 0, 0, 0, 0, 3, 25]


def test_unknown_participant_disables_a_constraint():
    runs = section3_runs("011_pingtan_2021", "2021")
    rows = section3_rows_for("2021")
    expected = truth("011_pingtan_2021")["section3"]
    known = {k: v for k, v in expected.items() if k != "granted"}
    # total's natural_person and commercial columns unknown: results_sum cannot tell 27|0 from 2|7
    # in those columns, and identity does not involve granted, so granted stays ambiguous there
    known["total"] = [None, None, 0, 2, 0, 4, 69]
    got = solve_section3({"granted": runs["granted"]}, known, rows)["granted"]
    # the social_welfare column (2 vs 0) still decides between the two splits
    assert got.values == [27, 0, 0, 2, 0, 1, 30]
    known["total"] = [None] * 7
    got = solve_section3({"granted": runs["granted"]}, known, rows)["granted"]
    assert got.values[0] is None and "no usable column identity" in got.note


def test_run_under_an_unlisted_row_is_still_split():
    got = solve_section3({"other_unpaid_fee": "0000000"}, {}, section3_rows_for("2019"))
    assert got["other_unpaid_fee"].values == [0] * 7


def test_run_of_exactly_seven_digits_is_taken_even_if_row_total_fails():
    split = solve_section3({"granted": "1000000"}, {}, section3_rows_for("2021"))["granted"]
    assert split.values == [1, 0, 0, 0, 0, 0, 0]
    assert split.states == ["inferred"] * 7


def test_no_split_satisfies_row_total():
    split = solve_section3({"granted": "123456789"}, {}, section3_rows_for("2021"))["granted"]
    assert split.values == [None] * 7 and split.states == ["unknown"] * 7
    assert "no split" in split.note and "row_total" in split.note


def test_contradicting_identities_leave_ambiguous_rows_unknown():
    runs = section3_runs("011_pingtan_2021", "2021")
    rows = section3_rows_for("2021")
    known = {k: v for k, v in truth("011_pingtan_2021")["section3"].items() if k != "granted"}
    known["total"] = [99, 0, 0, 2, 0, 4, 105]             # total no longer adds up
    got = solve_section3({"granted": runs["granted"]}, known, rows)["granted"]
    assert got.values == [None] * 7
    assert got.note.startswith("no split satisfies row_total and column identities")


def test_short_and_non_digit_runs():
    rows = section3_rows_for("2021")
    got = solve_section3({"granted": "000000", "partial": "0/00000"}, {}, rows)
    assert got["granted"].values == [None] * 7 and "6 digits" in got["granted"].note
    assert got["partial"].states == ["unknown"] * 7 and "other than digits" in got["partial"].note


def test_work_cap_reports_instead_of_hanging(monkeypatch):
    monkeypatch.setattr(digits, "MAX_ROW_CANDIDATES", 1)
    digits._row_total_splits.cache_clear()
    try:
        got = solve_section3({"granted": "270020130"}, {}, section3_rows_for("2021"))["granted"]
    finally:
        digits._row_total_splits.cache_clear()
    assert got.values == [None] * 7 and got.note == "too many candidate splits"


def test_garbage_runs_give_up_with_a_reason():
    # tens of thousands of ways to split: the search stops at its step cap, it does not hang
    got = solve_section3({"granted": "1" * 40}, {}, section3_rows_for("2021"))["granted"]
    assert got.values == [None] * 7 and got.note == "too many candidate splits"
    got = solve_section4("1" * 60)
    assert got.values == [None] * 15 and got.note


def _consistent_table(rng: random.Random, rows: tuple[str, ...]) -> dict[str, list[int]]:
    results = [k for k in RESULT_ROW_KEYS if k in rows]
    table = {}
    for k in results:
        vals = [rng.choice([0, 0, 0, rng.randint(0, 30), rng.randint(0, 400)]) for _ in range(6)]
        table[k] = vals + [sum(vals)]
    table["total"] = [sum(table[k][c] for k in results) for c in range(7)]
    cf = [rng.randint(0, 15) for _ in range(6)]
    co = [rng.randint(0, min(15, cf[c] + table["total"][c])) for c in range(6)]
    table["carried_forward"] = cf + [sum(cf)]
    table["carried_over"] = co + [sum(co)]
    table["new_received"] = [table["total"][c] + table["carried_forward"][c]
                             - table["carried_over"][c] for c in range(7)]
    return table


@pytest.mark.parametrize("version", ["2019", "2021"])
def test_consistent_tables_never_get_a_wrong_value(version):
    rng = random.Random(7)
    rows = section3_rows_for(version)
    resolved = total = 0
    for _ in range(60):
        table = _consistent_table(rng, rows)
        runs = {k: "".join(map(str, v)) for k, v in table.items()}
        for key, split in solve_section3(runs, {}, rows).items():
            for value, state, want in zip(split.values, split.states, table[key]):
                total += 1
                if value is None:
                    assert state == "unknown" and split.note
                else:
                    assert value == want, (key, runs[key], split)
                    resolved += 1
    assert resolved / total > 0.95


# ---- section 四 ------------------------------------------------------------------------------

def test_section4_real_runs():
    got = solve_section4(section4_run("011_pingtan_2021"))
    assert got.values == [1, 0, 2, 0, 3, 12, 0, 0, 0, 12, 0, 0, 0, 0, 0]
    assert got.states == ["inferred"] * 15
    t = truth("013_pingtan_2023")["section4"]
    got = solve_section4(section4_run("013_pingtan_2023"))
    assert got.values == [t[k] for k in SECTION4_KEYS]
    got = solve_section4(section4_run("009_pingtan_2019"))
    assert got.values == [0] * 15


def test_section4_no_split_and_pins():
    got = solve_section4("1020312000120000")              # one digit short of a group total
    assert got.values == [None] * 15 and "no split" in got.note
    assert solve_section4("10203120001200000", {"review_upheld": 10}).values == [None] * 15
    pinned = solve_section4("10203120001200000", {"review_upheld": 1, "review_total": None})
    assert pinned.values[0] == 1


def test_section4_ambiguous_cells_stay_unknown():
    # 1|1|0|0|2 then 11|0|0|0|11 or 1|10|0|0|11 — both groups add up
    got = solve_section4("11002" + "1100011" + "00000")
    assert got.values[:5] == [1, 1, 0, 0, 2]
    assert got.values[5] is None and got.values[6] is None and got.values[9] == 11
    assert got.states[5] == "unknown" and got.note.startswith("2 splits")


# ---- cells with no identity (section 二) ------------------------------------------------------

def test_solve_fixed():
    assert solve_fixed("000", 3).values == [0, 0, 0]
    assert solve_fixed("54", 1).values == [54]
    assert solve_fixed("54", 1).states == ["number"]
    assert solve_fixed("24252.311082", 1).values == [24252.311082]
    got = solve_fixed("898989", 3)                      # 规范性文件 89/89/89: ambiguous
    assert got.values == [None] * 3 and got.note.endswith("splits possible")
    assert got.note == f"{len(candidate_splits('898989', 3))} splits possible"
    assert solve_fixed("3960181", 3).states == ["unknown"] * 3
    assert solve_fixed("0500", 3).values == [0, 50, 0]
    assert solve_fixed("2629", 1).values == [2629]
    assert solve_fixed("01", 1).values == [None]
