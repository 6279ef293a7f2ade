"""The template (both versions) as data, plus the one label normalizer everyone uses."""

from __future__ import annotations

import re
import unicodedata

from etl.template.definitions import (  # noqa: F401  (re-exported: this package is the one home)
    APPLICANT_COLUMN_KEYS,
    CELL_STATES,
    CROSS_YEAR_RULES,
    DASH_TOKENS,
    PROSE_FIGURE_KEYS,
    PROSE_RESULT_GROUPS,
    PROSE_SECTION2_CELLS,
    RESULT_ROW_KEYS,
    ROWS_2021_ONLY,
    RULE_IDS,
    RULES,
    SECTION2,
    SECTION2_CONTENT_HEADER,
    SECTION3_APPLICANT_HEADER,
    SECTION3_COLUMN_KEYS,
    SECTION3_COLUMNS,
    SECTION3_GROUPS,
    SECTION3_HEADER_GROUPS,
    SECTION3_HEADER_MARKERS,
    SECTION3_IDENTITY_NOTE,
    SECTION3_LEGAL_PERSON_HEADER,
    SECTION3_RESULTS_CAPTION,
    SECTION3_ROW_KEYS,
    SECTION3_ROWS,
    SECTION3_TOTAL_INDEX,
    SECTION3_WIDTH,
    SECTION4_GROUPS,
    SECTION4_KEYS,
    SECTION4_OUTCOMES,
    SECTION4_SUIT_HEADER,
    SECTION4_SUM_GROUPS,
    SECTION_NUMERALS,
    SECTIONS,
    TEMPLATE_MARKERS,
    TEMPLATE_VERSIONS,
    Category,
    Column,
    Metric,
    Row,
    Rule,
    Section,
    Section2Table,
    template_for_year,
)

# Characters real reports vary without meaning anything: every kind of space, quotes, the
# ideographic comma vs the ASCII one, middle dots.
_DROP = re.compile(r"[\s\u00a0\u3000\u200b\ufeff\"'“”‘’「」『』·•]")
_COMMAS = str.maketrans({"、": ",", "，": ",", "；": ";", "：": ":", "。": "."})


def normalize_label(text: str) -> str:
    """Normalize printed text for label matching.

    NFKC folds full-width digits, letters and brackets (``（一）`` → ``(一)``, ``３`` → ``3``);
    then all whitespace (NBSP, ideographic space), quotes and bullets are dropped and Chinese
    punctuation is folded to ASCII.  The result is only ever compared, never shown.
    """
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_COMMAS)
    return _DROP.sub("", text)


_ROW_OF = {r.key: r for r in SECTION3_ROWS}


def section3_row(key: str) -> Row:
    return _ROW_OF[key]


def section2_keys(version: str) -> dict[str, tuple[str, ...]]:
    """{category: (metric, ...)} for a template version, in printed order."""
    out: dict[str, tuple[str, ...]] = {}
    for table in SECTION2[version]:
        for cat in table.categories:
            out[cat.key] = tuple(m.key for m in table.metrics)
    return out


def section3_rows_for(version: str) -> tuple[str, ...]:
    return tuple(r.key for r in SECTION3_ROWS if version in r.versions)


def rule(rule_id: str) -> Rule:
    for r in RULES:
        if r.id == rule_id:
            return r
    raise KeyError(rule_id)
