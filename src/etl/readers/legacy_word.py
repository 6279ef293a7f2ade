"""Legacy Word (.doc, .wps, .rtf) → DOCX by headless LibreOffice → the DOCX reader.

The DOCX reader keeps merged cells (gridSpan / vMerge), and LibreOffice writes a .doc's merged
cells as exactly those, so a converted report reads like one saved as .docx.  Sniffed by content,
not by name: RTF starts with ``{\\rtf``; a Word binary (.doc, and .wps from WPS Office, which
saves the same format) is an OLE2 file with a ``WordDocument`` stream.

Each conversion:

* runs ``soffice.bin`` (LibreOffice's program itself, not the ``soffice`` launcher script that
  forks it, so the process we wait for is the one converting) in a new process group with its
  own profile directory (``-env:UserInstallation`` per call: two conversions sharing a profile
  block or fail — LibreOffice's classic pitfall); it is killed, group and all, after
  ``ETL_CONVERT_TIMEOUT`` seconds (default 60), and on Linux it also dies with its parent
  (PR_SET_PDEATHSIG) if the parse worker is killed first;
* is cached by the SHA-256 of the input bytes in ``ETL_CONVERT_CACHE`` (default
  ``$XDG_CACHE_HOME/etl/convert``, i.e. ``~/.cache/etl/convert``): the result is written to a
  temporary file in the cache folder and ``os.replace``d, so concurrent processes converting
  the same file each see a whole result or none.

A missing LibreOffice, a crash, a timeout or no output are quarantine reasons that say so.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from etl.document import Document
from etl.errors import ReportError

INSTALL = "apt-get install libreoffice-writer-nogui"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORD_STREAM = "WordDocument".encode("utf-16-le")
CACHE_VERSION = "1"          # bump when the conversion's output may change


def is_rtf(data: bytes) -> bool:
    return data.lstrip()[:5] == b"{\\rtf"


def is_word_binary(data: bytes) -> bool:
    return data.startswith(OLE2_MAGIC) and WORD_STREAM in data


def cache_dir() -> Path:
    env = os.environ.get("ETL_CONVERT_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "etl" / "convert"


def _timeout() -> float:
    try:
        return float(os.environ.get("ETL_CONVERT_TIMEOUT", "60"))
    except ValueError:
        return 60.0


def _office() -> str | None:
    """The LibreOffice program to run: soffice.bin beside the launcher when there is one."""
    launcher = shutil.which("soffice") or shutil.which("libreoffice")
    if launcher is None:
        return None
    program = Path(os.path.realpath(launcher)).parent / "soffice.bin"
    return str(program) if program.exists() else launcher


def _die_with_parent() -> None:          # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG


def run_killable(cmd: list[str], timeout: float, cwd: str | None = None) -> subprocess.CompletedProcess:
    """Run ``cmd`` in its own process group; on timeout (or any interruption) kill the whole
    group, so no converter is left behind.  Raises subprocess.TimeoutExpired on timeout."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=cwd, start_new_session=True,
                            preexec_fn=_die_with_parent)
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        raise
    try:                                 # a helper it forked and left running: not ours to keep
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def convert(data: bytes, src_ext: str, dst_ext: str, path: str) -> bytes:
    """``data`` (a ``src_ext`` document) converted by LibreOffice to ``dst_ext`` (docx, doc,
    rtf), from the cache when this content was converted before."""
    key = hashlib.sha256(data).hexdigest()
    folder = cache_dir()
    cached = folder / f"{key}.v{CACHE_VERSION}.{dst_ext}"
    try:
        return cached.read_bytes()
    except OSError:
        pass
    office = _office()
    if office is None:
        raise ReportError(path, "converter_missing",
                          f"LibreOffice is needed to read .{src_ext} files: {INSTALL}")
    with tempfile.TemporaryDirectory(prefix="etl-convert-") as tmp:
        src = Path(tmp) / f"in.{src_ext}"
        src.write_bytes(data)
        profile = Path(tmp) / "profile"
        cmd = [office, "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
               f"-env:UserInstallation={profile.as_uri()}",
               "--convert-to", dst_ext, "--outdir", str(Path(tmp) / "out"), str(src)]
        timeout = _timeout()
        try:
            res = run_killable(cmd, timeout, cwd=tmp)
            if res.returncode == 81:
                # soffice.bin asks for a restart after creating a fresh profile (the launcher
                # script's oosplash would do this): once more, with the profile now in place
                res = run_killable(cmd, timeout, cwd=tmp)
        except subprocess.TimeoutExpired as e:
            raise ReportError(path, "converter_timeout",
                              f"LibreOffice did not convert the .{src_ext} in {timeout:.0f} s; killed") from e
        except OSError as e:
            raise ReportError(path, "converter_missing", f"LibreOffice cannot start ({e}): {INSTALL}") from e
        out = Path(tmp) / "out" / f"in.{dst_ext}"
        if res.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            how = (f"crashed (signal {-res.returncode})" if res.returncode < 0
                   else f"exited {res.returncode}" if res.returncode else "wrote nothing")
            err = " ".join(res.stderr.decode("utf-8", "replace").split())[:160]
            raise ReportError(path, "converter_failed",
                              f"LibreOffice {how} converting the .{src_ext}" + (f": {err}" if err else ""))
        result = out.read_bytes()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=f".{dst_ext}")
        with os.fdopen(fd, "wb") as f:
            f.write(result)
        os.replace(tmp_name, cached)
    except OSError:
        pass                             # a read-only or full cache never fails a parse
    return result


def read_legacy_word(data: bytes, path: str) -> Document:
    """A .doc/.wps (Word binary) or .rtf file → Document, through LibreOffice and the DOCX reader."""
    from etl.readers.docx import read_docx

    kind = "rtf" if is_rtf(data) else "doc"
    doc = read_docx(convert(data, kind, "docx", path), path)
    doc.form = kind
    doc.meta["converted_by"] = "libreoffice"
    return doc
