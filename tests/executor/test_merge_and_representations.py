"""Merging fetched values and building representations, on plain data."""

from __future__ import annotations

from typing import Any

from executor_commerce import field, on
from graphql import build_schema

from gateway.executor.merge import deep_merge
from gateway.executor.representations import (
    Position,
    build_entities,
    compile_requires,
    objects_at,
    path_of,
)
from gateway.executor.schema_index import SchemaIndex
from gateway.planner.plan import ValueSetter

INDEX = SchemaIndex(
    build_schema(
        """
        type Query { media: [Media!]! }
        interface Media { id: ID! title: String }
        type Book implements Media { id: ID! title: String pages: Int }
        type Film implements Media { id: ID! title: String minutes: Int }
        """
    )
)


def test_null_never_overwrites_an_object_and_interface_names_never_replace_concrete() -> None:
    target: dict[str, Any] = {
        "__typename": "Book",
        "id": "b1",
        "author": {"name": "Le Guin"},
        "tags": [{"id": 1}, {"id": 2}],
    }
    deep_merge(
        target,
        {
            "__typename": "Media",
            "title": "Earthsea",
            "author": None,
            "tags": [{"label": "a"}, {"label": "b"}],
        },
        INDEX,
    )
    assert target == {
        "__typename": "Book",
        "id": "b1",
        "author": {"name": "Le Guin"},
        "tags": [{"id": 1, "label": "a"}, {"id": 2, "label": "b"}],
        "title": "Earthsea",
    }
    deep_merge(target, {"__typename": "Film"}, INDEX)
    assert target["__typename"] == "Film"  # a concrete name may correct another


def test_objects_at_a_path_skip_nulls_and_keep_indices() -> None:
    data = {"a": [{"b": [{"id": 1}, None]}, None, {"b": None}, {"b": [{"id": 2}]}]}
    found = objects_at(data, ("a", "@", "b", "@"), INDEX)
    assert [(obj["id"], path_of(at)) for obj, at in found] == [
        (1, ("a", 0, "b", 0)),
        (2, ("a", 3, "b", 0)),
    ]


def test_representations_skip_missing_and_null_keys_and_deduplicate() -> None:
    requires = (on("Media", field("__typename"), field("id"), field("title")),)
    objects: list[Position] = [
        ({"__typename": "Book", "id": "b1", "title": None}, ("media", 0)),
        ({"__typename": "Book", "title": "no id"}, ("media", 1)),
        ({"__typename": "Film", "id": None, "title": "null id"}, ("media", 2)),
        ({"__typename": "Book", "id": "b1", "title": None, "pages": 3}, ("media", 3)),
        ({"id": "x", "title": "no typename"}, ("media", 4)),
    ]
    entities = build_entities(objects, compile_requires(requires, INDEX, "s"), (), INDEX)
    assert entities.representations == [{"__typename": "Book", "id": "b1", "title": None}]
    assert [at for _, at in entities.positions[0]] == [("media", 0), ("media", 3)]


def test_fragments_apply_by_possible_type_and_input_rewrites_set_the_interface_name() -> None:
    """Case 15: an interface object's subgraph is sent `__typename: "Media"`."""
    requires = (on("Media", field("__typename"), field("id")),)
    rewrites = (ValueSetter(("... on Media", "__typename"), "Media"),)
    objects: list[Position] = [
        ({"__typename": "Book", "id": "b1"}, ("media", 0)),
        ({"__typename": "Film", "id": "f1"}, ("media", 1)),
    ]
    entities = build_entities(objects, compile_requires(requires, INDEX, "s"), rewrites, INDEX)
    assert entities.representations == [
        {"__typename": "Media", "id": "b1"},
        {"__typename": "Media", "id": "f1"},
    ]
    films = compile_requires((on("Film", field("__typename"), field("id")),), INDEX, "s")
    only_films = build_entities(objects, films, (), INDEX)
    assert only_films.representations == [{"__typename": "Film", "id": "f1"}]


def test_a_null_key_field_is_not_sent_but_a_null_required_field_is() -> None:
    """With the supergraph's keys, a null `id` (nullable in the API schema, so only the key
    data can tell) makes the entity unrepresentable; a null `title` (@requires) travels."""
    index = SchemaIndex(INDEX.schema, {"Book": {"reviews": frozenset({"id"})}})
    requires = (on("Book", field("__typename"), field("id"), field("title")),)
    objects: list[Position] = [
        ({"__typename": "Book", "id": "b1", "title": None}, ("media", 0)),
        ({"__typename": "Book", "id": None, "title": "?"}, ("media", 1)),
    ]
    sent = build_entities(objects, compile_requires(requires, index, "reviews"), (), index)
    assert sent.representations == [{"__typename": "Book", "id": "b1", "title": None}]
    elsewhere = build_entities(objects, compile_requires(requires, index, "other"), (), index)
    assert len(elsewhere.representations) == 1  # `id` is non-null in the API schema
