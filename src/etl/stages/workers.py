"""Parse workers: every file is parsed in a process that can be killed, and one file can only
ever cost itself.

A :class:`WorkerPool` keeps N worker processes (forked from a clean fork server, so a replacement
starts in milliseconds and never inherits the parent's threads).  Work goes to them in chunks;
a worker notes in a shared word when it starts each item (no message: a message a file woke the
supervisor ≈ 1,000 times a second and cost the run ≈ 37 µs of CPU a file), so the supervisor
always knows which item is running and since when.  The supervisor (one thread) kills a worker
and starts a new one when

* its current item runs longer than the timeout (hung Python *or* hung C code: ``timeout``),
* its resident memory passes the limit (a decompression bomb: ``too_large``), or
* it dies by itself (segfault, abort, the OOM killer: ``worker_crashed``),

and records that item with the reason; the other items of the chunk go back to the queue (the
work a killed worker had done is lost with it, so they are redone).  Every batch size takes this
path: there is no in-process shortcut.

Workers end with the process that owns the pool, however it ends (``_die_with``), so a run
killed with SIGKILL leaves no worker behind.  :meth:`WorkerPool.close` kills the workers before
the run removes its files, so no worker writes after a failed run's clean-up.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import multiprocessing
import multiprocessing.connection as mpc
import os
import select
import signal
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

#: (items, context, started) -> result: the work a worker does for one chunk.  ``started(i)``
#: must be called before item i (so a hang or crash is charged to the right item).
ChunkFn = Callable[[list, Any, Callable[[int], None]], Any]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lost:
    """An item whose worker was killed or died while on it."""

    item: Any
    reason: str             # timeout | too_large | worker_crashed
    detail: str


@dataclass
class ChunkResult:
    value: Any = None       # what ChunkFn returned (None when the chunk was cut short)
    lost: list[Lost] = field(default_factory=list)


class PoolBroken(RuntimeError):
    """Workers cannot start at all (an import error, no memory): the run cannot parse."""


# --------------------------------------------------------------------------------------------
# the worker process
# --------------------------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def _die_with(owner: int) -> None:
    """End this worker when the pool's owner ends, however it ends.

    The worker's parent is the fork server, not the owner.  The fork server exits when the
    owner's end of its "alive" pipe closes — but every process it forks inherits that end too, so
    a worker would keep it alive forever: close our copy.  Then: SIGKILL from the kernel when the
    fork server exits, and a thread that waits on the owner itself (a pidfd wakes it the moment
    the owner exits)."""
    try:
        from multiprocessing import forkserver

        fd = forkserver._forkserver._forkserver_alive_fd  # type: ignore[attr-defined]
        if fd is not None:
            os.close(fd)
            forkserver._forkserver._forkserver_alive_fd = None  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        pass
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        try:
            fd = os.pidfd_open(owner)
            select.select([fd], [], [])
        except OSError:                         # already gone
            pass
        except AttributeError:                  # no pidfd: poll
            while _alive(owner):
                time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="owner-watch").start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


# The worker's progress, one 64-bit word in shared memory written with one store (so the
# supervisor never reads half of it): which dispatch of this worker (8 bits, never 0: a word of
# 0 is "nothing started"), the item's index in its chunk (20 bits) and when it started, in
# milliseconds since the pool's epoch (36 bits: 795 days).
_SEQ_SHIFT, _ITEM_SHIFT = 56, 36
MAX_CHUNK_ITEMS = 1 << 20
_MS_MASK = (1 << _ITEM_SHIFT) - 1


def _progress_word(seq: int, item: int, ms: int) -> int:
    return (seq << _SEQ_SHIFT) | (item << _ITEM_SHIFT) | (ms & _MS_MASK)


def _worker_main(conn: mpc.Connection, fn: ChunkFn, context: Any, owner: int,
                 progress: Any, epoch_ms: int) -> None:
    _die_with(owner)
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # Ctrl-C is the supervisor's to handle
    # The worker's long-lived objects (modules, the parser's tables) never become garbage: keep
    # them out of the collector's scans, and collect the young generation less often (a report
    # makes many short-lived objects): ≈ 10 % of a text report's parse went to the collector.
    gc.freeze()
    gc.set_threshold(5000, 10, 10)
    conn.send(("ready",))
    while True:
        msg = conn.recv()
        if msg is None:
            return
        chunk_id, seq, items = msg

        def started(i: int, seq: int = seq) -> None:
            progress.value = _progress_word(seq, i, int(time.monotonic() * 1000) - epoch_ms)

        try:
            value = fn(items, context, started)
            conn.send(("done", chunk_id, value))
        except MemoryError:
            conn.send(("oom", chunk_id))
        except BaseException:
            conn.send(("error", chunk_id, traceback.format_exc(limit=20)))


# --------------------------------------------------------------------------------------------
# the supervisor
# --------------------------------------------------------------------------------------------

@dataclass
class _Ticket:
    """One caller's chunks and their results."""

    remaining: int
    results: dict[int, ChunkResult] = field(default_factory=dict)
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


