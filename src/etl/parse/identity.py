"""Who and when: the agency and the year from every place a report states them, ranked; the
template version from what the tables print (never from the year).

A report states its identity in several places, none of them always printed: the title (often
broken over two lines, or left out by the site), the publisher of a crawled page (发布机构), the
signature at the end (落款: the agency's name over the date), the sentence naming who compiled it
(本报告由…编制), the opening sentence (2023年，某某局在…), and for the year also the statistical
period (本报告中所列数据的统计期限自2023年1月1日起…) and the publication date (reports are due by
31 January of the next year).  Each is tried in that order of trust and the first that gives a
well-formed value wins; ``identity_source`` records which.

Never a pronoun (我区, 本机关: the prose's "our district") and never a fragment: an agency must
read as an agency's name.  The name is kept as printed (full-width parentheses stay); matching
across years normalises it elsewhere.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from etl.template import TEMPLATE_MARKERS, normalize_label, template_for_year

# The patterns read digits in any width (\d and int() take full-width ones; a year's first two
# digits are spelled out) and \s takes every kind of space, so the text is searched as printed
# and what a pattern captures is the text as printed.
_CENTURY = "(?:[1１][9９]|[2２][0０])"
_YEAR = rf"(?P<year>{_CENTURY}\d{{2}})"
_ONE = "[0０]?[1１]"
# "2019年上海市人民政府办公厅政府信息公开工作年度报告", "平潭综合实验区2019年度政府信息公开…",
# "# 沐阳县人民政府 2025 年 政府信息公开工作年度报告"
_TITLE = re.compile(
    r"(?P<pre>[^\d，,。:：]{0,40}?)\s*" + _YEAR + r"\s*年\s*度?\s*"
    r"(?P<post>[^\d，,。:：]{0,40}?)\s*(?:政府)?信息公开(?:工作)?\s*(?:年度)?\s*(?:报告|年报)")
# "某某局政府信息公开工作年度报告（2023年）" — the year after the title words
_TITLE_YEAR_AFTER = re.compile(
    r"(?P<pre>[^\d，,。:：]{2,40}?)\s*(?:政府)?信息公开(?:工作)?\s*(?:年度)?\s*(?:报告|年报)\s*"
    r"[（(]\s*" + _YEAR + r"\s*年?度?\s*[)）]")
# "某某局政府信息公开工作年度报告" — a title without the year (the year is stated elsewhere)
_TITLE_NO_YEAR = re.compile(
    r"^[#\s《“\"]*(?P<pre>[^\d，,。:：\s]{2,40}?)\s*(?:政府)?信息公开(?:工作)?\s*年度\s*(?:报告|年报)[》”\"\s]*$")
_YEAR_ANY = re.compile(_CENTURY + r"\d{2}")
# "2023年,南星街道在区委、区政府的正确领导下…"
_OPENING = re.compile(
    _YEAR + r"\s*年度?\s*[,，]\s*(?P<agency>[^\s,，。、;；:：“”\"]{2,25}?)"
    r"(?:在|坚持|深入|认真|围绕|以|按照|始终|紧紧|严格|高度|全面|紧扣|聚焦|持续|进一步|依法)")
# "本报告由某某局根据《条例》要求编制" / "如对本报告有任何疑问，请与某某局联系"
_COMPILER = re.compile(r"本(?:年度)?报告由(?P<agency>[^\s，,。；;《“]{2,30}?)(?:根据|依据|按照|依照|编制)")
_CONTACT = re.compile(r"请与(?P<agency>[^\s，,。；;《“]{2,30}?)联系")
# "本报告中所列数据的统计期限自2023年1月1日起" / "统计周期为 2023 年 1 月 1 日至…"
_PERIOD = re.compile(r"统计(?:期限|时限|期间|周期|区间|时间|范围)[^。]{0,16}?" + _YEAR
                     + rf"\s*年\s*{_ONE}\s*月\s*{_ONE}\s*日")
# "现将2023年度政府信息公开工作情况报告如下" / "2023 年度政务公开工作报告"
_REPORT_YEAR = re.compile(_YEAR + r"\s*年度?\s*(?:政府信息公开|政务公开)工作(?:情况)?(?:年度)?(?:报告|年报)")
_DATE_LINE = re.compile(rf"^[\s(（]*{_CENTURY}\d{{2}}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日[\s)）]*$")
# the signature glued to the end of a crawled body: "…事项。某某局2024年1月20日"
_SIGNATURE_END = re.compile(r"(?:^|[。；;！!？?\s])(?P<agency>[^\s，,。；;：:、“”]{2,30}?)\s*[(（]?\s*"
                            + _CENTURY + r"\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*[)）]?"
                            r"[^。，,；;\d]{0,12}$")             # (a page's 附件下载 may follow)
_AGENCY_SUFFIX = re.compile(
    r"(?:政府|办公厅|办公室|局|委员会|委|办|街道|办事处|镇|乡|管委会|管理委员会|中心|院|厅|所|署|区|县|市|省|"
    r"分局|总队|支队|大队|公司|集团|研究院|学校|大学|医院|银行|海关|法院|检察院)[)）]?$")
# a pronoun or a whole-area word, never an agency: 我区, 本机关, 全县, 该局 …
_PRONOUN = re.compile(r"^(?:我|本|全|该|各|此|贵)[\u4e00-\u9fff]{0,3}$")
_STRIP = re.compile(r"^[#\s《》<>\"“”]+|[#\s《》<>\"“”]+$")
_LEADING = re.compile(r"^(?:关于|标题[:：])")


@dataclass
class Identity:
    agency: str | None = None
    year: int | None = None
    title: str | None = None
    source: dict[str, str] = field(default_factory=dict)

    def offer(self, what: str, value, source: str) -> None:
        """Take ``value`` for ``what`` ("agency" | "year") unless a better-ranked place gave one."""
        if value is not None and getattr(self, what) is None:
            setattr(self, what, value)
            self.source[what] = source


def agency_name(text: str | None) -> str | None:
    """``text`` as an agency's name, or None when it is a pronoun or not a name at all."""
    if not text:
        return None
    s = _LEADING.sub("", _STRIP.sub("", text).replace(" ", "").replace("\u3000", ""))
    if len(s) < 2 or _PRONOUN.match(s) or not _AGENCY_SUFFIX.search(s):
        return None
    return s


