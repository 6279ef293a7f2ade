"""Layout classes: the ways real publishing systems print a report that the plain forms do not
show, as generator options (``etl synth --layouts``) drawn at random per report, with their truth.

Each class is a way of printing, not a fault: the numbers stay what the truth says; what changes
is where and how they are printed (docs/layouts.md says how the parser reads each one).  A class
applies to the forms that can show it; a report draws zero, one or two classes.  Drawing uses its
own random stream (``Random(f"{seed}:{agency}:{year}:layout")``), so turning layouts on leaves
every report's numbers, prose and plain styling as they were.

Some classes also make the report depart from the template (a heading with a typo, a table
split in two): those departures are recorded in the truth (``departures``) because the parser
must report them (``template_conformance``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from etl.synth.forms import ALL_FORMS


@dataclass(frozen=True)
class LayoutClass:
    name: str
    forms: tuple[str, ...]
    description: str


LAYOUT_CLASSES: tuple[LayoutClass, ...] = (
    LayoutClass("word_export", ("html", "docx"),
                "Word 'save as web page' / CMS editors: a last cell with a colspan wider than the "
                "table, value cells spanning two columns, short rows padded by the reader"),
    LayoutClass("loose_labels", ("markdown",),
                "PDF-to-Markdown (MinerU-like): table 三 as value-only rows, its row labels as loose "
                "lines before, after or between them, some lost; wrapped header fragments as a fake "
                "first row"),
    LayoutClass("flat_table4", ("markdown", "html", "docx", "flat_text", "run_text"),
                "table 四 as one row of 15 numbers or three rows of 5, under a scrambled header"),
    LayoutClass("broken_title", ALL_FORMS,
                "the title broken over two lines or missing; the year only in the 统计周期 sentence; "
                "the opening sentence says 我区/本机关; the agency in the signature (落款)"),
    LayoutClass("heading_typos", tuple(f for f in ALL_FORMS if f != "crawler"),
                "a section heading with a typo, the wrong numeral, or missing (its table follows)"),
    LayoutClass("result_prose", ALL_FORMS,
                "the prose states the applications by result: 予以公开, 部分公开 (or their sum), "
                "不予公开, 无法提供, 不予处理, 其他处理, 办结"),
    LayoutClass("crawler_runs", ("crawler",),
                "crawler dumps whose prose states section 二 figures (制发…件, 废止…件, 现行有效…件) "
                "that constrain the run-together digits"),
    LayoutClass("split_table", ("html", "docx", "markdown"),
                "table 三 printed as two tables (the second without the header)"),
)
LAYOUT_NAMES: tuple[str, ...] = tuple(c.name for c in LAYOUT_CLASSES)
_BY_NAME = {c.name: c for c in LAYOUT_CLASSES}


def parse_layouts(spec: str) -> tuple[str, ...]:
    """``none`` (default), ``all``, or a comma list of class names."""
    spec = spec.strip()
    if spec in ("", "none"):
        return ()
    if spec == "all":
        return LAYOUT_NAMES
    names = tuple(s.strip() for s in spec.split(",") if s.strip())
    bad = [n for n in names if n not in _BY_NAME]
    if bad:
        raise ValueError(f"unknown layout class(es) {bad}; choose from {', '.join(LAYOUT_NAMES)}")
    return names


def draw_layouts(rng: random.Random, form: str, enabled: tuple[str, ...], rate: float) -> list[str]:
    """The classes one report is printed in: none with probability 1 - rate, else one or (one
    time in four) two of the enabled classes its form can show — a class that few forms show
    drawn more often, so that every class gets a fair share of the corpus."""
    usable = [n for n in enabled if form in _BY_NAME[n].forms]
    if not usable or rng.random() >= rate:
        return []
    k = 2 if len(usable) > 1 and rng.random() < 0.25 else 1
    out: list[str] = []
    for _ in range(k):
        pick = rng.choices(usable, [1 / len(_BY_NAME[n].forms) for n in usable])[0]
        out.append(pick)
        usable.remove(pick)
    return sorted(out)


__all__ = ["LAYOUT_CLASSES", "LAYOUT_NAMES", "LayoutClass", "draw_layouts", "parse_layouts"]


# ------------------------------------------------------------------------------------------------
# Applying the classes that change what is printed besides the tables (title, headings, prose);
# the table classes are applied by the renderers (SynthReport.layout(name)).
# ------------------------------------------------------------------------------------------------

def apply_layouts(r, fault_kind: str | None) -> None:
    """Edit ``r`` (a SynthReport) for its layout classes and record its departures from the
    template.  Uses ``r.lrng`` only."""
    _record_plain_departures(r)
    if not r.layouts:
        return
    rng = r.lrng
    if r.layout("broken_title"):
        _broken_title(r, rng)
    if r.layout("heading_typos"):
        _heading_typos(r, rng)
    if r.layout("result_prose"):
        _result_prose(r, rng, fault_kind)
    if r.layout("crawler_runs"):
        _section2_prose(r, rng)
    if r.layout("split_table") and r.missing != "三":
        r.departures.append({"kind": "table_split", "section": "三",
                             "printed": "table 三 printed as two tables"})


def _record_plain_departures(r) -> None:
    from etl.template import ROWS_2021_ONLY, section3_row

    n = r.numbers
    if n.template == "2021" and r.missing != "三" and all(n.section3[k] is None for k in ROWS_2021_ONLY):
        r.departures.append({"kind": "old_other_row", "section": "三",
                             "printed": "(六)其他处理 as one row"})
    for key, label in r.style.label_variant.items():
        from etl.template import normalize_label

        template_label = section3_row(key).label
        if r.missing != "三" and normalize_label(label) != normalize_label(template_label):
            r.departures.append({"kind": "row_label", "section": "三", "row": key, "printed": label,
                                 "template": template_label})


# ---- broken_title -------------------------------------------------------------------------------

def _broken_title(r, rng: random.Random) -> None:
    from etl.synth.prose import self_name

    name, year = r.agency.name, r.year
    style = rng.randrange(3)
    if style == 0:                       # no title at all
        r.title_override = []
    elif style == 1:                     # the title broken over two lines
        r.title_override = [f"{year}年{name}政府信息公开工作", "年度报告"]
    else:                                # a title without the year
        r.title_override = [f"{name}政府信息公开工作年度报告"]
    me = self_name(r.agency)
    period = rng.choice((f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。",
                         f"本报告统计周期为 {year} 年 1 月 1 日至 12 月 31 日。",
                         f"报告中所列数据统计时限为{year}年1月1日至{year}年12月31日。"))
    opening = rng.choice((f"{me}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国"
                          f"政府信息公开条例》，持续推进政务公开工作。",
                          f"一年来，{me}紧紧围绕中心工作，不断深化政务公开，现将有关情况报告如下。"))
    r.prose.intro = (opening + period) if rng.random() < 0.5 else (period + opening)
    month, day = rng.choice((1, 1, 2, 3)), rng.randint(5, 28)
    r.signature = [name, f"{year + 1}年{month}月{day}日"]


# ---- heading_typos -------------------------------------------------------------------------------

_TYPO_CHARS = "法的和及工作与信息"


def _typo(text: str, rng: random.Random) -> str:
    """One character inserted, dropped or replaced inside the heading's words."""
    i = rng.randrange(2, len(text) - 1)
    how = rng.randrange(3)
    if how == 0:
        return text[:i] + rng.choice(_TYPO_CHARS) + text[i:]
    if how == 1:
        return text[:i] + text[i + 1:]
    return text[:i] + rng.choice([c for c in _TYPO_CHARS if c != text[i]]) + text[i + 1:]


