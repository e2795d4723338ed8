"""Build an entity fetch's `representations` from the objects at a `Flatten` path.

Each object is projected through the fetch's `requires` selection (a fragment applies when
the object's `__typename` matches it or is one of its possible types); objects that cannot
be represented are skipped. Equal representations are sent once, and every position they
came from is remembered so results and errors can be copied back to each of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from gateway.executor.rewrites import apply_rewrites
from gateway.executor.schema_index import SchemaIndex
from gateway.planner.plan import FieldSelection, InlineFragment, Rewrite, Selection

Path = tuple[str | int, ...]
Position = tuple[dict[str, Any], Path]
"""An object in the response data and its path (response keys and list indices)."""

_ON = "... on "


@dataclass(slots=True)
class Entities:
    """Deduplicated representations; `positions[i]` are the objects representation i is for."""

    representations: list[dict[str, Any]] = field(default_factory=list)
    positions: list[list[Position]] = field(default_factory=list)


def objects_at(data: dict[str, Any], path: tuple[str, ...], index: SchemaIndex) -> list[Position]:
    """The objects at `path` in `data`: "@" fans out over a list, nulls are skipped, and a
    `... on T` step keeps only objects of a matching `__typename`."""
    current: list[tuple[Any, Path]] = [(data, ())]
    for segment in path:
        following: list[tuple[Any, Path]] = []
        if segment == "@":
            for value, at in current:
                if isinstance(value, list):
                    following.extend(
                        (item, (*at, i)) for i, item in enumerate(value) if item is not None
                    )
        elif segment.startswith(_ON):
            condition = segment[len(_ON) :].strip()
            following = [
                (value, at)
                for value, at in current
                if isinstance(value, dict) and index.matches(condition, value.get("__typename"))
            ]
        else:
            for value, at in current:
                if isinstance(value, dict):
                    child = value.get(segment)
                    if child is not None:
                        following.append((child, (*at, segment)))
        current = following
    found: list[Position] = []
    _collect_objects(current, found)
    return found


def _collect_objects(values: list[tuple[Any, Path]], found: list[Position]) -> None:
    for value, at in values:
        if isinstance(value, dict):
            found.append((value, at))
        elif isinstance(value, list):
            _collect_objects(
                [(item, (*at, i)) for i, item in enumerate(value) if item is not None], found
            )


def build_entities(
    objects: Iterable[Position],
    requires: tuple[Selection, ...],
    input_rewrites: tuple[Rewrite, ...],
    index: SchemaIndex,
    service: str = "",
) -> Entities:
    """Project, rewrite and deduplicate (by canonical JSON) the representations of `objects`
    for an entity fetch to `service`."""
    entities = Entities()
    seen: dict[bytes, int] = {}
    for obj, at in objects:
        representation: dict[str, Any] = {}
        if not _project_entity(obj, requires, representation, index, service):
            continue
        if "__typename" not in representation:
            continue  # no fragment of `requires` applies to this object's type
        if input_rewrites:
            apply_rewrites(representation, input_rewrites, index)
        key = orjson.dumps(representation, option=orjson.OPT_SORT_KEYS)
        i = seen.get(key)
        if i is None:
            seen[key] = len(entities.representations)
            entities.representations.append(representation)
            entities.positions.append([(obj, at)])
        else:
            entities.positions[i].append((obj, at))
    return entities


def _project_entity(
    obj: dict[str, Any],
    requires: tuple[Selection, ...],
    out: dict[str, Any],
    index: SchemaIndex,
    service: str,
) -> bool:
    """Project the entity's top level: like `_project_into`, and a null key field of the
    target subgraph's keys makes the object unrepresentable too."""
    typename = obj.get("__typename")
    for selection in requires:
        if not isinstance(selection, InlineFragment):
            if not _project_into(obj, (selection,), out, index):
                return False
            continue
        if not index.matches(selection.type_condition, typename):
            continue
        keys = index.key_fields(selection.type_condition, service)
        for inner in selection.selections:
            if (
                keys
                and isinstance(inner, FieldSelection)
                and inner.name in keys
                and obj.get(inner.response_key) is None
            ):
                return False
        if not _project_into(obj, selection.selections, out, index):
            return False
    return True


def _project_into(
    obj: dict[str, Any], selections: tuple[Selection, ...], out: dict[str, Any], index: SchemaIndex
) -> bool:
    """Copy the selected fields of `obj` into `out`; False when the object cannot be
    represented: a selected field is missing (its fetch failed or was skipped), or is null
    where the API schema says non-null (e.g. a key field)."""
    typename = obj.get("__typename")
    for selection in selections:
        if isinstance(selection, InlineFragment):
            if index.matches(selection.type_condition, typename) and not _project_into(
                obj, selection.selections, out, index
            ):
                return False
            continue
        key = selection.response_key
        if key not in obj:
            return False
        value = obj[key]
        if value is None:
            if selection.name == "__typename" or index.is_non_null(typename, selection.name):
                return False
            out[selection.name] = None
        elif selection.selections:
            projected = _project_value(value, selection.selections, index)
            if projected is _UNREPRESENTABLE:
                return False
            out[selection.name] = projected
        else:
            out[selection.name] = value
    return True


_UNREPRESENTABLE = object()


def _project_value(value: Any, selections: tuple[Selection, ...], index: SchemaIndex) -> Any:
    if isinstance(value, list):
        items = []
        for item in value:
            projected = None if item is None else _project_value(item, selections, index)
            if projected is _UNREPRESENTABLE:
                return _UNREPRESENTABLE
            items.append(projected)
        return items
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        return out if _project_into(value, selections, out, index) else _UNREPRESENTABLE
    return value
