"""The issue's acceptance run: `etl synth --reports N --seed S`, then `etl run` on it, then the
warehouse against the truth (prints cell accuracy by form and per-rule precision/recall).

    .venv/bin/python bench/accuracy.py [--reports 2000] [--seed 1] [--formats ...] [--keep DIR]

Targets: 100% cell accuracy on the text/HTML forms; 100% precision and recall for the
single-report rules and the cross-year ones.  Crawler dumps are reported apart ('unknown' cells
are legitimate there: run-together digits with no unique split).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from etl.synth.command import ALL_FORMS, generate
from etl.synth.evaluate import evaluate, format_evaluation, load_truth, load_warehouse


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fault-rate", type=float, default=0.1)
    ap.add_argument("--formats", default=",".join(ALL_FORMS))
    ap.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: a temp dir)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="synth-accuracy-"))
    raw, wh = work / "raw", work / "warehouse"
    shutil.rmtree(raw, ignore_errors=True)
    shutil.rmtree(wh, ignore_errors=True)
    os.environ.setdefault("PREFECT_HOME", str(work / ".prefect"))
    t0 = time.perf_counter()
    res = generate(raw, reports=args.reports, forms=tuple(args.formats.split(",")),
                   fault_rate=args.fault_rate, seed=args.seed)
    t1 = time.perf_counter()
    print(f"synth: {res.reports} reports ({res.documents} documents) in {t1 - t0:.1f} s; "
          f"forms {dict(sorted(res.forms.items()))}")
    from etl.cli import _flows

    code = _flows().run_command(year=None, raw=raw, warehouse=wh)
    t2 = time.perf_counter()
    print(f"etl run: exit {code} in {t2 - t1:.1f} s ({res.documents / (t2 - t1):.0f} documents/s)\n")
    ev = evaluate(load_truth(raw), load_warehouse(wh))
    print(format_evaluation(ev))
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