@dataclass
class _Chunk:
    ticket: _Ticket
    slot: int               # index of the chunk in the caller's list
    items: list
    result: ChunkResult


@dataclass
class _Worker:
    process: Any
    conn: mpc.Connection
    progress: Any                     # the worker's shared progress word (a c_uint64)
    ready: bool = False
    chunk: _Chunk | None = None
    seq: int = 0                      # its current dispatch (1..255, as in the word)
    item: int | None = None           # index in chunk.items of the item running
    since: float = 0.0
    killed_for: tuple[str, str] | None = None


_PAGE = os.sysconf("SC_PAGE_SIZE")

#: Seconds between the supervisor's checks of every worker's progress, time on its item and
#: memory (it wakes for a worker's messages too: ready, a chunk done).
POLL = 0.05


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


# The fork server is the process's, not a pool's: it outlives them, holding the preloaded parser
# (≈ 65 MB) for the rest of a run.  Stopped when the last open pool closes; the next pool
# starts a new one.
_open_pools = 0
_open_pools_lock = threading.Lock()


def _pool_opened() -> None:
    global _open_pools
    with _open_pools_lock:
        _open_pools += 1


def _pool_closed() -> None:
    global _open_pools
    with _open_pools_lock:
        _open_pools -= 1
        if _open_pools == 0:
            try:
                from multiprocessing import forkserver

                forkserver._forkserver._stop()  # type: ignore[attr-defined]
            except Exception:       # (a private API: without it the server only lingers)
                log.debug("could not stop the fork server", exc_info=True)


