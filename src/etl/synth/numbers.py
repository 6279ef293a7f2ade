"""Numbers that behave like real ones, consistent across one agency's years.

One :class:`AgencyHistory` per agency carries what links its years: the applications carried
forward (-> next year's carried_over) and the stock of documents in force (in_force chain).
:func:`clean_numbers` draws one year; faults (``faults.py``) are applied afterwards.

Volumes by level: most streets receive 0-10 applications a year, a city government hundreds to
thousands, skewed to 自然人; review and litigation are rare.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from etl.synth.region import Agency
from etl.template import (
    RESULT_ROW_KEYS,
    ROWS_2021_ONLY,
    SECTION3_ROW_KEYS,
    SECTION3_WIDTH,
    SECTION4_GROUPS,
    SECTION4_KEYS,
    SECTION4_OUTCOMES,
    section2_keys,
)

N_COLS = SECTION3_WIDTH                          # six applicant columns + 总计

#: mean new applications a year, by level (departments by the level of their government)
_VOLUME = {"province": 1500, "city": 420, "district": 70, "county": 55, "street": 2.5,
           "township": 1.8, "department:province": 90, "department:city": 30,
           "department:county": 6}
#: mean review cases a year per level
_REVIEW = {"province": 18, "city": 6, "district": 1.2, "county": 0.9, "street": 0.04,
           "township": 0.03, "department:province": 2.0, "department:city": 0.8,
           "department:county": 0.1}
_APPLICANT_WEIGHTS = (0.88, 0.07, 0.004, 0.008, 0.022, 0.016)
# Outcome shares, in RESULT_ROW_KEYS order (granted … other_other).
_RESULT_WEIGHTS = dict(zip(RESULT_ROW_KEYS, (
    0.36, 0.08, 0.003, 0.01, 0.005, 0.012, 0.015, 0.02, 0.01, 0.02,
    0.25, 0.03, 0.03, 0.045, 0.03, 0.005, 0.01, 0.012, 0.02, 0.002, 0.03)))
_REVIEW_PARTS = tuple(o for o, _ in SECTION4_OUTCOMES if o != "total")
_REVIEW_OUTCOMES = (0.62, 0.1, 0.18, 0.1)          # shares of the _REVIEW_PARTS


def level_key(agency: Agency) -> str:
    return f"department:{agency.parent_level if agency.parent_level in ('province', 'city') else 'county'}" \
        if agency.level == "department" else agency.level


def poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean < 30:
        limit, k, p = math.exp(-mean), 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, round(rng.gauss(mean, math.sqrt(mean))))


def allocate(rng: random.Random, n: int, weights: tuple[float, ...] | list[float]) -> list[int]:
    """Split ``n`` items over categories: exact draws for small n, expected shares plus a random
    remainder for large n (fast and still lumpy)."""
    k = len(weights)
    out = [0] * k
    if n <= 0:
        return out
    if n <= 40:
        for i in rng.choices(range(k), weights, k=n):
            out[i] += 1
        return out
    total_w = sum(weights)
    for i, w in enumerate(weights):
        out[i] = int(n * w / total_w * rng.uniform(0.8, 1.2))
    rest = n - sum(out)
    while rest < 0:                      # jitter overshot: take back from the largest
        j = out.index(max(out))
        take = min(out[j], -rest)
        out[j] -= take
        rest += take
    for i in rng.choices(range(k), weights, k=min(rest, 40)):
        out[i] += 1
    rest -= min(rest, 40)
    out[0] += rest
    return out


@dataclass
class AgencyHistory:
    """What one agency carries from year to year."""
    agency: Agency
    scale: float                        # its own volume multiplier
    old_single_row: bool                # still prints the old single 其他处理 row after 2021
    result_weights: list[float]
    carried_forward: list[int] | None = None
    in_force: dict[str, int] = field(default_factory=dict)     # category -> documents in force
    items: dict[str, int] = field(default_factory=dict)        # 2019 template: project counts


def new_history(agency: Agency, rng: random.Random) -> AgencyHistory:
    lk = level_key(agency)
    weights = [w * rng.uniform(0.5, 1.5) for w in _RESULT_WEIGHTS.values()]
    gov = agency.level in ("province", "city", "district", "county")
    stock_norm = {"province": 300, "city": 120, "district": 40, "county": 35}.get(agency.level, 6)
    h = AgencyHistory(agency, rng.lognormvariate(0, 0.6), rng.random() < 0.12, weights)
    h.in_force = {
        "regulations": rng.randint(20, 160) if agency.level in ("province", "city") else 0,
        "normative_documents": rng.randint(stock_norm // 3, stock_norm) if gov or rng.random() < 0.5 else 0,
    }
    h.items = {k: rng.randint(0, 300) for k in ("admin_license", "other_mgmt_services",
                                                  "admin_penalty", "admin_coercion", "admin_fees")}
    if lk in ("street", "township"):
        h.items = {k: rng.randint(0, 12) for k in h.items}
    return h


@dataclass
class Numbers:
    """What one report prints (the truth), before rendering."""
    template: str
    single_other_row: bool
    section2: dict[str, dict[str, int | float | None]]
    section3: dict[str, list[int | None] | None]     # None = the row is not printed
    section4: dict[str, int | None]
    active_disclosed: int
    fees_yuan: int

    # Every table fault and the prose's figures read the tables before any cell is printed
    # blank (faults.apply_blank_cells, the last edit): the cells they touch are numbers.
    def row3(self, key: str) -> list[int | None]:
        """A printed row of table 三."""
        row = self.section3[key]
        if row is None:
            raise ValueError(f"section 3 row {key} is not printed")
        return row

    def count3(self, key: str, col: int) -> int:
        """A cell of table 三 printed as a number."""
        v = self.row3(key)[col]
        if v is None:
            raise ValueError(f"section 3 {key} column {col} is printed blank")
        return v

    def counts3(self, key: str) -> list[int]:
        """A row of table 三 printed as numbers throughout."""
        return [self.count3(key, col) for col in range(len(self.row3(key)))]

    def count4(self, key: str) -> int:
        """A cell of section 四 printed as a number."""
        v = self.section4[key]
        if v is None:
            raise ValueError(f"section 4 {key} is printed blank")
        return v


def _section3(h: AgencyHistory, rng: random.Random, year: int, template: str,
              single_row: bool) -> dict[str, list[int | None] | None]:
    lk = level_key(h.agency)
    trend = 1.0 + 0.06 * (year - 2019) * (1 if h.scale > 1 else -0.3)
    n_new = poisson(rng, _VOLUME[lk] * h.scale * trend)
    new = allocate(rng, n_new, _APPLICANT_WEIGHTS)
    if h.carried_forward is None:        # the first report we have: some backlog from before
        co = [poisson(rng, v * 0.03) for v in new]
    else:
        co = list(h.carried_forward[: N_COLS - 1])
    rows: dict[str, list[int]] = {k: [0] * (N_COLS - 1) for k in SECTION3_ROW_KEYS}
    rows["new_received"], rows["carried_over"] = new, co
    weights = list(h.result_weights)
    other_keys = set(ROWS_2021_ONLY)
    if template == "2019":                # the 2019 form has no 逾期不补正 / 缴纳费用 grounds
        weights = [0.0 if k in other_keys else w for k, w in zip(RESULT_ROW_KEYS, weights)]
    for c in range(N_COLS - 1):
        available = new[c] + co[c]
        if available >= 10:
            cf = round(available * rng.uniform(0.0, 0.08))
        else:
            cf = 1 if available and rng.random() < 0.08 else 0
        handled = available - cf
        for key, v in zip(RESULT_ROW_KEYS, allocate(rng, handled, weights)):
            rows[key][c] = v
        rows["total"][c] = handled
        rows["carried_forward"][c] = cf
    full = {key: vals + [sum(vals)] for key, vals in rows.items()}     # + the 总计 column
    out: dict[str, list[int | None] | None] = {key: [*full[key]] for key in SECTION3_ROW_KEYS}
    if template == "2019" or single_row:  # one 其他处理 row, stored under other_other
        for k in ROWS_2021_ONLY:
            out[k] = None
        out["other_other"] = [sum(full[k][c] for k in (*ROWS_2021_ONLY, "other_other")) for c in range(N_COLS)]
    return out


def _section4(h: AgencyHistory, rng: random.Random) -> dict[str, int | None]:
    mean = _REVIEW[level_key(h.agency)] * h.scale
    out: dict[str, int | None] = {}
    for group, share in zip(SECTION4_GROUPS, (1.0, 0.6, 0.3)):
        parts = allocate(rng, poisson(rng, mean * share), _REVIEW_OUTCOMES)
        for (outcome, v) in zip(_REVIEW_PARTS, parts):
            out[f"{group.prefix}_{outcome}"] = v
        out[f"{group.prefix}_total"] = sum(parts)
    assert tuple(out) == SECTION4_KEYS
    return out


def _section2(h: AgencyHistory, rng: random.Random, template: str) -> dict[str, dict]:
    lk = level_key(h.agency)
    big = {"province": 8.0, "city": 4.0, "district": 1.5, "county": 1.5}.get(lk, 0.4)
    out: dict[str, dict] = {cat: {m: 0 for m in ms} for cat, ms in section2_keys(template).items()}
    # documents: issued/repealed move the stock in every year (the chain runs through 2019-2020)
    for cat, rate in (("regulations", 0.8), ("normative_documents", 3.0)):
        stock = h.in_force[cat]
        if cat == "regulations" and lk not in ("province", "city"):
            issued = repealed = 0
        else:
            issued = poisson(rng, rate * big * (1 if stock or rng.random() < 0.3 else 0))
            repealed = min(stock, poisson(rng, rate * big * 0.5))
        h.in_force[cat] = stock + issued - repealed
        if template == "2021":
            out[cat] = {"issued": issued, "repealed": repealed, "in_force": h.in_force[cat]}
        else:
            published = issued if rng.random() < 0.85 else max(0, issued - 1)
            out[cat] = {"new_made": issued, "new_published": published,
                        "total_published": h.in_force[cat] + rng.randint(0, 5) * (stock > 0)}
    decisions = {"admin_license": 400, "admin_penalty": 250, "admin_coercion": 20,
                 "other_mgmt_services": 60}
    for cat, mean in decisions.items():
        if cat not in out:
            continue
        d = poisson(rng, mean * big * h.scale) if rng.random() < 0.8 else 0
        if template == "2021":
            out[cat] = {"decisions": d}
        else:
            prev = h.items[cat]
            change = rng.randint(-min(prev, 5), 8)
            h.items[cat] = prev + change
            out[cat] = {"prev_items": prev, "change": change, "decisions": d}
    if template == "2021":
        amount = round(rng.uniform(0, 900) * big, 2) if rng.random() < 0.5 * big else 0
        out["admin_fees"] = {"amount_10k_yuan": amount}
    else:
        prev = h.items["admin_fees"]
        change = rng.randint(-min(prev, 3), 3)
        h.items["admin_fees"] = prev + change
        out["admin_fees"] = {"prev_items": prev, "change": change}
        projects = poisson(rng, 20 * big) if rng.random() < 0.6 else 0
        out["gov_procurement"] = {"projects": projects,
                                  "amount": round(projects * rng.uniform(2e4, 8e5), 2) if projects else 0}
    return out


def clean_numbers(h: AgencyHistory, rng: random.Random, year: int, template: str) -> Numbers:
    """One year of an agency, every rule satisfied.  Advances ``h`` except carried_forward,
    which the caller records after faults were applied (they never change it)."""
    single_row = template == "2021" and h.old_single_row
    s3 = _section3(h, rng, year, template, single_row)
    s4 = _section4(h, rng)
    s2 = _section2(h, rng, template)
    lk = level_key(h.agency)
    if lk not in ("province", "city") and rng.random() < 0.3:
        # only province and city governments make 规章: others often print "/" on that row
        s2["regulations"] = {m: None for m in s2["regulations"]}
    active = poisson(rng, {"province": 2500, "city": 1200, "district": 600, "county": 500}.get(lk, 80))
    fees = 0 if rng.random() < 0.85 else rng.choice((20, 50, 100, 180, 380, 1200))
    return Numbers(template, single_row, s2, s3, s4, active, fees)
