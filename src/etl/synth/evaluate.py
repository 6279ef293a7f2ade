"""`etl eval`: compare what was read from a synthetic corpus with the corpus's truth.

Two sources, one comparison (:func:`score_report`):

* a warehouse built by ``etl run`` (:func:`load_warehouse`, opened read-only, so eval never
  blocks a run) — :func:`evaluate`;
* reports parsed in this process (:func:`parse_corpus`; no Prefect, no parse pool) —
  :func:`evaluate_parsed`, which also scores identity and prose figures, and validation when the
  caller runs the run's later stages on them (:func:`validate_parsed`).  ``bench/accuracy.py``
  uses this path.

Cells are counted per form and per layout class (``truth["layouts"]``; a report without one is
``plain``): *decided* (the parser gave a value or a blank), of which *wrong* (not the printed
value), and *unknown* (left unknown, with a reason).  A report missing from the warehouse counts
all its cells wrong.  Per rule: precision and recall of validation against the faults recorded in
the truth (a report is expected to fail exactly the rules its faults record, plus
``template_conformance`` when its truth lists departures from the template; corrupt files are
expected to be quarantined).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from etl.model import Number, ParsedReport
from etl.template import RULE_IDS, SECTION3_COLUMN_KEYS, SECTION3_WIDTH

QUARANTINE = "quarantine"                       # pseudo-rule: corrupt file -> status quarantined
TEXT_FORMS = ("flat_text", "html", "layout_text", "run_text")
PLAIN = "plain"                                 # the layout class of a report drawn without one
CONFORMANCE = "template_conformance"

Key = tuple[str, str, str]                      # (section, row, column); section 4: ("4", key, "")


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
    def decided(self) -> int:
        return self.cells - self.unknown

    @property
    def accuracy(self) -> float:
        return self.correct / self.cells if self.cells else 1.0

    @property
    def decided_share(self) -> float:
        return self.decided / self.cells if self.cells else 1.0


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
class FieldCounts:
    """One identity field (agency or year) over reports: read as printed, wrong, or not found."""
    right: int = 0
    wrong: int = 0
    missing: int = 0


@dataclass
class ProseCounts:
    """Prose figures against the figures the truth says the prose states."""
    stated: int = 0                 # figures the truth records
    found: int = 0                  # …read with the right value
    wrong: int = 0                  # …read with another value (a false fact)
    extra: int = 0                  # figures read that the prose does not state under that key


@dataclass
class Evaluation:
    by_form: dict[str, CellCounts] = field(default_factory=dict)
    by_layout: dict[str, CellCounts] = field(default_factory=dict)
    by_section: dict[str, CellCounts] = field(default_factory=dict)   # text/HTML forms only
    rules: dict[str, RuleCounts] = field(default_factory=dict)         # every form but crawler
    rules_crawler: dict[str, RuleCounts] = field(default_factory=dict)  # crawler dumps apart: a
    # faulted table's run-together digits have no unique split, so its checks may be unassessable
    identity: dict[str, dict[str, FieldCounts]] = field(default_factory=dict)  # layout -> field
    #: layout -> unknown cells of crawler runs whose digits leave more than one answer
    ambiguous: dict[str, int] = field(default_factory=dict)
    prose: dict[str, ProseCounts] = field(default_factory=dict)        # layout -> figures
    mismatches: list[tuple] = field(default_factory=list)           # (file, form, cell, expected, got, state)
    rule_misses: list[tuple] = field(default_factory=list)          # (file, rule, "FP"|"FN")
    identity_misses: list[tuple] = field(default_factory=list)      # (file, field, expected, got)
    prose_misses: list[tuple] = field(default_factory=list)         # (file, key, expected, got)
    not_found: list[str] = field(default_factory=list)              # truth files absent from the warehouse
    truth_reports: int = 0

    def text_html(self) -> CellCounts:
        out = CellCounts()
        for form in TEXT_FORMS:
            if form in self.by_form:
                out.add(self.by_form[form])
        return out

    def all_cells(self) -> CellCounts:
        out = CellCounts()
        for c in self.by_form.values():
            out.add(c)
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
    cells: dict[str, dict[Key, tuple]]          # report_id -> {(section,row,col): (value, state)}
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
        cells: dict[str, dict[Key, tuple]] = defaultdict(dict)
        for rid, row, col, v, st in con.execute(
                "SELECT report_id, row_key, applicant, value, state FROM applications").fetchall():
            cells[rid][("3", row, col)] = (v, st)
        for rid, cat, metric, v, st in con.execute(
                "SELECT report_id, category, metric, value, state FROM active_disclosure").fetchall():
            cells[rid][("2", cat, metric)] = (v, st)
        for rid, key, v, st in con.execute(
                "SELECT report_id, key, value, state FROM review_litigation").fetchall():
            cells[rid][("4", key, "")] = (v, st)
        failed = _failed(con)
    finally:
        con.close()
    return Warehouse(reports, dict(cells), failed)


def _failed(con) -> dict[str, set[str]]:
    failed: dict[str, set[str]] = defaultdict(set)
    for rid, rule in con.execute(
            "SELECT report_id, rule FROM validation_results WHERE status = 'failed' "
            "UNION SELECT report_id, rule FROM validation_issues").fetchall():
        failed[rid].add(rule)
    return dict(failed)


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

def truth_cells(t: dict):
    """(cell key, printed value or None) for every cell a truth file holds."""
    for cat, metrics in (t.get("section2") or {}).items():
        for metric, v in metrics.items():
            yield ("2", cat, metric), v
    for row, values in (t.get("section3") or {}).items():
        for col, v in zip(SECTION3_COLUMN_KEYS, values or [None] * SECTION3_WIDTH):
            yield ("3", row, col), v
    for key, v in (t.get("section4") or {}).items():
        yield ("4", key, ""), v


def report_cells(rep: ParsedReport) -> dict[Key, tuple]:
    """A parsed report's cells keyed as truth_cells keys them: {key: (value, state)}."""
    out: dict[Key, tuple] = {}
    for c in rep.cells:
        key = ("4", f"{c.row}_{c.column}", "") if c.section == "4" else (c.section, c.row, c.column)
        out[key] = (c.value, c.state)
    return out


