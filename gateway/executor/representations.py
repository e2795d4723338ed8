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
from gateway.planner.plan import InlineFragment, Rewrite, Selection

Path = tuple[str | int, ...]
Trail = tuple[Any, ...]
"""A path as nested pairs `(parent trail, step)`, `()` at the root: extending it costs the
same at any depth; `path_of` flattens it when an error needs the path."""
Position = tuple[dict[str, Any], Trail]
"""An object in the response data and the trail to it (response keys and list indices)."""

_ON = "... on "


def path_of(trail: Trail) -> Path:
    steps: list[str | int] = []
    while trail:
        trail, step = trail
        steps.append(step)
    steps.reverse()
    return tuple(steps)


@dataclass(slots=True)
class Entities:
    """Deduplicated representations; `positions[i]` are the objects representation i is for."""

    representations: list[dict[str, Any]] = field(default_factory=list)
    positions: list[list[Position]] = field(default_factory=list)


def objects_at(data: dict[str, Any], path: tuple[str, ...], index: SchemaIndex) -> list[Position]:
    """The objects at `path` in `data`: "@" fans out over a list, nulls are skipped, and a
    `... on T` step keeps only objects of a matching `__typename`."""
    current: list[tuple[Any, Trail]] = [(data, ())]
    for segment in path:
        following: list[tuple[Any, Trail]] = []
        if segment == "@":
            for value, at in current:
                if isinstance(value, list):
                    following.extend(
                        [(item, (at, i)) for i, item in enumerate(value) if item is not None]
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
                        following.append((child, (at, segment)))
        current = following
    found: list[Position] = []
    _collect_objects(current, found)
    return found


def _collect_objects(values: list[tuple[Any, Trail]], found: list[Position]) -> None:
    for value, at in values:
        if isinstance(value, dict):
            found.append((value, at))
        elif isinstance(value, list):
            _collect_objects(
                [(item, (at, i)) for i, item in enumerate(value) if item is not None], found
            )


# --- projection through `requires` ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _FieldStep:
    key: str  # where the value is in the response data (the parent fetch's response key)
    name: str  # where it goes in the representation
    strict: bool  # a null makes the object unrepresentable (key field, or non-null field)
    nested: Projection | None


@dataclass(frozen=True, slots=True)
class _FragmentStep:
    matching: frozenset[str] | None  # the `__typename`s it applies to; None: all
    projection: Projection


@dataclass(frozen=True, slots=True)
class Projection:
    """A fetch's `requires` compiled once for its target subgraph, so building each
    representation is a tight loop: type conditions are sets of matching typenames, and
    whether a null is acceptable is decided ahead."""

    steps: tuple[_FieldStep | _FragmentStep, ...]


def compile_requires(
    requires: tuple[Selection, ...], index: SchemaIndex, service: str
) -> Projection:
    return _compile(requires, None, index, service, entity_level=True)


def _compile(
    selections: tuple[Selection, ...],
    type_name: str | None,
    index: SchemaIndex,
    service: str,
    entity_level: bool,
) -> Projection:
    steps: list[_FieldStep | _FragmentStep] = []
    for selection in selections:
        if isinstance(selection, InlineFragment):
            condition = selection.type_condition
            steps.append(
                _FragmentStep(
                    None if condition is None else index.matching_types(condition),
                    _compile(
                        selection.selections, condition or type_name, index, service, entity_level
                    ),
                )
            )
            continue
        name = selection.name
        strict = (
            name == "__typename"
            or index.is_non_null(type_name, name)
            or (entity_level and name in index.key_fields(type_name, service))
        )
        nested = None
        if selection.selections:
            child_type = index.field_type_name(type_name, name)
            nested = _compile(selection.selections, child_type, index, service, False)
        steps.append(_FieldStep(selection.response_key, name, strict, nested))
    return Projection(tuple(steps))


def build_entities(
    objects: Iterable[Position],
    projection: Projection,
    input_rewrites: tuple[Rewrite, ...],
    index: SchemaIndex,
) -> Entities:
    """Project, rewrite and deduplicate (by canonical JSON) the representations of `objects`.
    An object is skipped when a projected field is missing (its fetch failed or was
    skipped), null where that is not acceptable, or when no fragment applies to its type."""
    entities = Entities()
    seen: dict[bytes, int] = {}
    for obj, at in objects:
        representation: dict[str, Any] = {}
        if not _project(projection, obj, representation):
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


_MISSING = object()
_UNREPRESENTABLE = object()


def _project(projection: Projection, obj: dict[str, Any], out: dict[str, Any]) -> bool:
    for step in projection.steps:
        if type(step) is _FieldStep:
            value = obj.get(step.key, _MISSING)
            if value is _MISSING:
                return False
            if value is None:
                if step.strict:
                    return False
                out[step.name] = None
            elif step.nested is not None:
                projected = _project_value(step.nested, value)
                if projected is _UNREPRESENTABLE:
                    return False
                out[step.name] = projected
            else:
                out[step.name] = value
        else:
            matching = step.matching  # type: ignore[union-attr]
            if matching is not None:
                typename = obj.get("__typename")
                if not isinstance(typename, str) or typename not in matching:
                    continue
            if not _project(step.projection, obj, out):  # type: ignore[union-attr]
                return False
    return True


def _project_value(projection: Projection, value: Any) -> Any:
    if isinstance(value, list):
        items = []
        for item in value:
            projected = None if item is None else _project_value(projection, item)
            if projected is _UNREPRESENTABLE:
                return _UNREPRESENTABLE
            items.append(projected)
        return items
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        return out if _project(projection, value, out) else _UNREPRESENTABLE
    return value
