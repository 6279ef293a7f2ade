"""Digits run together: split a run of digits into cells only where the table's own identities
leave exactly one answer; otherwise leave the cells unknown and say why.  Never guess.

Crawler dumps of web pages concatenate a table's cells with no separator
(``一、本年新收政府信息公开申请数量230 000023`` is 23|0|0|0|0|0|23).  Spaces inside a run are
irregular, so they are ignored, never used as separators.

A *split* of a run into ``n`` cells: digits only, each cell a non-negative integer without a
leading zero (``0`` itself is fine), no cell empty.  When only one split exists at all (a run of
exactly ``n`` digits), that split is the answer whether or not the identities hold — the report
may break its own rules, and finding that is validation's job, not ours.  When several splits
exist, the identities choose:

* section 三: ``row_total`` per row, then per column ``identity`` (new_received + carried_over =
  total + carried_forward) and ``results_sum`` (total = sum of the result rows present);
* section 四: each group's 总计 = 维持 + 纠正 + 其他 + 尚未审结;
* section 二 (:func:`solve_fixed`): no identity, so only a run with a single split is read.

States: a cell whose value is the same in every surviving split is ``inferred`` — also for a run of
exactly ``n`` digits: those cells were not printed separately, so ``number`` would overstate what
the source shows.  The one exception is :func:`solve_fixed` with ``n == 1``, where the whole run
is the one cell (``number``).  Cells that differ between surviving splits, or every cell of a row
when no split survives, are ``unknown`` with value ``None`` and a note that says why.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

from etl.template import RESULT_ROW_KEYS, SECTION3_WIDTH, SECTION4_GROUPS, SECTION4_KEYS, SECTION4_OUTCOMES

Value = int | float | None
#: a column identity the solver uses: (coefficient per row key, column, the settled rows' sum)
Constraint = tuple[dict[str, int], int, int | float]

#: Work caps: past these we report "too many candidate splits" instead of hanging.
MAX_ROW_CANDIDATES = 2_000      # row_total-consistent splits of one row
MAX_ROW_NODES = 20_000          # search steps to find them (a real row needs a few hundred)
MAX_SEARCH_NODES = 50_000       # backtracking nodes of one joint search (and of section 四)
MAX_SOLUTIONS = 2_000           # joint solutions enumerated per connected group of rows
_SHOW = 3                       # alternatives quoted in a note

N3 = SECTION3_WIDTH             # cells per section-三 row: 6 applicant columns + 总计
_WS = re.compile(r"\s+")
_CELL = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?\Z")   # one section-二 cell (signed, decimal)


@dataclass
class Split:
    values: list[Value]
    states: list[str]
    note: str = ""


def _values(numbers: Iterable[int]) -> list[Value]:
    """A split's integers as a Split's values (a list that may also hold None and decimals)."""
    return list(numbers)


@dataclass
class _Row:
    """One section-三 row during solving."""
    key: str
    fixed: list[Value] | None = None              # values when settled (known or a single split)
    candidates: list[tuple[int, ...]] = field(default_factory=list)
    note: str = ""
    failed: bool = False                           # a run with no acceptable split


# --------------------------------------------------------------------------------------------
# Runs and candidate splits
# --------------------------------------------------------------------------------------------

def clean_run(run: str) -> str:
    """The run's characters without whitespace, full-width digits folded to ASCII."""
    return _WS.sub("", unicodedata.normalize("NFKC", run))


def candidate_splits(run: str, n: int, limit: int | None = None) -> list[list[int]]:
    """Every split of ``run`` into ``n`` non-negative integers without leading zeros.

    Spaces are ignored; a run with any other non-digit has no split.  ``limit`` stops the
    enumeration early (the result then holds ``limit`` splits, not all of them).
    """
    digits = clean_run(run)
    if not digits.isdigit() or n < 1 or len(digits) < n:
        return []
    out: list[list[int]] = []
    _enumerate(digits, 0, n, [], out, limit)
    return out


def _enumerate(d: str, pos: int, left: int, acc: list[int], out: list[list[int]],
               limit: int | None) -> None:
    if limit is not None and len(out) >= limit:
        return
    if left == 1:
        tail = d[pos:]
        if len(tail) == 1 or tail[0] != "0":
            out.append(acc + [int(tail)])
        return
    # a leading "0" is a cell by itself; otherwise any length that leaves a digit per cell
    longest = 1 if d[pos] == "0" else len(d) - pos - (left - 1)
    for length in range(1, longest + 1):
        _enumerate(d, pos + length, left - 1, acc + [int(d[pos:pos + length])], out, limit)