def same_value(want, got) -> bool:
    """A cell is right when it holds the printed value, or nothing where nothing was printed."""
    if want is None or got is None:
        return want is None and got is None
    return abs(float(got) - float(want)) < 1e-6


def layouts_of(t: dict) -> list[str]:
    return list(t.get("layouts") or ()) or [PLAIN]


def expected_rules(t: dict) -> set[str]:
    kinds = {f["kind"] for f in t.get("faults", [])}
    if "corrupt" in kinds:
        return {QUARANTINE}
    out = {f["rule"] for f in t.get("faults", []) if f.get("rule")}
    if t.get("departures") and "duplicate" not in kinds:     # (a superseded copy is checked for
        out.add(CONFORMANCE)                                # duplicate_report only)
    return out


def score_report(ev: Evaluation, file: str, t: dict, got: dict[Key, tuple] | None,
                 max_mismatches: int = 40) -> None:
    """Count one report's cells (``got`` None: the report was not read at all)."""
    form = t.get("format", "")
    counts = CellCounts(reports=1)
    sec_counts: dict[str, CellCounts] = {}
    for key, want in truth_cells(t):
        counts.cells += 1
        sec = sec_counts.setdefault(key[0], CellCounts())
        sec.cells += 1
        value, state = (None, "missing") if got is None else got.get(key, (None, "absent"))
        if state == "unknown":
            counts.unknown += 1
            sec.unknown += 1
        elif same_value(want, value):
            counts.correct += 1
            sec.correct += 1
        else:
            counts.wrong += 1
            sec.wrong += 1
            if len(ev.mismatches) < max_mismatches:
                ev.mismatches.append((file, form, "/".join(k for k in key if k), want, value, state))
    ev.by_form.setdefault(form, CellCounts()).add(counts)
    for layout in layouts_of(t):
        ev.by_layout.setdefault(layout, CellCounts()).add(counts)
    if form in TEXT_FORMS:
        for section, c in sec_counts.items():
            ev.by_section.setdefault(section, CellCounts()).add(c)


def score_rules(ev: Evaluation, file: str, t: dict, flagged: set[str]) -> None:
    expected = expected_rules(t)
    rules = ev.rules_crawler if t.get("format") == "crawler" else ev.rules
    for rule in rules:
        if rule in expected and rule in flagged:
            rules[rule].tp += 1
        elif rule in flagged:
            rules[rule].fp += 1
            ev.rule_misses.append((file, rule, "FP"))
        elif rule in expected:
            rules[rule].fn += 1
            ev.rule_misses.append((file, rule, "FN"))


def _new_evaluation(n: int) -> Evaluation:
    ev = Evaluation(truth_reports=n)
    for rule in (*RULE_IDS, QUARANTINE):
        ev.rules[rule] = RuleCounts()
        ev.rules_crawler[rule] = RuleCounts()
    return ev


