"""Apply a fetch's `ValueSetter`/`KeyRenamer` rewrites to JSON values, in place.

Rewrite paths are response keys relative to one representation (input rewrites) or one
fetched entity / root result (output rewrites). A `... on T` step keeps only objects whose
`__typename` matches T; lists fan out over their elements ("@" may also say so explicitly).
"""

from __future__ import annotations

from typing import Any

from gateway.executor.schema_index import SchemaIndex
from gateway.planner.plan import KeyRenamer, Rewrite, ValueSetter

_ON = "... on "


def apply_rewrites(
    value: Any,
    rewrites: tuple[Rewrite, ...],
    index: SchemaIndex,
    typename: str | None = None,
) -> None:
    """`typename` stands for the top object's `__typename` when it has none (an entity
    result whose fetch did not select it is of its representation's type)."""
    for rewrite in rewrites:
        _apply(value, rewrite, 0, index, typename)


def _apply(
    value: Any, rewrite: Rewrite, step: int, index: SchemaIndex, typename: str | None = None
) -> None:
    if isinstance(value, list):
        for element in value:
            _apply(element, rewrite, step, index)
        return
    if not isinstance(value, dict):
        return
    path = rewrite.path
    segment = path[step]
    last = step == len(path) - 1
    if segment == "@":
        if not last:
            _apply(value, rewrite, step + 1, index)
        return
    if segment.startswith(_ON):
        if index.matches(segment[len(_ON) :].strip(), value.get("__typename", typename)):
            if last:
                return
            _apply(value, rewrite, step + 1, index)
        return
    if not last:
        if segment in value:
            _apply(value[segment], rewrite, step + 1, index)
        return
    match rewrite:
        case ValueSetter():
            value[segment] = rewrite.value
        case KeyRenamer():
            if segment in value:
                value[rewrite.rename_key_to] = value.pop(segment)
