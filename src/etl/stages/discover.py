"""Stage 1 — discover: every input report under the raw root, with the manifest row that
describes it, and one entry with a reason for everything under the root that cannot be a report.

Nothing here reads a report's content, and nothing here can hang or stop the run: a FIFO, a
socket or a device is listed as ``not_a_regular_file`` (never opened), a dangling symlink or a
symlink loop as ``broken_link``, an unreadable folder as ``unreadable``; a folder reached twice
through symlinks is walked once; a file name that is not valid UTF-8 is shown decoded as GB 18030
(what Chinese Windows writes into archives) or with escapes, and the file is still read through
its real name.

Manifests: any file named ``manifest.csv`` at any depth applies to the files of its folder tree;
its ``file`` column is relative to the manifest's folder.  When two manifests list the same file
the deeper one wins.  Manifest values override what the report's text says.  A manifest that
cannot be read is listed as ``bad_manifest`` (its files are still read); a bad value in a row
(a year that is not a report year) is dropped with a warning on that file.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import stat
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from etl.killpoint import killpoint
from etl.settings import FIRST_REPORT_YEAR, last_report_year

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = ("file", "agency_id", "agency", "region_path", "level", "year", "format",
                    "source_url", "published", "faults")
#: A manifest bigger than this is not a manifest (it is listed as bad_manifest, not read).
MAX_MANIFEST_BYTES = 64 * 2**20

# Files that sit beside reports but are not reports: manifests, ground truth (synth writes
# truth/*.json next to its documents), notes.  Hidden files and folders are skipped too.
_SKIP_SUFFIXES = {".json", ".csv"}
_SKIP_PREFIXES = ("readme", ".")


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One input file: where it is, how it is shown, what its manifest row says."""

    path: str | bytes               # the real path (bytes when the name is not valid UTF-8)
    rel: str                        # POSIX path relative to the raw root, as shown (source_file)
    size: int
    manifest: dict[str, str] = field(default_factory=dict)   # non-empty manifest values
    mtime_ns: int = 0
    ctime_ns: int = 0
    warnings: tuple[str, ...] = ()  # what discovery noticed about this file (shown in reports)

    @property
    def manifest_year(self) -> int | None:
        y = self.manifest.get("year", "")
        return int(y) if y.isdigit() else None

    @property
    def stat_key(self) -> tuple[int, int, int]:
        """Unchanged (size, mtime, ctime) = unchanged bytes, for the parse cache's file index."""
        return self.size, self.mtime_ns, self.ctime_ns


@dataclass(frozen=True)
class Skipped:
    """Something under the raw root that is not read as a report, and why (a ``skipped`` row of
    ``reports``: FIFOs, broken links, unreadable folders, manifests that cannot be used)."""

    rel: str
    reason: str
    detail: str


@dataclass
class Inventory:
    files: list[SourceFile]
    skipped: list[Skipped]


def is_report_candidate(name: str) -> bool:
    low = name.lower()
    if low.startswith(_SKIP_PREFIXES):
        return False
    return os.path.splitext(low)[1] not in _SKIP_SUFFIXES