def evaluate(truth: dict[str, dict], wh: Warehouse, max_mismatches: int = 40) -> Evaluation:
    """A warehouse built by ``etl run`` against the truth."""
    ev = _new_evaluation(len(truth))
    index = _tail_index(wh.reports)
    for file, t in sorted(truth.items()):
        row = _match(file, wh.reports, index)
        if row is None:
            ev.not_found.append(file)
        flagged: set[str] = set()
        if row is not None:
            if row["status"] == "quarantined":
                flagged.add(QUARANTINE)
            else:
                flagged |= wh.failed.get(row["report_id"], set())
        score_rules(ev, file, t, flagged)
        if "corrupt" in {f["kind"] for f in t.get("faults", [])}:
            continue
        got = wh.cells.get(row["report_id"], {}) if row and row["status"] != "quarantined" else None
        score_report(ev, file, t, got, max_mismatches)
    return ev


# ------------------------------------------------------------------------------------------------
# in process: parse the corpus here, no warehouse
# ------------------------------------------------------------------------------------------------

def parse_corpus(folder: Path, truth: dict[str, dict]) -> dict[str, ParsedReport | Exception]:
    """Every truth file's document parsed WITHOUT its manifest row, so that identity is what the
    text says (a run lets the manifest override it)."""
    from etl.parse import parse_path

    out: dict[str, ParsedReport | Exception] = {}
    for file in sorted(truth):
        try:
            out[file] = parse_path(folder / file)
        except Exception as e:                  # ReportError, or a bug: counted, never raised
            out[file] = e
    return out


def evaluate_parsed(truth: dict[str, dict], parsed: dict[str, ParsedReport | Exception],
                    failed: dict[str, set[str]] | None = None,
                    max_mismatches: int = 40) -> Evaluation:
    """Reports parsed in process against the truth: cells, identity and prose figures, and (when
    ``failed`` = {file: rules failed} is given, see validate_parsed) validation."""
    ev = _new_evaluation(len(truth))
    for file, t in sorted(truth.items()):
        rep = parsed.get(file)
        corrupt = "corrupt" in {f["kind"] for f in t.get("faults", [])}
        if failed is not None:
            flagged = ({QUARANTINE} if not isinstance(rep, ParsedReport)
                       else set(failed.get(file, ())))
            score_rules(ev, file, t, flagged)
        if corrupt:
            continue
        if not isinstance(rep, ParsedReport):
            ev.not_found.append(file)
            score_report(ev, file, t, None, max_mismatches)
            continue
        score_report(ev, file, t, report_cells(rep), max_mismatches)
        if t.get("format") == "crawler":
            n = sum(1 for c in rep.cells if c.state == "unknown" and run_ambiguity(c.note))
            for layout in layouts_of(t):
                ev.ambiguous[layout] = ev.ambiguous.get(layout, 0) + n
        _score_identity(ev, file, t, rep)
        _score_prose(ev, file, t, rep)
    return ev


def _score_identity(ev: Evaluation, file: str, t: dict, rep: ParsedReport) -> None:
    for layout in layouts_of(t):
        fields = ev.identity.setdefault(layout, {"agency": FieldCounts(), "year": FieldCounts()})
        for name, want, got in (("agency", t.get("agency"), rep.agency), ("year", t.get("year"), rep.year)):
            c = fields[name]
            if got in (None, ""):
                c.missing += 1
            elif got == want:
                c.right += 1
            else:
                c.wrong += 1
                if layout == layouts_of(t)[0] and len(ev.identity_misses) < 40:
                    ev.identity_misses.append((file, name, want, got))


def _score_prose(ev: Evaluation, file: str, t: dict, rep: ParsedReport) -> None:
    stated: dict[str, Number] = {}
    for f in t.get("prose", []):
        stated.setdefault(f["key"], f["value"])
    read: dict[str, Number] = {}
    for p in rep.prose:
        read.setdefault(p.key, p.value)
    for layout in layouts_of(t):
        c = ev.prose.setdefault(layout, ProseCounts())
        c.stated += len(stated)
        for key, want in stated.items():
            got = read.get(key)
            if got is None:
                continue
            if same_value(want, got):
                c.found += 1
            else:
                c.wrong += 1
        c.extra += sum(1 for k in read if k not in stated)
    for key, want in stated.items():
        got = read.get(key)
        if (got is None or not same_value(want, got)) and len(ev.prose_misses) < 40:
            ev.prose_misses.append((file, key, want, got))
    for key in read:
        if key not in stated and len(ev.prose_misses) < 40:
            ev.prose_misses.append((file, key, None, read[key]))


