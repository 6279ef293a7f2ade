"""The few HTML pieces every page of the report site shares: escaping, the page shell, tables,
links and a pager.  Plain strings, no template engine: a report card is rendered ~100k times a
night and must cost microseconds.

Every text that reaches a page goes through :func:`esc` (element text) or :func:`attr`
(attribute values) — document text (agency names, quoted prose, raw cells, file names) is
untrusted.  Links to the outside only ever get an ``http(s)://`` URL (:func:`safe_url`).
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

SITE_TITLE = "政府信息公开工作年度报告 核对报告"


def esc(value) -> str:
    """Element text: ``&<>"'`` escaped; None -> ''.  (Most text has none of them: it is
    looked for first, five substring tests cost less than the five replacements.)"""
    if type(value) is str:
        if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
            return _escape(value, quote=True)
        return value
    if value is None:
        return ""
    if type(value) is int:
        return str(value)
    return _escape(str(value), quote=True)


_escape = html.escape


attr = esc   # attribute values are always double-quoted, and esc escapes both quote kinds


def safe_url(url: str | None) -> str | None:
    """An outside link only when it is plainly http(s) (never ``javascript:`` or ``data:``)."""
    if not url:
        return None
    u = url.strip()
    return u if u.lower().startswith(("http://", "https://")) and " " not in u else None


def file_url(path: str) -> str:
    """A file:// URL for a local absolute path (each segment percent-encoded)."""
    return "file://" + quote(path, safe="/")


def link(href: str, text, cls: str | None = None) -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<a href="{attr(href)}"{c}>{esc(text)}</a>'


def page(title: str, body: str, depth: int, crumbs: Sequence[tuple[str | None, str]] = ()) -> str:
    """A whole page.  ``depth``: folders below the site root (for relative links);
    ``crumbs``: [(href relative to the site root or None, text)] shown above the title."""
    up = "../" * depth
    nav = ""
    if crumbs:
        parts = [link(up + h, t) if h else esc(t) for h, t in crumbs]
        nav = f'<nav class="crumbs">{" › ".join(parts)}</nav>'
    return (f'<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{esc(title)}</title><link rel="stylesheet" href="{up}style.css"></head>'
            f'<body><header><a class="home" href="{up}index.html">{esc(SITE_TITLE)}</a>'
            f'</header><main>{nav}<h1>{esc(title)}</h1>{body}</main></body></html>\n')


def table(headers: list[str], rows: list[list[str]], cls: str = "list",
          raw_headers: bool = False) -> str:
    """A table whose cells are ALREADY HTML (callers escape); headers are escaped unless
    ``raw_headers``."""
    head = _thead(tuple(headers), raw_headers)
    body = "".join(["<tr><td>" + "</td><td>".join(r) + "</td></tr>" for r in rows])
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


@lru_cache(maxsize=4096)
def _thead(headers: tuple[str, ...], raw: bool) -> str:
    return "".join(f"<th>{h if raw else esc(h)}</th>" for h in headers)


def num(v) -> str:
    """A count as shown in tables: thousands separated; None (or NaN) -> an em dash."""
    return _NUMS[v] if type(v) in (int, float) else _num(v)


class _NumTexts(dict):
    """num() of ints and floats, memoised (equal ones print alike): the region pages show
    millions of counts, few distinct.  ``num_texts(values)`` maps many at once."""

    def __missing__(self, v) -> str:
        if v != v:                  # NaN: no number (not kept: no NaN equals another)
            return _num(None)
        text = _num(v)
        if len(self) < 100_000:
            self[v] = text
        return text


_NUMS = _NumTexts()


def num_texts(values) -> list[str]:
    """[num(v) for v in values] for ints and floats, in one pass over the memo."""
    return list(map(_NUMS.__getitem__, values))


def _num(v) -> str:
    if v is None:
        return '<span class="na">—</span>'
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"
    return f"{v:,}"


def pct(v) -> str:
    return '<span class="na">—</span>' if v is None else f"{100 * v:.1f}%"


def delta(v) -> str:
    if v is None:
        return '<span class="na">—</span>'
    return f'<span class="{"up" if v > 0 else "down" if v < 0 else "same"}">{v:+,}</span>'


def pager(href, n_pages: int, current: int) -> str:
    """Links to pages 1…n (``href(i)`` is page i's URL); pages far from the current one are
    elided, so the pager stays short at any size."""
    if n_pages <= 1:
        return ""
    shown = sorted({1, n_pages, *range(max(1, current - 3), min(n_pages, current + 3) + 1)})
    parts, last = [], 0
    for i in shown:
        if i - last > 1:
            parts.append("<span>…</span>")
        parts.append(f"<b>{i}</b>" if i == current else link(href(i), i))
        last = i
    return f'<nav class="pager">第 {current}/{n_pages} 页 {" ".join(parts)}</nav>'


