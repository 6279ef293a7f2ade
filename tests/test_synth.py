"""The synthetic corpus: invariants of the generator, determinism, and the manifest/truth contract.

The rules are recomputed here on the truth numbers by a small pure-Python checker (independent of
the warehouse SQL), so that "clean reports satisfy every rule" and "each fault breaks exactly its
rule" are checked against the rule definitions, not against the generator's own bookkeeping.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from etl.synth.command import MANIFEST_COLUMNS, TEXT_FORMS, generate
from etl.synth.faults import FAULT_RULES
from etl.template import (
    RESULT_ROW_KEYS,
    SECTION3_COLUMN_KEYS,
    SECTION4_GROUPS,
    template_for_year,
)

TOTAL = SECTION3_COLUMN_KEYS.index("total")


# ------------------------------------------------------------------------------------------------
# a small rule checker over truth JSON (None = not assessable, never 0)
# ------------------------------------------------------------------------------------------------

def _known(*vals) -> bool:
    return all(v is not None for v in vals)


def failing_rules(t: dict, prev: dict | None) -> set[str]:
    """Rules the printed numbers of truth ``t`` break (``prev``: the same agency's kept report
    of the year before, for the cross-year rules)."""
    out: set[str] = set()
    s3, s4, s2 = t["section3"], t["section4"], t["section2"]
    rows = {k: v for k, v in s3.items() if any(x is not None for x in v)}
    if not rows or all(v is None for v in s4.values()):
        out.add("missing_section")
    if rows:
        for c in range(7):
            a, b = s3["new_received"][c], s3["carried_over"][c]
            tot, cf = s3["total"][c], s3["carried_forward"][c]
            if _known(a, b, tot, cf) and a + b != tot + cf:
                out.add("identity")
            parts = [s3[k][c] for k in RESULT_ROW_KEYS if k in rows]
            if _known(tot, *parts) and sum(parts) != tot:
                out.add("results_sum")
        for key, vals in rows.items():
            if _known(*vals) and sum(vals[:TOTAL]) != vals[TOTAL]:
                out.add("row_total")
    for g in SECTION4_GROUPS:
        vals = [s4[f"{g.prefix}_{o}"] for o in ("upheld", "corrected", "other", "pending", "total")]
        if _known(*vals) and sum(vals[:4]) != vals[4]:
            out.add("review_sum")
    if t["template"] != template_for_year(t["year"]):
        out.add("template_year")
    for p in t["prose"]:
        key, v = p["key"], p["value"]
        table: list = []
        if key == "applications_received" and rows:
            n, co = s3["new_received"][TOTAL], s3["carried_over"][TOTAL]
            table = [n] + ([n + co] if _known(n, co) else [])
        elif key == "applications_handled" and rows:
            table = [s3["total"][TOTAL]]
        elif key == "carried_forward" and rows:
            table = [s3["carried_forward"][TOTAL]]
        elif key == "review_total":
            table = [s4["review_total"]]
        elif key == "suit_total":
            a, b = s4["suit_direct_total"], s4["suit_after_review_total"]
            table = [a + b] if _known(a, b) else [None]
        elif key == "normative_in_force":
            table = [(s2.get("normative_documents") or {}).get("in_force")]
        if table and _known(*table) and v not in table:
            out.add("prose_vs_table")
    if prev is not None:
        p3 = prev["section3"]
        for c in range(7):
            if _known(s3["carried_over"][c], p3["carried_forward"][c]) and \
                    s3["carried_over"][c] != p3["carried_forward"][c]:
                out.add("carry_chain")
        for cat in ("regulations", "normative_documents"):
            now, before = s2.get(cat) or {}, prev["section2"].get(cat) or {}
            vals = (now.get("in_force"), before.get("in_force"), now.get("issued"), now.get("repealed"))
            if "in_force" in now and "in_force" in before and _known(*vals) and \
                    vals[0] != vals[1] + vals[2] - vals[3]:
                out.add("in_force_chain")
    return out


def _load(out: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((out / "truth").rglob("*.json"))]


def _kept_by_agency_year(truths: list[dict]) -> dict[tuple[str, int], dict]:
    kept = {}
    for t in truths:
        if not any(f["kind"] == "duplicate" for f in t["faults"]):
            kept[(t["agency_id"], t["year"])] = t
    return kept


def _tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


# ------------------------------------------------------------------------------------------------
# corpora shared by the tests (text forms are fast; one small corpus has DOCX and PDF too)
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def clean_corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate(out, reports=400, forms=TEXT_FORMS, fault_rate=0.0, seed=11, workers=1)
    return out


@pytest.fixture(scope="module")
def faulty_corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("faulty")
    generate(out, reports=1400, forms=TEXT_FORMS, fault_rate=1.0, seed=12, workers=1)
    return out


def test_clean_reports_satisfy_every_rule(clean_corpus):
    truths = _load(clean_corpus)
    kept = _kept_by_agency_year(truths)
    assert len(truths) == 400
    broken = {}
    for t in truths:
        assert t["faults"] == []
        bad = failing_rules(t, kept.get((t["agency_id"], t["year"] - 1)))
        if bad:
            broken[t["file"]] = bad
    assert broken == {}


def test_each_fault_breaks_exactly_its_rule(faulty_corpus):
    truths = _load(faulty_corpus)
    kept = _kept_by_agency_year(truths)
    seen: dict[str, int] = {}
    for t in truths:
        assert len(t["faults"]) <= 1, t["file"]
        kind = t["faults"][0]["kind"] if t["faults"] else None
        seen[kind] = seen.get(kind, 0) + 1
        if kind == "corrupt":
            data = (faulty_corpus / t["file"]).read_bytes()
            assert not data or data[:4] in (b"\xd0\xcf\x11\xe0",), t["file"]    # text forms
            continue
        bad = failing_rules(t, kept.get((t["agency_id"], t["year"] - 1)))
        want = {FAULT_RULES[kind]} if kind and FAULT_RULES[kind] and kind != "duplicate" else set()
        assert bad == want, (t["file"], kind, t["faults"], bad)
        assert t["faults"] == [] or t["faults"][0]["rule"] == FAULT_RULES[kind]
    # every kind of fault was produced (cross-year ones included)
    assert set(FAULT_RULES) <= set(seen), set(FAULT_RULES) - set(seen)


def test_blank_cells_make_checks_not_assessable(faulty_corpus):
    truths = [t for t in _load(faulty_corpus) if t["faults"] and t["faults"][0]["kind"] == "blank_cells"]
    assert truths
    for t in truths:
        nulls = sum(v is None for vals in t["section3"].values() for v in vals) + \
            sum(v is None for v in t["section4"].values())
        absent_rows = sum(all(v is None for v in vals) for vals in t["section3"].values())
        assert nulls > absent_rows * 7, t["file"]          # something printed blank beyond absent rows


def test_duplicate_is_a_later_corrected_copy_with_the_same_numbers(faulty_corpus):
    truths = _load(faulty_corpus)
    kept = _kept_by_agency_year(truths)
    dups = [t for t in truths if t["faults"] and t["faults"][0]["kind"] == "duplicate"]
    assert dups
    for d in dups:
        k = kept[(d["agency_id"], d["year"])]
        assert d["file"] != k["file"] and d["published"] < k["published"]
        assert (d["section2"], d["section3"], d["section4"]) == (k["section2"], k["section3"], k["section4"])
        assert (faulty_corpus / d["file"]).read_bytes() != (faulty_corpus / k["file"]).read_bytes()


def test_manifest_matches_documents_and_truth(faulty_corpus):
    with open(faulty_corpus / "manifest.csv", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames) == MANIFEST_COLUMNS
        rows = list(reader)
    truths = {t["file"]: t for t in _load(faulty_corpus)}
    assert {r["file"] for r in rows} == set(truths)
    for r in rows:
        t = truths[r["file"]]
        assert (faulty_corpus / r["file"]).is_file()
        assert r["agency_id"] == t["agency_id"] and r["agency"] == t["agency"]
        assert int(r["year"]) == t["year"] and r["format"] == t["format"]
        assert r["region_path"].startswith("江南省") and r["level"] == t["level"]
        assert r["faults"] == ";".join(f["kind"] for f in t["faults"])


def test_volumes_are_realistic(clean_corpus):
    truths = _load(clean_corpus)
    streets = [t["section3"]["new_received"][TOTAL] for t in truths if t["level"] in ("street", "township")]
    assert streets and sum(v <= 10 for v in streets) / len(streets) > 0.9
    big = [t for t in truths if t["level"] in ("city", "province")]
    assert big and max(t["section3"]["new_received"][TOTAL] for t in big) >= 100
    natural = sum(t["section3"]["new_received"][0] for t in truths)
    assert natural > 0.7 * sum(t["section3"]["new_received"][TOTAL] for t in truths)
    # review is rare: most reports have none
    assert sum(t["section4"]["review_total"] == 0 for t in truths) > 0.6 * len(truths)
    # some 2021+ agencies still print the single 其他处理 row
    late = [t for t in truths if t["year"] >= 2021]
    assert any(t["section3"]["other_overdue_correction"] == [None] * 7 for t in late)
    assert any(t["section3"]["other_overdue_correction"] != [None] * 7 for t in late)


def test_same_seed_same_bytes_in_every_form(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    forms = ("flat_text", "html", "layout_text", "run_text", "crawler", "docx", "pdf")
    generate(a, reports=21, forms=forms, fault_rate=0.3, seed=5, workers=1)
    generate(b, reports=21, forms=forms, fault_rate=0.3, seed=5, workers=2)
    generate(c, reports=21, forms=forms, fault_rate=0.3, seed=6, workers=1)
    assert _tree_hash(a) == _tree_hash(b)
    assert _tree_hash(a) != _tree_hash(c)


def test_synth_command_rejects_bad_options(tmp_path, capsys):
    from etl.synth.command import synth_command

    assert synth_command(tmp_path, None, 5, "2019-2020", "flat_text,telex", 0.1, 1) == 2
    assert "telex" in capsys.readouterr().err
    assert synth_command(tmp_path, None, 5, "2015-2016", "flat_text", 0.1, 1) == 2
    assert synth_command(tmp_path, None, 5, "2019-2020", "flat_text", 1.5, 1) == 2
    assert synth_command(tmp_path, 3, None, "2023", "html", 0.0, 1) == 0
    assert len(list((tmp_path / "truth").rglob("*.json"))) == 3


def test_region_has_stable_unique_agencies_at_every_level():
    import random

    from etl.synth.region import build_region

    a = build_region(700, random.Random("1:region"))
    b = build_region(700, random.Random("1:region"))
    assert a == b and len(a) == 700
    assert len({x.id for x in a}) == 700 and len({x.name for x in a}) == 700
    assert {x.level for x in a} == {"province", "city", "district", "county", "street", "township",
                                    "department"}
    for x in a:
        parts = x.region_path.split("/")
        assert parts[0] == "江南省"
        if x.level in ("street", "township"):
            assert len(parts) == 4 and x.name.startswith(parts[-1].removesuffix("镇").removesuffix("乡"))
        if x.level in ("district", "county"):
            assert len(parts) == 3 and parts[-1] in x.name


def test_cli_synth_writes_a_corpus(tmp_path):
    from typer.testing import CliRunner

    from etl.cli import app

    res = CliRunner().invoke(app, ["synth", "--out", str(tmp_path), "--reports", "9", "--years",
                                   "2020-2022", "--formats", "html,crawler", "--seed", "3"])
    assert res.exit_code == 0, res.output
    assert "9 reports" in res.output
    with open(tmp_path / "manifest.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 9 and {r["year"] for r in rows} == {"2020", "2021", "2022"}
    assert {r["format"] for r in rows} <= {"html", "crawler"}
