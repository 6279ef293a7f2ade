"""Who and when: agency and year from the title, the first prose sentence, or a manifest; the
template version from what the tables print (never from the year)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from etl.template import TEMPLATE_MARKERS, normalize_label, template_for_year

# "2019年上海市人民政府办公厅政府信息公开工作年度报告", "平潭综合实验区2019年度政府信息公开…",
# "# 沐阳县人民政府 2025 年 政府信息公开工作年度报告"
_TITLE = re.compile(
    r"(?P<pre>[^\d，,。:：]{0,40}?)\s*(?P<year>(?:19|20)\d{2})\s*年\s*度?\s*"
    r"(?P<post>[^\d，,。:：]{0,40}?)\s*(?:政府)?信息公开(?:工作)?\s*(?:年度)?\s*(?:报告|年报)")
# "2023年,南星街道在区委、区政府的正确领导下…"
# "某某局政府信息公开工作年度报告（2023年）" — the year after the title words
_TITLE_YEAR_AFTER = re.compile(
    r"(?P<pre>[^\d，,。:：]{2,40}?)\s*(?:政府)?信息公开(?:工作)?\s*(?:年度)?\s*(?:报告|年报)\s*"
    r"[（(]\s*(?P<year>(?:19|20)\d{2})\s*年?度?\s*[)）]")
_YEAR = re.compile(r"(?:19|20)\d{2}")
_PROSE = re.compile(
    r"(?P<year>(?:19|20)\d{2})\s*年度?\s*[,，]\s*(?P<agency>[^\s,，。、;；:：“”\"]{2,25}?)"
    r"(?:在|坚持|深入|认真|围绕|以|按照|始终|紧紧|严格|高度|全面|紧扣|聚焦|持续|进一步|依法)")
_PERIOD = re.compile(r"(?:统计期限|统计时限|统计期间)[^。]{0,12}?(?P<year>(?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
_AGENCY_SUFFIX = re.compile(r"(政府|办公厅|办公室|局|委员会|委|办|街道|街道办事处|镇|乡|管委会|中心|院|厅|所|署|区|县|市)$")
_LEADING = re.compile(r"^关于")
_STRIP = re.compile(r"^[#\s《》<>\"“”]+|[#\s《》<>\"“”]+$")


def _clean_agency(s: str) -> str:
    s = _STRIP.sub("", s).replace(" ", "").replace("\u3000", "")
    return _LEADING.sub("", s)


def title_identity(lines: list[str]) -> tuple[str | None, int | None, str | None]:
    """(agency, year, title line) from a title such as 《…2023年政府信息公开工作年度报告》."""
    prev = ""
    for line in lines:
        s = unicodedata.normalize("NFKC", line).strip()
        m = None
        if len(s) <= 120 and ("报告" in s or "年报" in s) and _YEAR.search(s):
            m = _TITLE.search(s) or _TITLE_YEAR_AFTER.search(s)
        if m:
            post = m.groupdict().get("post") or ""
            agency = _clean_agency(post) or _clean_agency(m.group("pre"))
            if not agency and prev and len(prev) <= 40 and _AGENCY_SUFFIX.search(prev):
                agency = _clean_agency(prev)         # agency on the line above the title
            return agency or None, int(m.group("year")), s
        if s:
            prev = s
    return None, None, None


def prose_identity(text: str) -> tuple[str | None, int | None]:
    text = unicodedata.normalize("NFKC", text)
    m = _PROSE.search(text)
    if m:
        return m.group("agency"), int(m.group("year"))
    m = _PERIOD.search(text)
    if m:
        return None, int(m.group("year"))
    return None, None


_MARKERS = {v: tuple(normalize_label(m) for m in ms) for v, ms in TEMPLATE_MARKERS.items()}


def detect_template(table_text_norm: str) -> tuple[str | None, dict[str, int]]:
    """The version whose marker labels the tables print (most distinct markers wins)."""
    counts = Counter({v: sum(1 for m in ms if m in table_text_norm) for v, ms in _MARKERS.items()})
    best = counts.most_common()
    if not best or best[0][1] == 0 or (len(best) > 1 and best[0][1] == best[1][1]):
        return None, dict(counts)
    return best[0][0], dict(counts)


def template_warning(template: str | None, year: int | None) -> str | None:
    if template and year and template_for_year(year) != template:
        return (f"template_year: the tables print the {template} template but a report on {year} "
                f"must use the {template_for_year(year)} template")
    return None
