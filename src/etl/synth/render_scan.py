"""Test material for the OCR and legacy-Word readers, made here and never fetched.

* ``scan``: a synthetic PDF report rasterized (pypdfium2) at 150–300 dpi and made to look
  scanned — a slight rotation, a red seal stamped over the table, paper noise and JPEG
  artefacts — then wrapped as an image-only PDF (Pillow), like a scanner's output.
* ``doc``: a synthetic DOCX report converted by LibreOffice to the legacy binary ``.doc``
  (``.wps`` from WPS Office is that format too; bench/ocr.py also makes ``.rtf``).

Deterministic for a report's random stream (the seal, angle and noise are drawn from it).
"""

from __future__ import annotations

import io
import math
import random

import numpy as np

SCAN_DPI = (150, 200, 300)


def rasterize(pdf: bytes, dpi: float) -> list:
    """The PDF's pages as RGB PIL images at ``dpi``."""
    import pypdfium2 as pdfium

    from etl.readers.pdf import PDFIUM_LOCK

    with PDFIUM_LOCK:
        doc = pdfium.PdfDocument(pdf)
        try:
            return [doc[i].render(scale=dpi / 72.0).to_pil().convert("RGB") for i in range(len(doc))]
        finally:
            doc.close()


def _seal(draw, cx: float, cy: float, r: float, rng: random.Random) -> None:
    """A round red official seal: two rings, a star, and a ring of strokes for its text."""
    red = (rng.randint(200, 235), rng.randint(20, 60), rng.randint(20, 60))
    w = max(2, int(r / 18))
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=red, width=w)
    draw.ellipse((cx - r * 0.9, cy - r * 0.9, cx + r * 0.9, cy + r * 0.9), outline=red, width=max(1, w // 2))
    star = []
    for k in range(10):
        rad = r * (0.3 if k % 2 == 0 else 0.12)
        a = -math.pi / 2 + k * math.pi / 5
        star.append((cx + rad * math.cos(a), cy + rad * math.sin(a)))
    draw.polygon(star, fill=red)
    for k in range(18):                                     # the agency's name around the rim
        a = math.pi * (0.85 + k / 14)
        x, y = cx + r * 0.72 * math.cos(a), cy + r * 0.72 * math.sin(a)
        s = r * 0.07
        draw.rectangle((x - s, y - s, x + s, y + s), outline=red, width=max(1, w // 2))


def degrade(img, rng: random.Random, dpi: float, seal: bool = True):
    """Make a clean page render look like a scan of a printed, stamped page."""
    from PIL import Image, ImageChops, ImageDraw

    if seal:
        w, h = img.size
        layer = Image.new("RGB", img.size, (255, 255, 255))
        r = dpi * rng.uniform(0.75, 0.95)                   # a 4 cm seal
        _seal(ImageDraw.Draw(layer), rng.uniform(0.45, 0.8) * w, rng.uniform(0.35, 0.75) * h, r, rng)
        img = ImageChops.multiply(img, layer)               # seal ink over print, as on paper
    angle = rng.uniform(-1.5, 1.5)
    img = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(255, 255, 255))
    arr = np.asarray(img).astype(np.int16)
    noise = np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(6, 14), arr.shape[:2])
    arr = np.clip(arr + noise[:, :, None] - rng.randint(0, 20), 0, 255).astype(np.uint8)
    img = Image.fromarray(arr)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=rng.randint(40, 75))
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def images_to_pdf(images: list, dpi: float) -> bytes:
    """An image-only PDF (JPEG pages) as a scanner writes it."""
    buf = io.BytesIO()
    images[0].save(buf, "PDF", resolution=dpi, save_all=True, append_images=images[1:], quality=80)
    return buf.getvalue()


def scan_pages(pdf: bytes, rng: random.Random, dpi: float) -> list:
    return [degrade(page, rng, dpi, seal=i > 0 or rng.random() < 0.3)
            for i, page in enumerate(rasterize(pdf, dpi))]


def render_scan(r, rng: random.Random, dpi: float | None = None) -> bytes:
    """A synthetic report as a scanned, image-only PDF."""
    from etl.synth.render_pdf import render_pdf

    dpi = dpi or rng.choice(SCAN_DPI)
    return images_to_pdf(scan_pages(render_pdf(r, rng), rng, dpi), dpi)


def render_doc(r, rng: random.Random, fmt: str = "doc") -> bytes:
    """A synthetic report as a legacy Word file (LibreOffice converts the DOCX rendering)."""
    from etl.readers.legacy_word import convert
    from etl.synth.render_docx import render_docx

    return convert(render_docx(r, rng), "docx", fmt, "synth.docx")
