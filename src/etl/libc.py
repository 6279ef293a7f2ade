"""The C library, for the two calls Python does not expose: ``malloc_trim`` (hand freed heap
back to the system, etl.stages.memory) and ``syncfs`` (flush one filesystem, etl.warehouse.store).
None where there is no loadable libc; callers then do without."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache


@lru_cache(maxsize=1)
def libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
