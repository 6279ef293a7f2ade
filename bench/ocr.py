"""Scans and legacy Word: cells decided and cells wrong, throughput per core, memory with OCR loaded.

Usage: .venv/bin/python bench/ocr.py [--reports 6] [--dpi 300,200,150] [--docs 6] [--engines]

* scans: synthetic PDF reports (default mix layouts, no faults) and the real PDFs of
  ../shared/realdata/raw, rasterized at each dpi and made to look scanned (seal, rotation,
  noise, JPEG: etl.synth.render_scan), parsed, compared with the truth cell by cell
  (decided = not unknown; wrong = a decided cell whose value differs from the truth);
* .doc/.wps/.rtf: synthetic DOCX converted by LibreOffice (a .wps is the Word binary format
  WPS Office saves), conversion cache off so every file is converted;
* throughput: scanned pages per CPU-second in one process, .doc files per second (wall, one
  conversion at a time; LibreOffice runs in a child process) and the time 1,000 scanned
  reports take on this machine with 2 worker processes;
* memory: peak RSS (VmHWM) of the 2 processes that parsed (OCR'd) the scans, which only parse,
  as the run's parse workers do (the scans are made in other processes);
* --engines: whole scanned reports (2 synthetic, 2 real, at the highest dpi) read end to end
  with PP-OCRv4 and with tesseract 5 + chi_sim (Debian; installed by hand, not a dependency).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "realdata"
sys.path.insert(0, str(ROOT / "src"))

from etl.errors import ReportError  # noqa: E402
from etl.model import ParsedReport  # noqa: E402
from etl.parse import parse_bytes  # noqa: E402
from etl.synth.evaluate import truth_cells as _truth_cells  # noqa: E402


def compare(rep: ParsedReport, truth: dict) -> tuple[int, int, int, list]:
    """(cells, decided, wrong, wrong examples) — the same rule as `etl eval`."""
    got = {c.key: c for c in rep.cells}
    cells = decided = wrong = 0
    bad = []
    for key, want in _truth_cells(truth):
        if key[0] == "4":
            prefix, outcome = key[1].rsplit("_", 1)
            key = ("4", prefix, outcome)
        c = got.get(key)
        value, state = (None, "absent") if c is None else (c.value, c.state)
        cells += 1
        if state == "unknown":
            continue
        decided += 1
        ok = (want is None and value is None) or (
            want is not None and value is not None and abs(float(value) - float(want)) < 1e-6)
        if not ok:
            wrong += 1
            bad.append((key, want, value, state))
    return cells, decided, wrong, bad


def rss_peak_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def synth_corpus(tmp: Path, n: int, forms: tuple[str, ...]) -> list[tuple[Path, dict]]:
    from etl.synth.command import generate

    generate(tmp, reports=n, forms=forms, fault_rate=0.0, seed=11, workers=1)
    out = []
    for t in sorted((tmp / "truth").rglob("*.json")):
        truth = json.loads(t.read_text(encoding="utf-8"))
        out.append((tmp / truth["file"], truth))
    return out


def _scan_one(args: tuple[bytes, float, int]) -> tuple[bytes, int]:
    from etl.synth.render_scan import images_to_pdf, scan_pages

    pdf, dpi, seed = args
    pages = scan_pages(pdf, random.Random(seed), dpi)
    return images_to_pdf(pages, dpi), len(pages)


def _parse_timed(args: tuple[bytes, str]) -> tuple[ParsedReport | None, float, str]:
    data, name = args
    t0 = time.process_time()
    try:
        rep = parse_bytes(data, name)
        err = ""
    except ReportError as e:
        rep, err = None, e.reason
    return rep, time.process_time() - t0, err


def _worker_rss(_: int) -> float:
    return rss_peak_mb()


def bench_scans(items: list[tuple[str, bytes, dict]], dpis: list[float], pool, parsers) -> dict:
    """Scans are made in ``pool`` and parsed in ``parsers`` (processes that only parse, as the
    run's parse workers do: their peak memory is the figure that matters)."""
    results = {}
    for dpi in dpis:
        scans = pool.map(_scan_one, [(pdf, dpi, i) for i, (_, pdf, _) in enumerate(items)])
        parsed = parsers.map(_parse_timed, [(data, f"{name}.pdf") for (name, _, _), (data, _) in zip(items, scans)])
        cells = decided = wrong = pages = 0
        cpu = 0.0
        examples = []
        for (name, _, truth), (data, n_pages), (rep, sec, err) in zip(items, scans, parsed):
            pages += n_pages
            cpu += sec
            if rep is None:
                c = sum(1 for _ in _truth_cells(truth))
                cells += c
                examples.append((name, f"quarantined: {err}"))
                continue
            c, d, w, bad = compare(rep, truth)
            cells, decided, wrong = cells + c, decided + d, wrong + w
            examples += [(name, b) for b in bad[:3]]
        results[dpi] = (cells, decided, wrong, pages, cpu, examples)
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=6, help="synthetic reports per dpi")
    ap.add_argument("--dpi", default="300,200,150")
    ap.add_argument("--docs", type=int, default=6, help="synthetic DOCX converted to each legacy form")
    ap.add_argument("--engines", action="store_true", help="also compare tesseract with PP-OCRv4")
    args = ap.parse_args()
    dpis = [float(d) for d in args.dpi.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="bench-ocr-"))
    os.environ["ETL_CONVERT_CACHE"] = str(tmp / "convert-cache")
    ctx = multiprocessing.get_context("spawn")        # fresh workers: OCR loaded only by them
    with ctx.Pool(2) as pool, ctx.Pool(2) as parsers:
        synth = synth_corpus(tmp / "synth", args.reports, ("pdf",))
        sets = {"synthetic": [(p.stem, p.read_bytes(), t) for p, t in synth if p.suffix == ".pdf"]}
        real = [(p.stem, p.read_bytes(), json.loads((REAL / "truth" / f"{p.stem}.json").read_text("utf-8")))
                for p in sorted((REAL / "raw").glob("*.pdf"))]
        if real:
            sets["real"] = real
        print(f"{'scans':<10} {'dpi':>4} {'reports':>7} {'cells':>6} {'decided':>8} {'wrong':>6} "
              f"{'pages/s/core':>12}", flush=True)
        rate_300 = None
        for label, items in sets.items():
            for dpi, (cells, decided, wrong, pages, cpu, ex) in bench_scans(items, dpis, pool, parsers).items():
                rate = pages / cpu if cpu else 0.0
                if label == "synthetic" and dpi == max(dpis):
                    rate_300 = (rate, pages / len(items))
                print(f"{label:<10} {dpi:>4.0f} {len(items):>7} {cells:>6} "
                      f"{decided / cells:>7.1%} {wrong:>6} {rate:>12.2f}", flush=True)
                for name, b in ex[:3]:
                    print(f"    {name}: {b}")
        rss = parsers.map(_worker_rss, [0, 1], chunksize=1)
    print("\npeak RSS of the 2 parse workers with OCR loaded: "
          + ", ".join(f"{r:.0f} MB" for r in rss) + " (the run's limit per worker: ETL_WORKER_MEMORY, 768 MB)")
    if rate_300:
        rate, ppr = rate_300
        print(f"1,000 scanned reports ({ppr:.1f} pages each) at {max(dpis):.0f} dpi on 2 cores: "
              f"{1000 * ppr / rate / 2 / 60:.0f} min")
    bench_docs(tmp, args.docs)
    if args.engines:
        for items in sets.values():
            bench_engines(items[:2], max(dpis))


