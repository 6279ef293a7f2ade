"""Every knob of a run, read and validated in one place, at the edge.

A knob comes from a command-line option or a flow parameter, else from the environment, else from
its default.  A bad value stops the run before it starts, with a message naming the variable or
option and what it accepts — never a crash deep inside, never a value pasted into SQL.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from dataclasses import dataclass, fields
from typing import Any, Callable, Mapping


class SettingError(ValueError):
    """A knob with a value it does not accept (the message names it)."""


#: Reports exist since the 条例 took effect (2008); a report is published in January of the
#: following year, so the newest possible report year is last year (this year for a draft).
FIRST_REPORT_YEAR = 2008


def last_report_year(today: dt.date | None = None) -> int:
    return (today or dt.date.today()).year


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)?\s*$", re.IGNORECASE)
_UNIT = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
         "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def parse_bytes_size(text: str, name: str) -> int:
    """'512MB', '1.5GiB', '1000000' -> bytes."""
    m = _SIZE.match(str(text))
    if not m:
        raise SettingError(f"{name}={text!r}: expected a size such as 512MB or 2GB")
    value = float(m.group(1)) * _UNIT[(m.group(2) or "B").upper()]
    if not 1 <= value < 2**50:
        raise SettingError(f"{name}={text!r}: out of range")
    return int(value)


def _seconds(lo: float, hi: float) -> Callable[[str, str], float]:
    def parse(text: str, name: str) -> float:
        try:
            value = float(text)
        except (TypeError, ValueError):
            raise SettingError(f"{name}={text!r}: expected a number of seconds") from None
        if not math.isfinite(value) or not lo <= value <= hi:
            raise SettingError(f"{name}={text!r}: expected seconds between {lo:g} and {hi:g}")
        return value
    return parse


def _int_range(lo: int, hi: int) -> Callable[[str, str], int]:
    def parse(text: str, name: str) -> int:
        try:
            value = int(str(text).strip())
        except ValueError:
            raise SettingError(f"{name}={text!r}: expected a whole number") from None
        if not lo <= value <= hi:
            raise SettingError(f"{name}={text!r}: expected a whole number from {lo} to {hi}")
        return value
    return parse


def _ratio(text: str, name: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise SettingError(f"{name}={text!r}: expected a share between 0 and 1") from None
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise SettingError(f"{name}={text!r}: expected a share between 0 and 1")
    return value


def _size(text: str, name: str) -> int:
    return parse_bytes_size(text, name)


@dataclass(frozen=True)
class Knob:
    env: str
    default: str
    parse: Callable[[str, str], object]
    help: str


#: field name -> how it is read.  README "Settings" lists the same table (generated from here).
KNOBS: dict[str, Knob] = {
    "parse_timeout": Knob("ETL_PARSE_TIMEOUT", "120", _seconds(0.1, 86_400),
                          "seconds one file may take in a parse worker before it is killed "
                          "and the file quarantined as `timeout`"),
    "worker_memory": Knob("ETL_WORKER_MEMORY", "768MB", _size,
                          "resident memory a parse worker may use before it is killed and the "
                          "file quarantined as `too_large`"),
    "max_file_bytes": Knob("ETL_MAX_FILE_BYTES", "200MB", _size,
                           "larger input files are quarantined as `too_large` without reading"),
    "max_inflated_bytes": Knob("ETL_MAX_INFLATED_BYTES", "256MB", _size,
                               "what one file may decompress to (zip members, PDF streams) "
                               "before it is quarantined as `bomb`"),
    "workers": Knob("ETL_WORKERS", str(max(1, os.cpu_count() or 1)), _int_range(1, 256),
                    "parse worker processes on this machine"),
    "duckdb_memory": Knob("ETL_DUCKDB_MEMORY", "384MB", _size,
                          "DuckDB memory for the run's SQL before it spills to the staging folder"),
    "database_copy_min": Knob("ETL_DATABASE_COPY_MIN", "64MB", _size,
                              "a warehouse.duckdb at least this big is built from a copy of the "
                              "published one with only the changed years replaced; a smaller "
                              "one is rebuilt in full (fast, and the smallest file)"),
    "shrink_ratio": Knob("ETL_SHRINK_RATIO", "0.5", _ratio,
                         "a run that would publish fewer reports than this share of the last "
                         "good run's (per year rebuilt) is refused unless --allow-shrink"),
    "query_timeout": Knob("ETL_QUERY_TIMEOUT", "300", _seconds(0.1, 86_400),
                          "seconds an `etl sql` query may run before it is interrupted"),
    "query_memory": Knob("ETL_QUERY_MEMORY", "1GB", _size,
                         "memory an `etl sql` query may use (it fails beyond, it never spills)"),
}


@dataclass(frozen=True)
class Settings:
    parse_timeout: float
    worker_memory: int
    max_file_bytes: int
    max_inflated_bytes: int
    workers: int
    duckdb_memory: int
    database_copy_min: int
    shrink_ratio: float
    query_timeout: float
    query_memory: int

    @classmethod
    def load(cls, overrides: Mapping[str, object] | None = None,
             environ: Mapping[str, str] | None = None) -> "Settings":
        """Options first (``overrides``: field -> value, None = not given), then the
        environment, then the default; every value validated."""
        environ = os.environ if environ is None else environ
        overrides = overrides or {}
        values: dict[str, Any] = {}
        for f in fields(cls):
            knob = KNOBS[f.name]
            given = overrides.get(f.name)
            if given is not None:
                values[f.name] = knob.parse(str(given), f"--{f.name.replace('_', '-')}")
            else:
                values[f.name] = knob.parse(environ.get(knob.env, knob.default), knob.env)
        return cls(**values)


def check_year(year: object, name: str = "--year") -> int | None:
    """A report year, or None (= every year)."""
    if year is None:
        return None
    try:
        y = int(str(year).strip())
    except ValueError:
        raise SettingError(f"{name}={year!r}: expected a year such as 2023") from None
    hi = last_report_year()
    if not FIRST_REPORT_YEAR <= y <= hi:
        raise SettingError(f"{name}={year!r}: reports exist for {FIRST_REPORT_YEAR}–{hi}")
    return y


def knob_table() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) for the README and `etl run --help`."""
    return [(k.env, k.default, k.help) for k in KNOBS.values()]
