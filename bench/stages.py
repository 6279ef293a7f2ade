"""Where a full run's time goes, stage by stage: wall seconds, how many cores the machine kept
busy, and the CPU seconds of the run's own process, of Prefect's temporary server and of the
workers (parse workers, card workers), with the peak RSS of the tree during the stage.  The
first stage's row includes the process's start (imports, Prefect's temporary server, the flow
run); "(stop)" is what follows the last stage until the process exits.

    .venv/bin/python bench/stages.py                         # corpus .tmp/bench-corpus-10000
    .venv/bin/python bench/stages.py --reports 100000
    .venv/bin/python bench/stages.py --reports 100000 --warehouse .tmp/wh-copy --keep

A stage whose busy cores are well under the machine's cores leaves CPU unused (the stage is
waiting, or runs on one thread); one at the machine's cores can only get faster by doing less
work.  The corpus is bench/pipeline.py's (made there); ``--keep`` runs on the given warehouse
as it is (e.g. a copy holding only the parse cache: every stage after parsing, at full size).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "src"))
sys.path.insert(0, str(PROJECT / "bench"))

from proctree import rss, tree  # noqa: E402

ETL = Path(sys.executable).parent / "etl"
HZ = os.sysconf("SC_CLK_TCK")
STAGE_LINE = re.compile(r"^\S+ ([a-z]+): ([0-9.]+) s; the run's process")


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of every core since boot."""
    with open("/proc/stat") as fh:
        v = [int(x) for x in fh.readline().split()[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7], sum(v)


def cpu_seconds(pid: int) -> float | None:
    """User + system seconds of a live process (None once it has ended)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            f = fh.read().rsplit(b")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / HZ
    except (OSError, IndexError, ValueError):
        return None


def role(pid: int, root: int) -> str:
    if pid == root:
        return "run"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmd = fh.read()
    except OSError:
        return "workers"
    return "server" if b"uvicorn" in cmd or (b"prefect" in cmd and b"server" in cmd) else "workers"


class Sampler:
    """Every 0.25 s: the machine's busy cores, the tree's RSS, each process's CPU seconds (the
    last value seen is kept for a process that has ended)."""

    def __init__(self, root: int):
        self.root = root
        self.samples: list[tuple[float, float, int]] = []      # (time, busy cores, tree rss)
        self.cpu: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def totals(self) -> dict[str, float]:
        out = {"run": 0.0, "server": 0.0, "workers": 0.0}
        for kind, secs in list(self.cpu.values()):
            out[kind] += secs
        return out

    def _run(self) -> None:
        cores = os.cpu_count() or 1
        prev = machine_busy()
        while not self._stop.wait(0.25):
            pids = tree(self.root)
            for p in pids:
                secs = cpu_seconds(p)
                if secs is not None:
                    kind = self.cpu[p][0] if p in self.cpu else role(p, self.root)
                    self.cpu[p] = (kind, secs)
            cur = machine_busy()
            busy = cores * (cur[0] - prev[0]) / max(cur[1] - prev[1], 1)
            self.samples.append((time.monotonic(), busy, sum(rss(p) for p in pids)))
            prev = cur

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--warehouse", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="run on --warehouse as it is")
    args = ap.parse_args()
    raw = PROJECT / ".tmp" / f"bench-corpus-{args.reports}"
    if not (raw / "manifest.csv").is_file():
        raise SystemExit(f"no corpus at {raw}: make it with bench/pipeline.py --reports {args.reports}")
    wh = args.warehouse or PROJECT / ".tmp" / f"bench-stages-{args.reports}"
    if not args.keep:
        shutil.rmtree(wh, ignore_errors=True)
    t0 = time.monotonic()
    p = subprocess.Popen([str(ETL), "run", "--raw", str(raw), "--warehouse", str(wh)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(p.pid)
    marks = [("(start)", t0, sampler.totals())]
    assert p.stderr is not None
    for line in p.stderr:
        m = STAGE_LINE.match(line)
        if m:
            marks.append((m.group(1), time.monotonic(), sampler.totals()))
    p.wait()
    time.sleep(0.3)
    sampler.stop()
    marks.append(("(stop)", time.monotonic(), sampler.totals()))
    print(f"etl run: rc {p.returncode}, {marks[-1][1] - t0:.1f} s, {args.reports:,} reports")
    print(f"{'stage':12} {'wall s':>7} {'busy cores':>10} {'run cpu s':>9} {'server':>7} "
          f"{'workers':>8} {'peak MB':>8}")
    for (_, t_prev, c_prev), (name, t, c) in zip(marks, marks[1:]):
        within = [s for s in sampler.samples if t_prev < s[0] <= t]
        busy = sum(s[1] for s in within) / max(len(within), 1)
        peak = max((s[2] for s in within), default=0) >> 20
        d = {k: c[k] - c_prev[k] for k in c}
        print(f"{name:12} {t - t_prev:7.1f} {busy:10.2f} {d['run']:9.1f} {d['server']:7.1f} "
              f"{d['workers']:8.1f} {peak:8,}")
    total = marks[-1][2]
    print("CPU seconds in all: " + ", ".join(f"{k} {v:.1f}" for k, v in total.items())
          + f"; tree peak {max((s[2] for s in sampler.samples), default=0) >> 20:,} MB")


if __name__ == "__main__":
    main()