def paged_name(base: str, i: int) -> str:
    """``base.html`` for page 1, ``base-2.html`` … after it."""
    return f"{base}.html" if i == 1 else f"{base}-{i}.html"


CSS = """
:root{--fail:#c62828;--failbg:#ffebee;--part:#fff3e0;--unk:#6a1b9a;--unkbg:#f3e5f5;--muted:#777}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 "Noto Sans CJK SC","WenQuanYi Zen Hei","Microsoft YaHei","PingFang SC",sans-serif;color:#222;background:#fafafa}
header{background:#b71c1c;padding:.5em 1em}header a{color:#fff;text-decoration:none;font-weight:bold}
main{max-width:1280px;margin:0 auto;padding:1em}
h1{font-size:1.5em;margin:.3em 0}h2{font-size:1.2em;margin:1.2em 0 .4em;border-bottom:2px solid #b71c1c}
h3{font-size:1.05em;margin:1em 0 .3em}
a{color:#0d47a1}
.crumbs{color:var(--muted)}
table{border-collapse:collapse;background:#fff;margin:.4em 0}
th,td{border:1px solid #bbb;padding:2px 6px;vertical-align:middle}
th{background:#f0f0f0;font-weight:normal}
table.list td{text-align:left}table.list td.n,table.list th.n{text-align:right}
table.totals td{text-align:right}table.totals td:first-child{text-align:left;white-space:nowrap}
span.d1{padding-left:1.5em}span.d2{padding-left:3em}
table.grid td{text-align:right;min-width:3.2em;height:1.6em}
table.grid th.row{text-align:left}
td.dash,td.text{color:#555;font-style:italic}
td.i,i.i{background:#e3f2fd}
td.a,i.a{background:#eee;color:#999}
td.unknown,i.unknown{background:var(--unkbg);color:var(--unk);font-weight:bold}
td.corrected,i.corrected{background:#e8f5e9}
td.corrected del{color:#999;margin-right:.3em}
td.fail,i.fail{background:var(--failbg);outline:2px solid var(--fail);outline-offset:-2px;color:var(--fail);font-weight:bold}
td.part,i.part{background:var(--part)}
sup.mark{color:var(--fail);font-weight:bold}sup.umark{color:var(--unk)}
.badge{display:inline-block;padding:0 .5em;border-radius:3px;font-size:.9em}
.b-passed{background:#e8f5e9;color:#1b5e20}.b-failed{background:var(--failbg);color:var(--fail)}
.b-not_assessable{background:#fff8e1;color:#8d6e00}
.b-loaded{background:#e8f5e9}.b-superseded{background:#fff8e1}.b-quarantined{background:var(--failbg)}
.na{color:#aaa}.up{color:var(--fail)}.down{color:#1b5e20}.same{color:var(--muted)}
.en{color:var(--muted);font-size:.9em}
.side{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}
.card-meta td:first-child{color:var(--muted);white-space:nowrap}
.legend span{display:inline-block;margin-right:1em}
.legend i{display:inline-block;width:1em;height:1em;border:1px solid #bbb;vertical-align:middle;margin-right:.3em}
.pager{margin:.6em 0}.pager a,.pager b,.pager span{margin:0 .2em}
.charts{display:flex;flex-wrap:wrap;gap:1em}
.chart{background:#fff;border:1px solid #ddd;padding:.4em;margin:0}
.chart svg{display:block}
.note{color:var(--muted);font-size:.9em}
.banner{padding:.5em 1em;background:#fff8e1;border:1px solid #ffe082;margin:.5em 0}
ol.foot{font-size:.9em;color:#444}
@media print{header{display:none}main{max-width:none}}
"""


class PageWriter:
    """Writes pages under one folder; refuses any path that would leave it.  Counts what it
    wrote (``pages``, ``bytes``)."""

    def __init__(self, root: Path):
        self.root = os.path.realpath(root)
        self.made: set[str] = set()
        self.pages = 0
        self.bytes = 0

    def __call__(self, rel: str, html: str) -> None:
        # normpath, not realpath: the folders below the root are the site's own (made here)
        path = os.path.normpath(os.path.join(self.root, rel))
        if not path.startswith(self.root + os.sep):
            raise ValueError(f"refusing to write outside the site: {rel!r}")
        folder = os.path.dirname(path)
        if folder not in self.made:
            os.makedirs(folder, exist_ok=True)
            self.made.add(folder)
        data = html.encode("utf-8")
        # (os.open: a site is tens of thousands of files, and open() adds a stat and an ioctl)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        self.pages += 1
        self.bytes += len(data)
