"""Bytes → text for the text-like forms (HTML, copied text, Markdown, crawler dumps).

Order: a BOM; strict UTF-8; a declared charset (``<meta charset>`` / ``http-equiv``); GB18030
(a superset of GBK and GB2312, the usual Chinese-site encodings); then detection.

When no encoding decodes cleanly, the one needing the fewest replacement characters wins if it
needs only a handful (a damaged byte should not quarantine a whole report); charset detection
comes last.

Strict UTF-8 comes before the declaration because sites copy templates: a page saved as UTF-8
that still says ``charset=gbk`` is common, and GB18030 decodes UTF-8 bytes "successfully" into
mojibake, while real GBK text of any length is practically never valid UTF-8.
"""

from __future__ import annotations

import re

from etl.errors import ReportError

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "utf8": "utf-8"}


def declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    if not m:
        return None
    name = m.group(1).decode("ascii", "ignore").lower()
    return _ALIASES.get(name, name)


def decode_bytes(data: bytes, path: str) -> tuple[str, str]:
    """Return ``(text, encoding)``; raise ReportError naming ``path`` when nothing fits."""
    if not data.strip():
        raise ReportError(path, "empty", "the file has no content")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = declared_charset(data)
    if declared:
        try:
            return data.decode(declared), declared
        except (LookupError, UnicodeDecodeError):
            pass                                    # a lying <meta>: fall through to detection
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    # A few damaged bytes (a download cut inside a character, one bad byte in a long page) must
    # not cost the whole report: take the candidate that needs the fewest replacements, if
    # that is only a handful.
    candidates = ["utf-8"] + ([declared] if declared and declared != "utf-8" else []) + ["gb18030"]
    tolerated = max(3, len(data) // 300)          # ≈1% of the characters of Chinese text
    best: tuple[str, str] | None = None             # (text, encoding)
    best_bad = tolerated + 1
    for enc in candidates:
        try:
            text = data.decode(enc, "replace")
        except LookupError:
            continue
        bad = text.count("\ufffd")
        if bad < best_bad:
            best, best_bad = (text, enc), bad
    if best is not None:
        return best
    from charset_normalizer import from_bytes

    detected = from_bytes(data).best()
    if detected is None or detected.encoding is None:
        raise ReportError(path, "undecodable", "not UTF-8, GB18030 or any detectable encoding")
    return str(detected), detected.encoding
