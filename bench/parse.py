"""Parser speed by input form: reports/s of parse_path (read + parse) on one core.

Usage: .venv/bin/python bench/parse.py [--seconds 1.0] [--profile FORM] [--synth 20]
       .venv/bin/python bench/parse.py --baseline /tmp/before [--repeat 3]

Each form's fixtures are parsed in batches for about ``--seconds`` (after one warm-up pass, so
imports and regex compilation are not counted); the figure printed is reports per CPU-second of
the best batch (the machine is shared: wall time measures the neighbours too).
Goal: >= 1,000 reports/s for seed-sized flat text and HTML.

``--baseline TREE`` compares with the parser of another checkout (``git worktree add /tmp/before
REV``) on the same files in one run: one worker process imports each tree's ``src``, the two are
measured alternately form by form ``--repeat`` times, and the best CPU ms per report of each side
and their ratio are printed (issue 9: no form more than 10 % slower).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures"
#: the parser measured: this tree's, or another checkout's for a --baseline worker
SRC = Path(os.environ.get("BENCH_PARSE_SRC") or ROOT / "src")
sys.path.insert(0, str(SRC))

from etl.errors import ReportError  # noqa: E402
from etl.parse import parse_path  # noqa: E402
from etl.readers.text import detect_form  # noqa: E402


def fixtures_by_form() -> dict[str, list[Path]]:
    forms: dict[str, list[Path]] = {}
    for p in sorted(FIX.rglob("*")):
        if not p.is_file() or p.name.endswith(".json") or p.name == "README.md":
            continue
        suffix = p.suffix.lower()
        if suffix in (".txt", ".md"):
            form = detect_form(p.read_text(encoding="utf-8", errors="replace"))
        elif suffix in (".html", ".htm"):
            form = "html"
        elif suffix in (".pdf", ".docx"):
            form = suffix[1:]
            if form == "pdf" and _scanned(p):
                continue                      # read by OCR: bench/ocr.py measures scans
        else:
            continue
        forms.setdefault(form, []).append(p)
    return forms


def _scanned(p: Path) -> bool:
    """A PDF with a page without text (OCR'd by the reader)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(p.read_bytes())
    except pdfium.PdfiumError:
        return False
    try:
        return any(pdf[i].get_textpage().count_chars() == 0 for i in range(len(pdf)))
    finally:
        pdf.close()


def bench(paths: list[Path], seconds: float) -> tuple[float, int, int]:
    """Reports/s on one core: the best of several timed batches, so that other processes on a
    shared machine do not lower the figure (process CPU time, not wall time)."""
    ok = 0
    for p in paths:                                   # warm-up, and drop unreadable ones
        try:
            parse_path(p)
            ok += 1
        except ReportError:
            pass
    # size a batch to ~1/10 of the budget
    t0 = time.process_time()
    for p in paths:
        _parse(p)
    one = max(time.process_time() - t0, 1e-6)
    reps = max(1, int(seconds / 10 / one))
    best = float("inf")
    total = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or total == 0:
        t0 = time.process_time()
        for _ in range(reps):
            for p in paths:
                _parse(p)
        best = min(best, (time.process_time() - t0) / (reps * len(paths)))
        total += reps * len(paths)
    return 1.0 / best, total, ok


def _parse(p: Path) -> None:
    try:
        parse_path(p)
    except ReportError:
        pass


def synth_by_form(tmp: Path, n: int) -> dict[str, list[Path]]:
    """Synthetic reports of each form of the default mix (when etl.synth is there)."""
    try:
        from etl.synth.command import generate
    except ImportError:
        return {}
    forms = ("flat_text", "html", "layout_text", "run_text", "crawler", "docx", "pdf")
    generate(tmp, reports=n * len(forms), forms=forms, fault_rate=0.0, seed=7, workers=1)
    out: dict[str, list[Path]] = {}
    import csv
    with open(tmp / "manifest.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.setdefault(row["format"], []).append(tmp / row["file"])
    return out


def serve() -> None:
    """Worker of --baseline: one JSON request per line ({"paths", "seconds"}), one answer each."""
    import gc

    import etl

    gc.freeze()                         # as the run's parse workers do (etl.stages.workers)
    gc.set_threshold(5000, 10, 10)
    print(json.dumps({"etl": etl.__file__}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        rate, n, ok = bench([Path(p) for p in req["paths"]], req["seconds"])
        print(json.dumps({"rate": rate, "n": n, "ok": ok}), flush=True)


class Worker:
    """A bench process parsing with the parser of ``tree`` (its ``src``)."""

    def __init__(self, tree: Path):
        env = dict(os.environ, BENCH_PARSE_SRC=str(tree / "src"))
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve"], env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.etl = json.loads(self.proc.stdout.readline())["etl"]
        if not self.etl.startswith(str(tree / "src")):
            raise SystemExit(f"worker for {tree} imported {self.etl}")

    def rate(self, paths: list[Path], seconds: float) -> float:
        self.proc.stdin.write(json.dumps({"paths": [str(p) for p in paths], "seconds": seconds}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())["rate"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def compare(forms: dict[str, list[Path]], order: list[str], baseline: Path, seconds: float,
            repeat: int) -> None:
    """Before/after CPU ms per report, form by form, the two parsers measured alternately."""
    before, now = Worker(baseline), Worker(ROOT)
    print(f"baseline: {before.etl}\nnow:      {now.etl}")
    print(f"{'form':<17} {'files':>5} {'ms before':>10} {'ms now':>8} {'now/before':>11}", flush=True)
    try:
        for form in order:
            paths = forms.get(form)
            if not paths:
                continue
            best_before = best_now = 0.0
            for _ in range(repeat):
                best_before = max(best_before, before.rate(paths, seconds))
                best_now = max(best_now, now.rate(paths, seconds))
            ms_before, ms_now = 1000 / best_before, 1000 / best_now
            flag = "  > +10 %" if ms_now > 1.10 * ms_before else ""
            print(f"{form:<17} {len(paths):>5} {ms_before:>10.2f} {ms_now:>8.2f} "
                  f"{ms_now / ms_before:>11.2f}{flag}", flush=True)
    finally:
        before.close()
        now.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--profile", default=None, help="profile one form instead")
    ap.add_argument("--synth", type=int, default=20, help="synthetic reports per form (0: none)")
    ap.add_argument("--baseline", type=Path, default=None,
                    help="checkout of another revision: print before/after ms per report")
    ap.add_argument("--repeat", type=int, default=3, help="--baseline: alternations per form")
    ap.add_argument("--forms", default=None, help="comma-separated forms to measure (default all)")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        return serve()
    forms = fixtures_by_form()
    if args.synth:
        import tempfile

        tmp = Path(tempfile.mkdtemp(prefix="bench-parse-"))
        for form, paths in synth_by_form(tmp, args.synth).items():
            forms[f"synth:{form}"] = paths
    real = sorted(p for p in (ROOT.parent / "shared" / "realdata" / "raw").glob("*")
                  if p.suffix.lower() in (".pdf", ".txt", ".md", ".html"))
    for p in real:
        forms.setdefault("real:pdf" if p.suffix.lower() == ".pdf" else "real:text", []).append(p)
    order = ["flat_text", "html", "layout_text", "run_text", "markdown", "crawler", "pdf", "docx"]
    order += sorted(f for f in forms if f.startswith(("synth:", "real:")))
    if args.forms:
        order = [f for f in order if f in args.forms.split(",")]
    if args.baseline:
        return compare(forms, order, args.baseline.resolve(), args.seconds, args.repeat)
    if args.profile:
        paths = forms[args.profile]
        prof = cProfile.Profile()
        prof.enable()
        bench(paths, args.seconds)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        return
    print(f"{'form':<17} {'files':>5} {'KB/file':>8} {'reports/s':>10}  files", flush=True)
    for form in order:
        paths = forms.get(form)
        if not paths:
            print(f"{form:<17} {'-':>5}")
            continue
        kb = sum(p.stat().st_size for p in paths) / len(paths) / 1024
        rate, n, ok = bench(paths, args.seconds)
        names = ", ".join(p.name for p in paths)
        print(f"{form:<17} {len(paths):>5} {kb:>8.1f} {rate:>10,.0f}  {names[:60]}", flush=True)
    print(f"(PDF rows: {_pdfminer_pages(forms)} page(s) took the pdfminer fallback; it runs where pdfium "
          "drops glyphs of a non-embedded CJK font: install fonts-wqy-microhei)")


def _pdfminer_pages(forms: dict[str, list[Path]]) -> int:
    from etl.readers import read_path

    n = 0
    for form, paths in forms.items():
        for p in paths if form.endswith("pdf") else ():
            try:
                n += sum("pdfminer" in w for w in read_path(p).warnings)
            except ReportError:
                pass
    return n


if __name__ == "__main__":
    main()
