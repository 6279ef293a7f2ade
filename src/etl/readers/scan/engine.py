"""The OCR engine: PP-OCRv4's text-line recogniser from ``rapidocr-onnxruntime`` (its ONNX
models ship inside the wheel, so nothing is fetched at run time).

Why this engine — measured end to end by ``bench/ocr.py --engines`` (whole scanned reports at
300 dpi, the same layout, acceptance and parser; see docs/scan.md): on 2 synthetic reports
PP-OCRv4 decided 100 % of the cells and tesseract 5 + chi_sim (Debian) 56.6 %, at 2.6 and 6.3 CPU
seconds a page; on the 2 real 洪泽 reports 97.3 % and 3.8 % (6.2 s a page); neither read a wrong cell.

Only the recogniser is loaded: the page layout (ruling lines, cells, text lines) is found by
:mod:`etl.readers.scan.layout`, so the detector and the angle classifier never take memory.  The
session is created on first use in a process (a worker that never meets a scan never loads it;
one instance per process) and uses one thread: parallelism comes from the run's worker processes.
"""

from __future__ import annotations

import ctypes
import math
import os
import threading
from pathlib import Path

import numpy as np

from etl.errors import ReportError

#: what to install when the engine cannot be imported (a quarantine reason names it)
INSTALL = "pip install 'rapidocr-onnxruntime>=1.4,<1.5' (the project's dependency)"

#: crops per recogniser call, and the most padded width (px at height 48) one call may hold.
#: Narrow calls cost less memory and less CPU (less padding): 8 scanned reports at 300 dpi in
#: one process, a 10,240 px bound: 761 MB peak, 70 s CPU; 1,280 px: 400 MB, 40 s
BATCH = 16
MAX_BATCH_WIDTH = 1280
_LOCK = threading.Lock()
_RECOGNIZER = None


def release_memory() -> None:
    """Hand the heap's free pages back to the system after a page is read: a worker's resident
    size then falls back to ≈190 MB between scans instead of staying at its peak (glibc keeps
    freed page images in its heap otherwise)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _load(path: str):
    global _RECOGNIZER
    with _LOCK:
        if _RECOGNIZER is None:
            try:
                import rapidocr_onnxruntime
                from rapidocr_onnxruntime.ch_ppocr_rec import TextRecognizer
                from rapidocr_onnxruntime.utils import read_yaml
            except ImportError as e:
                raise ReportError(path, "ocr_unavailable", f"no OCR engine ({e}): {INSTALL}") from e
            root = Path(rapidocr_onnxruntime.__file__).parent
            config = read_yaml(str(root / "config.yaml"))["Rec"]
            config["model_path"] = str(root / config["model_path"])
            config["intra_op_num_threads"] = int(os.environ.get("ETL_OCR_THREADS", "1"))
            config["inter_op_num_threads"] = 1
            config["rec_batch_num"] = BATCH
            # rapidocr pads every batch to at least 320 px wide (PaddleOCR's training shape): a
            # one-digit cell then costs as much as a 7-character line.  Padding to the batch's own
            # widest crop (sorted by width, so alike) reads the same text at ≈1/4 of the CPU
            # (266 cells of the real 洪泽 tables at 300 dpi: 7.5 s -> 1.9 s, same texts, no
            # confidence crossing MIN_VALUE_CONFIDENCE)
            config["rec_img_shape"] = [3, 48, 48]
            _RECOGNIZER = TextRecognizer(config)
    return _RECOGNIZER


def loaded() -> bool:
    return _RECOGNIZER is not None


#: glyphs a recogniser cannot tell from a digit without context: in a table's value cell a
#: person reads a lone round glyph as 0 and a lone stroke as 1, so there their probabilities
#: count for the digit.  (。 — a small 0 at 150 dpi, or a full stop — is not folded: it stays a
#: tentative reading, see scan._LOOKALIKE.)
DIGIT_LOOKALIKES = {"0": "oO〇", "1": "lI|"}


def recognize(crops: list[np.ndarray], path: str, values: bool = False) -> list[tuple[str, float]]:
    """(text, confidence) for each crop (grey or BGR uint8, one line of text each).
    ``values``: the crops are table cells, where look-alikes count for their digit
    (DIGIT_LOOKALIKES): a clean 0 read alone is 'o' at 0.6 and '0' at 0.99 once folded."""
    if not crops:
        return []
    rec = _load(path)
    out: list[tuple[str, float]] = [("", 0.0)] * len(crops)
    # Each crop is padded to its own width rounded up to 16 px (at least 48), and a call holds
    # crops of one padded width only: a reading never depends on the crops it is batched with.
    # The activations grow with a call's total width, so long text lines go one or two a call
    # (MAX_BATCH_WIDTH) and a worker's memory stays bounded.
    ratio = [c.shape[1] / c.shape[0] for c in crops]
    padded = [max(48, -(-math.ceil(48 * r) // 16) * 16) for r in ratio]
    order = sorted(range(len(crops)), key=padded.__getitem__)
    batches: list[list[int]] = [[]]
    for i in order:
        batch = batches[-1]
        if batch and (padded[batch[0]] != padded[i] or len(batch) >= BATCH
                      or padded[i] * (len(batch) + 1) > MAX_BATCH_WIDTH):
            batches.append([])
        batches[-1].append(i)
    fold = _fold_columns(rec) if values else None
    with _LOCK:                        # one onnxruntime session: one caller at a time
        for batch in batches:
            widest = padded[batch[0]] / 48
            tensor = np.concatenate([rec.resize_norm_img(_rgb(crops[i]), widest)[None] for i in batch])
            preds = rec.session(tensor.astype(np.float32))[0]
            if fold is not None:
                for digit, alikes in fold:
                    preds[:, :, digit] += preds[:, :, alikes].sum(axis=2)
                    preds[:, :, alikes] = 0.0
            results = rec.postprocess_op(preds, False, wh_ratio_list=[ratio[i] for i in batch],
                                         max_wh_ratio=widest)
            for i, (text, score, *_) in zip(batch, results):
                out[i] = (text, float(score))
    return out


def _fold_columns(rec) -> list[tuple[int, list[int]]]:
    index = rec.postprocess_op.dict
    return [(index[d], [index[a] for a in alikes if a in index]) for d, alikes in DIGIT_LOOKALIKES.items()]


def _rgb(crop: np.ndarray) -> np.ndarray:
    return crop if crop.ndim == 3 else np.repeat(crop[:, :, None], 3, axis=2)
