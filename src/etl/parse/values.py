"""One printed cell -> (value, state).  The only place that decides what a cell's text means.

States come from the template (``CELL_STATES``): ``"0"`` is the number 0, nothing printed is
``blank``, the placeholders ``/ — - 无`` are ``dash``, anything else is ``text`` (null, and the
parser adds a warning).  Blank and dash stay null here: what a missing number *means* is decided
in validation and aggregation, never while reading.
"""

from __future__ import annotations

import re
import unicodedata

from etl.parse.memo import memo_short
from etl.template import DASH_TOKENS

_DASHES = frozenset(unicodedata.normalize("NFKC", t) for t in DASH_TOKENS) | frozenset(DASH_TOKENS)
# A printed number, optionally with a thousands separator, sign, or a unit a report wrote into
# the cell (section 二 amounts: "251000元", "25.1万元"; counts: "3件").
_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(万元|元|件|条|个|项|次)?$")
_SPACES = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")


def clean(raw: str) -> str:
    """NFKC (full-width digits and punctuation to ASCII) without any whitespace."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", raw))


def parse_number(raw: str, *, yuan: bool = False) -> int | float | None:
    """The number a cell prints, or None.  ``yuan``: convert a 万元 amount to 元 (section 二's
    采购总金额 is stored in 元)."""
    m = _NUMBER.match(clean(raw))
    if not m:
        return None
    sign, whole, frac, unit = m.groups()
    text = sign + whole.replace(",", "") + (frac or "")
    value: int | float = float(text) if frac else int(text)
    if yuan and unit == "万元":
        value = round(value * 10000, 6)
    if isinstance(value, float) and value.is_integer() and not frac:
        value = int(value)
    return value


# cells repeat ("0", "/", small counts): both are memoised (etl.parse.memo)
@memo_short
def is_value_token(raw: str) -> bool:
    """True when a whitespace-free token reads as a cell value (a number or a dash)."""
    c = clean(raw)
    return bool(c) and (c in _DASHES or _NUMBER.match(c) is not None)


@memo_short
def classify(raw: str, yuan: bool = False) -> tuple[int | float | None, str]:
    """``(value, state)`` for one printed cell (``yuan``: a section 二 amount, kept in 元)."""
    c = clean(raw)
    if not c:
        return None, "blank"
    if c in _DASHES:
        return None, "dash"
    value = parse_number(c, yuan=yuan)
    if value is None:
        return None, "text"
    return value, "number"
