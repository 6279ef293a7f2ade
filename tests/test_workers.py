"""The parse pool: every file runs where it can be killed.  Real hangs (in Python and in C), real
crashes (abort, segfault, SIGKILL from outside), real memory blow-ups — each costs its one file
(`timeout`, `worker_crashed`, `too_large`) and the rest of the work goes on, at any batch size."""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time

import pytest

from etl.stages.workers import PoolBroken, WorkerPool


def behave(items, context, started):
    """A chunk function whose items say what to do: ok | sleep | c_hang | abort | segv | eat | pid."""
    out = []
    for i, item in enumerate(items):
        started(i)
        if item == "sleep":
            time.sleep(60)                              # a hang in Python
        elif item == "c_hang":
            ctypes.CDLL(None).sleep(60)                 # a hang in C: no signal handler runs
        elif item == "abort":
            os.abort()
        elif item == "segv":
            ctypes.string_at(0)                         # a segfault
        elif item == "eat":
            hog = []
            while True:                                 # grows until the supervisor kills it
                hog.append(b"x" * (16 * 2**20))           # touched pages: real RSS
                time.sleep(0.01)
        elif item == "pid":
            out.append(os.getpid())
            continue
        out.append(item)
    return out


def pool(workers=2, timeout=1.0, memory=400 * 2**20) -> WorkerPool:
    return WorkerPool(behave, None, workers, timeout, memory)


@pytest.mark.parametrize("bad, reason", [("sleep", "timeout"), ("c_hang", "timeout"),
                                         ("abort", "worker_crashed"), ("segv", "worker_crashed"),
                                         ("eat", "too_large")])
def test_one_bad_item_costs_only_itself(bad, reason):
    p = pool(timeout=3, memory=250 * 2**20)
    try:
        t0 = time.monotonic()
        (res,) = p.run([["a", "b", bad, "c", "d"]])
        assert time.monotonic() - t0 < 30
    finally:
        p.close()
    assert [lost.item for lost in res.lost] == [bad]
    assert res.lost[0].reason == reason
    assert res.value == ["a", "b", "c", "d"]          # the others redone after the kill
    assert p.replaced == 1


@pytest.mark.parametrize("n", [1, 3, 64, 250])
def test_any_batch_size_goes_through_the_pool(n):
    """No in-process shortcut for small batches: a hang in a one-file batch is killed too."""
    p = pool(timeout=0.5)
    try:
        items = ["ok"] * (n - 1) + ["c_hang"]
        chunks = [items[i:i + 50] for i in range(0, n, 50)]
        results = p.run(chunks)
    finally:
        p.close()
    lost = [lost for r in results for lost in r.lost]
    assert [(x.item, x.reason) for x in lost] == [("c_hang", "timeout")]
    assert sum(len(r.value or []) for r in results) == n - 1


def test_worker_killed_from_outside_is_replaced():
    """The OOM killer's way: SIGKILL from outside while an item runs."""
    p = pool(workers=1, timeout=30)
    try:
        def killer():
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                for pid, item, _ in p.running():
                    if item == "sleep":
                        os.kill(pid, signal.SIGKILL)
                        return
                time.sleep(0.05)

        t = threading.Thread(target=killer)
        t.start()
        (res,) = p.run([["sleep"] + ["ok"] * 3])
        t.join()
    finally:
        p.close()
    assert [(x.item, x.reason) for x in res.lost] == [("sleep", "worker_crashed")]
    assert "SIGKILL" in res.lost[0].detail
    assert res.value == ["ok"] * 3


def test_concurrent_callers_share_the_workers():
    p = pool(timeout=5)
    out = {}
    try:
        threads = [threading.Thread(target=lambda k=k: out.__setitem__(
            k, p.run([[f"{k}-{i}" for i in range(20)], [f"{k}-x"]]))) for k in "abc"]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        p.close()
    for k in "abc":
        assert out[k][0].value == [f"{k}-{i}" for i in range(20)] and out[k][1].value == [f"{k}-x"]


def test_close_kills_busy_workers_at_once():
    p = pool(timeout=60)
    errors = []
    t = threading.Thread(target=lambda: _catch(errors, p.run, [["sleep"], ["sleep"]]))
    t.start()
    deadline = time.monotonic() + 20
    while len(p.pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = p.pids()
    t0 = time.monotonic()
    p.close()
    t.join(10)
    assert time.monotonic() - t0 < 10
    assert errors and isinstance(errors[0], PoolBroken)
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_workers_die_with_their_parent(tmp_path):
    """A process that owns a pool is SIGKILLed: its workers do not outlive it."""
    import subprocess
    import sys

    script = tmp_path / "owner.py"
    script.write_text(
        "import sys, time\n"
        "sys.path.insert(0, %r)\n"
        "from test_workers import pool\n"
        "if __name__ == '__main__':\n"
        "    p = pool(timeout=60)\n"
        "    import threading\n"
        "    threading.Thread(target=p.run, args=([['sleep'], ['sleep']],), daemon=True).start()\n"
        "    while len(p.running()) < 2: time.sleep(0.05)\n"
        "    print(*p.pids(), flush=True)\n"
        "    time.sleep(60)\n" % str(os.path.dirname(__file__)))
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    pids = [int(x) for x in owner.stdout.readline().split()]
    assert len(pids) == 2
    owner.kill()
    owner.wait()
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in pids if _alive(pid)]
        time.sleep(0.1)
    assert alive == []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _catch(errors, fn, *args):
    try:
        fn(*args)
    except BaseException as e:
        errors.append(e)


def test_the_fork_server_stops_with_the_last_open_pool():
    # It holds the preloaded parser for as long as it lives: not for the rest of a run.
    from multiprocessing import forkserver

    first, second = pool(), pool()
    assert first.run([["x"]]) and second.run([["y"]])
    server = forkserver._forkserver._forkserver_pid
    assert server is not None
    first.close()
    os.kill(server, 0)                       # still serving the open pool
    assert second.run([["z"]])[0].value == ["z"]
    second.close()
    second.close()                           # closing twice counts once
    with pytest.raises(ProcessLookupError):
        os.kill(server, 0)
    again = pool()                           # the next pool starts a new one
    try:
        assert again.run([["w"]])[0].value == ["w"]
    finally:
        again.close()


def test_progress_is_charged_right_after_the_dispatch_counter_wraps():
    """Workers note the item they start in a shared word tagged with the dispatch (8 bits):
    after hundreds of dispatches to each worker, a hang is still charged to its own item, and
    `running()` names it while it runs."""
    p = pool(timeout=1.5)
    seen = []
    try:
        assert [r.value for r in p.run([["ok"]] * 600)] == [["ok"]] * 600

        def watch():
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not seen:
                seen.extend(item for _, item, secs in p.running() if item == "c_hang" and secs >= 0)
                time.sleep(0.05)

        t = threading.Thread(target=watch)
        t.start()
        (res,) = p.run([["ok", "c_hang", "ok2"]])
        t.join()
    finally:
        p.close()
    assert seen and [(x.item, x.reason) for x in res.lost] == [("c_hang", "timeout")]
    assert res.value == ["ok", "ok2"]


def test_a_chunk_too_long_for_the_progress_word_is_refused():
    from etl.stages.workers import MAX_CHUNK_ITEMS

    p = pool()
    try:
        with pytest.raises(ValueError):
            p.run([["ok"] * MAX_CHUNK_ITEMS])
    finally:
        p.close()