def _count_splits(d: str, n: int) -> int:
    """How many splits of ``d`` into ``n`` digit cells exist (no enumeration)."""
    # ways[k] = number of ways to split d[k:] into `parts` cells, built up over parts
    L = len(d)
    ways = [1 if k == L else 0 for k in range(L + 1)]
    for _ in range(n):
        nxt = [0] * (L + 1)
        for k in range(L):
            if d[k] == "0":
                nxt[k] = ways[k + 1]
            else:
                nxt[k] = sum(ways[k + 1:])
        ways = nxt
    return ways[0]


@lru_cache(maxsize=4096)
def _row_total_splits(d: str, n: int = N3) -> tuple[tuple[int, ...], ...] | None:
    """Splits of ``d`` into ``n`` cells whose last cell is the sum of the others.

    The last cell is a suffix of the run, so each suffix fixes the total; the other cells are
    then searched with their sum bounded by it (no cell is longer than the total).  Returns
    None when there are more than MAX_ROW_CANDIDATES.
    """
    L = len(d)
    out: list[tuple[int, ...]] = []
    budget = [MAX_ROW_NODES]
    for k in range(1, L - n + 2):
        tail = d[L - k:]
        if k > 1 and tail[0] == "0":
            continue
        total = int(tail)
        if not _prefix_sums(d, 0, L - k, n - 1, total, [], out, k, budget):
            return None
    return tuple(out)


def _prefix_sums(d: str, pos: int, end: int, left: int, rest: int, acc: list[int],
                 out: list[tuple[int, ...]], maxlen: int, budget: list[int]) -> bool:
    """Split d[pos:end] into ``left`` cells summing to ``rest``; False when over a cap.

    ``maxlen`` is the digit length of ``rest``: no cell can be longer, which bounds both the
    cell lengths tried and how many digits the open cells can absorb; and the open cells can
    reach ``rest`` only if one of them can be about as long as it."""
    budget[0] -= 1
    if budget[0] < 0:
        return False
    span = end - pos
    if span > left * maxlen or span < left or maxlen > span - left + 2:
        return True
    if left == 1:
        tail = d[pos:end]
        if (span == 1 or tail[0] != "0") and int(tail) == rest:
            acc.append(rest)
            out.append(tuple(acc) + (sum(acc),))
            acc.pop()
            if len(out) > MAX_ROW_CANDIDATES:
                return False
        return True
    longest = 1 if d[pos] == "0" else min(span - (left - 1), maxlen)
    for length in range(1, longest + 1):
        v = int(d[pos:pos + length])
        if v > rest:
            break
        acc.append(v)
        r = rest - v
        ok = _prefix_sums(d, pos + length, end, left - 1, r, acc, out, len(str(r)), budget)
        acc.pop()
        if not ok:
            return False
    return True


def _fmt(values) -> str:
    return "|".join("?" if v is None else str(v) for v in values)


def _alternatives(cands, total: int) -> str:
    shown = ", ".join(_fmt(c) for c in cands[:_SHOW])
    return shown + (", …" if total > _SHOW else "")


# --------------------------------------------------------------------------------------------
# Section 三
# --------------------------------------------------------------------------------------------

def solve_section3(runs: dict[str, str], known: dict[str, list[Value]],
                   rows: tuple[str, ...]) -> dict[str, Split]:
    """Split the digit runs of table 三 using row_total, identity and results_sum.

    ``runs``: row key -> raw run text (7 cells run together); ``known``: row key -> 7 values
    read cleanly (None = unknown: a constraint with an unknown participant is not used);
    ``rows``: the row keys this table has, in template order.  Returns a Split per run row.
    """
    table: dict[str, _Row] = {}
    # a run under a row the caller did not list is still split (alone: no identity names it)
    for key in tuple(rows) + tuple(k for k in runs if k not in rows):
        if key in runs:
            table[key] = _row_from_run(key, runs[key])
        elif key in known:
            table[key] = _Row(key, fixed=list(known[key]))
        else:
            table[key] = _Row(key, fixed=[None] * N3)
    ambiguous = [r for r in table.values() if r.candidates and r.fixed is None]
    if ambiguous:
        _solve_jointly(table, ambiguous, rows)
    return {key: _row_split(table[key]) for key in runs}


