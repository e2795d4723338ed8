"""Planning through unions, interfaces, interface entities and @interfaceObject (PLANNER.md
checklist cases 12-17)."""

from __future__ import annotations

from planner_support import assert_snapshot, fetches, plan, services

from gateway.planner.plan import ValueSetter


def test_union_members_in_different_subgraphs_get_one_fetch_each() -> None:
    result = plan(
        "media", '{ search(text: "x") { ... on Book { pages } ... on Movie { minutes } } }'
    )
    (_, search), (_, books), (_, movies) = fetches(result)
    assert search.service == "search"
    assert "__typename ... on Book { __typename id } ... on Movie { __typename id }" in (
        search.operation
    )
    # Each fetch's requires only matches its own member: only those entities are sent.
    assert [str(s) for s in books.requires] == ["... on Book { __typename id }"]
    assert [str(s) for s in movies.requires] == ["... on Movie { __typename id }"]
    assert_snapshot("union_members", result)


def test_typename_under_a_union_is_local() -> None:
    assert services(plan("media", '{ search(text: "x") { __typename } }')) == ["search"]


def test_fragment_on_a_type_the_subgraph_cannot_return_is_dropped() -> None:
    # books' Media only has Book (inconsistent runtimes): no Movie fragment is sent there.
    result = plan("media", "{ newReleases { id ... on Movie { minutes } ... on Book { pages } } }")
    assert services(result) == ["books"]
    ((_, books),) = fetches(result)
    assert "Movie" not in books.operation


def test_interface_field_not_in_the_subgraph_is_exploded_per_member() -> None:
    # search's Media has Book and Movie; `pages` is Book's only, in books.
    result = plan("media", "{ media { id ... on Book { pages } } }")
    assert services(result) == ["search", "books"]
    (_, search), _ = fetches(result)
    assert "... on Book { __typename id }" in search.operation


def test_provides_on_a_union_member_is_local() -> None:
    result = plan("media", "{ featured { ... on Movie { director minutes } } }")
    (_, search), (_, movies) = fetches(result)
    assert "director" in search.operation
    assert "director" not in movies.operation
    assert "minutes" in movies.operation


def test_field_only_on_an_interface_object_rewrites_the_typename() -> None:
    result = plan("media", "{ media { title stars } }")
    (_, search), (path, ratings) = fetches(result)
    assert "media { __typename title id }" in search.operation
    assert path == ("media", "@")
    assert [str(s) for s in ratings.requires] == ["... on Media { __typename id }"]
    assert ratings.input_rewrites == (ValueSetter(("... on Media", "__typename"), "Media"),)
    assert_snapshot("interface_object_field", result)


def test_interface_object_field_under_a_concrete_fragment() -> None:
    result = plan("media", "{ media { ... on Book { stars } } }")
    (_, _), (_, ratings) = fetches(result)
    assert [str(s) for s in ratings.requires] == ["... on Book { __typename id }"]
    assert ratings.input_rewrites == (ValueSetter(("... on Book", "__typename"), "Media"),)
    assert "... on Media { stars }" in ratings.operation


def test_client_typename_through_an_interface_object_asks_a_concrete_subgraph() -> None:
    result = plan("media", "{ topRated { __typename id } }")
    assert services(result) == ["ratings", "search"]
    (_, _), (_, search) = fetches(result)
    assert "... on Media { __typename }" in search.operation
    assert_snapshot("interface_object_typename", result)


def test_concrete_fragment_through_an_interface_object_resolves_the_type_first() -> None:
    result = plan("media", "{ topRated { stars ... on Book { pages } } }")
    assert services(result) == ["ratings", "search", "books"]
    assert_snapshot("interface_object_fragment", result)


def test_interface_object_only_local_fields_need_one_fetch() -> None:
    assert services(plan("media", "{ topRated { id stars reviews } }")) == ["ratings"]


def test_interface_field_missing_from_the_subgraph_explodes_into_members() -> None:
    # search's Media has no `year`; books and movies resolve it for their own type.
    result = plan("media", "{ media { year } }")
    (_, search), (_, books), (_, movies) = fetches(result)
    assert "media { __typename ... on Book { __typename id } ... on Movie { __typename id } }" in (
        search.operation
    )
    assert "... on Book { year }" in books.operation
    assert "... on Movie { year }" in movies.operation


def test_provides_on_an_interface_field_keeps_the_member_field_local() -> None:
    result = plan("media", "{ spotlight { title ... on Movie { director minutes } } }")
    (_, search), (_, movies) = fetches(result)
    assert "... on Movie { director __typename id }" in search.operation
    assert "director" not in movies.operation


def test_requires_on_an_interface_object_field_comes_back_to_the_same_subgraph() -> None:
    result = plan("media", "{ topRated { blurb } }")
    assert services(result) == ["ratings", "search", "ratings"]
    *_, (_, last) = fetches(result)
    assert [str(s) for s in last.requires] == ["... on Media { __typename id title }"]
    assert last.input_rewrites == (ValueSetter(("... on Media", "__typename"), "Media"),)
    assert_snapshot("requires_interface_object", result)


def test_field_only_the_implementations_know_goes_through_a_concrete_subgraph() -> None:
    # ratings sees Media as an object; `year` lives on Book (books) and Movie (movies):
    # search tells the concrete type first, then each member jumps.
    result = plan("media", "{ topRated { year } }")
    assert services(result) == ["ratings", "search", "books", "movies"]
    assert_snapshot("interface_object_to_members", result)


def test_requires_of_an_interface_object_field_is_planned_from_the_concrete_type() -> None:
    # Book.blurb is Media.blurb in ratings (an interface object) and requires `title`,
    # which search has for Book: one jump, the representation rewritten to Media.
    result = plan("media", "{ featured { ... on Book { blurb } } }")
    assert services(result) == ["search", "ratings"]
    (_, search), (_, ratings) = fetches(result)
    assert "... on Book { title __typename id }" in search.operation
    assert [str(s) for s in ratings.requires] == ["... on Book { __typename id title }"]
    assert ratings.input_rewrites == (ValueSetter(("... on Book", "__typename"), "Media"),)