def bench_docs(tmp: Path, n: int) -> None:
    from etl.readers.legacy_word import convert

    docs = synth_corpus(tmp / "docs", n, ("docx",))
    print(f"\n{'legacy':<10} {'files':>5} {'cells':>6} {'decided':>8} {'wrong':>6} {'files/s':>8} {'s/file':>7}")
    for form in ("doc", "wps", "rtf"):
        cells = decided = wrong = 0
        t0 = time.perf_counter()
        for path, truth in docs:
            data = convert(path.read_bytes(), "docx", "rtf" if form == "rtf" else "doc", str(path))
            os.environ["ETL_CONVERT_CACHE"] = str(tmp / f"cache-{form}-{time.perf_counter_ns()}")
            rep = parse_bytes(data, f"{path.stem}.{form}")
            c, d, w, _ = compare(rep, truth)
            cells, decided, wrong = cells + c, decided + d, wrong + w
        sec = time.perf_counter() - t0
        # each file is converted twice here (DOCX -> legacy to make it, legacy -> DOCX to read it)
        print(f"{form:<10} {len(docs):>5} {cells:>6} {decided / cells:>7.2%} {wrong:>6} "
              f"{2 * len(docs) / sec:>8.2f} {sec / len(docs) / 2:>7.2f}")


def tesseract_recognize(crops: list, path: str, values: bool = False) -> list[tuple[str, float]]:
    """The same contract as etl.readers.scan.engine.recognize, read by tesseract 5 (Debian
    tesseract-ocr + tesseract-ocr-chi-sim, one line per crop: --psm 7), all crops of a call in
    one tesseract process (an image list); confidence = the lowest word's / 100."""
    import csv
    import subprocess

    from PIL import Image

    if not crops:
        return []
    with tempfile.TemporaryDirectory() as d:
        names = []
        for i, crop in enumerate(crops):
            names.append(str(Path(d) / f"{i}.png"))
            Image.fromarray(crop).save(names[-1])
        (Path(d) / "list.txt").write_text("\n".join(names) + "\n")
        subprocess.run(["tesseract", str(Path(d) / "list.txt"), str(Path(d) / "out"), "--psm", "7",
                        "-l", "chi_sim", "tsv"], capture_output=True, check=True)
        words: dict[int, list[tuple[str, float]]] = {}
        with open(Path(d) / "out.tsv", encoding="utf-8") as fh:
            for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                if row["level"] == "5" and row["text"].strip():
                    words.setdefault(int(row["page_num"]) - 1, []).append((row["text"], float(row["conf"])))
    out = []
    for i in range(len(crops)):
        ws = words.get(i, [])
        out.append(("".join(t for t, _ in ws), min((c for _, c in ws), default=0.0) / 100.0))
    return out