def validate_parsed(folder: Path, truth: dict[str, dict],
                    parsed: dict[str, ParsedReport | Exception], work: Path) -> dict[str, set[str]]:
    """{file: rules failed} from the run's own stages after parsing (resolve duplicates, write,
    validate: the SQL of etl.checks) over the reports parsed here, each with its manifest row
    (agency_id, year, published …: what a run applies).  Built in ``work``; no Prefect."""
    import copy

    from etl.settings import Settings
    from etl.stages.discover import SourceFile
    from etl.stages.offline import publish_reports
    from etl.stages.run import open_run

    work = Path(work)
    (work / "raw").mkdir(parents=True, exist_ok=True)
    with open_run(work / "raw", work / "warehouse", None, Settings.load(), allow_shrink=True) as run:
        given = []
        for i, (file, t) in enumerate(sorted(truth.items())):
            rep = parsed.get(file)
            if not isinstance(rep, ParsedReport):
                continue
            manifest = {k: str(t[k]) for k in ("agency_id", "agency", "region_path", "level", "year",
                                               "published") if t.get(k) is not None}
            f = SourceFile(str(folder / file), file, 0, manifest)
            rep = copy.copy(rep)
            rep.year = f.manifest_year if f.manifest_year is not None else rep.year
            given.append((f, f"{i:08x}", rep))
        publish_reports(run, given, "eval")
    wh = load_warehouse(work / "warehouse")
    return {sf: wh.failed.get(row["report_id"], set()) for sf, row in wh.reports.items()}


# ------------------------------------------------------------------------------------------------
# the acceptance figures (bench/accuracy.py)
# ------------------------------------------------------------------------------------------------

#: why a cell stayed unknown, by the words of its note (etl.parse)
_UNKNOWN_WHY = (
    ("splits possible", "digits run together in a section 二 row no identity ties (several splits)"),
    ("splits satisfy", "digits run together: the table's identities leave several splits"),
    ("splits hold", "digits run together: the report's own figures leave several splits"),
    ("digits for", "digits run together with blank cells missing from the run"),
    ("one digit per cell breaks", "digits run together with blank cells missing from the run"),
    ("values for", "blank cells vanished from aligned text: columns unknown"),
    ("could not be placed", "rows printed apart from their labels; the table's identities do not confirm"),
    ("no split", "digits run together where the report breaks its own identities: no split satisfies them"),
    ("outside any row", "values outside any row as read"),
)


_RUN_AMBIGUITY = ("splits possible", "splits satisfy", "splits hold", "digits for",
                  "one digit per cell breaks", "no split")


def run_ambiguity(note: str) -> bool:
    """The note of a cell whose run-together digits leave more than one answer."""
    return any(k in note for k in _RUN_AMBIGUITY)


def decided_share(c: CellCounts, ambiguous: int = 0) -> float:
    """Decided cells among those the report itself decides (``ambiguous``: crawler runs with
    more than one answer, left out)."""
    base = c.cells - ambiguous
    return (c.decided / base) if base > 0 else 1.0


def unknown_reasons(truth: dict[str, dict], parsed: dict) -> dict[str, dict[str, int]]:
    """{form: {reason: unknown cells}} over the reports read."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for file, t in truth.items():
        rep = parsed.get(file)
        if not isinstance(rep, ParsedReport):
            continue
        for c in rep.cells:
            if c.state == "unknown":
                why = next((w for k, w in _UNKNOWN_WHY if k in c.note), "other: " + c.note[:60])
                out[t.get("format", "")][why] += 1
    return {f: dict(v) for f, v in out.items()}


def false_alarms(truth: dict[str, dict], failed: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(file, rule) for every error-severity rule failed by a report whose truth records no
    fault (its own numbers are consistent)."""
    from etl.template import RULES

    errors = {r.id for r in RULES if r.severity == "error"}
    return [(file, rule) for file, t in sorted(truth.items()) if not t.get("faults")
            for rule in sorted(failed.get(file, set()) & errors)]


def result_figure_faults(truth: dict[str, dict], failed: dict[str, set[str]]) -> tuple[int, int]:
    """(faults where the prose misstates a figure by result, of them caught by prose_vs_table)."""
    from etl.template import PROSE_RESULT_GROUPS

    faults = [file for file, t in truth.items()
              if any(f.get("figure") in PROSE_RESULT_GROUPS for f in t.get("faults", []))]
    return len(faults), sum(1 for f in faults if "prose_vs_table" in failed.get(f, set()))


