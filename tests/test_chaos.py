"""kill -9 of `etl run` at every named point of every stage: the warehouse is always the last
good one (or, past the swap, the new one, whole), nothing the run started keeps running, the
next run succeeds, and the folder does not grow.

`etl run` runs as a real process against a real `prefect server` started here.  Three points run
by default; all of them with `-m slow` (bench/chaos.py adds kills at random moments).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import make_raw
from etl.killpoint import POINTS
from etl.warehouse.database import MAX_GROWTH
from etl.warehouse.store import Layout

ETL = Path(sys.executable).parent / "etl"
PREFECT = Path(sys.executable).parent / "prefect"
FAST = ("write.partition_written", "database.copied", "database.tables", "publish.swapped")


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    """A real Prefect server (what a nightly deployment runs against)."""
    home = tmp_path_factory.mktemp("prefect-home")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": ""}
    server = subprocess.Popen([str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port",
                               str(port), "--no-ui"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 90
    import urllib.request

    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            pytest.skip("prefect server did not start")
        time.sleep(0.5)
    yield url
    server.terminate()
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        server.kill()


def etl_run(url: str, raw: Path, wh: Path, kill_at: str | None = None, mark: str = "",
            **extra_env: str) -> int:
    env = {**os.environ, "PREFECT_API_URL": url, "ETL_CHAOS_MARK": mark, **extra_env}
    env.pop("ETL_RUN_TOKEN", None)
    if kill_at:
        env["ETL_KILL_AT"] = kill_at
    else:
        env.pop("ETL_KILL_AT", None)
    r = subprocess.run([str(ETL), "run", "--raw", str(raw), "--warehouse", str(wh)], env=env,
                       capture_output=True, text=True, timeout=600)
    if r.returncode not in (0, -9):
        print(r.stdout, r.stderr)
    return r.returncode


def published(wh: Path) -> dict[str, str]:
    layout = Layout.at(wh)
    snap = layout.current_snapshot()
    out = {"current": os.readlink(layout.current)}
    for dirpath, _, filenames in os.walk(snap, followlinks=True):
        for name in filenames:
            p = Path(dirpath) / name
            out[str(p.relative_to(snap))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def size_without_cache(wh: Path) -> int:
    total = 0
    for dirpath, dirnames, filenames in os.walk(wh):
        if Path(dirpath) == wh and "cache" in dirnames:
            dirnames.remove("cache")
        total += sum(os.lstat(Path(dirpath) / f).st_size for f in filenames)
    return total


def carriers(mark: str) -> list[int]:
    needle = f"ETL_CHAOS_MARK={mark}".encode()
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/environ", "rb") as fh:
                    if needle in fh.read().split(b"\0"):
                        out.append(int(name))
            except OSError:
                pass
    return out


def count_reports(wh: Path) -> int:
    from etl.warehouse.query import run_query

    return run_query("SELECT count(*) FROM reports", wh)[1][0][0]


@pytest.fixture(scope="module")
def base(prefect_server, tmp_path_factory):
    """A published warehouse and, beside it, the same raw folder with one report changed (so a
    run has something to parse, write, check and publish)."""
    root = tmp_path_factory.mktemp("chaos")
    raw = make_raw(root)
    wh = root / "wh"
    assert etl_run(prefect_server, raw, wh) == 0
    changed = root / "raw2"
    shutil.copytree(raw, changed)
    p = changed / "007_huaian_hongze_district_2024.txt"
    p.write_text(p.read_text("utf-8").replace("信息公开申请17件", "信息公开申请95件"), "utf-8")
    fresh = root / "fresh"
    assert etl_run(prefect_server, changed, fresh) == 0
    return raw, changed, wh, size_without_cache(fresh)


@pytest.mark.parametrize("point", [pytest.param(p, marks=() if p in FAST else pytest.mark.slow)
                                   for p in POINTS])
def test_kill_at(point, prefect_server, base, tmp_path):
    raw, changed, wh0, fresh_size = base
    wh = tmp_path / "wh"
    shutil.copytree(wh0, wh, symlinks=True)
    # a leftover of an earlier killed run, so the sweep (and its kill point) has work
    (Layout.at(wh).snapshots / "20000101T000000000000Z-dead00" / "reports").mkdir(parents=True)
    before = published(wh)
    n_before = count_reports(wh)
    mark = uuid.uuid4().hex
    # a warehouse this small is rebuilt in full, unless told to copy (to reach the copy's point)
    copy = {"ETL_DATABASE_COPY_MIN": "1B"} if point == "database.copied" else {}
    assert etl_run(prefect_server, changed, wh, kill_at=point, mark=mark, **copy) == -9, point
    # nothing the killed run started is still running
    deadline = time.monotonic() + 15
    while carriers(mark) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert carriers(mark) == [], f"processes outlived the run killed at {point}"
    # the warehouse is the last good one, or the new one whole; either way it answers
    after = published(wh)
    if after != before:
        assert point.startswith(("publish.swapped", "publish.links", "publish.run_recorded",
                                 "gc.")), point
    assert count_reports(wh) == n_before
    # the next run succeeds, leaves no leftovers, and the folder is no bigger than a fresh build
    assert etl_run(prefect_server, changed, wh, **copy) == 0
    layout = Layout.at(wh)
    assert not any((wh / ".staging").iterdir())
    assert len(list(layout.snapshots.iterdir())) <= 3
    # (a copied database file may be up to MAX_GROWTH times a full build's)
    allowance = MAX_GROWTH * (wh0 / "warehouse.duckdb").stat().st_size if copy else 0
    assert size_without_cache(wh) <= 2.5 * fresh_size + allowance
