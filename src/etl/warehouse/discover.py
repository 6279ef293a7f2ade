"""Find the input reports under a raw root and the manifest rows that describe them.

Any file named ``manifest.csv`` at any depth applies to the files of its folder tree; its ``file``
column is relative to the manifest's folder.  When two manifests list the same file, the deeper
one wins (it is closer to the file).  Manifest values override what the report's text says.
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = ("file", "agency_id", "agency", "region_path", "level", "year", "format",
                    "source_url", "published", "faults")

# Files that sit beside reports but are not reports: manifests, ground truth (synth writes
# truth/*.json next to its documents), notes.  Hidden files and folders are skipped too.
_SKIP_SUFFIXES = {".json", ".csv"}
_SKIP_PREFIXES = ("readme", ".")


@dataclass(frozen=True)
class SourceFile:
    path: str                       # absolute path
    rel: str                        # POSIX path relative to the raw root (reports.source_file)
    size: int
    manifest: dict[str, str] = field(default_factory=dict)   # non-empty manifest values

    @property
    def manifest_year(self) -> int | None:
        y = self.manifest.get("year", "")
        return int(y) if y.strip().lstrip("-").isdigit() else None


def is_report_candidate(name: str) -> bool:
    low = name.lower()
    if low.startswith(_SKIP_PREFIXES):
        return False
    return os.path.splitext(low)[1] not in _SKIP_SUFFIXES


def read_manifest(path: Path) -> dict[str, dict[str, str]]:
    """{file relative to the manifest's folder (POSIX, normalized): {column: value}}."""
    out: dict[str, dict[str, str]] = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            name = (row.get("file") or "").strip()
            if not name:
                continue
            values = {k.strip(): (v or "").strip() for k, v in row.items()
                      if k and k.strip() != "file" and (v or "").strip()}
            out[str(PurePosixPath(name))] = values
    return out


def discover(raw: str | Path, year: int | None = None) -> list[SourceFile]:
    """Every candidate report under ``raw`` (sorted by relative path) with its manifest row.

    With ``year``, files whose manifest gives another year are left out (a file without a
    manifest year must be parsed to learn its year, so it stays in).
    """
    root = Path(raw).resolve()
    files: list[tuple[str, str, int]] = []
    manifests: list[tuple[int, str, dict[str, dict[str, str]]]] = []   # (depth, folder rel, rows)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel_dir = PurePosixPath(Path(dirpath).relative_to(root).as_posix())
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            if name == MANIFEST_NAME:
                depth = 0 if str(rel_dir) == "." else len(rel_dir.parts)
                manifests.append((depth, str(rel_dir), read_manifest(Path(full))))
            elif is_report_candidate(name):
                rel = str(rel_dir / name) if str(rel_dir) != "." else name
                files.append((full, rel, os.path.getsize(full)))
    # Deeper manifests last, so their rows override shallower ones.
    lookup: dict[str, dict[str, str]] = {}
    for _, folder, rows in sorted(manifests, key=lambda m: (m[0], m[1])):
        for name, values in rows.items():
            rel = name if folder == "." else str(PurePosixPath(folder) / name)
            lookup[rel] = values
    out = []
    for full, rel, size in sorted(files, key=lambda f: f[1]):
        sf = SourceFile(full, rel, size, lookup.get(rel, {}))
        if year is not None and sf.manifest_year not in (None, year):
            continue
        out.append(sf)
    return out


def content_id(data: bytes) -> str:
    """reports.report_id: the content hash (sha256 hex, first 16 chars)."""
    return hashlib.sha256(data).hexdigest()[:16]
