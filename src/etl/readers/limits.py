"""What one file may inflate to, checked before a reader decompresses anything.

A 2 MB .docx can hold a 4 GB document.xml and a 1 MB PDF a stream that inflates to 1 GiB; the
readers would build all of it in memory.  These checks read the container's own bookkeeping
(ZIP member sizes) or inflate streams into a bounded buffer that is thrown away (PDF), so a bomb
is quarantined as ``bomb`` for the cost of reading its headers.  The parse worker's memory limit
stays as the backstop for anything these checks cannot see.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

from etl.errors import ReportError

#: Default total a file may inflate to (the run sets it from ETL_MAX_INFLATED_BYTES).
MAX_INFLATED = 256 * 2**20
#: A ZIP member this much larger than its compressed size is a bomb (XML compresses ~10-20x).
MAX_RATIO = 1000
#: ...unless it is small: tiny members can have any ratio.
RATIO_FLOOR = 8 * 2**20
MAX_MEMBERS = 20_000

_limit = MAX_INFLATED
_PIECE = 1 << 16            # compressed bytes fed to zlib at a time
_STEP = 1 << 20             # inflated bytes produced at a time


def set_max_inflated(n: int) -> None:
    global _limit
    _limit = int(n)


def max_inflated() -> int:
    return _limit


def check_zip(data: bytes, path: str) -> None:
    """Raise ``bomb`` if one archive member is larger than the limit, all of them together
    larger than 8 times it, or one inflates absurdly (sizes as the ZIP directory declares them)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return                                   # the reader reports it as corrupt
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ReportError(path, "bomb", f"{len(infos)} archive members")
    declared = sum(i.file_size for i in infos)
    biggest = max((i.file_size for i in infos), default=0)
    if biggest > _limit or declared > 8 * _limit:
        raise ReportError(path, "bomb", f"its parts declare {declared / 2**20:.0f} MB "
                                        f"uncompressed (limit {_limit / 2**20:.0f} MB a part)")
    for i in infos:
        if i.file_size > RATIO_FLOOR and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise ReportError(path, "bomb", f"{i.filename!r} inflates {i.compress_size} bytes "
                                            f"to {i.file_size}")
    # A forged directory cannot understate sizes to get more: zipfile stops every member at
    # the size the directory declares (and fails its CRC), so the declared sizes are the bound.


_STREAM = re.compile(rb"stream\r?\n")


def _zlib_header(b: bytes) -> bool:
    return len(b) == 2 and b[0] & 0x0F == 8 and ((b[0] << 8) | b[1]) % 31 == 0


def check_pdf(data: bytes, path: str) -> None:
    """Raise ``bomb`` if one Flate stream of the PDF inflates beyond the limit, or all of them
    together beyond 8 times it.

    Every ``stream`` keyword followed by a zlib header is inflated in 1 MB steps into a buffer
    that is dropped at once, so the check itself stays small whatever the stream holds."""
    total = 8 * _limit
    for m in _STREAM.finditer(data):
        start = m.end()
        if not _zlib_header(data[start:start + 2]):
            continue
        d = zlib.decompressobj()
        size, pos = 0, start + _PIECE
        piece = data[start:pos]
        try:
            while True:
                n = len(d.decompress(piece, _STEP))
                size += n
                total -= n
                if size > _limit or total < 0:
                    raise ReportError(path, "bomb", f"a stream inflates beyond "
                                                    f"{_limit / 2**20:.0f} MB" if size > _limit
                                      else f"its streams inflate beyond {8 * _limit / 2**20:.0f} MB")
                if d.eof:
                    break
                if d.unconsumed_tail:
                    piece = d.unconsumed_tail
                elif pos < len(data):
                    piece, pos = data[pos:pos + _PIECE], pos + _PIECE
                else:
                    break
        except zlib.error:
            continue
