"""The run's own process memory between stages.

Each stage frees what it built when it returns, but neither CPython's allocator (glibc malloc
arenas) nor Arrow's memory pool gives freed pages back to the system on its own: the process
would keep the largest stage's footprint for the rest of the run, and the next stage's peak
would sit on top of it.  ``release`` hands them back (at a stage boundary, where nothing is
being built), so the run's peak is the largest single stage, not their sum.
"""

from __future__ import annotations

import ctypes
import gc
import os

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _libc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:          # not glibc: nothing to trim
        return None


_LIBC = _libc()


_freeze_survivors = False


def dedicated_process() -> None:
    """This process runs one flow and exits: from now on what survives a release's collection
    is frozen (``gc.freeze``), so the next release walks only what was made since (a full
    collection over the run's ≈ 400k long-lived objects costs ≈ 0.25 s, at every stage
    boundary).  Frozen objects are still freed by their reference counts; only a cycle among
    them would outlive the run's stages — and the process ends with the run."""
    global _freeze_survivors
    _freeze_survivors = True
    gc.freeze()


def release() -> None:
    gc.collect()
    if _freeze_survivors:
        gc.freeze()
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except Exception:       # an old pyarrow without release_unused: nothing to hand back
        pass
    if _LIBC is not None and hasattr(_LIBC, "malloc_trim"):
        _LIBC.malloc_trim(0)


def rss_mb() -> int:
    """Resident memory of this process now, in MB."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE // 2**20
    except (OSError, IndexError, ValueError):
        return 0
