"""One scheme for every code version stamp: a digest of source files (their path below
``src/etl`` and their bytes).  What a stage's output depends on besides its inputs — the parse
cache's parser version, the derived tables', the writer's, the database file's, the report
pages' — is declared where that stage lives, as a list of files; this module only hashes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

#: src/etl: paths are hashed relative to it, so a checkout's folder never changes a version.
ROOT = Path(__file__).resolve().parent


def source_files(*packages: str, suffixes: tuple[str, ...] = (".py",)) -> list[Path]:
    """The files of ``packages`` (folders of src/etl, searched recursively) with one of
    ``suffixes``, sorted per package."""
    return [p for pkg in packages
            for p in sorted((ROOT / pkg).rglob("*")) if p.suffix in suffixes and p.is_file()]


def module_file(name: str) -> Path:
    """``"warehouse/views.py"`` -> its path."""
    return ROOT / name


def digest(files: Iterable[Path], salt: str = "", length: int = 12) -> str:
    h = hashlib.sha256(salt.encode())
    for p in files:
        h.update(p.resolve().relative_to(ROOT).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:length]
