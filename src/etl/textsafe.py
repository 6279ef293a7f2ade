"""Text from documents (file names, titles, parser details) is untrusted: these make it safe to
show.  A file name may hold terminal escape sequences, markup characters or newlines; printing
it raw could rewrite the operator's screen, break a Markdown table, or (with a markup console)
fail the command after the work is done."""

from __future__ import annotations

import unicodedata

MAX_SHOWN = 300


def plain(text: object, limit: int = MAX_SHOWN) -> str:
    """One line of printable text: control and format characters shown as escapes, cut at
    ``limit`` characters."""
    s = "" if text is None else str(text)
    out = []
    for ch in s:
        cat = unicodedata.category(ch)
        if ch in "\n\t":
            out.append(" ")
        elif cat[0] == "C" or cat in ("Zl", "Zp"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    shown = "".join(out)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def md_cell(text: object, limit: int = MAX_SHOWN) -> str:
    """``plain`` text for a Markdown table cell: pipes, backticks and markup characters escaped."""
    s = plain(text, limit)
    for ch in "\\|`*_[]<>#":
        s = s.replace(ch, "\\" + ch)
    return s
