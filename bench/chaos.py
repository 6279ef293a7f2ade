"""Chaos: a hostile corpus, hostile queries, and kill -9 at every named point and at random
moments — the figures issue 8 asks for.

    .venv/bin/python bench/chaos.py                    # 1,000 hostile files, 20 kill points, 10 random kills
    .venv/bin/python bench/chaos.py --hostile 2000 --random-kills 30

Prints: files accounted for, good reports' cells identical with and without the hostile files,
peak RSS of the whole `etl run` process tree, quarantine reasons; hostile queries refused or
harmless with the warehouse bytes unchanged; for every kill: the warehouse before or after the
run (never a mix), processes left behind, next run ok, folder size.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
import zlib
from collections import Counter
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "src"))
sys.path.insert(0, str(PROJECT / "bench"))
sys.path.insert(0, str(PROJECT / "tests"))

from proctree import TreeSampler  # noqa: E402

ETL = Path(sys.executable).parent / "etl"
GOOD = PROJECT / "data" / "raw"


# --- the hostile corpus ---------------------------------------------------------------------------

def _zip_bomb(inflated: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            for _ in range(inflated // (4 << 20)):
                fh.write(b"\0" * (4 << 20))
    return buf.getvalue()


def _pdf_bomb(inflated: int) -> bytes:
    c = zlib.compressobj(9)
    body = b"".join(c.compress(b"\0" * (4 << 20)) for _ in range(inflated // (4 << 20))) + c.flush()
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
            b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >> endobj\n"
            + f"4 0 obj << /Length {len(body)} /Filter /FlateDecode >>\nstream\n".encode()
            + body + b"\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def make_hostile(root: Path, n: int, seed: int = 7) -> Counter:
    """n hostile files of every kind under root/hostile; returns how many of each kind."""
    rng = random.Random(seed)
    out = root / "hostile"
    out.mkdir(parents=True)
    real = sorted(p for p in GOOD.rglob("*")
                  if p.is_file() and p.suffix in (".pdf", ".docx", ".html", ".txt"))
    zip_bomb, pdf_bomb = _zip_bomb(300 << 20), _pdf_bomb(300 << 20)
    kinds = Counter()

    def name(kind: str, ext: str) -> Path:
        kinds[kind] += 1
        return out / f"{kind}-{kinds[kind]:04d}{ext}"

    for i in range(n):
        k = i % 14
        if k == 0:
            os.mkfifo(name("fifo", ".txt"))
        elif k == 1:
            os.symlink(out / "nowhere", name("dangling", ".pdf"))
        elif k == 2:
            a = name("loop", ".txt")
            os.symlink(a.name + ".b", a)
            os.symlink(a.name, Path(str(a) + ".b"))
        elif k == 3:
            kinds["bad_name"] += 1
            raw = f"bad-name-{i}-".encode() + bytes([0xff, 0xfe, rng.randrange(0x80, 0xff)]) + b".txt"
            with open(os.path.join(os.fsencode(out), raw), "wb") as fh:
                fh.write(b"\xff" * rng.randrange(1, 100))
        elif k == 4:
            name("zipbomb", ".docx").write_bytes(zip_bomb)
        elif k == 5:
            name("pdfbomb", ".pdf").write_bytes(pdf_bomb)
        elif k == 6:
            name("empty", rng.choice([".pdf", ".docx", ".html", ".txt"])).write_bytes(b"")
        elif k == 7:
            src = rng.choice(real).read_bytes()
            cut = src[: rng.randrange(1, max(2, len(src) // 2))]
            name("truncated", Path(rng.choice(real)).suffix).write_bytes(cut)
        elif k == 8:
            src = bytearray(rng.choice(real).read_bytes())
            for _ in range(rng.randrange(1, 50)):
                src[rng.randrange(len(src))] = rng.randrange(256)
            name("bitflip", rng.choice([".pdf", ".docx", ".html", ".txt"])).write_bytes(bytes(src))
        elif k == 9:
            name("random", rng.choice([".pdf", ".docx", ".html", ".txt", ".doc"])).write_bytes(
                os.urandom(rng.randrange(10, 50_000)))
        elif k == 10:
            name("markup", ".txt").write_text("[bold red]x[/'PDF', 1] \x1b[2J" * 10, "utf-8")
        elif k == 11:                              # larger than ETL_MAX_FILE_BYTES in this bench
            name("huge", ".txt").write_bytes(b"1" * (6 << 20))
        elif k == 12:                              # a giant table: slow to parse
            rows = "".join(f"<tr><td>本年新收{j}</td>" + "<td>1</td>" * 7 + "</tr>" for j in range(40_000))
            name("giant", ".html").write_text(f"<html><body><table>{rows}</table></body></html>", "utf-8")
        else:                                      # a byte-identical copy of a good report
            src = rng.choice(real)
            shutil.copy(src, name("copy", src.suffix))
    return kinds


# --- runs -----------------------------------------------------------------------------------------

def etl_run(raw: Path, wh: Path, env: dict, kill_after: float | None = None) -> tuple[int, float, int, float]:
    """(return code, seconds, peak tree RSS bytes, peak processes)."""
    t0 = time.perf_counter()
    p = subprocess.Popen([str(ETL), "run", "--raw", str(raw), "--warehouse", str(wh)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with TreeSampler(p.pid) as s:
        try:
            if kill_after is not None:
                try:
                    p.wait(kill_after)
                except subprocess.TimeoutExpired:
                    p.kill()
            p.wait(3600)
        finally:
            out, err = p.communicate()
    if p.returncode not in (0, -9):
        print(err.decode("utf-8", "replace")[-2000:])
    return p.returncode, time.perf_counter() - t0, s.peak, s.peak_processes


def cells(wh: Path, exclude_prefix: str) -> list:
    from etl.warehouse.query import run_query

    out = []
    for t in ("applications", "active_disclosure", "review_litigation", "prose_figures"):
        _, rows = run_query(f"SELECT f.* EXCLUDE (status) FROM {t} f JOIN reports r USING (report_id) "
                            f"WHERE r.status = 'loaded' "
                            f"AND NOT starts_with(r.source_file, '{exclude_prefix}')", wh)
        out += sorted(map(repr, rows))
    return out


def fingerprint(root: Path) -> str:
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in sorted(os.walk(root)):
        for n in sorted(filenames):
            p = Path(dirpath) / n
            if n != ".writer.lock" and not p.is_symlink():
                h.update(str(p).encode() + p.read_bytes())
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hostile", type=int, default=1000)
    ap.add_argument("--random-kills", type=int, default=10)
    ap.add_argument("--no-points", action="store_true", help="skip the named kill points")
    args = ap.parse_args()
    (PROJECT / ".tmp").mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="etl-chaos-", dir=PROJECT / ".tmp"))
    env = {**os.environ, "ETL_PARSE_TIMEOUT": "5", "ETL_MAX_FILE_BYTES": "5MB"}
    env.pop("ETL_KILL_AT", None)
    try:
        good = tmp / "good"
        shutil.copytree(GOOD, good)
        hostile = tmp / "hostile-raw"
        shutil.copytree(GOOD, hostile)
        kinds = make_hostile(hostile, args.hostile)
        from etl.stages.discover import discover

        print(f"hostile corpus: {sum(kinds.values())} files + {len(discover(good).files)} good reports "
              f"({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})")

        rc, secs, peak, procs = etl_run(good, tmp / "wh-good", env)
        print(f"good run: exit {rc}, {secs:.1f} s, peak RSS of the process tree {peak / 2**20:.0f} MB")
        rc, secs, peak, procs = etl_run(hostile, tmp / "wh-hostile", env)
        print(f"hostile run: exit {rc}, {secs:.1f} s, peak RSS of the process tree {peak / 2**20:.0f} MB "
              f"({procs} processes)")
        from etl.warehouse.query import run_query

        inv = discover(hostile)
        n_entries = len(inv.files) + len(inv.skipped)
        _, rows = run_query("SELECT status, coalesce(error_reason, ''), count(*) FROM reports "
                            "GROUP BY ALL ORDER BY ALL",
                            tmp / "wh-hostile")
        accounted = sum(r[2] for r in rows)
        print(f"accounted for: {accounted} rows for {n_entries} entries under the raw folder "
              f"({'all' if accounted == n_entries else 'MISSING SOME'})")
        for status, reason, n in rows:
            print(f"  {status:12s} {reason:20s} {n}")
        same = cells(tmp / "wh-good", "hostile/") == cells(tmp / "wh-hostile", "hostile/")
        print(f"good reports' cells identical with and without the hostile files: {same}")

        # hostile queries
        from test_sql_readonly import hostile as hostile_queries

        wh = tmp / "wh-good"
        before = fingerprint(wh)
        refused = harmless = 0
        for q in hostile_queries(wh):
            try:
                run_query(q, wh)
                harmless += 1
                print(f"  answered: {q[:100]}")
            except Exception:
                refused += 1
            if fingerprint(wh) != before:
                print(f"  THE WAREHOUSE CHANGED after: {q[:100]}")
                before = fingerprint(wh)
        print(f"hostile queries: {refused} refused, {harmless} harmless; warehouse bytes unchanged: "
              f"{fingerprint(wh) == before}")

        # kill -9: every named point, then random moments
        from etl.killpoint import POINTS

        changed = tmp / "changed"
        shutil.copytree(good, changed)
        f = next(p for p in sorted(changed.rglob("*.txt")) if "synth" in str(p))
        f.write_bytes(f.read_bytes() + b"\n")
        ok = 0
        kills = [(p, None) for p in ([] if args.no_points else POINTS)]
        rng = random.Random(3)
        kills += [(None, rng.uniform(1.0, 25.0)) for _ in range(args.random_kills)]
        base_size = None
        for point, delay in kills:
            w = tmp / f"wh-{uuid.uuid4().hex[:6]}"
            shutil.copytree(tmp / "wh-good", w, symlinks=True)
            before = fingerprint(w / "current")
            n_before = run_query("SELECT count(*) FROM reports", w)[1][0][0]
            mark = uuid.uuid4().hex
            e = {**env, "ETL_CHAOS_MARK": mark}
            if point:
                e["ETL_KILL_AT"] = point
            rc, _, _, _ = etl_run(changed, w, e, kill_after=delay)
            time.sleep(1)
            from test_chaos import carriers

            left = carriers(mark)
            n_after = run_query("SELECT count(*) FROM reports", w)[1][0][0]
            state = "before" if fingerprint(w / "current") == before else "after"
            rc2, _, _, _ = etl_run(changed, w, env)
            size = sum(p.stat().st_size for p in w.rglob("*") if p.is_file() and "cache" not in p.parts)
            base_size = base_size or size
            good_kill = (n_after == n_before and not left and rc2 == 0 and size <= 1.5 * base_size)
            ok += good_kill
            what = point or f"random {delay:.1f} s"
            print(f"kill -9 at {what:28s}: exit {rc:3d}; warehouse = {state} the run; {len(left)} processes "
                  f"left; next run exit {rc2}; folder {size / 2**20:.1f} MB {'ok' if good_kill else 'FAIL'}")
            shutil.rmtree(w, ignore_errors=True)
        print(f"kills: {ok}/{len(kills)} left the warehouse whole, nothing running, the next run ok, "
              f"no disk growth")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
