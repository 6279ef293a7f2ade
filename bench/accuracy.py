"""Accuracy on generated reports of every form and layout class, and on every real report: the
issue-9 acceptance figures, printed.

    .venv/bin/python bench/accuracy.py [--reports 5000] [--seed 1] [--formats ...] [--layouts all]
                                       [--layout-rate 0.6] [--keep DIR] [--run]

In process (no `etl run`, no Prefect): `etl synth` writes the corpus, every document is parsed
WITHOUT its manifest row (identity is what the text says), cells, identity and prose figures are
compared with the truth (etl.synth.evaluate, the comparison `etl eval` uses), and the project's
checks (etl.checks, the warehouse's SQL) run over the parsed reports for the validation figures.
``--run`` instead builds a warehouse with `etl run` and scores it as `etl eval` does.

Real reports: every file of ../shared/realdata/raw and data/raw/real against its hand-checked
truth, and the same reports re-printed in the layout classes (etl.synth.variants).

Targets: 0 wrong cells in every form and class and on every real report; >= 99.5 % of cells
decided per layout class (crawler runs the report leaves ambiguous are counted and explained);
no error-severity false alarm on a consistent report; prose_vs_table recall on result-figure
faults >= 99 % with no false alarm.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from etl.synth.command import ALL_FORMS, generate  # noqa: E402
from etl.synth.evaluate import (  # noqa: E402
    decided_share,
    evaluate,
    evaluate_parsed,
    false_alarms,
    format_evaluation,
    load_truth,
    load_warehouse,
    parse_corpus,
    result_figure_faults,
    score_files,
    unknown_reasons,
    validate_parsed,
)
from etl.synth.layouts import parse_layouts  # noqa: E402
from etl.synth.variants import variants_of  # noqa: E402

SHARED = ROOT.parent / "shared"
TARGET_DECIDED = 0.995


def real_reports() -> list[tuple[Path, dict]]:
    """(file, truth) for every real report we hold a hand-checked truth for."""
    truth_dirs = [SHARED / "realdata" / "truth", ROOT / "tests" / "fixtures" / "realdata" / "truth"]
    out = []
    for folder in (SHARED / "realdata" / "raw", ROOT / "data" / "raw" / "real"):
        for path in sorted(folder.glob("*")) if folder.is_dir() else ():
            if path.suffix.lower() in (".csv", ".json") or path.name.startswith("README"):
                continue
            if path.stem == "000_0ef24cf9c99c7ecf":
                truth = ROOT / "tests" / "fixtures" / "000_0ef24cf9c99c7ecf.truth.json"
            else:
                truth = next((d / f"{path.stem}.json" for d in truth_dirs
                              if (d / f"{path.stem}.json").exists()), None)
            if truth is not None:
                out.append((path, json.loads(truth.read_text(encoding="utf-8"))))
    return out


def real_variants(work: Path, reals: list[tuple[Path, dict]]) -> list[tuple[Path, dict]]:
    work.mkdir(parents=True, exist_ok=True)
    out, seen = [], set()
    for path, truth in reals:
        if path.name in seen:
            continue
        seen.add(path.name)
        for name, text in variants_of(path):
            v = work / f"{path.stem}.{name}{path.suffix}"
            v.write_text(text, encoding="utf-8")
            out.append((v, truth))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fault-rate", type=float, default=0.1)
    ap.add_argument("--formats", default=",".join(ALL_FORMS))
    ap.add_argument("--layouts", default="all", help="layout classes: all, none or a comma list")
    ap.add_argument("--layout-rate", type=float, default=0.6)
    ap.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: a temp dir)")
    ap.add_argument("--run", action="store_true", help="score a warehouse built by `etl run` instead")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="synth-accuracy-"))
    raw, wh = work / "raw", work / "warehouse"
    shutil.rmtree(raw, ignore_errors=True)
    shutil.rmtree(wh, ignore_errors=True)
    shutil.rmtree(work / "checks", ignore_errors=True)
    os.environ.setdefault("PREFECT_HOME", str(work / ".prefect"))
    t0 = time.perf_counter()
    res = generate(raw, reports=args.reports, forms=tuple(args.formats.split(",")),
                   fault_rate=args.fault_rate, seed=args.seed, layouts=parse_layouts(args.layouts),
                   layout_rate=args.layout_rate)
    t1 = time.perf_counter()
    print(f"synth: {res.reports} reports ({res.documents} documents) in {t1 - t0:.1f} s; "
          f"forms {dict(sorted(res.forms.items()))}; layouts {dict(sorted(res.layouts.items()))}")
    truth = load_truth(raw)
    failed: dict | None = None
    if args.run:
        from etl.cli import _flows

        code = _flows().run_command(year=None, raw=raw, warehouse=wh)
        print(f"etl run: exit {code} in {time.perf_counter() - t1:.1f} s\n")
        ev = evaluate(truth, load_warehouse(wh))
        parsed = {}
    else:
        parsed = parse_corpus(raw, truth)
        t2 = time.perf_counter()
        failed = validate_parsed(raw, truth, parsed, work / "checks")
        t3 = time.perf_counter()
        print(f"parsed {len(parsed)} documents in {t2 - t1:.1f} s; checks in {t3 - t2:.1f} s\n")
        ev = evaluate_parsed(truth, parsed, failed)
    print(format_evaluation(ev))

    reals = real_reports()
    real_cells, real_wrong, real_unread = score_files(reals)
    variants = real_variants(work / "variants", reals)
    var_cells, var_wrong, var_unread = score_files(variants)
    print(f"\nREAL REPORTS: {len(reals)} files, {real_cells.cells} cells: {real_cells.wrong} wrong, "
          f"{real_cells.unknown} unknown; not read: {real_unread or 'none'}")
    print(f"REAL REPORTS RE-PRINTED IN THE LAYOUT CLASSES: {len(variants)} files, {var_cells.cells} "
          f"cells: {var_cells.wrong} wrong, {var_cells.unknown} unknown; not read: {var_unread or 'none'}")
    for f, _, cell, want, got, state in (real_wrong + var_wrong)[:20]:
        print(f"  WRONG {f} {cell}: expected {want!r}, got {got!r} ({state})")

    print("\nUNKNOWN CELLS, WHY (generated reports)")
    for form, why in sorted(unknown_reasons(truth, parsed).items()):
        for reason, n in sorted(why.items(), key=lambda x: -x[1]):
            print(f"  {form:<12}{n:>7}  {reason}")

    print("\nACCEPTANCE")
    wrong = ev.all_cells().wrong
    print(f"  [{'ok' if wrong == 0 else 'FAIL'}] wrong cells, generated: {wrong} in {ev.all_cells().cells}")
    bad = real_cells.wrong + var_cells.wrong + len(real_unread) + len(var_unread)
    print(f"  [{'ok' if bad == 0 else 'FAIL'}] wrong cells, real reports and their re-prints: "
          f"{real_cells.wrong + var_cells.wrong} (unread {len(real_unread) + len(var_unread)})")
    for layout, c in sorted(ev.by_layout.items()):
        amb = ev.ambiguous.get(layout, 0)
        share = decided_share(c, amb)
        ok = share >= TARGET_DECIDED
        print(f"  [{'ok' if ok else 'FAIL'}] decided in {layout}: {share:.2%} of the cells the reports "
              f"decide ({c.decided_share:.2%} of all; {amb} crawler-run cells with more than one "
              f"answer left out, see UNKNOWN CELLS)")
    if failed is not None:
        alarms = false_alarms(truth, failed)
        print(f"  [{'ok' if not alarms else 'FAIL'}] error-severity false alarms on consistent reports: "
              f"{len(alarms)} {alarms[:5]}")
        n, caught = result_figure_faults(truth, failed)
        pv = ev.rules["prose_vs_table"]
        fp = pv.fp + ev.rules_crawler["prose_vs_table"].fp
        ok = (not n or caught / n >= 0.99) and fp == 0
        print(f"  [{'ok' if ok else 'FAIL'}] prose_vs_table on result-figure faults: {caught}/{n} caught; "
              f"false alarms {fp}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
