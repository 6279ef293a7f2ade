"""`etl synth`: a whole region's reports, year after year, with the truth kept beside them.

Layout of --out:
    <year>/<agency_id>_<year>[_v1].<ext>     the documents (v1 = the superseded first publication)
    truth/<year>/<same name>.json            what each document prints (ParsedReport JSON + file,
                                             agency_id, region_path, level, faults, prose)
    manifest.csv                             file, agency_id, agency, region_path, level, year,
                                             format, source_url, published, faults

Deterministic for a seed: every agency draws from its own ``random.Random(f"{seed}:{id}")``,
iteration is in id and year order, and nothing reads the clock.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from etl.synth.faults import FAULT_RULES, Fault, apply_blank_cells, apply_table_fault, choose_fault
from etl.synth.forms import ALL_FORMS, DEFAULT_FORMS, EXTENSION, EXTRA_FORMS, FORM_PACKAGE, FORM_WEIGHT, TEXT_FORMS  # noqa: F401,E501
from etl.synth.layouts import apply_layouts, draw_layouts, parse_layouts
from etl.synth.numbers import clean_numbers, new_history
from etl.synth.prose import falsify, stated_figures, write_prose
from etl.synth.region import Agency, build_region
from etl.synth.report import SynthReport, new_style
from etl.template import template_for_year

MANIFEST_COLUMNS = ("file", "agency_id", "agency", "region_path", "level", "year", "format",
                    "source_url", "published", "faults")
TABLE_FAULTS = {"identity", "results_sum", "row_total", "review_sum", "carry_chain", "in_force_chain"}


@dataclass
class SynthResult:
    reports: int = 0
    documents: int = 0
    agencies: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    forms: dict[str, int] = field(default_factory=dict)
    layouts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def parse_years(years: str) -> list[int]:
    out: set[int] = set()
    for part in years.replace(" ", "").split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            out.update(range(int(a), int(b) + 1))
        elif part:
            out.add(int(part))
    if not out or min(out) < 2019:
        raise ValueError(f"years must be 2019 or later: {years!r}")
    return sorted(out)


def _render(r: SynthReport, rng: random.Random) -> bytes:
    if r.form == "html":
        from etl.synth.render_html import render_html
        return render_html(r, rng)[0]
    if r.form in ("flat_text", "layout_text", "run_text", "crawler"):
        from etl.synth import render_text as rt
        if r.form == "flat_text":
            text = rt.render_flat(r, rng)
        elif r.form == "crawler":
            text = rt.render_crawler(r, rng)
        else:
            text = rt.render_pdf_text(r, rng, layout=r.form == "layout_text")
        return text.encode("utf-8")
    if r.form == "docx":
        from etl.synth.render_docx import render_docx
        return render_docx(r, rng)
    if r.form == "pdf":
        from etl.synth.render_pdf import render_pdf
        return render_pdf(r, rng)
    if r.form == "markdown":
        from etl.synth.render_markdown import render_markdown
        return render_markdown(r, rng).encode("utf-8")
    if r.form in EXTRA_FORMS:
        from etl.synth import render_scan
        return render_scan.render_scan(r, rng) if r.form == "scan" else render_scan.render_doc(r, rng)
    raise ValueError(r.form)


def _corrupt_bytes(form: str, rng: random.Random) -> bytes:
    """An unreadable file: a truncated PDF, a DOCX that is no ZIP, a legacy OLE2 file saved
    under a text name, or an empty file."""
    if form == "pdf":
        return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog" + rng.randbytes(64)
    if form == "docx":
        return b"<html>404 Not Found</html>" if rng.random() < 0.5 else rng.randbytes(300)
    return b"" if rng.random() < 0.5 else b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rng.randbytes(504)


class _Writer:
    def __init__(self, out: Path):
        self.out = out
        self.made: set[Path] = set()

    def write(self, rel: str, data: bytes) -> None:
        path = self.out / rel
        parent = path.parent
        if parent not in self.made:
            parent.mkdir(parents=True, exist_ok=True)
            self.made.add(parent)
        path.write_bytes(data)


@dataclass
class _Batch:
    out: Path
    agencies: list[tuple[Agency, int]]      # (agency, how many of the years it publishes)
    years: list[int]
    forms: tuple[str, ...]
    fault_rate: float
    seed: int
    layouts: tuple[str, ...] = ()           # layout classes enabled (etl.synth.layouts)
    layout_rate: float = 0.5


def _run_batch(batch: _Batch) -> tuple[list[dict], SynthResult]:
    """Generate every report of a batch of agencies (one process; agencies are independent)."""
    weights = [FORM_WEIGHT.get(f, 1.0) for f in batch.forms]
    forms, seed = batch.forms, batch.seed
    writer = _Writer(batch.out)
    manifest: list[dict] = []
    res = SynthResult(agencies=len(batch.agencies))
    for agency, n_years in batch.agencies:
        rng = random.Random(f"{seed}:{agency.id}")
        home_form = rng.choices(forms, weights)[0]
        h = new_history(agency, rng)
        prev_fault: str | None = None
        has_prev = prev_in_force = False
        for year in batch.years[:n_years]:
            template = template_for_year(year)
            kind = choose_fault(rng, batch.fault_rate, year, prev_fault, has_prev, prev_in_force, template)
            printed = template
            if kind == "template_year":
                printed = "2021" if template == "2019" else "2019"
            n = clean_numbers(h, rng, year, printed)
            details = ""
            if kind in TABLE_FAULTS:
                details = apply_table_fault(kind, n, h, rng)
            elif kind == "template_year":
                details = f"report on {year} printed on the {printed} template"
            figs = stated_figures(n, rng)
            if kind == "prose_vs_table":
                details = falsify(figs, n, rng)
            h.carried_forward = n.counts3("carried_forward")
            if kind == "blank_cells":
                details = apply_blank_cells(n, rng)
            prose = write_prose(agency, year, n, figs, rng)
            form = home_form if rng.random() < 0.85 else rng.choices(forms, weights)[0]
            r = SynthReport(agency, year, n, prose, new_style(rng), form)
            r.published = f"{year + 1}-{rng.choice((1, 1, 1, 2, 3)):02d}-{rng.randint(5, 28):02d}"
            r.source_url = (f"https://www.jiangnan.gov.cn/zwgk/zfxxgknb/{agency.id.lower()}/"
                            f"{year + 1}01/t{year + 1}01{rng.randint(10, 31)}_{rng.randint(10000, 99999)}.html")
            base = f"{year}/{agency.id}_{year}"
            if kind == "missing_section":
                r.missing = rng.choice(("三", "四"))
                details = f"section {r.missing} left out"
            if batch.layouts:
                r.lrng = random.Random(f"{seed}:{agency.id}:{year}:layout")
                r.layouts = draw_layouts(r.lrng, form, batch.layouts, batch.layout_rate)
            docs: list[tuple[SynthReport, str]] = []
            if kind == "duplicate":
                # the first publication is superseded by a corrected one published later
                r.prose = replace(prose, intro=prose.intro + "(更正版)")
                first = SynthReport(agency, year, n, prose, new_style(rng), form)
                first.published = f"{year + 1}-01-{rng.randint(2, 4):02d}"
                first.source_url = r.source_url.replace(".html", "_1.html")
                first.faults = [Fault("duplicate", f"superseded by {base}{EXTENSION[form]} "
                                                   f"published {r.published}").to_json()]
                docs.append((first, base + "_v1"))
            elif kind:
                r.faults = [Fault(kind, details).to_json()]
            docs.append((r, base))
            for doc, _ in docs:
                apply_layouts(doc, kind)
            for doc, stem in docs:
                doc.file = stem + EXTENSION[doc.form]
                if kind == "corrupt":
                    data = _corrupt_bytes(doc.form, rng)
                else:
                    data = _render(doc, rng)
                writer.write(doc.file, data)
                writer.write(f"truth/{stem}.json", json.dumps(
                    doc.truth(), ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
                manifest.append({
                    "file": doc.file, "agency_id": agency.id, "agency": agency.name,
                    "region_path": agency.region_path, "level": agency.level, "year": year,
                    "format": doc.form, "source_url": doc.source_url, "published": doc.published,
                    "faults": ";".join(f["kind"] for f in doc.faults)})
                res.documents += 1
                res.forms[doc.form] = res.forms.get(doc.form, 0) + 1
            res.reports += 1
            for layout in r.layouts:
                res.layouts[layout] = res.layouts.get(layout, 0) + 1
            if kind or r.faults:
                kind = kind or r.faults[0]["kind"]
                res.faults[kind] = res.faults.get(kind, 0) + 1
            prev_fault, has_prev = kind, True
            prev_in_force = n.template == "2021" and kind not in ("blank_cells", "corrupt")
    return manifest, res


def generate(out: Path, agencies: int | None = None, reports: int | None = None,
             years: list[int] | None = None, forms: tuple[str, ...] = DEFAULT_FORMS,
             fault_rate: float = 0.1, seed: int = 1, workers: int | None = None,
             layouts: tuple[str, ...] = (), layout_rate: float = 0.5) -> SynthResult:
    """Write the corpus.  ``reports`` counts agency-years (a duplicate publication adds a
    second document for its agency-year); ``agencies`` publish every year; ``layouts``: the
    layout classes a report may be printed in (etl.synth.layouts), drawn for a share
    ``layout_rate`` of the reports."""
    t0 = time.perf_counter()
    years = years or list(range(2019, 2026))
    ny = len(years)
    if reports is not None:
        n_agencies = max(1, math.ceil(reports / ny))
        quota = [ny] * (n_agencies - 1) + [reports - ny * (n_agencies - 1)]
    else:
        n_agencies = agencies or 50
        quota = [ny] * n_agencies
    region = build_region(n_agencies, random.Random(f"{seed}:region"))
    pairs = list(zip(region, quota))
    size = 40
    batches = [_Batch(out, pairs[i:i + size], years, forms, fault_rate, seed, tuple(layouts),
                      layout_rate)
               for i in range(0, len(pairs), size)]
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    if workers > 1 and len(batches) > 1:
        import multiprocessing
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_run_batch, batches, chunksize=1)
    else:
        results = [_run_batch(b) for b in batches]
    manifest: list[dict] = []
    total = SynthResult(agencies=len(region))
    for rows, res in results:
        manifest.extend(rows)
        total.reports += res.reports
        total.documents += res.documents
        for k, v in res.faults.items():
            total.faults[k] = total.faults.get(k, 0) + v
        for k, v in res.forms.items():
            total.forms[k] = total.forms.get(k, 0) + v
        for k, v in res.layouts.items():
            total.layouts[k] = total.layouts.get(k, 0) + v
    buf = io.StringIO()
    w = csv.DictWriter(buf, MANIFEST_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(manifest)
    _Writer(out).write("manifest.csv", buf.getvalue().encode("utf-8"))
    total.seconds = time.perf_counter() - t0
    return total


def synth_command(out: Path, agencies: int | None, reports: int | None, years: str,
                  formats: str, fault_rate: float, seed: int, layouts: str = "none",
                  layout_rate: float = 0.5) -> int:
    try:
        year_list = parse_years(years)
        layout_names = parse_layouts(layouts)
    except ValueError as e:
        print(f"etl synth: {e}", file=sys.stderr)
        return 2
    forms = tuple(f.strip() for f in formats.split(",") if f.strip())
    bad = [f for f in forms if f not in ALL_FORMS and f not in EXTRA_FORMS]
    if bad or not forms:
        print(f"etl synth: unknown form(s) {bad}; choose from {', '.join((*ALL_FORMS, *EXTRA_FORMS))}",
              file=sys.stderr)
        return 2
    import importlib.util

    missing = sorted({FORM_PACKAGE[f] for f in forms if f in FORM_PACKAGE
                      and importlib.util.find_spec(FORM_PACKAGE[f]) is None})
    if missing:
        print(f"etl synth: the office forms need {', '.join(missing)}: "
              f"pip install -e '.[synth]' (make setup installs it)", file=sys.stderr)
        return 2
    if not 0.0 <= fault_rate <= 1.0 or not 0.0 <= layout_rate <= 1.0:
        print("etl synth: --fault-rate and --layout-rate must be between 0 and 1", file=sys.stderr)
        return 2
    res = generate(Path(out), agencies, reports, year_list, forms, fault_rate, seed,
                   layouts=layout_names, layout_rate=layout_rate)
    rate = res.documents / res.seconds if res.seconds else 0.0
    print(f"{res.reports} reports ({res.documents} documents) of {res.agencies} agencies, "
          f"{year_list[0]}-{year_list[-1]}, in {res.seconds:.1f} s ({rate:,.0f} documents/s) -> {out}")
    print("forms:  " + ", ".join(f"{k} {v}" for k, v in sorted(res.forms.items())))
    if res.layouts:
        print("layouts: " + ", ".join(f"{k} {v}" for k, v in sorted(res.layouts.items())))
    print("faults: " + (", ".join(f"{k} {v} ({FAULT_RULES[k] or 'no rule'})"
                                  for k, v in sorted(res.faults.items())) or "none"))
    return 0
