"""A page image → what is printed where: deskewed ink, the table's ruling lines, and the boxes of
text lines and cell contents, for the OCR engine to read.

All of it is plain array work (numpy + OpenCV, which the OCR engine's wheel brings):

1. grey = the red channel, with saturated red pixels set to paper: a red seal stamped over the
   table disappears, black ink under it stays black;
2. skew: the angle (±4°, 0.05° steps) at which the ink's row profile is sharpest — text lines and
   rules then lie on pixel rows; the image is turned back by it;
3. ink: Otsu threshold of the lightly blurred grey; specks smaller than a dot are dropped;
4. ruling lines: ink runs longer than 0.2 in (longer than any character stroke) along x or y,
   found by a morphological opening, one segment per connected run; returned in pt so the PDF
   reader's table geometry (cells, merges, tables continued over pages) applies unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PT = 72.0
#: a straight run this long (inches) is longer than any character stroke: a rule wherever it ends
LONG_RULE = 0.45


@dataclass
class Page:
    grey: np.ndarray              # uint8, deskewed, red removed: what the recogniser reads
    ink: np.ndarray               # uint8 0/1: text ink only (ruling lines removed)
    dpi: float
    angle: float                  # degrees the scan was turned by (reported)
    hsegs: list[tuple[float, float, float]]   # (y, x0, x1) in pt
    vsegs: list[tuple[float, float, float]]   # (x, y0, y1) in pt

    def px(self, pt: float) -> int:
        return int(round(pt * self.dpi / PT))


def _skew(ink: np.ndarray) -> float:
    """The angle that makes the row profile of the (downscaled) ink sharpest."""
    h, w = ink.shape
    scale = 800.0 / max(h, w)
    small = cv2.resize(ink.astype(np.uint8) * 255, (max(1, int(w * scale)), max(1, int(h * scale))),
                       interpolation=cv2.INTER_AREA)
    sh, sw = small.shape
    centre = (sw / 2, sh / 2)

    def sharpness(angle: float) -> float:
        m = cv2.getRotationMatrix2D(centre, angle, 1.0)
        rot = cv2.warpAffine(small, m, (sw, sh), flags=cv2.INTER_NEAREST, borderValue=0)
        prof = rot.sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(prof)).sum())

    best = max(np.arange(-4.0, 4.01, 0.25), key=sharpness)
    best = max(np.arange(best - 0.25, best + 0.26, 0.05), key=sharpness)
    return float(round(best, 2))


def prepare(rgb: np.ndarray, dpi: float) -> Page:
    if rgb.ndim == 3:
        r = rgb[:, :, 0]
        grey = r.copy()
        # seal ink is paper; black under it stays (saturating uint8 arithmetic: no int copies)
        seal = (cv2.subtract(r, cv2.max(rgb[:, :, 1], rgb[:, :, 2])) > 50) & (r > 140)
        grey[seal] = 255
        del seal
    else:
        grey = np.ascontiguousarray(rgb)
    blur = cv2.GaussianBlur(grey, (3, 3), 0)
    _, ink = cv2.threshold(blur, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    angle = _skew(ink)
    if abs(angle) >= 0.05:
        h, w = grey.shape
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        grey = cv2.warpAffine(grey, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
        blur = cv2.GaussianBlur(grey, (3, 3), 0)
        _, ink = cv2.threshold(blur, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ink &= (blur < 190).astype(np.uint8)          # Otsu splits even a blank grey page: ink is dark
    k = max(15, int(dpi * 0.2))
    # thin rules come out light grey after scanning and JPEG: found against the local paper
    # (adaptive threshold), not against the page's one ink threshold
    faint = cv2.adaptiveThreshold(grey, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 12)
    hmask = cv2.morphologyEx(faint, cv2.MORPH_OPEN, np.ones((1, k), np.uint8))
    vmask = cv2.morphologyEx(faint, cv2.MORPH_OPEN, np.ones((k, 1), np.uint8))
    # a rule drawn with a slight wobble or broken by JPEG blocks: close small gaps along it
    hmask = cv2.morphologyEx(hmask, cv2.MORPH_CLOSE, np.ones((1, max(3, k // 4)), np.uint8))
    vmask = cv2.morphologyEx(vmask, cv2.MORPH_CLOSE, np.ones((max(3, k // 4), 1), np.uint8))
    f = PT / dpi
    hruns, hmask = _rules(hmask, vmask, dpi, k, horizontal=True)
    vruns, vmask = _rules(vmask, hmask, dpi, k, horizontal=False)
    hsegs = [((y + hh / 2) * f, x * f, (x + ww) * f) for x, y, ww, hh in hruns]
    vsegs = [((x + ww / 2) * f, y * f, (y + hh) * f) for x, y, ww, hh in vruns]
    # (np.bitwise_or is the | of two uint8 masks; cv2's stubs type them as int-or-float arrays)
    lines = cv2.dilate(np.bitwise_or(hmask, vmask), np.ones((5, 5), np.uint8))
    text = _drop_specks(ink & (1 - lines), dpi)
    # what the recogniser sees: the text ink (and its anti-aliased rim) on white paper — no
    # rules at a crop's edge, no seal, no paper noise
    clean = np.where(cv2.dilate(text, np.ones((3, 3), np.uint8)) > 0, grey, 255).astype(np.uint8)
    return Page(clean, text, dpi, angle, hsegs, vsegs)


def _rules(mask: np.ndarray, across: np.ndarray, dpi: float, k: int,
           horizontal: bool) -> tuple[list[tuple[int, int, int, int]], np.ndarray]:
    """The ruling lines among the straight ink runs of ``mask`` (x, y, w, h each), and a mask of
    them alone.

    A run longer than any character (``LONG_RULE``) is a rule.  A shorter one (a cell one row
    high) is a rule only where both its ends meet a line running across (``across``): the long
    strokes of large characters — 一 of a heading's 一、, the 忄 of 情, the stem of 申 —
    are as long as a short rule but end in the open, and taking them for rules erased them
    from the text the recogniser reads (情 read as 青, 申 as 日)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    long_rule = LONG_RULE * dpi
    reach = max(3, int(dpi * 0.03))
    h, w = across.shape
    keep = np.zeros(n, bool)
    runs: list[tuple[int, int, int, int]] = []
    for i in range(1, n):
        x, y, ww, hh = (int(v) for v in stats[i, :4])
        length = ww if horizontal else hh
        if length < k:
            continue
        if length < long_rule:
            if horizontal:
                ends = [across[max(0, y - reach):y + hh + reach, max(0, e - reach):min(w, e + reach + 1)]
                        for e in (x, x + ww - 1)]
            else:
                ends = [across[max(0, e - reach):min(h, e + reach + 1), max(0, x - reach):x + ww + reach]
                        for e in (y, y + hh - 1)]
            if not all(e.any() for e in ends):
                continue
        keep[i] = True
        runs.append((x, y, ww, hh))
    return runs, keep[labels].astype(np.uint8)


