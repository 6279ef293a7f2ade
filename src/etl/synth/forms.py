"""The forms `etl synth` renders a report in (one home: the generator, the layout classes and the
evaluator read them here)."""

from __future__ import annotations

#: every form, in the order `--formats` lists them
ALL_FORMS = ("flat_text", "html", "layout_text", "run_text", "crawler", "docx", "pdf", "markdown")
#: what `etl synth` renders when no --formats is given (markdown came with the layout classes;
#: left out of the default so that a seed keeps giving the corpus it gave)
DEFAULT_FORMS = ALL_FORMS[:7]
TEXT_FORMS = ("flat_text", "html", "layout_text", "run_text", "crawler")
EXTENSION = {"flat_text": ".txt", "layout_text": ".txt", "run_text": ".txt", "crawler": ".txt",
             "html": ".html", "docx": ".docx", "pdf": ".pdf", "markdown": ".md"}
#: forms made on request only (--formats scan,doc): OCR and LibreOffice test material (render_scan)
EXTRA_FORMS = {"scan": ".pdf", "doc": ".doc"}

#: The Python package each office form is rendered with: the `synth` extra (pip install -e
#: '.[synth]'); nothing outside etl.synth needs them.
FORM_PACKAGE = {"docx": "docx", "doc": "docx", "pdf": "reportlab", "scan": "reportlab"}
EXTENSION.update(EXTRA_FORMS)
#: relative weight of each form when an agency picks how it publishes (DOCX/PDF are slow to make)
FORM_WEIGHT = {"docx": 0.3, "pdf": 0.3}
