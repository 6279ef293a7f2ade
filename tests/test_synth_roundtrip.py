"""Round trip: generate reports in every form, parse them with the project's parser, compare with
the truth.  Text and HTML forms must come back exactly; crawler dumps may leave run-together
cells unknown (never a wrong value in tables 三/四); PDF and DOCX are checked when their readers
are installed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from etl.synth.command import generate
from etl.synth.evaluate import report_cells, same_value, truth_cells

parse = pytest.importorskip("etl.parse")


def _compare(corpus: Path, forms: tuple[str, ...]) -> dict[str, list]:
    """{form: [(file, cell, expected, got, state)]} for every cell that is not correct."""
    out: dict[str, list] = {f: [] for f in forms}
    for tf in sorted((corpus / "truth").rglob("*.json")):
        t = json.loads(tf.read_text(encoding="utf-8"))
        got = report_cells(parse.parse_path(corpus / t["file"]))
        for key, want in truth_cells(t):
            value, state = got.get(key, (None, "absent"))
            if same_value(want, value):
                continue
            out[t["format"]].append((t["file"], key, want, value, state))
    return out


@pytest.mark.parametrize("form", ["flat_text", "html", "layout_text", "run_text"])
def test_text_and_html_forms_parse_exactly(tmp_path, form):
    generate(tmp_path, reports=35, forms=(form,), fault_rate=0.0, seed=31, workers=1)
    bad = _compare(tmp_path, (form,))[form]
    assert bad == [], bad[:10]


def test_crawler_dumps_are_never_wrong_in_tables_3_and_4(tmp_path):
    generate(tmp_path, reports=35, forms=("crawler",), fault_rate=0.0, seed=32, workers=1)
    bad = [b for b in _compare(tmp_path, ("crawler",))["crawler"]
           if b[1][0] in ("3", "4") and b[4] != "unknown"]
    assert bad == [], bad[:10]


@pytest.mark.parametrize("form,reader", [("pdf", "etl.readers.pdf"), ("docx", "etl.readers.docx")])
def test_pdf_and_docx_parse_exactly(tmp_path, form, reader):
    pytest.importorskip(reader)
    generate(tmp_path, reports=7, forms=(form,), fault_rate=0.0, seed=33, workers=1)
    bad = _compare(tmp_path, (form,))[form]
    assert bad == [], bad[:10]
