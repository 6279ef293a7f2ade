"""Peak resident memory of a process and all its descendants, sampled from /proc (what the
issues' memory targets mean by "the whole process tree")."""

from __future__ import annotations

import os
import threading

from etl.stages.workers import rss_bytes as rss


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(name))
            except (OSError, IndexError, ValueError):
                pass
    return kids


def tree(pid: int) -> list[int]:
    kids, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


class TreeSampler:
    """with TreeSampler(pid) as s: ...; s.peak (bytes), s.peak_processes."""

    def __init__(self, pid: int | None = None, every: float = 0.05):
        self.pid, self.every = pid or os.getpid(), every
        self.peak = 0
        self.peak_processes = 0
        self._stop = threading.Event()

    def __enter__(self) -> "TreeSampler":
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = tree(self.pid)
            total = sum(rss(p) for p in pids)
            if total > self.peak:
                self.peak, self.peak_processes = total, len(pids)
            self._stop.wait(self.every)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
