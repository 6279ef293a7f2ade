"""Parse on a Dask cluster when one machine is not enough (``etl run --dask tcp://host:8786``).

Each parse batch becomes one Dask task (Dask's client directly: no Prefect task run per batch on
the cluster, which costs ~90 ms each — see bench/pipeline.py --dask for this path's own
per-batch overhead).  On a Dask worker the batch goes through the same killable worker pool as
on the run's machine (one pool per Dask worker process, as many parse processes as the worker has
threads), so a hung or crashing file costs only itself there too.

Shared storage: the workers read the raw files and write the parse cache's segments at the same
absolute paths as the run's machine (mount the raw folder and the warehouse folder at the same
place everywhere).  Nothing else crosses the network but file lists and small results.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from etl.stages.parse import PRELOAD, Batch, Parsed, WorkerContext, chunks, collect, parse_chunk
from etl.stages.workers import WorkerPool

_pools: dict[Any, WorkerPool] = {}
_pools_lock = threading.Lock()


def _pool_here(ctx: WorkerContext, timeout: float, memory: int) -> WorkerPool:
    """The pool of this Dask worker process (made on its first batch, reused after)."""
    key = (ctx, timeout, memory)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            # Dask's worker processes are "daemonic", and multiprocessing refuses children to
            # those (lest they outlive it).  Ours cannot: each parse process watches its owner
            # and dies with it (etl.stages.workers._die_with).
            import multiprocessing

            multiprocessing.current_process()._config.pop("daemon", None)  # type: ignore[attr-defined]
            try:
                from distributed import get_worker

                n = max(1, get_worker().state.nthreads)
            except (ImportError, ValueError, AttributeError):
                n = max(1, os.cpu_count() or 1)
            pool = _pools[key] = WorkerPool(parse_chunk, ctx, n, timeout, memory, preload=PRELOAD)
        return pool


def parse_batch_remote(files: list, ctx: WorkerContext, timeout: float, memory: int,
                       max_file_bytes: int) -> dict[str, Parsed]:
    """Runs on a Dask worker: one batch through the local killable pool."""
    pool = _pool_here(ctx, timeout, memory)
    return collect(pool.run(chunks(files, pool.size)), max_file_bytes)


def parse_on_dask(address: str, batches: list[Batch], run) -> dict[str, Parsed]:
    """Send every batch to the cluster at ``address``; {rel: Parsed} for all their files."""
    import logging

    from distributed import Client, as_completed

    from etl.stages.cache import parser_version

    log = logging.getLogger("etl.dask")
    s = run.settings
    ctx = WorkerContext(str(run.cache.segments), parser_version(), s.max_file_bytes,
                        s.max_inflated_bytes, str(run.cache.root / "convert"))
    out: dict[str, Parsed] = {}
    with Client(address, timeout="30s") as client:
        futures = {client.submit(parse_batch_remote, b.files, ctx, s.parse_timeout,
                                 s.worker_memory, s.max_file_bytes, key=f"{run.run_id}-{i}",
                                 pure=False): b for i, b in enumerate(batches)}
        for fut in as_completed(futures):
            b = futures[fut]
            res = fut.result()
            out.update(res)
            log.info("%s (on dask): %d files", b.name, len(res))
    return out