def _heading_typos(r, rng: random.Random) -> None:
    from etl.template import SECTION_NUMERALS, SECTIONS

    keys = [s.key for s in SECTIONS]
    candidates = [k for k in keys[1:]
                  if not (k == "applications" and r.missing == "三")
                  and not (k == "review_litigation" and r.missing == "四")]
    for key in rng.sample(candidates, 1 if rng.random() < 0.7 else 2):
        i = keys.index(key)
        printed = r.heading(key) or ""
        how = rng.choice(("typo", "typo", "missing", "numeral")
                         if key in ("active_disclosure", "applications", "review_litigation")
                         else ("typo", "numeral"))
        sep_at = printed.index("、") + 1
        if how == "missing":
            r.headings[key] = None
            r.departures.append({"kind": "heading_missing", "section": SECTION_NUMERALS[i],
                                 "template": printed})
        elif how == "numeral":
            wrong = SECTION_NUMERALS[i - 1]          # numbered like the one before (twice)
            r.headings[key] = wrong + printed[1:]
            r.departures.append({"kind": "heading_numeral", "section": SECTION_NUMERALS[i],
                                 "printed": r.headings[key], "template": printed})
        else:
            words = printed[sep_at:].strip()
            bad = _typo(words, rng)
            r.headings[key] = printed[:sep_at] + bad
            r.departures.append({"kind": "heading_typo", "section": SECTION_NUMERALS[i],
                                 "printed": r.headings[key], "template": printed})


# ---- result_prose ------------------------------------------------------------------------------

