"""One bounded memo for the parser's label work.

Every report prints the template's own labels and the same few cell texts ("0", "/"), so the
parser asks the same questions of the same short strings again and again.  Long texts (a crawler
line's prose) are one report's own and never seen again: caching them would only fill memory, so
only texts of at most ``MAX_TEXT_LEN`` characters are kept, and at most ``MAX_ENTRIES`` of them.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Protocol, TypeVar, cast

MAX_ENTRIES = 50_000
MAX_TEXT_LEN = 120

R = TypeVar("R")


class ShortMemo(Protocol[R]):
    """A function memoised by `memo_short`: called as before, and its store readable as
    ``.cache`` (keys: the text alone, or ``(text, *further arguments)`` when a call had more)."""

    cache: dict[Any, R]

    def __call__(self, text: str, /, *args: Any) -> R: ...


def memo_short(fn: Callable[..., R]) -> ShortMemo[R]:
    """Memoise a pure function whose first argument is a text (further positional arguments,
    e.g. a template version, are part of the key).  Return values are shared between callers,
    so memoise only functions that return immutable values."""
    cache: dict[Any, R] = {}

    if fn.__code__.co_argcount == 1:
        # the common case, kept free of tuple building: these run ~600 times a report
        @functools.wraps(fn)
        def cached(text: str) -> R:
            try:
                return cache[text]
            except KeyError:
                pass
            value = fn(text)
            if len(cache) < MAX_ENTRIES and len(text) <= MAX_TEXT_LEN:
                cache[text] = value
            return value
    else:
        @functools.wraps(fn)
        def cached(text: str, *args: Any) -> R:
            key = (text, *args) if args else text
            try:
                return cache[key]
            except KeyError:
                pass
            value = fn(text, *args)
            if len(cache) < MAX_ENTRIES and len(text) <= MAX_TEXT_LEN:
                cache[key] = value
            return value

    # a function object takes attributes, which a type checker cannot see: ShortMemo says it has
    memo = cast(ShortMemo[R], cached)
    memo.cache = cache          # a hot loop may read it directly
    return memo