def _row_from_run(key: str, run: str) -> _Row:
    d = clean_run(run)
    if not d.isdigit():
        return _Row(key, failed=True, note=f"run {run.strip()!r} holds characters other than digits")
    if len(d) < N3:
        return _Row(key, failed=True, note=f"{len(d)} digits for {N3} cells")
    if len(d) == N3:
        # one digit per cell: the only split there is; row_total is validation's business
        return _Row(key, fixed=[int(c) for c in d], note="one digit per cell (the only split)")
    cands = _row_total_splits(d)
    if cands is None:
        return _Row(key, failed=True, note="too many candidate splits")
    if not cands:
        return _Row(key, failed=True, note=f"no split of {d} satisfies row_total")
    if len(cands) == 1:
        return _Row(key, fixed=list(cands[0]), note="the only split that satisfies row_total")
    return _Row(key, candidates=list(cands))


def _column_constraints(rows: tuple[str, ...]) -> list[dict[str, int]]:
    """The column identities of table 三 as {row key: coefficient} (sum = 0), for the rows
    this table has.  The same coefficients apply to each of the 7 columns."""
    out = []
    four = ("new_received", "carried_over", "total", "carried_forward")
    if all(k in rows for k in four):
        out.append({"new_received": 1, "carried_over": 1, "total": -1, "carried_forward": -1})
    results = [k for k in RESULT_ROW_KEYS if k in rows]
    if "total" in rows and results:
        c = {"total": 1}
        c.update({k: -1 for k in results})
        out.append(c)
    return out


def _solve_jointly(table: dict[str, _Row], ambiguous: list[_Row], rows: tuple[str, ...]) -> None:
    # Usable constraints, per column: every participant is settled with a number or is an
    # ambiguous row (whose candidates are all numbers).
    amb_keys = {r.key for r in ambiguous}
    usable: list[Constraint] = []      # (coefs, column, settled constant)
    for coefs in _column_constraints(rows):
        if not amb_keys.intersection(coefs):
            continue
        for col in range(N3):
            const: int | float = 0          # a known cell read elsewhere may be a decimal
            for key, coef in coefs.items():
                r = table[key]
                if r.key in amb_keys:
                    continue
                v = None if r.failed or r.fixed is None else r.fixed[col]
                if v is None:
                    break
                const += coef * v
            else:
                usable.append((coefs, col, const))

    # Rows linked by a usable constraint are solved together; the rest stand alone.
    parent = {k: k for k in amb_keys}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for coefs, _, _ in usable:
        linked = [k for k in coefs if k in amb_keys]
        for k in linked[1:]:
            parent[find(k)] = find(linked[0])
    groups: dict[str, list[_Row]] = {}
    for r in ambiguous:
        groups.setdefault(find(r.key), []).append(r)

    for members in groups.values():
        keys = {r.key for r in members}
        cons = [(c, col, k) for c, col, k in usable if keys.intersection(c)]
        _solve_group(members, cons)


def _solve_group(members: list[_Row], cons: list[Constraint]) -> None:
    """Backtrack over the candidates of ``members`` with bound propagation on ``cons``."""
    order = sorted(members, key=lambda r: len(r.candidates))
    pos = {r.key: i for i, r in enumerate(order)}
    depth_n = len(order)
    # Per constraint: participants as (order index, coef); bounds of the participants after
    # each depth so a partial assignment is cut as soon as it cannot reach zero.
    prepared = []
    for coefs, col, const in cons:
        parts = {pos[k]: c for k, c in coefs.items() if k in pos}
        own_lo = [0] * (depth_n + 1)            # the range each participant can contribute
        own_hi = [0] * (depth_n + 1)
        for i, c in parts.items():
            vals = [cand[col] for cand in order[i].candidates]
            own_lo[i], own_hi[i] = (c * min(vals), c * max(vals)) if c > 0 else (c * max(vals), c * min(vals))
        lo_cum = [0] * (depth_n + 1)            # bounds of the participants at index >= d
        hi_cum = [0] * (depth_n + 1)
        for d in range(depth_n - 1, -1, -1):
            lo_cum[d] = lo_cum[d + 1] + own_lo[d]
            hi_cum[d] = hi_cum[d + 1] + own_hi[d]
        prepared.append((parts, col, const, lo_cum, hi_cum))
    # per depth: the constraints that row touches, as (constraint, coef, column, lo, hi) where
    # lo..hi is what the participants after it can still add
    touching = [[(j, p[0][d], p[1], p[3][d + 1], p[4][d + 1])
                 for j, p in enumerate(prepared) if d in p[0]] for d in range(depth_n)]
    partial = [p[2] for p in prepared]                  # constant + assigned terms
    chosen: list[int] = [0] * depth_n
    seen: list[set[int]] = [set() for _ in range(depth_n)]
    nodes = 0
    solutions = 0
    overflow = False

    def walk(d: int) -> None:
        nonlocal nodes, solutions, overflow
        if d == depth_n:
            solutions += 1
            if solutions > MAX_SOLUTIONS:
                overflow = True
                return
            for i in range(depth_n):
                seen[i].add(chosen[i])
            return
        touch = touching[d]
        for ci, cand in enumerate(order[d].candidates):
            nodes += 1
            if nodes > MAX_SEARCH_NODES:
                overflow = True
                return
            for j, coef, col, lo, hi in touch:
                if not lo <= -(partial[j] + coef * cand[col]) <= hi:
                    break
            else:
                for j, coef, col, _, _ in touch:
                    partial[j] += coef * cand[col]
                chosen[d] = ci
                walk(d + 1)
                for j, coef, col, _, _ in touch:
                    partial[j] -= coef * cand[col]
                if overflow:
                    return

    walk(0)
    what = "row_total and column identities" if cons else "row_total (no usable column identity)"
    for i, r in enumerate(order):
        if overflow:
            r.failed, r.note = True, "too many candidate splits"
            continue
        if solutions == 0:
            r.failed = True
            r.note = (f"no split satisfies {what} ({len(r.candidates)} satisfy row_total: "
                      f"{_alternatives(r.candidates, len(r.candidates))})")
            continue
        alive = [r.candidates[ci] for ci in sorted(seen[i])]
        if len(alive) == 1:
            r.fixed = list(alive[0])
            r.note = f"the only split that satisfies {what}"
        else:
            r.fixed = [alive[0][c] if all(a[c] == alive[0][c] for a in alive) else None
                       for c in range(N3)]
            r.note = f"{len(alive)} splits satisfy {what}: {_alternatives(alive, len(alive))}"


