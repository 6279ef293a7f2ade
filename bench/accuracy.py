"""Accuracy on generated reports of every form and layout class, and on every real report: the
issue-9 acceptance figures, printed.

    .venv/bin/python bench/accuracy.py [--reports 5000] [--seed 1] [--formats ...] [--layouts all]
                                       [--keep DIR] [--run]

In process (no `etl run`, no Prefect): `etl synth` writes the corpus, every document is parsed
WITHOUT its manifest row (identity is what the text says), cells, identity and prose figures are
compared with the truth (etl.synth.evaluate, the comparison `etl eval` uses), and the project's
checks (etl.checks, the warehouse's SQL) run over the parsed reports for the validation figures.
``--run`` instead builds a warehouse with `etl run` and scores it as `etl eval` does.

Targets: 0 wrong cells in every form and class and on every real report; >= 99.5 % of cells
decided per layout class (crawler runs the report leaves ambiguous are counted and explained);
no error-severity false alarm on a consistent report; prose_vs_table recall on result-figure
faults >= 99 % with no false alarm.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from etl.synth.command import ALL_FORMS, generate  # noqa: E402
from etl.synth.layouts import parse_layouts  # noqa: E402
from etl.synth.evaluate import (  # noqa: E402
    evaluate,
    evaluate_parsed,
    format_evaluation,
    load_truth,
    load_warehouse,
    parse_corpus,
    validate_parsed,
)


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
    os.environ.setdefault("PREFECT_HOME", str(work / ".prefect"))
    t0 = time.perf_counter()
    res = generate(raw, reports=args.reports, forms=tuple(args.formats.split(",")),
                   fault_rate=args.fault_rate, seed=args.seed, layouts=parse_layouts(args.layouts),
                   layout_rate=args.layout_rate)
    t1 = time.perf_counter()
    print(f"synth: {res.reports} reports ({res.documents} documents) in {t1 - t0:.1f} s; "
          f"forms {dict(sorted(res.forms.items()))}")
    truth = load_truth(raw)
    if args.run:
        from etl.pipeline import run_command

        code = run_command(year=None, raw=raw, warehouse=wh)
        print(f"etl run: exit {code} in {time.perf_counter() - t1:.1f} s\n")
        ev = evaluate(truth, load_warehouse(wh))
    else:
        parsed = parse_corpus(raw, truth)
        t2 = time.perf_counter()
        failed = validate_parsed(raw, truth, parsed, work / "checks")
        t3 = time.perf_counter()
        print(f"parsed {len(parsed)} documents in {t2 - t1:.1f} s; checks in {t3 - t2:.1f} s\n")
        ev = evaluate_parsed(truth, parsed, failed)
    print(format_evaluation(ev))
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
