"""Deep-merge fetched values into the response data, in place.

Fetches fill one shared `data` dict step by step; later fetches add fields to objects that
earlier ones created. Two rules keep earlier knowledge: a null never overwrites an object
(a null entity keeps its old fields; shaping nulls the missing ones), and a concrete
`__typename` is never replaced by an interface name (an interface object's subgraph only
knows the interface).
"""

from __future__ import annotations

from typing import Any

from gateway.executor.schema_index import SchemaIndex


def deep_merge(target: dict[str, Any], source: dict[str, Any], index: SchemaIndex) -> None:
    """Merge `source` into `target`. Values are shared, not copied: `source` must not be
    used afterwards except through `target`."""
    for key, value in source.items():
        if key not in target:
            target[key] = value
            continue
        old = target[key]
        if isinstance(value, dict):
            if isinstance(old, dict):
                deep_merge(old, value, index)
            else:
                target[key] = value
        elif isinstance(value, list):
            if isinstance(old, list) and len(old) == len(value):
                _merge_lists(old, value, index)
            else:
                target[key] = value
        elif value is None:
            if not isinstance(old, dict | list):
                target[key] = None
        elif key == "__typename":
            if not (index.is_object_type(old) and not index.is_object_type(value)):
                target[key] = value
        else:
            target[key] = value


def _merge_lists(target: list[Any], source: list[Any], index: SchemaIndex) -> None:
    for i, value in enumerate(source):
        old = target[i]
        if isinstance(old, dict) and isinstance(value, dict):
            deep_merge(old, value, index)
        elif isinstance(old, list) and isinstance(value, list) and len(old) == len(value):
            _merge_lists(old, value, index)
        elif value is not None or not isinstance(old, dict | list):
            target[i] = value