def _row_split(r: _Row) -> Split:
    if r.failed or r.fixed is None:
        return Split([None] * N3, ["unknown"] * N3, r.note)
    states = ["inferred" if v is not None else "unknown" for v in r.fixed]
    return Split(list(r.fixed), states, r.note)


# --------------------------------------------------------------------------------------------
# Section 四
# --------------------------------------------------------------------------------------------

_G4 = len(SECTION4_OUTCOMES)            # 5 cells per group, the last is the group's 总计
N4 = len(SECTION4_KEYS)                 # 15


def solve_section4(run: str, known: dict[str, Value] | None = None) -> Split:
    """Split the 15 cells of section 四 (keys ``SECTION4_KEYS``) using the group totals.

    ``known``: cells read elsewhere (key -> value); a non-None value pins that cell, so only
    splits agreeing with it survive.  None values are ignored.
    """
    d = clean_run(run)
    pins = {SECTION4_KEYS.index(k): v for k, v in (known or {}).items()
            if v is not None and k in SECTION4_KEYS}
    if not d.isdigit():
        return _unknown4(f"run {run.strip()!r} holds characters other than digits")
    if len(d) < N4:
        return _unknown4(f"{len(d)} digits for {N4} cells")
    if len(d) == N4:
        return Split(_values(int(c) for c in d), ["inferred"] * N4, "one digit per cell (the only split)")
    sols: list[tuple[int, ...]] = []
    budget = [MAX_SEARCH_NODES]
    if not _groups4(d, 0, len(SECTION4_GROUPS), (), sols, budget):
        return _unknown4("too many candidate splits")
    sols = [s for s in sols if all(s[i] == v for i, v in pins.items())]
    what = "the group totals" + (" and the known cells" if pins else "")
    if not sols:
        return _unknown4(f"no split of {d} satisfies {what}")
    if len(sols) == 1:
        return Split(_values(sols[0]), ["inferred"] * N4, f"the only split that satisfies {what}")
    values: list[Value] = [sols[0][c] if all(s[c] == sols[0][c] for s in sols) else None
                           for c in range(N4)]
    states = ["inferred" if v is not None else "unknown" for v in values]
    return Split(values, states, f"{len(sols)} splits satisfy {what}: {_alternatives(sols, len(sols))}")


def _unknown4(note: str) -> Split:
    return Split([None] * N4, ["unknown"] * N4, note)


def _groups4(d: str, pos: int, groups_left: int, acc: tuple[int, ...],
             out: list[tuple[int, ...]], budget: list[int]) -> bool:
    """Parse ``groups_left`` groups (4 cells and their sum) from d[pos:] to its end."""
    if groups_left == 0:
        if pos == len(d):
            out.append(acc)
            if len(out) > MAX_SOLUTIONS:
                return False
        return True
    reserve = (groups_left - 1) * _G4          # digits the later groups need at least
    return _cells4(d, pos, _G4 - 1, 0, acc, groups_left, reserve, out, budget)