def score_files(pairs: list[tuple[Path, dict]]) -> tuple[CellCounts, list[tuple], list[str]]:
    """Real reports against their hand-checked truth: (cells, wrong cells, files not read)."""
    from etl.parse import parse_path

    ev = _new_evaluation(len(pairs))
    unread = []
    for path, t in pairs:
        t = {**t, "format": "real", "layouts": []}
        try:
            got = report_cells(parse_path(path))
        except Exception as e:                  # counted, never raised
            unread.append(f"{path.name}: {e}")
            got = None
        score_report(ev, str(path), t, got, max_mismatches=100)
    return ev.all_cells(), ev.mismatches, unread


# ------------------------------------------------------------------------------------------------
# printing
# ------------------------------------------------------------------------------------------------

def _cell_line(name: str, c: CellCounts) -> str:
    return (f"{name:<16}{c.reports:>8}{c.cells:>9}{c.decided:>9}{c.wrong:>7}{c.unknown:>9}"
            f"{c.decided_share:>10.2%}")


_CELL_HEADER = f"{'':<16}{'reports':>8}{'cells':>9}{'decided':>9}{'wrong':>7}{'unknown':>9}{'decided%':>10}"


def format_evaluation(ev: Evaluation) -> str:
    lines = [f"truth reports: {ev.truth_reports}; not found / not read: {len(ev.not_found)}", "",
             "CELLS BY FORM (decided = a value or a blank; wrong = decided but not the printed value; "
             "unknown = left unknown with a reason)", _CELL_HEADER.replace(" " * 16, f"{'form':<16}", 1)]
    for form in sorted(ev.by_form):
        lines.append(_cell_line(form, ev.by_form[form]))
    lines.append(_cell_line("text+html", ev.text_html()))
    for sec in sorted(ev.by_section):
        lines.append(_cell_line(f"  section {sec}", ev.by_section[sec]))
    lines += ["", "CELLS BY LAYOUT CLASS (a report with two classes counts in both)",
              _CELL_HEADER.replace(" " * 16, f"{'layout':<16}", 1)]
    for layout in sorted(ev.by_layout):
        lines.append(_cell_line(layout, ev.by_layout[layout]))
    if ev.identity:
        lines += ["", "IDENTITY (read from the text alone, no manifest): right / wrong / not found",
                  f"{'layout':<16}{'agency':>18}{'year':>18}"]
        for layout in sorted(ev.identity):
            a, y = ev.identity[layout]["agency"], ev.identity[layout]["year"]
            lines.append(f"{layout:<16}{a.right:>8}/{a.wrong:>3}/{a.missing:>4}"
                         f"{y.right:>10}/{y.wrong:>3}/{y.missing:>4}")
    if ev.prose:
        lines += ["", "PROSE FIGURES: stated (truth) / found right / read wrong / read but not stated",
                  f"{'layout':<16}{'stated':>8}{'found':>8}{'wrong':>7}{'extra':>7}{'recall':>9}"]
        for layout in sorted(ev.prose):
            p = ev.prose[layout]
            rec = p.found / p.stated if p.stated else 1.0
            lines.append(f"{layout:<16}{p.stated:>8}{p.found:>8}{p.wrong:>7}{p.extra:>7}{rec:>9.2%}")
    for title, rules in (("all forms but crawler", ev.rules), ("crawler dumps", ev.rules_crawler)):
        if not any(c.tp or c.fp or c.fn for c in rules.values()):
            continue
        lines += ["", f"VALIDATION vs RECORDED FAULTS (per rule; {title})",
                  f"{'rule':<22}{'TP':>6}{'FP':>6}{'FN':>6}{'precision':>11}{'recall':>9}"]
        for rule, c in rules.items():
            lines.append(f"{rule:<22}{c.tp:>6}{c.fp:>6}{c.fn:>6}{c.precision:>10.1%}{c.recall:>9.1%}")
    if ev.mismatches:
        lines += ["", f"first {len(ev.mismatches)} wrong cells (file, form, cell, expected, got, state):"]
        lines += [f"  {f} [{form}] {cell}: expected {w!r}, got {g!r} ({st})"
                  for f, form, cell, w, g, st in ev.mismatches]
    if ev.identity_misses:
        lines += ["", "identity misread (first 40): file, field, expected, got"]
        lines += [f"  {f}: {name} {w!r} -> {g!r}" for f, name, w, g in ev.identity_misses]
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