def _drop_specks(ink: np.ndarray, dpi: float) -> np.ndarray:
    """Ink components smaller than a printed full stop are scanner noise."""
    min_area = max(3, int((dpi / 300.0) ** 2 * 14))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area
    keep[0] = False
    return keep[labels].astype(np.uint8)


def bands(ink: np.ndarray, min_height: int) -> list[tuple[int, int]]:
    """Runs of pixel rows that hold ink (text lines), as (first row, end row)."""
    rows: np.ndarray = np.any(ink, axis=1)      # one bool per pixel row (ink is 2-D)
    out: list[tuple[int, int]] = []
    start = None
    for y, has in enumerate(rows):
        if has and start is None:
            start = y
        elif not has and start is not None:
            out.append((start, y))
            start = None
    if start is not None:
        out.append((start, len(rows)))
    # a line of Chinese can have an empty pixel row inside a character (二, 三): join bands
    # closer than a quarter of the typical line height
    if not out:
        return out
    heights = sorted(b - a for a, b in out)
    gap = max(1, heights[len(heights) // 2] // 4)
    merged = [list(out[0])]
    for a, b in out[1:]:
        if a - merged[-1][1] <= gap:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged if b - a >= min_height]


def fields(ink_band: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """Runs of columns with ink in a text band, split where the blank gap is wider than ``gap``."""
    cols = np.flatnonzero(ink_band.any(axis=0))
    if cols.size == 0:
        return []
    out = [[int(cols[0]), int(cols[0]) + 1]]
    for x in cols[1:]:
        x = int(x)
        if x - out[-1][1] > gap:
            out.append([x, x + 1])
        else:
            out[-1][1] = x + 1
    return [(a, b) for a, b in out]


def crop(grey: np.ndarray, x0: int, y0: int, x1: int, y1: int, pad: int) -> np.ndarray:
    """A crop of the grey page with a white margin (the recogniser wants air around text)."""
    h, w = grey.shape
    piece = grey[max(0, y0):min(h, y1), max(0, x0):min(w, x1)]
    return cv2.copyMakeBorder(piece, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)


def glyphs(ink: np.ndarray) -> int:
    """Connected ink components: a lower bound of the marks printed (digits may touch)."""
    return cv2.connectedComponents(ink, connectivity=8)[0] - 1
