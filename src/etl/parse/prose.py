"""Prose figures: the numbers the prose states (applications received, handled, carried forward,
review and litigation counts, 主动公开 counts, fees charged) as structured facts for validation.

Precision matters more than recall: a wrong figure makes a consistent report fail
``prose_vs_table``.  So a figure is read only from a phrase that names it and puts the number
right after (or, for ``收到70件申请`` / ``1件结转下年度``, right before) with nothing but filler in
between, and it is skipped when the clause before it marks a sub-count (其中), a comparison with
another year (去年, 上年, 同比 …) or the nearest year named in the sentence is not the report's
year.  The first qualifying figure of each key is taken (the summary in 一、总体情况 comes
first); later ones (other channels, departments) are left alone.

The prose arrives as lines, and PDF text breaks sentences across them (``受理政府`` /
``信息公开申请17件``), so lines are joined before matching; each figure keeps the line its
number started on.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from functools import partial

from etl.document import TextLine
from etl.model import ProseFigure
from etl.template import PROSE_FIGURE_KEYS

# Sentence ends; a "\n" marks a hard break we insert ourselves (digits on both sides of a line
# break must not merge into one number).
# The text is not NFKC-normalized (that alone cost more than all the matching): patterns
# accept the full-width forms too, and Python's \d matches full-width digits, which int() reads.
_SENTENCE_END = "。;；!！?？\n"
_CLAUSE_END = _SENTENCE_END + ",，:："

# a whole number, never its tail (the look-behind sits after the first digit so that a pattern
# starting with a number still gets the regex engine's fast first-character scan)
NUM = r"(?P<num>\d(?<![\d.．]\d)\d*(?:[.．]\d+)?)"
# filler allowed between a keyword and its number: no digit, no clause break, no %
_GAP = r"[^\d,，。;；:：!！?？\n%％]"
_AMOUNT = r"(?:共计|总计|合计|累计|共|计)?"

# a result count right after its word: 不予公开5件 / 予以公开的申请共计42件
_RESULT_TAIL = r"(?:的)?(?:申请)?(?:件数|数量)?(?:为)?" + _AMOUNT + NUM + r"件(?!次)"

# Each key: patterns tried on the joined text.  Word lists that must not appear in the gap are
# given as lookaheads so that e.g. 受理行政复议申请 is never an application count.
_NOT_REVIEW = r"(?!" + _GAP + r"*?(?:复议|诉讼|举报|投诉|信访))"
# 复议诉讼案件74件 counts both: not a litigation count
_NOT_AFTER_REVIEW = "".join(f"(?<!复议{j}{k}诉讼)" for j in ("", "、", "和", "及", "与")
                            for k in ("", "行政"))
_PATTERNS: dict[str, tuple[str, ...]] = {
    "applications_received": (
        # 共收到政府信息公开申请3件 / 受理政府信息公开申请 749 件 / 接收…各类政府信息公开申请共计81件
        # 受理依申请公开 12 件
        # (what lies between the verb and 申请 must say 公开 unless it is bare: 受理行政许可申请
        # 3256件 is not a disclosure application; see _OBJECT_OK)
        r"(?:收到|受理|接收|新收)" + _NOT_REVIEW + r"(?P<object>" + _GAP + r"{0,30}?)申请(?:公开)?"
        r"(?:数量|数|事项)?" + _AMOUNT + NUM + r"件",
        # 共收到70件申请
        r"(?:收到|受理|接收)" + _AMOUNT + NUM + r"件(?:政府信息公开|依申请公开)?申请",
    ),
    "applications_handled": (
        # 办结69件 / 办结依申请公开81件 / 共办理 718 件 / 答复政府信息公开申请805件
        r"(?:办结|办理|答复)(?:了)?(?:政府信息公开申请|依申请公开申请|依申请公开|各类申请|申请)?"
        + _AMOUNT + NUM + r"件(?!次)",
    ),
    "carried_forward": (
        # 1件结转下年度继续办理 / 另有72件申请按照《条例》顺延到下年度答复
        NUM + r"件(?:申请)?" + _GAP + r"{0,14}?(?:结转|转入|顺延)(?:至|到)?下(?:一)?年",
        # 结转下一年 31 件 / 结转下年度继续办理申请2件
        r"(?:结转|转入|顺延)(?:至|到)?下(?:一)?年(?:度)?(?:继续办理|办理)?(?:的)?(?:申请)?" + _AMOUNT + NUM + r"件",
    ),
    "review_total": (
        # 行政复议7件 / 复议2件 / 行政复议案件2件 / 行政复议申请件0件 (sic, the seed)
        r"复议(?<!未经复议)(?:申请|案件)?(?:件)?" + _AMOUNT + NUM + r"(?:件|起|宗|次)",
    ),
    "suit_total": (
        # 诉讼9件 / 行政诉讼案件7件
        r"诉讼" + _NOT_AFTER_REVIEW + r"(?:案件)?" + _AMOUNT + NUM + r"(?:件|起|宗|次)",
    ),
    "review_suit_total": (
        # 复议诉讼案件74件 / 行政复议、行政诉讼案件…共办理相关案件 74 件
        r"复议[、和及与]?(?:行政)?诉讼(?:相关)?案件" + _AMOUNT + NUM + r"件",
        r"复议[、和及与]?(?:行政)?诉讼案件[^\d。;；!！?？\n%％]{0,30}?相关案件" + _AMOUNT + NUM + r"件",
    ),
    "active_disclosed": (
        # 主动公开信息95条 / 主动公开我区各级单位政府信息2645条 / 主动发布各类政府信息2428条
        # (not 应主动公开…: a category of what should be disclosed)
        r"主动(?<!应主动)(?:公开|发布)(?!" + _GAP + r"*?(?:解读|文件))" + _GAP + r"{0,16}?信息" + _AMOUNT
        + NUM + r"(?P<unit>万)?条",
        # 累计主动公开 1136 条信息
        r"主动(?<!应主动)(?:公开|发布)" + _AMOUNT + NUM + r"(?P<unit>万)?条(?:政府)?信息",
    ),
    "normative_in_force": (
        # 集中发布现行有效行政规范性文件393件
        r"现行有效(?:的)?(?:行政)?规范性文件" + _AMOUNT + NUM + r"件",
    ),
    "normative_issued": (
        # 动态更新本年度制发的规范性文件77件 / 本年制发规范性文件12件
        r"制发(?:的)?(?:行政)?规范性文件" + _AMOUNT + NUM + r"件",
    ),
    "normative_repealed": (
        # 废止规范性文件3件
        r"废止(?:的)?(?:行政)?规范性文件" + _AMOUNT + NUM + r"件",
    ),
    # by result (三、本年度办理结果): 予以公开及部分公开258件，占33.9%；不予公开35件；
    # 因本机关不掌握等原因无法提供265件；不予处理158件；其他处理0件
    "results_granted_partial": (
        r"予以公开(?:和|及|与|、|以及)部分公开" + _RESULT_TAIL,
    ),
    "results_granted": (
        # (the look-behinds come after the first character, so that the engine can scan for
        # the word itself)
        r"予(?<!不予)以公开(?!(?:和|及|与|、|以及)部分公开)" + _RESULT_TAIL,
    ),
    "results_partial": (
        r"部(?<![和及与、]部)分公开" + _RESULT_TAIL,
    ),
    "results_denied": (
        r"不予(?:以)?公开" + _RESULT_TAIL,
    ),
    "results_unable": (
        r"无法提供" + _RESULT_TAIL,
    ),
    "results_rejected": (
        r"不予处理" + _RESULT_TAIL,
    ),
    "results_other": (
        r"其他处理" + _RESULT_TAIL,
    ),
    "fees_charged_yuan": (
        # 收取信息处理费共计380元 / 全年收取政府信息公开信息处理费0元
        r"收取" + _GAP + r"{0,12}?处理费" + _AMOUNT + NUM + r"(?P<unit>万元|元)",
        # 无收取信息处理费情况 / 2023年度无收取政府信息处理费情况 / 未收取信息处理费
        # 本年度未产生信息处理费
        r"(?:无|未|没有|不存在)" + _GAP + r"{0,4}?(?:收取|产生|发生|征收)" + _GAP + r"{0,12}?处理费(?P<zero>)",
        # 信息处理费收入 120 元
        r"处理费(?:收入|总额|金额)" + _AMOUNT + NUM + r"(?P<unit>万元|元)",
    ),
}
assert set(_PATTERNS) <= set(PROSE_FIGURE_KEYS), set(_PATTERNS) - set(PROSE_FIGURE_KEYS)
# A word the patterns of a key need: a text without it is not searched for that key (an `in`
# test is far cheaper than a pattern's scan of the text; most reports state few of these).
_NEEDS: dict[str, str] = {
    "normative_issued": "制发", "normative_repealed": "废止",
    "results_granted_partial": "部分公开", "results_granted": "予以公开", "results_partial": "部分公开",
    "results_denied": "不予", "results_unable": "无法提供", "results_rejected": "不予处理",
    "results_other": "其他处理",
}
_COMPILED = {key: tuple(re.compile(p) for p in pats) for key, pats in _PATTERNS.items()}

# A clause (up to the number) with one of these states a comparison or a part, not the figure.
_SKIP_WORDS = ("去年", "上年", "上一年", "前年", "往年", "同比", "较上", "比上", "环比")
# Review/litigation an agency 受理s or 审理s is one it decides as the review body (a county
# government reviews its departments), not one brought against it: skip those clauses.
_KEY_SKIP = {"review_total": ("受理", "审理", "办理", "收到", "处理"),
             "suit_total": ("受理", "审理", "办理", "收到", "处理")}
# …and once a sentence has said 其中 / 包括, what follows in it are parts of a total (but the
# figures by result are such parts: 办结81件，其中：予以公开42件…)
_PART_WORDS = ("其中", "包括")
_PARTS_OK = frozenset(k for k in PROSE_FIGURE_KEYS if k.startswith("results_"))
_YEAR = re.compile(r"(20\d\d)年")
_TEXT_MAX = 160
_WALKS = 12                     # sentence starts walked back before the text is indexed


def extract_figures(lines: list[TextLine], year: int | None = None) -> list[ProseFigure]:
    """The figures the prose states, at most one per key (the first that qualifies), in the
    order they appear.  ``year`` is the report year when the caller knows it; otherwise it is
    the year the prose names most often."""
    text, where = _join(lines)
    if year is None:
        year = _main_year(text)
    found: list[tuple[int, ProseFigure]] = []
    breaks = _Breaks(text)
    for key, patterns in _COMPILED.items():
        need = _NEEDS.get(key)
        if need is not None and need not in text:
            continue
        best: tuple[int, ProseFigure] | None = None
        for pattern in patterns:
            for m in pattern.finditer(text):
                if best is not None and m.start() >= best[0]:
                    break
                value = _value(m)
                if value is None or not _qualifies(text, m, year, _KEY_SKIP.get(key, ()),
                                                   key in _PARTS_OK, breaks):
                    continue
                if not _about_applications(key, text, m):
                    continue
                start = m.start("num") if "num" in pattern.groupindex and m.group("num") is not None \
                    else m.start()
                fig = ProseFigure(key, value, _sentence(text, m, breaks), f"line {_line_at(where, start)}")
                best = (m.start(), fig)
                break
        if best is not None:
            found.append(best)
    found.sort(key=lambda f: f[0])
    return [f for _, f in found]


_HEADING = re.compile(r"\s*(?:#+|[一二三四五六七八九十]+[、.]|[(（][一二三四五六七八九十]+[)）])")


def _join(lines: list[TextLine]) -> tuple[str, list[tuple[int, int]]]:
    """One string of all lines, and (offset, line number) where each line starts.

    Whitespace is dropped (``受理政府信息公开申请 749 件``, NBSP and ideographic spaces too)
    and lines are glued (PDF wraps mid-sentence), except that a break between two digits
    becomes a hard break when it is not a wrapped number (see _apart), and a heading (``六、其他需要报告的事项``)
    is kept apart from the paragraphs around it."""
    parts: list[str] = []
    starts: list[tuple[int, int]] = []
    size = 0
    after_heading = False
    prev = ""
    for tl in lines:
        pieces = tl.text.split()            # str.split: far cheaper than a regex here
        if not pieces:
            continue
        text = pieces[0]
        if len(pieces) > 1:
            glued = [text]
            for piece in pieces[1:]:
                if glued[-1][-1].isdigit() and piece[0].isdigit():
                    glued.append("\n")
                glued.append(piece)
            text = "".join(glued)
        heading = _HEADING.match(text) is not None
        if parts and (heading or after_heading or _apart(prev, text)):
            parts.append("\n")
            size += 1
        # a heading by itself (一、总体情况), not a paragraph that starts with one
        after_heading = heading and len(text) <= 30 and not any(c in text for c in "。,，;；")
        starts.append((size, tl.line))
        parts.append(text)
        size += len(text)
        prev = text
    return "".join(parts), starts


def _apart(prev: str, text: str) -> bool:
    """Digits at the end of one line and the start of the next are one number wrapped by the
    PDF (``主动公开政府信息25`` / ``93条``) unless either line is a bare number (a page number)
    or the next starts a numbered item (``2.``)."""
    if not (prev[-1].isdigit() and text[0].isdigit()):
        return False
    return prev.isdigit() or text.isdigit() or _ITEM.match(text) is not None


_ITEM = re.compile(r"\d+[.、)）]")


def _line_at(starts: list[tuple[int, int]], offset: int) -> int:
    i = bisect_right(starts, (offset, float("inf"))) - 1
    return starts[max(i, 0)][1]


def _main_year(text: str) -> int | None:
    """The year the prose names most often; -1 (matching no year) when two years tie, so that
    no figure in a sentence naming a year is taken."""
    top = Counter(int(y) for y in _YEAR.findall(text)).most_common(2)
    if not top:
        return None
    if len(top) == 2 and top[0][1] == top[1][1]:
        return -1
    return top[0][0]


def _value(m: re.Match) -> int | float | None:
    names = m.re.groupindex                     # (m.groupdict() builds a dict per match)
    if "zero" in names and m.group("zero") is not None:
        return 0
    raw = m.group("num") if "num" in names else None
    if raw is None:
        return None
    value: float = float(unicodedata.normalize("NFKC", raw))
    if "unit" in names and m.group("unit") in ("万", "万元"):
        value *= 10_000
    value = round(value, 6)
    return int(value) if value == int(value) else value


def _qualifies(text: str, m: re.Match, year: int | None, key_skip: tuple[str, ...] = (),
               parts_ok: bool = False, breaks: _Breaks | None = None) -> bool:
    end = m.end()
    start_of = breaks.start if breaks is not None else partial(_last_break, text)
    clause_start = start_of(m.start(), _CLAUSE_END)
    prefix = text[clause_start:end]
    if any(w in prefix for w in _SKIP_WORDS):
        return False
    if any(w in text[clause_start:m.start()] for w in key_skip):
        return False
    sentence_start = start_of(m.start(), _SENTENCE_END)
    before = text[sentence_start:m.start()]
    if not parts_ok and any(w in before for w in _PART_WORDS):
        return False
    # a percentage or ratio right after the number is not a count
    if text[end:end + 1] in ("%", "％", "‰"):
        return False
    if year is not None:
        named = _YEAR.findall(text, sentence_start, end)
        if named and int(named[-1]) != year:
            return False
    return True


def _about_applications(key: str, text: str, m: re.Match) -> bool:
    """Counts of applications must be about disclosure applications: the object of 收到/受理
    names 公开 (or is bare), and a bare 办理N件 / N件结转下年度 has 申请 in the match or close
    before it (共收到70件申请，及时依法依规办结69件)."""
    obj = m.groupdict().get("object")
    if obj is not None and "公开" not in obj and _OBJECT_OK.sub("", obj):
        return False
    if key in _NEEDS_CONTEXT and "申请" not in text[max(0, m.start() - _CONTEXT):m.end()]:
        return False
    return True


_OBJECT_OK = re.compile(r"共|了|到|依|各类|全部|全年|本年度?|政府信息|信息|的")
_NEEDS_CONTEXT = ("applications_handled", "carried_forward")
_CONTEXT = 80


_AHEAD = {b: re.compile(f"[{re.escape(b)}]") for b in (_SENTENCE_END, _CLAUSE_END)}


class _Breaks:
    """Where the sentences and clauses of one text start: walked back from a figure for the
    first few figures, then — a text stating many — found once (one C-level scan) and looked up."""

    __slots__ = ("text", "_at", "_asked")

    def __init__(self, text: str) -> None:
        self.text = text
        self._at: dict[str, list[int]] = {}
        self._asked = 0

    def start(self, pos: int, breaks: str) -> int:
        at = self._at.get(breaks)
        if at is None:
            self._asked += 1
            if self._asked <= _WALKS:
                return _last_break(self.text, pos, breaks)
            at = self._at[breaks] = [m.start() for m in _AHEAD[breaks].finditer(self.text)]
        i = bisect_right(at, pos - 1)
        return at[i - 1] + 1 if i else 0


def _last_break(text: str, pos: int, breaks: str) -> int:
    i = pos - 1
    while i >= 0 and text[i] not in breaks:
        i -= 1
    return i + 1


def _next_break(text: str, pos: int, breaks: str) -> int:
    m = _AHEAD[breaks].search(text, pos)
    return m.start() if m else len(text)


def _sentence(text: str, m: re.Match, breaks: _Breaks | None = None) -> str:
    """The sentence the figure was read from (the clause, when the sentence is long)."""
    start_of = breaks.start if breaks is not None else partial(_last_break, text)
    start = start_of(m.start(), _SENTENCE_END)
    sentence = text[start:_next_break(text, m.end(), _SENTENCE_END)]
    if len(sentence) <= _TEXT_MAX:
        return sentence
    c_start = start_of(m.start(), _CLAUSE_END)
    return text[c_start:_next_break(text, m.end(), _CLAUSE_END)][:_TEXT_MAX]