def bench_engines(items: list[tuple[str, bytes, dict]], dpi: float) -> None:
    """Whole scanned reports read end to end with each engine (the layout, acceptance and
    parser the same): cells decided, cells wrong, CPU per page (tesseract's in its child)."""
    import shutil

    from etl.readers.scan import engine

    if not shutil.which("tesseract"):
        print("\nengines: tesseract not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")
        return
    print(f"\nengines, end to end at {dpi:.0f} dpi on {len(items)} reports:")
    print(f"  {'engine':<36} {'cells':>6} {'decided':>8} {'wrong':>6} {'CPU s/page':>10}")
    scans = [_scan_one((pdf, dpi, i)) for i, (_, pdf, _) in enumerate(items)]
    own = engine.recognize
    for label, fn in (("PP-OCRv4 (rapidocr-onnxruntime)", own),
                      ("tesseract 5 chi_sim (Debian)", tesseract_recognize)):
        engine.recognize = fn
        try:
            cells = decided = wrong = pages = 0
            t0 = time.process_time()
            c0 = os.times()
            for (name, _, truth), (data, n_pages) in zip(items, scans):
                pages += n_pages
                try:
                    rep = parse_bytes(data, f"{name}.pdf")
                except ReportError:
                    cells += sum(1 for _ in _truth_cells(truth))
                    continue
                c, d, w, _ = compare(rep, truth)
                cells, decided, wrong = cells + c, decided + d, wrong + w
            c1 = os.times()
            cpu = time.process_time() - t0 + (c1.children_user + c1.children_system
                                               - c0.children_user - c0.children_system)
        finally:
            engine.recognize = own
        print(f"  {label:<36} {cells:>6} {decided / max(1, cells):>7.1%} {wrong:>6} {cpu / max(1, pages):>10.2f}")


if __name__ == "__main__":
    main()
