"""One synthetic report: its truth numbers, its print style, and the printed labels and cells
every renderer shares.

Labels, table furniture (申请人情况, 三、本年度办理结果 …) and heading wordings come from
:mod:`etl.template`; the only wordings declared here are the variant spellings real reports print
(``_VARIANTS``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

from etl.synth.numbers import Numbers
from etl.synth.prose import Prose
from etl.synth.region import Agency
from etl.template import (
    SECTION2,
    SECTION3_COLUMNS,
    SECTION3_GROUPS,
    SECTION3_RESULTS_CAPTION,
    SECTION3_ROWS,
    SECTION3_WIDTH,
    SECTION4_GROUPS,
    SECTION4_KEYS,
    SECTION4_OUTCOMES,
    SECTION4_SUIT_HEADER,
    SECTION_NUMERALS,
    SECTIONS,
)

#: full heading text per section, as real reports print it (the template's wordings)
HEADING_VARIANTS: dict[str, tuple[str, ...]] = {s.key: s.titles for s in SECTIONS}
#: spellings real reports print for some row labels (all still match the template's fragments)
_VARIANTS: dict[str, tuple[str, ...]] = {
    "deny_law_forbidden": ("2.其他法律行政止公开",),
    "deny_three_safety": ("3.危及“ 三安全一稳定”", "3.危及\"三安全一稳定\""),
    "reject_mass_repeat": ("4.无正当理由大量反复 申请",),
}
_FULLWIDTH_DIGITS = str.maketrans("0123456789.", "０１２３４５６７８９．")
_FULLWIDTH_PUNCT = str.maketrans({"(": "（", ")": "）", ",": "，", ":": "："})
_PUNCT_CACHE: dict[str, str] = {}           # labels are few: translate each once per process
_SMALL_INTS = [str(i) for i in range(1000)]


@dataclass
class Style:
    fullwidth_digits: bool
    fullwidth_punct: bool
    nbsp_labels: bool
    split_headers: bool
    blank_token: str                    # how a blank (None) cell is printed
    heading: dict[str, str]
    label_variant: dict[str, str]
    title_line: bool
    heading_space: bool                 # "四、 政府信息公开…" as in the seed


def new_style(rng: random.Random) -> Style:
    return Style(
        fullwidth_digits=rng.random() < 0.12,
        fullwidth_punct=rng.random() < 0.6,
        nbsp_labels=rng.random() < 0.5,
        split_headers=rng.random() < 0.5,
        blank_token=rng.choice(("", "", "/", "—")),
        heading={k: rng.choice(v) for k, v in HEADING_VARIANTS.items()},
        label_variant={k: rng.choice(v) for k, v in _VARIANTS.items() if rng.random() < 0.2},
        title_line=rng.random() < 0.7,
        heading_space=rng.random() < 0.2,
    )


@dataclass
class SynthReport:
    agency: Agency
    year: int
    numbers: Numbers
    prose: Prose
    style: Style
    form: str
    file: str = ""                      # relative to --out
    published: str = ""
    source_url: str = ""
    faults: list[dict] = field(default_factory=list)
    missing: str | None = None          # "三" or "四" when that section is left out
    # ---- layout classes (etl.synth.layouts) ----
    layouts: list[str] = field(default_factory=list)
    lrng: random.Random | None = None   # the layout classes' own random stream
    departures: list[dict] = field(default_factory=list)   # where the print departs from the template
    headings: dict[str, str | None] = field(default_factory=dict)   # key -> printed (None: left out)
    title_override: list[str] | None = None     # the title block as printed ([]: no title)
    signature: list[str] = field(default_factory=list)     # 落款: agency and date at the end

    # ---- printed text -------------------------------------------------------------------------
    def punct(self, s: str) -> str:
        if not self.style.fullwidth_punct:
            return s
        out = _PUNCT_CACHE.get(s)
        if out is None:
            out = _PUNCT_CACHE[s] = s.translate(_FULLWIDTH_PUNCT)
        return out

    def num(self, v: int | float | None, unit: str = "") -> str:
        if type(v) is int and not self.style.fullwidth_digits:
            text = _SMALL_INTS[v] if 0 <= v < 1000 else str(v)
            return text + unit if unit else text
        if v is None:
            return self.style.blank_token
        if isinstance(v, float):
            s = f"{v:.2f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))
        else:
            s = str(v)
        if self.style.fullwidth_digits:
            s = s.translate(_FULLWIDTH_DIGITS)
        return s + unit if unit and v is not None else s

    def title(self) -> str:
        return f"{self.agency.name}{self.year}年政府信息公开工作年度报告"

    def title_lines(self) -> list[str]:
        """The title as the body prints it: one line, or as a layout class breaks it."""
        return [self.title()] if self.title_override is None else list(self.title_override)

    def layout(self, name: str) -> bool:
        return name in self.layouts

    def layout_rng(self) -> random.Random:
        """The layout classes' random stream: a renderer asks for it only where a layout class
        (or its edit of the report, e.g. title_override) is drawn, and drawing one sets it."""
        if self.lrng is None:
            raise ValueError(f"{self.file}: no layout random stream (no layout class drawn)")
        return self.lrng

    def paragraphs(self, key: str) -> list[str]:
        """The prose paragraphs printed under a section (none for the table sections)."""
        return {"overview": self.prose.overview, "problems": self.prose.problems,
                "other_matters": self.prose.other}.get(key, [])

    def heading(self, key: str) -> str | None:
        """The heading as printed (None: this report leaves it out)."""
        if key in self.headings:
            return self.headings[key]
        i = [s.key for s in SECTIONS].index(key)
        sep = "、 " if self.style.heading_space and key == "review_litigation" else "、"
        return f"{SECTION_NUMERALS[i]}{sep}{self.style.heading[key]}"

    def identity_note(self) -> str:
        from etl.template import SECTION3_IDENTITY_NOTE
        return self.punct(f"({SECTION3_IDENTITY_NOTE})")

    # ---- table 三 ------------------------------------------------------------------------------
    def table3_rows(self) -> list[tuple[str | None, str | None, str, list[str]]]:
        """Printed rows of table 三 in order: (row key or None for a group line, group label
        the row belongs to, label, cells).  Group lines carry no cells."""
        s3 = self.numbers.section3
        num: Callable[[int | None], str] = self.num
        if not self.style.fullwidth_digits:      # the common case, without a call per cell
            small = _SMALL_INTS
            blank = self.style.blank_token

            def plain_num(v: int | None) -> str:
                return small[v] if v is not None and 0 <= v < 1000 else (blank if v is None else str(v))
            num = plain_num
        out: list[tuple[str | None, str | None, str, list[str]]] = []
        seen_groups: set[str] = set()
        for row in SECTION3_ROWS:
            vals = s3[row.key]
            if vals is None:
                continue
            group = row.group
            label = self.style.label_variant.get(row.key, row.label)
            if row.is_result and SECTION3_RESULTS_CAPTION not in seen_groups:
                seen_groups.add(SECTION3_RESULTS_CAPTION)
                out.append((None, None, SECTION3_RESULTS_CAPTION, []))
            if group in ("(三)", "(四)", "(五)", "(六)"):
                glabel = self.punct(group + SECTION3_GROUPS[group][0])
                single = group == "(六)" and s3["other_overdue_correction"] is None
                if single:
                    label = glabel
                elif group not in seen_groups:
                    seen_groups.add(group)
                    out.append((None, SECTION3_RESULTS_CAPTION, glabel, []))
                out.append((row.key, SECTION3_RESULTS_CAPTION if single else glabel,
                            label if single else self.punct(label), [num(v) for v in vals]))
                continue
            out.append((row.key, SECTION3_RESULTS_CAPTION if row.is_result else None, self.punct(label),
                        [num(v) for v in vals]))
        return out

    def column_labels(self) -> list[str]:
        return [c.label for c in SECTION3_COLUMNS]

    # ---- section 二 ---------------------------------------------------------------------------
    def section2_tables(self) -> list[tuple[str, list[str], list[tuple[str, list[str]]]]]:
        """(item heading, metric labels, [(category label, cells)]) per 第二十条 item."""
        out = []
        s2 = self.numbers.section2
        for t in SECTION2[self.numbers.template]:
            rows = []
            for cat in t.categories:
                cells = []
                for m in t.metrics:
                    v = s2[cat.key][m.key]
                    cells.append(self.num(v, "元" if m.key == "amount" else ""))
                rows.append((cat.label, cells))
            out.append((self.punct(f"第二十条第{t.item}项"),
                        [self.punct(m.label) for m in t.metrics], rows))
        return out

    # ---- section 四 ---------------------------------------------------------------------------
    def section4_cells(self) -> list[str]:
        return [self.num(self.numbers.section4[k]) for k in SECTION4_KEYS]

    def section4_scrambled_header(self) -> list[str]:
        """Table 四's header as a PDF-to-text extraction leaves it: the words of its merged,
        multi-line header cells broken into pieces and out of order (one piece per line)."""
        pieces = [SECTION4_SUIT_HEADER] + [g.label.split()[-1] for g in SECTION4_GROUPS]
        for _ in SECTION4_GROUPS:
            for _, label in SECTION4_OUTCOMES:
                pieces += [label[:2], label[2:]] if len(label) == 4 else [label]
        rng = self.lrng or random.Random(0)
        rng.shuffle(pieces)
        return pieces

    @staticmethod
    def section4_groups() -> list[str]:
        return [g.label.split()[-1] for g in SECTION4_GROUPS]

    @staticmethod
    def section4_outcomes() -> list[str]:
        return [label for _, label in SECTION4_OUTCOMES]

    # ---- truth ------------------------------------------------------------------------------
    def truth(self) -> dict:
        n = self.numbers
        corrupt = any(f["kind"] == "corrupt" for f in self.faults)
        s3 = {k: (None if (v is None or corrupt or self.missing == "三") else list(v))
              for k, v in n.section3.items()}
        s3 = {k: (v if v is not None else [None] * SECTION3_WIDTH) for k, v in s3.items()}
        s4 = {k: (None if corrupt or self.missing == "四" else v) for k, v in n.section4.items()}
        s2 = {c: {m: (None if corrupt else v) for m, v in ms.items()} for c, ms in n.section2.items()}
        return {
            "file": self.file, "format": self.form, "agency": self.agency.name,
            "agency_id": self.agency.id, "region_path": self.agency.region_path,
            "level": self.agency.level, "year": self.year,
            "template": None if corrupt else n.template,
            "published": self.published,
            "section2": s2, "section3": s3, "section4": s4,
            "prose": [] if corrupt else self.prose.figures,
            "faults": self.faults,
            "layouts": list(self.layouts),
            "departures": [] if corrupt else self.departures,
        }