class WorkerPool:
    """N killable worker processes running ``fn`` on chunks; thread-safe :meth:`run`."""

    def __init__(self, fn: ChunkFn, context: Any, workers: int, timeout: float,
                 memory_limit: int, preload: tuple[str, ...] = ()):
        self.fn, self.context = fn, context
        self.size, self.timeout, self.memory_limit = workers, timeout, memory_limit
        self._mp = multiprocessing.get_context("forkserver")
        if preload:
            self._mp.set_forkserver_preload(list(preload))
        self._queue: deque[_Chunk] = deque()
        self._lock = threading.RLock()
        self._workers: list[_Worker] = []
        self._thread: threading.Thread | None = None
        self._closing = False
        self._start_failures = 0
        self.replaced = 0                 # workers killed or lost and started again
        self.peak_rss = 0                 # the largest worker RSS seen (bytes)
        self._open = True
        self._epoch_ms = int(time.monotonic() * 1000)       # the progress words' clock
        _pool_opened()

    # -- public -------------------------------------------------------------------------------

    def run(self, chunks: list[list]) -> list[ChunkResult]:
        """Run every chunk; returns their results in order (blocks until all are done)."""
        if not chunks:
            return []
        if max(map(len, chunks)) >= MAX_CHUNK_ITEMS:
            raise ValueError(f"a chunk of {MAX_CHUNK_ITEMS} items or more")
        ticket = _Ticket(remaining=len(chunks))
        with self._lock:
            if self._closing:
                raise PoolBroken("the parse pool is closed")
            for i, items in enumerate(chunks):
                self._queue.append(_Chunk(ticket, i, list(items), ChunkResult()))
            if self._thread is None:
                self._thread = threading.Thread(target=self._supervise, daemon=True,
                                                name="parse-supervisor")
                self._thread.start()
        ticket.done.wait()
        if ticket.error is not None:
            raise ticket.error
        return [ticket.results[i] for i in range(len(chunks))]

    def close(self) -> None:
        """Kill every worker now and wait for them (nothing they do survives this call)."""
        with self._lock:
            self._closing = True
            queued = list(self._queue)
            self._queue.clear()
        for c in queued:
            self._fail(c.ticket, PoolBroken("the parse pool was closed"))
        if self._thread is not None:
            self._thread.join()
        for w in self._workers:
            self._kill(w)
        self._workers.clear()
        with self._lock:
            was_open, self._open = self._open, False
        if was_open:
            _pool_closed()

    def pids(self) -> list[int]:
        return [w.process.pid for w in self._workers if w.process.pid]

    def running(self) -> list[tuple[int, Any, float]]:
        """(pid, item, seconds on it) of every worker that is on an item now."""
        now = time.monotonic()
        out = []
        for w in list(self._workers):
            chunk, (item, since) = w.chunk, self._read_progress(w)
            if chunk is not None and item is not None:
                out.append((w.process.pid, chunk.items[item], now - since))
        return out

    # -- supervisor thread --------------------------------------------------------------------

    def _supervise(self) -> None:
        enforced = 0.0
        try:
            while True:
                with self._lock:
                    if self._closing:
                        for w in self._workers:
                            if w.chunk is not None:
                                self._fail(w.chunk.ticket, PoolBroken("the parse pool was closed"))
                                w.chunk = None
                        return
                self._fill()
                self._dispatch()
                self._poll(POLL)
                now = time.monotonic()
                if now - enforced >= POLL:
                    self._enforce()
                    enforced = now
        except BaseException as e:           # a bug here must not leave callers waiting forever
            with self._lock:
                self._closing = True
                pending = [c for c in self._queue] + [w.chunk for w in self._workers if w.chunk]
                self._queue.clear()
            for c in pending:
                self._fail(c.ticket, e)

    def _fill(self) -> None:
        with self._lock:
            want = self.size if (self._queue or any(w.chunk for w in self._workers)) else 0
        while len(self._workers) < want:
            self._workers.append(self._start())

    def _start(self) -> _Worker:
        parent, child = self._mp.Pipe(duplex=True)
        progress = self._mp.RawValue(ctypes.c_uint64, 0)
        p = self._mp.Process(target=_worker_main,
                             args=(child, self.fn, self.context, os.getpid(), progress,
                                   self._epoch_ms),
                             daemon=True, name="etl-parse-worker")
        p.start()
        child.close()
        return _Worker(p, parent, progress)

    def _read_progress(self, w: _Worker) -> tuple[int | None, float]:
        """(item, since) of the worker's current chunk: from its progress word once the worker
        has started an item of this dispatch, else what the supervisor knows."""
        chunk, word = w.chunk, w.progress.value
        if chunk is not None and word >> _SEQ_SHIFT == w.seq:
            item = (word >> _ITEM_SHIFT) & (MAX_CHUNK_ITEMS - 1)
            if item < len(chunk.items):     # (a word 255 empty chunks old could match the seq)
                return item, (self._epoch_ms + (word & _MS_MASK)) / 1000
        return w.item, w.since

    def _progress(self, w: _Worker) -> None:
        """Take up the worker's progress word (in the supervisor thread)."""
        item, since = self._read_progress(w)
        if item is not None and (item, since) != (w.item, w.since):
            w.item, w.since = item, since
            self._start_failures = 0

    def _dispatch(self) -> None:
        for w in self._workers:
            if w.ready and w.chunk is None:
                with self._lock:
                    if not self._queue:
                        return
                    chunk = self._queue.popleft()
                w.chunk, w.item, w.since = chunk, None, time.monotonic()
                w.seq = w.seq % 255 + 1
                try:
                    w.conn.send((id(chunk), w.seq, chunk.items))
                except OSError:
                    pass                      # it died: _poll sees its sentinel

    def _poll(self, timeout: float) -> None:
        waitables: dict[Any, _Worker] = {}
        for w in self._workers:
            waitables[w.conn] = w
            waitables[w.process.sentinel] = w
        if not waitables:
            time.sleep(timeout)
            return
        for obj in mpc.wait(list(waitables), timeout):
            w = waitables[obj]
            if w not in self._workers:
                continue
            if obj is w.conn:
                self._receive(w)
            elif not w.process.is_alive():
                self._lost(w)

    def _receive(self, w: _Worker) -> None:
        try:
            while w.conn.poll():
                self._message(w, w.conn.recv())
        except (EOFError, OSError):
            self._lost(w)

    def _message(self, w: _Worker, msg: tuple) -> None:
        kind = msg[0]
        if kind == "ready":
            w.ready = True
            return
        chunk = w.chunk
        if chunk is None or msg[1] != id(chunk):
            return
        if kind == "done":
            chunk.result.value = msg[2]
            self._finish(chunk)
            w.chunk, w.item = None, None
        elif kind == "oom":
            self._cut(w, "too_large", "the parser ran out of memory on this file")
            self._replace(w)
        else:                                  # "error": fn itself failed, not one item
            self._fail(chunk.ticket, RuntimeError(f"parse worker failed:\n{msg[2]}"))
            w.chunk, w.item = None, None

    def _enforce(self) -> None:
        now = time.monotonic()
        for w in list(self._workers):
            if w.chunk is None or w.killed_for:
                continue
            self._progress(w)
            rss = rss_bytes(w.process.pid)
            self.peak_rss = max(self.peak_rss, rss)
            if w.item is not None and now - w.since > self.timeout:
                w.killed_for = ("timeout", f"parsing took over {self.timeout:g} s; the worker "
                                           f"was killed")
            elif rss > self.memory_limit:
                w.killed_for = ("too_large", f"the parser used over "
                                             f"{self.memory_limit / 2**20:.0f} MB on this file; "
                                             f"the worker was killed")
            if w.killed_for:
                self._kill(w)
                self._lost(w)

    def _lost(self, w: _Worker) -> None:
        """The worker is gone (killed by us or dead by itself)."""
        if w not in self._workers:
            return
        if not w.killed_for:
            # Died by itself: reap it (to read how it died) and charge the item it was on then.
            # A worker we killed is charged to the item the kill was decided on.
            w.process.join(timeout=2)
            self._progress(w)
        code = w.process.exitcode
        if w.chunk is None or w.item is None:
            if not self._closing and (not w.ready or w.chunk is not None):
                self._start_failures += 1
            if w.chunk is not None:                 # died before its first item: redo all
                with self._lock:
                    self._queue.appendleft(_Chunk(w.chunk.ticket, w.chunk.slot, w.chunk.items,
                                                  w.chunk.result))
                w.chunk = None
            if self._start_failures >= 3:
                raise PoolBroken(f"parse workers die before parsing anything (exit code {code})")
        else:
            reason, detail = w.killed_for or ("worker_crashed", _death(code))
            self._cut(w, reason, detail)
        self._replace(w)

    def _cut(self, w: _Worker, reason: str, detail: str) -> None:
        """Charge the running item with ``reason``; requeue the chunk's other items."""
        chunk, i = w.chunk, w.item
        assert chunk is not None and i is not None
        chunk.result.lost.append(Lost(chunk.items[i], reason, detail))
        rest = chunk.items[:i] + chunk.items[i + 1:]
        w.chunk, w.item = None, None
        if rest:
            with self._lock:
                self._queue.appendleft(_Chunk(chunk.ticket, chunk.slot, rest, chunk.result))
        else:
            self._finish(chunk)

    def _replace(self, w: _Worker) -> None:
        self._kill(w)
        self._workers.remove(w)
        self.replaced += 1

    def _finish(self, chunk: _Chunk) -> None:
        t = chunk.ticket
        with self._lock:
            t.results[chunk.slot] = chunk.result
            t.remaining -= 1
            if t.remaining == 0:
                t.done.set()

    def _fail(self, ticket: _Ticket, error: BaseException) -> None:
        with self._lock:
            if ticket.error is None:
                ticket.error = error
            ticket.done.set()

    @staticmethod
    def _kill(w: _Worker) -> None:
        p = w.process
        if p.is_alive():
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        p.join(timeout=5)
        w.conn.close()


def _death(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (the out-of-memory killer?)" if -code == signal.SIGKILL else ""
        return f"the parse worker died of {name}{hint} while on this file"
    return f"the parse worker exited with code {code} while on this file"
