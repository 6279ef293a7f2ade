"""Faults: each breaks exactly one rule, and is recorded with that rule.

A fault edits the printed numbers of one report so that its own rule fails and every other rule
still holds (or becomes not assessable, never failed).  Cross-year faults are recorded on the
later year t and keep year t's single-report rules intact.  The prose is written *after* the
structural faults, from the faulted table, so prose_vs_table keeps holding; only the
``prose_vs_table`` fault changes a stated figure.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from etl.synth.numbers import AgencyHistory, Numbers
from etl.template import APPLICANT_COLUMN_KEYS, RESULT_ROW_KEYS, SECTION4_GROUPS
from etl.template import SECTION3_TOTAL_INDEX as TOTAL

#: fault kind -> the rule it breaks ("" = it breaks none: the file is quarantined, or the
#: checks touching the blank cells become not assessable)
FAULT_RULES: dict[str, str] = {
    "identity": "identity",
    "results_sum": "results_sum",
    "row_total": "row_total",
    "review_sum": "review_sum",
    "prose_vs_table": "prose_vs_table",
    "template_year": "template_year",
    "carry_chain": "carry_chain",
    "in_force_chain": "in_force_chain",
    "missing_section": "missing_section",
    "duplicate": "duplicate_report",
    "blank_cells": "",
    "corrupt": "",
}
FAULT_KINDS: tuple[str, ...] = tuple(FAULT_RULES)
#: faults after which next year's chains cannot be checked (so no cross-year fault follows them)
CHAIN_BREAKERS = {"blank_cells", "corrupt", "missing_section"}


@dataclass
class Fault:
    kind: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "rule": FAULT_RULES[self.kind], "detail": self.detail}


def choose_fault(rng: random.Random, rate: float, year: int, prev_fault: str | None,
                 has_prev: bool, prev_has_in_force: bool, template: str) -> str | None:
    """The fault (or None) for one agency-year, among those that can be applied cleanly."""
    if rng.random() >= rate:
        return None
    kinds = ["identity", "results_sum", "row_total", "review_sum", "prose_vs_table",
             "template_year", "missing_section", "duplicate", "blank_cells", "corrupt"]
    chain_ok = has_prev and prev_fault not in CHAIN_BREAKERS
    if chain_ok:
        kinds.append("carry_chain")
        if template == "2021" and prev_has_in_force:
            kinds.append("in_force_chain")
        # carry-over mismatches are the commonest real cross-year error: twice the weight
        kinds.append("carry_chain")
    return rng.choice(kinds)


def apply_table_fault(kind: str, n: Numbers, h: AgencyHistory, rng: random.Random) -> str:
    """Apply a fault that edits the tables; returns its detail line."""
    s3 = n.section3
    d = rng.randint(1, 5)

    def add(key: str, col: int) -> None:
        n.row3(key)[col] = n.count3(key, col) + d

    if kind == "identity":
        c = rng.randrange(TOTAL)
        add("new_received", c)
        add("new_received", TOTAL)
        return f"new_received {APPLICANT_COLUMN_KEYS[c]} and total +{d}: 一+二 ≠ 三+四"
    if kind == "results_sum":
        c = rng.randrange(TOTAL)
        row = rng.choice([k for k in RESULT_ROW_KEYS if s3[k] is not None])
        add(row, c)
        add(row, TOTAL)
        return f"{row} {APPLICANT_COLUMN_KEYS[c]} and total +{d}: (七)总计 ≠ sum of results"
    if kind == "row_total":
        # only the 总计 column moves; it stays consistent down the column (identity and
        # results_sum hold there) while three rows no longer add up across
        row = rng.choice([k for k in RESULT_ROW_KEYS if s3[k] is not None])
        for key in (row, "total", "new_received"):
            add(key, TOTAL)
        return f"总计 column +{d} in {row}, total, new_received: row ≠ sum of applicant columns"
    if kind == "review_sum":
        g = rng.choice(SECTION4_GROUPS).prefix
        n.section4[f"{g}_total"] = n.count4(f"{g}_total") + d
        return f"{g}_total +{d}: 总计 ≠ 维持+纠正+其他+尚未审结"
    if kind == "carry_chain":
        # carried_over(t) no longer equals carried_forward(t-1); the extra cases were granted,
        # so identity, results_sum and row_total of year t hold
        c = rng.randrange(TOTAL)
        for key in ("carried_over", "granted", "total"):
            add(key, c)
            add(key, TOTAL)
        return f"carried_over {APPLICANT_COLUMN_KEYS[c]} +{d} vs last year's carried_forward"
    if kind == "in_force_chain":
        stock = h.in_force["normative_documents"]
        delta = d if stock < d or rng.random() < 0.5 else -d
        # the agency re-counted: the stock itself moves, so next year chains on from here
        h.in_force["normative_documents"] = stock + delta
        n.section2["normative_documents"]["in_force"] = stock + delta
        return f"normative_documents in_force {delta:+d} vs last year + issued - repealed"
    raise ValueError(kind)


def apply_blank_cells(n: Numbers, rng: random.Random) -> str:
    """Print some cells blank (or '/'): the checks that touch them become not assessable."""
    style = rng.choice(("zeros", "total_column", "section4"))
    if style == "zeros":
        count = 0
        for key, vals in n.section3.items():
            if vals is None:
                continue
            for i, v in enumerate(vals):
                # (七)总计 总计 stays printed: a table of nothing but blanks is a missing section
                if v == 0 and not (key == "total" and i == TOTAL):
                    vals[i] = None
                    count += 1
        if count:
            return f"{count} zero cells of table 三 printed blank"
    if style == "section4" and any(v == 0 for v in n.section4.values()):
        for k, v in n.section4.items():
            if v == 0 and k != "review_total":      # keep one cell printed (see above)
                n.section4[k] = None
        return "zero cells of section 四 printed blank"
    rows = [k for k in RESULT_ROW_KEYS if n.section3[k] is not None]
    for k in rows:
        n.row3(k)[TOTAL] = None
    return "总计 column blank for the result rows"
