"""Named points where a test kills the run with SIGKILL, to prove what a kill -9 there leaves.

``ETL_KILL_AT=<point>`` kills the process the first time it reaches ``killpoint(<point>)``
(``ETL_KILL_AT=<point>#<n>``: the n-th time).  Unset (always, outside tests) it costs one dict
lookup.  ``POINTS`` lists every point, so the chaos tests can go through all of them.
"""

from __future__ import annotations

import os
import signal

POINTS: tuple[str, ...] = (
    "discover.walk", "discover.done", "plan.done", "parse.batch_done", "parse.index_saved",
    "resolve.done", "write.snapshot_created", "write.partition_written", "write.done",
    "validate.partition_written", "validate.done", "aggregate.done", "database.copied", "database.tables",
    "database.done", "publish.meta_written", "publish.synced", "publish.swapped",
    "publish.links", "publish.run_recorded", "gc.removing",
)
_seen: dict[str, int] = {}


def killpoint(name: str) -> None:
    target = os.environ.get("ETL_KILL_AT")
    if not target:
        return
    point, _, nth = target.partition("#")
    if point != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
