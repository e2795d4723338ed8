"""Cursor pagination, one shape for every list: `{ items, nextCursor }`.

A page asks for `first` items (default 20, at most 100) `after` a cursor. Cursors are
opaque (base64 of the last item's sort key) and stable: items are ordered by their id, so a
cursor stays valid while items are added or changed. `nextCursor` is null on the last page.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import orjson
import strawberry

from resolvers.inputs import bad_input

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

T = TypeVar("T")
R = TypeVar("R")


@strawberry.type(description="One page of a list; pass `nextCursor` as `after` for the next.")
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None = strawberry.field(
        description="Cursor of the last item, or null when this is the last page."
    )


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"k": key})).decode()


def decode_cursor(cursor: str | None) -> str | None:
    """The sort key inside `cursor`; a cursor this API did not make is BAD_USER_INPUT."""
    if cursor is None:
        return None
    try:
        key = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))["k"]
    except (binascii.Error, ValueError, TypeError, KeyError, orjson.JSONDecodeError):
        raise bad_input("after", "not a cursor returned by this API") from None
    if not isinstance(key, str):
        raise bad_input("after", "not a cursor returned by this API")
    return key


def page_size(first: int) -> int:
    if first < 1 or first > MAX_PAGE_SIZE:
        raise bad_input("first", f"must be between 1 and {MAX_PAGE_SIZE}")
    return first


def make_page(
    records: Sequence[R], size: int, key: Callable[[R], str], convert: Callable[[R], T]
) -> Page[T]:
    """`records` were fetched with limit `size + 1`: the extra one says a next page exists."""
    shown = records[:size]
    more = len(records) > size
    return Page(
        items=[convert(record) for record in shown],
        next_cursor=encode_cursor(key(shown[-1])) if more and shown else None,
    )
