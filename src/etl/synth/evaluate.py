"""`etl eval`: compare a warehouse built from a synthetic corpus with the corpus's truth.

Prints
* cell accuracy by form (and for the text/HTML forms together): a cell is *correct* when the
  warehouse holds the printed value (or null where the truth is blank/absent), *unknown* when the
  parser left it unknown (run-together digits with no unique split: legitimate in crawler dumps),
  *wrong* otherwise — a report missing from the warehouse counts all its cells wrong;
* per rule, precision and recall of validation against the recorded faults: a report is expected
  to fail exactly the rules its faults record (duplicate_report on the superseded copy,
  missing_section, …), and corrupt files are expected to be quarantined.

The warehouse is opened read-only (the DuckDB file), so eval never blocks a run.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from etl.template import RULE_IDS, SECTION3_COLUMN_KEYS

QUARANTINE = "quarantine"                       # pseudo-rule: corrupt file -> status quarantined
TEXT_FORMS = ("flat_text", "html", "layout_text", "run_text")


@dataclass
class CellCounts:
    cells: int = 0
    correct: int = 0
    unknown: int = 0
    wrong: int = 0
    reports: int = 0

    def add(self, other: "CellCounts") -> None:
        self.cells += other.cells
        self.correct += other.correct
        self.unknown += other.unknown
        self.wrong += other.wrong
        self.reports += other.reports

    @property
    def accuracy(self) -> float:
        return self.correct / self.cells if self.cells else 1.0


@dataclass
class RuleCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Evaluation:
    by_form: dict[str, CellCounts] = field(default_factory=dict)
    by_section: dict[str, CellCounts] = field(default_factory=dict)   # text/HTML forms only
    rules: dict[str, RuleCounts] = field(default_factory=dict)         # every form but crawler
    rules_crawler: dict[str, RuleCounts] = field(default_factory=dict)  # crawler dumps apart: a
    # faulted table's run-together digits have no unique split, so its checks may be unassessable
    mismatches: list[tuple] = field(default_factory=list)           # (file, form, cell, expected, got, state)
    rule_misses: list[tuple] = field(default_factory=list)          # (file, rule, "FP"|"FN")
    not_found: list[str] = field(default_factory=list)              # truth files absent from the warehouse
    truth_reports: int = 0

    def text_html(self) -> CellCounts:
        out = CellCounts()
        for form in TEXT_FORMS:
            if form in self.by_form:
                out.add(self.by_form[form])
        return out


# ------------------------------------------------------------------------------------------------
# loading
# ------------------------------------------------------------------------------------------------

def load_truth(folder: Path) -> dict[str, dict]:
    """{file (relative to the corpus folder): truth JSON}."""
    out = {}
    for path in sorted((folder / "truth").rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out[data["file"]] = data
    return out


@dataclass
class Warehouse:
    reports: dict[str, dict]                    # source_file -> {report_id, status, error_reason}
    cells: dict[str, dict[tuple, tuple]]        # report_id -> {(section,row,col): (value, state)}
    failed: dict[str, set[str]]                 # report_id -> rules failed


def load_warehouse(path: Path) -> Warehouse:
    import duckdb

    db = path if path.suffix == ".duckdb" else path / "warehouse.duckdb"
    if not db.exists():
        raise FileNotFoundError(f"no warehouse at {db} (run `etl run` first)")
    con = duckdb.connect(str(db), read_only=True)
    try:
        reports = {sf: {"report_id": rid, "status": st, "error_reason": er}
                   for rid, sf, st, er in con.execute(
                       "SELECT report_id, source_file, status, error_reason FROM reports").fetchall()}
        cells: dict[str, dict[tuple, tuple]] = defaultdict(dict)
        for rid, row, col, v, st in con.execute(
                "SELECT report_id, row_key, applicant, value, state FROM applications").fetchall():
            cells[rid][("3", row, col)] = (v, st)
        for rid, cat, metric, v, st in con.execute(
                "SELECT report_id, category, metric, value, state FROM active_disclosure").fetchall():
            cells[rid][("2", cat, metric)] = (v, st)
        for rid, key, v, st in con.execute(
                "SELECT report_id, key, value, state FROM review_litigation").fetchall():
            cells[rid][("4", key, "")] = (v, st)
        failed: dict[str, set[str]] = defaultdict(set)
        for rid, rule in con.execute(
                "SELECT report_id, rule FROM validation_results WHERE status = 'failed' "
                "UNION SELECT report_id, rule FROM validation_issues").fetchall():
            failed[rid].add(rule)
    finally:
        con.close()
    return Warehouse(reports, dict(cells), dict(failed))


def _tail_index(reports: dict[str, dict]) -> dict[str, list[tuple[str, dict]]]:
    index: dict[str, list[tuple[str, dict]]] = defaultdict(list)
    for sf, row in reports.items():
        index[sf.rsplit("/", 1)[-1]].append((sf, row))
    return index


def _match(file: str, reports: dict[str, dict], index: dict) -> dict | None:
    """The warehouse row of a truth file: source_file is relative to the raw root given to
    `etl run`, which may be the corpus folder or a parent of it (data/raw vs data/raw/synth)."""
    if file in reports:
        return reports[file]
    for sf, row in index.get(file.rsplit("/", 1)[-1], ()):
        if sf.endswith("/" + file):
            return row
    return None


# ------------------------------------------------------------------------------------------------
# comparing
# ------------------------------------------------------------------------------------------------

def _truth_cells(t: dict):
    for cat, metrics in (t.get("section2") or {}).items():
        for metric, v in metrics.items():
            yield ("2", cat, metric), v
    for row, values in (t.get("section3") or {}).items():
        for col, v in zip(SECTION3_COLUMN_KEYS, values or [None] * len(SECTION3_COLUMN_KEYS)):
            yield ("3", row, col), v
    for key, v in (t.get("section4") or {}).items():
        yield ("4", key, ""), v


def evaluate(truth: dict[str, dict], wh: Warehouse, max_mismatches: int = 40) -> Evaluation:
    ev = Evaluation(truth_reports=len(truth))
    for rule in (*RULE_IDS, QUARANTINE):
        ev.rules[rule] = RuleCounts()
        ev.rules_crawler[rule] = RuleCounts()
    index = _tail_index(wh.reports)
    for file, t in sorted(truth.items()):
        form = t.get("format", "")
        kinds = {f["kind"] for f in t.get("faults", [])}
        expected = {f["rule"] for f in t.get("faults", []) if f.get("rule")}
        row = _match(file, wh.reports, index)
        if row is None:
            ev.not_found.append(file)
        # ---- quarantine ----
        if "corrupt" in kinds:
            expected = {QUARANTINE}
        flagged: set[str] = set()
        if row is not None:
            if row["status"] == "quarantined":
                flagged.add(QUARANTINE)
            else:
                flagged |= wh.failed.get(row["report_id"], set())
        rules = ev.rules_crawler if form == "crawler" else ev.rules
        for rule in rules:
            if rule in expected and rule in flagged:
                rules[rule].tp += 1
            elif rule in flagged:
                rules[rule].fp += 1
                ev.rule_misses.append((file, rule, "FP"))
            elif rule in expected:
                rules[rule].fn += 1
                ev.rule_misses.append((file, rule, "FN"))
        if "corrupt" in kinds:
            continue
        # ---- cells ----
        counts = ev.by_form.setdefault(form, CellCounts())
        counts.reports += 1
        got_cells = wh.cells.get(row["report_id"], {}) if row and row["status"] != "quarantined" else None
        for key, want in _truth_cells(t):
            sec = ev.by_section.setdefault(key[0], CellCounts()) if form in TEXT_FORMS else None
            counts.cells += 1
            if sec:
                sec.cells += 1
            got, state = (None, "missing") if got_cells is None else got_cells.get(key, (None, "absent"))
            if state == "unknown":
                counts.unknown += 1
                if sec:
                    sec.unknown += 1
                continue
            ok = (want is None and got is None) or (
                want is not None and got is not None and abs(float(got) - float(want)) < 1e-6)
            if ok:
                counts.correct += 1
                if sec:
                    sec.correct += 1
            else:
                counts.wrong += 1
                if sec:
                    sec.wrong += 1
                if len(ev.mismatches) < max_mismatches:
                    ev.mismatches.append((file, form, "/".join(k for k in key if k), want, got, state))
    return ev


# ------------------------------------------------------------------------------------------------
# printing
# ------------------------------------------------------------------------------------------------

def format_evaluation(ev: Evaluation) -> str:
    lines = [f"truth reports: {ev.truth_reports}; not found in the warehouse: {len(ev.not_found)}", "",
             "CELL ACCURACY (correct / cells; 'unknown' = left unknown by the parser, not wrong)",
             f"{'form':<14}{'reports':>8}{'cells':>9}{'correct':>9}{'unknown':>9}{'wrong':>8}{'accuracy':>10}"]

    def line(name: str, c: CellCounts) -> str:
        return (f"{name:<14}{c.reports:>8}{c.cells:>9}{c.correct:>9}{c.unknown:>9}{c.wrong:>8}"
                f"{c.accuracy:>9.2%}")

    for form in sorted(ev.by_form):
        lines.append(line(form, ev.by_form[form]))
    lines.append(line("text+html", ev.text_html()))
    for sec in sorted(ev.by_section):
        lines.append(line(f"  section {sec}", ev.by_section[sec]))
    for title, rules in (("all forms but crawler", ev.rules), ("crawler dumps", ev.rules_crawler)):
        lines += ["", f"VALIDATION vs RECORDED FAULTS (per rule; {title})",
                  f"{'rule':<18}{'TP':>6}{'FP':>6}{'FN':>6}{'precision':>11}{'recall':>9}"]
        for rule, c in rules.items():
            lines.append(f"{rule:<18}{c.tp:>6}{c.fp:>6}{c.fn:>6}{c.precision:>10.1%}{c.recall:>9.1%}")
    if ev.mismatches:
        lines += ["", f"first {len(ev.mismatches)} wrong cells (file, form, cell, expected, got, state):"]
        lines += [f"  {f} [{form}] {cell}: expected {w!r}, got {g!r} ({st})"
                  for f, form, cell, w, g, st in ev.mismatches]
    if ev.rule_misses:
        lines += ["", "validation misses (first 30): file, rule, FP = flagged but not a recorded fault, "
                      "FN = recorded fault not flagged"]
        lines += [f"  {f}: {rule} {kind}" for f, rule, kind in ev.rule_misses[:30]]
    return "\n".join(lines)


def eval_command(truth: Path, warehouse: Path) -> int:
    truth, warehouse = Path(truth), Path(warehouse)
    if not (truth / "truth").is_dir():
        print(f"etl eval: {truth}: no truth/ folder (generate one with `etl synth --out {truth}`)",
              file=sys.stderr)
        return 2
    try:
        wh = load_warehouse(warehouse)
    except Exception as e:                  # a missing or locked warehouse: one clear line
        print(f"etl eval: {warehouse}: {e}", file=sys.stderr)
        return 2
    ev = evaluate(load_truth(truth), wh)
    print(format_evaluation(ev))
    return 0