def shown_name(raw: bytes) -> tuple[str, str | None]:
    """(name to show, warning) for a file name as the file system holds it."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    try:
        name = raw.decode("gb18030")
        return name, f"file name is not UTF-8; shown decoded as GB 18030 ({raw!r})"
    except UnicodeDecodeError:
        name = raw.decode("utf-8", "backslashreplace")
        return name, f"file name is not UTF-8; shown with escapes ({raw!r})"


def _valid_year(text: str) -> bool:
    return text.isdigit() and FIRST_REPORT_YEAR <= int(text) <= last_report_year()


def read_manifest(data: bytes) -> tuple[dict[str, dict[str, str]], list[str]]:
    """({file relative to the manifest's folder: {column: value}}, warnings).  A value that is
    dropped is named in the row's ``_warning`` entry, which discovery moves to the file."""
    out: dict[str, dict[str, str]] = {}
    warnings: list[str] = []
    text = data.decode("utf-8-sig")
    for line_no, row in enumerate(csv.DictReader(io.StringIO(text, newline="")), start=2):
        name = (row.get("file") or "").strip() if isinstance(row.get("file"), str) else ""
        if not name:
            continue
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts:
            warnings.append(f"line {line_no}: file {name!r} is outside the manifest's folder; ignored")
            continue
        values = {k.strip(): v.strip() for k, v in row.items()
                  if isinstance(k, str) and isinstance(v, str) and k.strip() != "file" and v.strip()}
        if "year" in values and not _valid_year(values["year"]):
            values["_warning"] = (f"manifest line {line_no}: year {values.pop('year')!r} is not "
                                  f"a report year ({FIRST_REPORT_YEAR}–{last_report_year()}); ignored")
        out[str(rel)] = values
    return out, warnings


def discover(raw: str | Path, year: int | None = None,
             exclude: tuple[Path, ...] = ()) -> Inventory:
    """Every candidate report under ``raw`` (sorted by shown path) with its manifest row, plus
    what was skipped and why.  ``exclude``: folders never entered (the warehouse).

    With ``year``, files whose manifest gives another year are left out (a file without a
    manifest year must be parsed to learn its year, so it stays in).
    """
    root = Path(raw).resolve()
    excluded = {os.fsencode(os.path.realpath(p)) for p in exclude}
    found: list[tuple[bytes, str, os.stat_result, list[str]]] = []
    skipped: list[Skipped] = []
    manifests: list[tuple[int, str, dict[str, dict[str, str]]]] = []
    seen_dirs: set[tuple[int, int]] = set()

    def walk(folder: bytes, rel_dir: str, warn: list[str]) -> None:
        try:
            st = os.stat(folder)
            if (st.st_dev, st.st_ino) in seen_dirs:
                return                                  # reached again through a symlink
            seen_dirs.add((st.st_dev, st.st_ino))
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            skipped.append(Skipped(rel_dir or ".", "unreadable", f"folder: {e.strerror or e}"))
            return
        for entry in entries:
            name, name_warning = shown_name(entry.name)
            rel = f"{rel_dir}/{name}" if rel_dir else name
            warnings = warn + ([name_warning] if name_warning else [])
            try:
                st = entry.stat(follow_symlinks=True)
            except OSError as e:
                if entry.is_symlink():
                    skipped.append(Skipped(rel, "broken_link",
                                           f"symbolic link to nothing readable ({e.strerror or e})"))
                elif is_report_candidate(name):
                    skipped.append(Skipped(rel, "unreadable", e.strerror or str(e)))
                continue
            killpoint("discover.walk")
            if stat.S_ISDIR(st.st_mode):
                if name.startswith(".") or os.path.realpath(entry.path) in excluded:
                    continue
                walk(entry.path, rel, warnings)
            elif name == MANIFEST_NAME:
                rows = _manifest(entry.path, rel, st, skipped)
                if rows is not None:
                    manifests.append((rel.count("/"), rel_dir, rows))
            elif not is_report_candidate(name):
                continue
            elif not stat.S_ISREG(st.st_mode):
                skipped.append(Skipped(rel, "not_a_regular_file",
                                       f"a {_kind(st.st_mode)}, not a file; not opened"))
            else:
                found.append((entry.path, rel, st, warnings))

    walk(os.fsencode(root), "", [])
    lookup: dict[str, dict[str, str]] = {}
    for _, folder, rows in sorted(manifests, key=lambda m: (m[0], m[1])):  # deeper ones last: win
        for name, values in rows.items():
            lookup[f"{folder}/{name}" if folder else name] = values
    files = []
    for path, rel, st, warnings in sorted(found, key=lambda f: f[1]):
        fs_path: str | bytes = path
        try:
            fs_path = path.decode("utf-8")
        except UnicodeDecodeError:
            pass
        manifest = dict(lookup.get(rel, {}))
        if "_warning" in manifest:
            warnings = warnings + [manifest.pop("_warning")]
        sf = SourceFile(fs_path, rel, st.st_size, manifest, st.st_mtime_ns, st.st_ctime_ns,
                        tuple(warnings))
        if year is not None and sf.manifest_year not in (None, year):
            continue
        files.append(sf)
    killpoint("discover.done")
    return Inventory(files, sorted(skipped, key=lambda s: s.rel))


def in_background(raw: Path, year: int | None, exclude: tuple[Path, ...]) -> Future:
    """``discover(raw, year, exclude)`` on a thread of its own, begun now."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="discover")
    try:
        return pool.submit(discover, raw, year, exclude)
    finally:
        pool.shutdown(wait=False)


def result_or_none(walk: Future | None) -> Inventory | None:
    """The inventory of a walk begun by :func:`in_background`; None when there was none or it
    failed (the caller walks again, and a lasting error shows there)."""
    if walk is None:
        return None
    try:
        return walk.result()
    except Exception:
        log.warning("the early walk of the raw folder failed; walking it again", exc_info=True)
        return None


def _manifest(path: bytes, rel: str, st: os.stat_result,
              skipped: list[Skipped]) -> dict[str, dict[str, str]] | None:
    if not stat.S_ISREG(st.st_mode):
        skipped.append(Skipped(rel, "bad_manifest", f"a {_kind(st.st_mode)}, not a file"))
        return None
    if st.st_size > MAX_MANIFEST_BYTES:
        skipped.append(Skipped(rel, "bad_manifest", f"{st.st_size} bytes: too large for a manifest"))
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as fh:
            rows, warnings = read_manifest(fh.read(MAX_MANIFEST_BYTES + 1))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        skipped.append(Skipped(rel, "bad_manifest", f"cannot be read as a UTF-8 CSV: {e}"))
        return None
    if warnings:
        skipped.append(Skipped(rel, "manifest_warning", "; ".join(warnings)))
    return rows


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"