_TITLE_MAX = 120


def title_identity(lines: list[str]) -> tuple[str | None, int | None, str | None]:
    """(agency, year, title line) from a title such as 《…2023年政府信息公开工作年度报告》, also
    one broken over two lines (2023年某某局政府信息公开工作 / 年度报告) or printed without its
    year; the agency on the line above a title that does not name it."""
    prev = ""
    for i, line in enumerate(lines):
        if len(line) > _TITLE_MAX:
            prev = ""                           # a paragraph, not a title or an agency line
            continue
        s = line.strip()
        if not s:
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        nxt = nxt.strip() if len(nxt) <= 12 else ""
        # a title broken over two lines: the second is its short tail
        candidates = [s] + ([s + nxt] if nxt and len(nxt) <= 12 and "报告" not in s else [])
        for cand in candidates:
            if len(cand) > _TITLE_MAX or not ("报告" in cand or "年报" in cand):
                continue
            m = (_TITLE.search(cand) or _TITLE_YEAR_AFTER.search(cand)) if _YEAR_ANY.search(cand) else None
            if m:
                agency = agency_name(m.group("post")) or agency_name(m.group("pre"))
                if agency is None and prev and len(prev) <= 40:
                    agency = agency_name(prev)          # agency on the line above the title
                return agency, int(m.group("year")), cand
            m = _TITLE_NO_YEAR.match(cand)
            if m and agency_name(m.group("pre")):
                return agency_name(m.group("pre")), None, cand
        prev = s
    return None, None, None


def signature_agency(tail: list[str]) -> str | None:
    """The agency signing the report: a name on the line above (or below) the date at its end,
    or glued before that date at the end of a one-line body."""
    # (only a line's end matters: a one-line body is not folded whole)
    lines = [t[-80:].strip() for t in tail if t and not t.isspace()]
    for i in range(len(lines) - 1, max(-1, len(lines) - 6), -1):
        if _DATE_LINE.match(lines[i]):
            for j in (i - 1, i + 1):
                if 0 <= j < len(lines) and len(lines[j]) <= 40:
                    name = agency_name(lines[j])
                    if name:
                        return name
            return None
    if lines and "日" in lines[-1][-20:]:
        m = _SIGNATURE_END.search(lines[-1])
        if m:
            return agency_name(m.group("agency"))
    return None


def find_identity(title: str | None, head: list[str], prose: str, tail: list[str],
                  meta: dict[str, str]) -> Identity:
    """Agency and year from the places a report states them, best first."""
    ident = Identity()
    agency, year, title_line = title_identity(([title] if title else []) + head)
    ident.title = title_line
    ident.offer("agency", agency, "title")
    ident.offer("year", year, "title")
    if ident.agency is None:
        ident.offer("agency", agency_name(meta.get("publisher")), "publisher")
    if ident.agency is None:
        ident.offer("agency", signature_agency(tail), "signature")
    if ident.agency is not None and ident.year is not None:
        return ident
    text = prose
    opening = _OPENING.search(text)
    for what, pattern, word, source in (("agency", _COMPILER, "报告由", "prose"),
                                        ("agency", opening, "", "prose"),
                                        ("agency", _CONTACT, "请与", "prose"),
                                        ("year", _PERIOD, "统计", "period"),
                                        ("year", _REPORT_YEAR, "工作", "prose"),
                                        ("year", opening, "", "prose")):
        if getattr(ident, what) is not None or (word and word not in text):
            continue                    # (a word the pattern needs: an `in` test before a scan)
        m = pattern if pattern is None or isinstance(pattern, re.Match) else pattern.search(text)
        if m:
            ident.offer(what, agency_name(m.group("agency")) if what == "agency" else int(m.group("year")),
                        source)
    published = meta.get("published", "")
    if re.match(r"^(?:19|20)\d{2}\b", published):
        # reports are due by 31 January for the previous year
        ident.offer("year", int(published[:4]) - 1, "published")
    return ident


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