def result_figures(n) -> dict[str, int]:
    """The figures by result a report states, from its (printed) table 三: the 总计 column summed
    over each result group."""
    from etl.template import PROSE_RESULT_GROUPS, SECTION3_ROWS, SECTION3_TOTAL_INDEX

    s3 = n.section3
    out: dict[str, int] = {}
    for key, groups in PROSE_RESULT_GROUPS.items():
        vals = [s3[row.key][SECTION3_TOTAL_INDEX] for row in SECTION3_ROWS
                if row.group in groups and s3[row.key] is not None]
        if vals and all(v is not None for v in vals):
            out[key] = sum(vals)
    total = s3["total"][SECTION3_TOTAL_INDEX] if s3["total"] is not None else None
    if total is not None:
        out["applications_handled"] = total
    return out


def _result_prose(r, rng: random.Random, fault_kind: str | None) -> None:
    n = r.numbers
    if r.missing == "三" or n.section3["total"] is None:
        return
    figs = result_figures(n)
    if "results_granted" not in figs:
        return
    stated_keys = {f["key"] for f in r.prose.figures}
    together = rng.random() < 0.6 and "results_granted_partial" in figs
    if not together and "results_partial" not in figs:
        return
    fault_key = None
    if fault_kind is None and rng.random() < 0.3:
        fault_key = rng.choice([k for k in ("results_granted_partial" if together else "results_granted",
                                             "results_denied", "results_unable", "results_rejected")
                                if k in figs])
        old = figs[fault_key]
        new = old
        while new == old or new < 0:
            new = old + rng.choice((-3, -2, -1, 1, 2, 4, 7, 10))
        figs[fault_key] = new
        r.faults.append({"kind": "prose_vs_table", "rule": "prose_vs_table", "figure": fault_key,
                         "detail": f"prose states {fault_key} {new}, the table {old}"})
    total = max(1, figs.get("applications_handled", 1))
    parts: list[tuple[str, str]] = []          # (key or "", text)

    def pct(v: int) -> str:
        return f"，占{100 * v / total:.2f}%" if rng.random() < 0.5 else ""

    handled = figs.get("applications_handled")
    if handled is not None and "applications_handled" not in stated_keys:
        lead = rng.choice((f"办结依申请公开{handled}件", f"全年共办结政府信息公开申请{handled}件"))
        parts.append(("applications_handled", lead))
    if together:
        v = figs["results_granted_partial"]
        parts.append(("results_granted_partial", f"予以公开及部分公开{v}件{pct(v)}"))
    else:
        granted = figs["results_granted"]
        parts.append(("results_granted", f"予以公开{granted}件{pct(granted)}"))
        parts.append(("results_partial", f"部分公开{figs['results_partial']}件"))
    for key, word in (("results_denied", "不予公开"), ("results_unable", "无法提供"),
                      ("results_rejected", "不予处理"), ("results_other", "其他处理")):
        if key in figs:
            v = figs[key]
            text = (f"因本机关不掌握等原因无法提供{v}件" if key == "results_unable" and rng.random() < 0.4
                    else f"{word}{v}件")
            parts.append((key, text + pct(v)))
    head = parts[0][1] + "，其中：" if parts[0][0] == "applications_handled" else ""
    body = parts[1:] if head else parts
    sentence = head + "；".join(t for _, t in body) + "。"
    if head:
        r.prose.figures.append({"key": "applications_handled", "value": figs["applications_handled"],
                                "text": parts[0][1], "source": "prose"})
    for key, text in body:
        r.prose.figures.append({"key": key, "value": figs[key], "text": text, "source": "prose"})
    r.prose.overview[1] = r.prose.overview[1] + sentence


# ---- crawler_runs: prose that states section 二 cells -------------------------------------------

def _section2_prose(r, rng: random.Random) -> None:
    from etl.template import PROSE_SECTION2_CELLS

    n = r.numbers
    cells = PROSE_SECTION2_CELLS.get(n.template, {})
    stated = {f["key"] for f in r.prose.figures}
    keys = [k for k, (cat, m) in cells.items()
            if k not in stated and n.section2[cat][m] is not None]
    if not keys:
        return
    keys = sorted(rng.sample(keys, min(len(keys), rng.choice((2, 2, 3)))),
                  key=list(cells).index)
    words = {"normative_issued": "本年制发规范性文件{}件", "normative_repealed": "废止规范性文件{}件",
             "normative_in_force": "现行有效规范性文件{}件"}
    texts = []
    for key in keys:
        cat, m = cells[key]
        v = n.section2[cat][m]
        text = words[key].format(v)
        texts.append(text)
        r.prose.figures.append({"key": key, "value": v, "text": text, "source": "prose"})
    r.prose.overview[0] = r.prose.overview[0] + "规范性文件管理方面，" + "，".join(texts) + "。"