def _cells4(d, pos, left, s, acc, groups_left, reserve, out, budget) -> bool:
    budget[0] -= 1
    if budget[0] < 0:
        return False
    if left == 0:
        total = str(s)
        if d.startswith(total, pos) and len(d) - pos - len(total) >= reserve:
            return _groups4(d, pos + len(total), groups_left - 1, acc + (s,), out, budget)
        return True
    # room for this cell, the other open cells of the group, its total (>= 1 digit), later groups
    avail = len(d) - pos - (left - 1) - 1 - reserve
    if avail < 1:
        return True
    longest = 1 if d[pos] == "0" else avail
    for length in range(1, longest + 1):
        v = int(d[pos:pos + length])
        # the group's total is at least this cell, so it needs at least as many digits
        if len(d) - pos - length - (left - 1) - reserve < length:
            break
        if not _cells4(d, pos + length, left - 1, s + v, acc + (v,), groups_left, reserve,
                       out, budget):
            return False
    return True


# --------------------------------------------------------------------------------------------
# Cells with no identity (section 二 rows)
# --------------------------------------------------------------------------------------------

def solve_fixed(run: str, n: int, pins: dict[int, tuple[int, str]] | None = None) -> Split:
    """Split ``run`` into ``n`` cells that no identity ties together: read it only when a
    single split exists (``000`` -> 0|0|0; ``54`` with n=1 -> 54; ``24252.311082`` with n=1 ->
    a float); otherwise unknown with the number of possible splits.  Cells may carry a decimal
    part or a leading minus (本年增/减).

    ``pins``: {place: (value, why)} — what the report states elsewhere about a cell (the prose:
    制发规范性文件77件).  A pin that no split satisfies is dropped (the disagreement is for
    prose_vs_table to report, never a reason to pick a split); the others must all hold, and the
    cells they leave the same in every split are read (``inferred``, the pins named in the note)."""
    s = clean_run(run)
    if pins and n > 1 and s.isdigit():
        pinned = _split_pinned(s, n, pins)
        if pinned is not None:
            return pinned
    if n == 1:
        if _CELL.match(s):
            return Split([_num(s)], ["number"], "")
        return Split([None], ["unknown"], f"{s!r} is not one number")
    if s.isdigit():
        count = _count_splits(s, n)
        if count == 1:
            return Split(_values(candidate_splits(s, n, limit=1)[0]), ["inferred"] * n,
                         "the only split possible")
    else:
        splits: list[list[str]] = []
        _enumerate_cells(s, 0, n, [], splits)
        count = len(splits)
        if count == 1:
            return Split([_num(t) for t in splits[0]], ["inferred"] * n, "the only split possible")
    if count == 0:
        return Split([None] * n, ["unknown"] * n, f"no split of {s!r} into {n} cells")
    return Split([None] * n, ["unknown"] * n, f"{count} splits possible")


def _split_pinned(s: str, n: int, pins: dict[int, tuple[int, str]]) -> Split | None:
    splits = candidate_splits(s, n, limit=MAX_SOLUTIONS + 1)
    if len(splits) <= 1 or len(splits) > MAX_SOLUTIONS:
        return None                             # the plain rules decide (or cannot)
    usable = {i: pv for i, pv in pins.items() if 0 <= i < n and any(sp[i] == pv[0] for sp in splits)}
    if not usable:
        return None
    alive = [sp for sp in splits if all(sp[i] == v for i, (v, _) in usable.items())]
    if not alive:                               # the pins contradict each other: no decision
        return Split([None] * n, ["unknown"] * n,
                     f"{len(splits)} splits possible; the report's own figures "
                     f"({', '.join(w for _, w in usable.values())}) agree with none together")
    values: list[Value] = [alive[0][c] if all(a[c] == alive[0][c] for a in alive) else None
                           for c in range(n)]
    states = ["inferred" if v is not None else "unknown" for v in values]
    by = ", ".join(w for _, w in usable.values())
    note = (f"the only split where {by}" if len(alive) == 1 else
            f"{len(alive)} of {len(splits)} splits hold {by}: {_alternatives(alive, len(alive))}")
    return Split(values, states, note)


def _enumerate_cells(s: str, pos: int, left: int, acc: list[str], out: list[list[str]]) -> None:
    if len(out) > MAX_SOLUTIONS:
        return
    if left == 1:
        if _CELL.match(s, pos):
            out.append(acc + [s[pos:]])
        return
    for end in range(pos + 1, len(s) - left + 2):
        tok = s[pos:end]
        if _CELL.match(tok):
            _enumerate_cells(s, end, left - 1, acc + [tok], out)


def _num(tok: str) -> int | float:
    return float(tok) if "." in tok else int(tok)
