"""The strict fixture subgraph checks the gateway: these tests make each check fire.

They run without the gateway, straight against `StrictSubgraph` and over real HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .corpus import CorpusError, load_corpus, load_set, with_urls
from .server import CorpusApp, ServerThread
from .subgraph import Recorder, StrictSubgraph
from .subgraph_schema import SubgraphSchemaError, build_subgraph_schema

SHOP_SDL = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.9",
  import: ["@key", "@external", "@requires", "@provides"])

type Query {
  products: [Product!]!
  reviews: [Review!]!
  stub: Stub
}

type Mutation {
  first: Int
  second: Int
}

type Product @key(fields: "upc") @key(fields: "sku org { id }") {
  upc: String!
  sku: String!
  org: Org!
  weight: Float @external
  name: String @external
  shipping: String @requires(fields: "weight")
  label(lang: String): String
}

type Org { id: ID! }

type Review {
  body: String!
  product: Product @provides(fields: "name")
}

type Stub @key(fields: "id", resolvable: false) { id: ID! }
"""

SHOP_DATA: dict[str, Any] = {
    "Query": {
        "products": [{"upc": "1"}],
        "reviews": [{"body": "ok", "product": {"upc": "1", "name": "Table"}}],
        "stub": {"__error": {"message": "no stub", "code": "NOT_FOUND"}},
    },
    "Mutation": {"first": 1, "second": 2},
    "entities": {
        "Product": [
            {
                "upc": "1",
                "sku": "s1",
                "org": {"id": "o1"},
                "shipping": {"__format": "{weight} kg"},
                "label": {
                    "__cases": [
                        {"args": {"lang": "fr"}, "returns": "Table (fr)"},
                        {"returns": "Table"},
                    ]
                },
            }
        ]
    },
}

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { %s } } }"


@pytest.fixture
def shop() -> StrictSubgraph:
    return StrictSubgraph(build_subgraph_schema("shop", SHOP_SDL), SHOP_DATA, Recorder())


def entities(shop: StrictSubgraph, fields: str, *reps: dict[str, Any]) -> dict[str, Any]:
    return shop.execute({"query": ENTITIES % fields, "variables": {"r": list(reps)}})


def codes(response: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in response.get("errors", [])]


def test_service_sdl_is_the_subgraph_sdl(shop: StrictSubgraph) -> None:
    response = shop.execute({"query": "{ _service { sdl } }"})
    assert response["data"]["_service"]["sdl"] == SHOP_SDL


def test_entities_resolve_by_either_key(shop: StrictSubgraph) -> None:
    by_upc = {"__typename": "Product", "upc": "1"}
    by_compound = {"__typename": "Product", "sku": "s1", "org": {"id": "o1"}}
    unknown = {"__typename": "Product", "upc": "9"}
    response = entities(shop, 'upc label fr: label(lang: "fr")', by_upc, by_compound, unknown)
    assert response == {
        "data": {
            "_entities": [
                {"upc": "1", "label": "Table", "fr": "Table (fr)"},
                {"upc": "1", "label": "Table", "fr": "Table (fr)"},
                None,
            ]
        }
    }
    assert shop.recorder.entity_calls("shop") == 1
    assert shop.recorder.representation_count("shop") == 3


def test_representation_without_key_is_an_error(shop: StrictSubgraph) -> None:
    response = entities(shop, "upc", {"__typename": "Product", "sku": "s1"})
    assert codes(response) == ["STRICT_MISSING_KEY"]
    assert response["errors"][0]["path"] == ["_entities", 0]
    assert shop.recorder.violations


def test_representation_of_a_non_entity_is_an_error(shop: StrictSubgraph) -> None:
    response = entities(shop, "upc", {"__typename": "Org", "id": "o1"})
    assert codes(response) == ["STRICT_BAD_REPRESENTATION"]


def test_unresolvable_key_is_an_error(shop: StrictSubgraph) -> None:
    query = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }"
    response = shop.execute(
        {"query": query, "variables": {"r": [{"__typename": "Stub", "id": "1"}]}}
    )
    assert codes(response) == ["STRICT_NOT_RESOLVABLE"]


def test_requires_field_needs_the_required_value(shop: StrictSubgraph) -> None:
    missing = entities(shop, "shipping", {"__typename": "Product", "upc": "1"})
    assert codes(missing) == ["STRICT_MISSING_REQUIRES"]
    shop.recorder.clear()
    present = entities(shop, "shipping", {"__typename": "Product", "upc": "1", "weight": 2.5})
    assert present == {"data": {"_entities": [{"shipping": "2.5 kg"}]}}
    assert shop.recorder.violations == []


def test_requires_field_outside_entities_is_an_error(shop: StrictSubgraph) -> None:
    response = shop.execute({"query": "{ products { shipping } }"})
    assert codes(response) == ["STRICT_MISSING_REQUIRES"]


def test_external_field_needs_a_provides_path(shop: StrictSubgraph) -> None:
    direct = shop.execute({"query": "{ products { name } }"})
    assert codes(direct) == ["STRICT_EXTERNAL_REQUESTED"]
    assert "data" not in direct
    provided = shop.execute({"query": "{ reviews { product { name } } }"})
    assert provided == {"data": {"reviews": [{"product": {"name": "Table"}}]}}
    through_entities = entities(shop, "weight", {"__typename": "Product", "upc": "1"})
    assert codes(through_entities) == ["STRICT_EXTERNAL_REQUESTED"]


def test_fixture_error_carries_its_code(shop: StrictSubgraph) -> None:
    response = shop.execute({"query": "{ stub { id } }"})
    assert response["data"] == {"stub": None}
    assert response["errors"][0]["extensions"] == {"code": "NOT_FOUND"}
    assert shop.recorder.violations == []


def test_mutation_calls_are_recorded_in_order(shop: StrictSubgraph) -> None:
    response = shop.execute({"query": "mutation { b: second a: first c: second }"})
    assert response == {"data": {"b": 2, "a": 1, "c": 2}}
    assert shop.recorder.mutation_calls == ["shop.second", "shop.first", "shop.second"]


def test_bad_sdl_is_reported() -> None:
    with pytest.raises(SubgraphSchemaError, match="broken"):
        build_subgraph_schema("broken", "type Query { x: Nope }")


@pytest.fixture
def served(shop: StrictSubgraph) -> Iterator[tuple[CorpusApp, ServerThread]]:
    app = CorpusApp({"t": {"shop": shop}})
    server = ServerThread(app)
    server.start()
    yield app, server
    server.stop()


def test_http_faults_and_log(served: tuple[CorpusApp, ServerThread]) -> None:
    _, server = served
    url = server.url("t", "shop")
    reps = [{"__typename": "Product", "upc": "1"}, {"__typename": "Product", "upc": "1"}]
    body = {"query": ENTITIES % "upc", "variables": {"r": reps}}
    with httpx.Client() as client:
        assert client.post(url, json=body).json()["data"]["_entities"] == [{"upc": "1"}] * 2
        client.post(f"{url}/__fault", json={"fault": "short_entities"})
        assert client.post(url, json=body).json()["data"]["_entities"] == [{"upc": "1"}]
        client.post(f"{url}/__fault", json={"fault": 500})
        assert client.post(url, json=body).status_code == 500
        log = client.get(f"{server.base_url}/t/__log").json()
        assert [len(r["representations"] or []) for r in log["requests"]] == [2, 2, 0]
        client.post(f"{server.base_url}/t/__reset")
        assert client.post(url, json=body).status_code == 200
        assert len(client.get(f"{server.base_url}/t/__log").json()["requests"]) == 1


def test_corpus_is_complete() -> None:
    """Every set composes, every case has an expected response, every subgraph builds."""
    corpus = load_corpus()
    assert sum(len(s.cases) for s in corpus) >= 150
    for subgraph_set in corpus:
        assert subgraph_set.supergraph_path.exists(), subgraph_set.name
        subgraph_set.build_subgraphs(Recorder())
        reference = subgraph_set.reference()
        urls = {name: "http://x" for name in subgraph_set.sdls}
        assert "placeholder.invalid" not in with_urls(subgraph_set.supergraph_sdl(), urls)
        for case in subgraph_set.cases:
            assert case.expect is not None or case.name in reference, case.id


def test_required_selection_with_type_conditions() -> None:
    sdl = """
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.9",
      import: ["@key", "@external", "@requires"])
    type Shelf @key(fields: "id") {
      id: ID!
      items: [Media!]! @external
      total: String @requires(fields: "items { ... on Book { pages } ... on Movie { minutes } }")
    }
    interface Media { id: ID! }
    type Book implements Media @key(fields: "id") { id: ID! pages: Int! @external }
    type Movie implements Media @key(fields: "id") { id: ID! minutes: Int! @external }
    """
    data = {"entities": {"Shelf": [{"id": "s", "total": {"__format": "{items[1][minutes]}"}}]}}
    shelf = StrictSubgraph(build_subgraph_schema("stats", sdl), data, Recorder())
    query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Shelf { total } } }"

    def run(items: list[dict[str, Any]]) -> dict[str, Any]:
        reps = [{"__typename": "Shelf", "id": "s", "items": items}]
        return shelf.execute({"query": query, "variables": {"r": reps}})

    typed = run([{"__typename": "Book", "pages": 1}, {"__typename": "Movie", "minutes": 2}])
    assert typed == {"data": {"_entities": [{"total": "2"}]}}
    untyped = run([{"pages": 1}, {"minutes": 2}])  # Apollo omits __typename here
    assert untyped == {"data": {"_entities": [{"total": "2"}]}}
    wrong = run([{"__typename": "Book", "minutes": 1}, {"__typename": "Movie", "minutes": 2}])
    assert codes(wrong) == ["STRICT_MISSING_REQUIRES"]
    empty = run([{}, {"minutes": 2}])
    assert codes(empty) == ["STRICT_MISSING_REQUIRES"]


def test_http_bad_input_is_refused_and_changes_nothing(
    served: tuple[CorpusApp, ServerThread],
) -> None:
    app, server = served
    url = server.url("t", "shop")
    with httpx.Client() as client:
        not_json = client.post(url, content=b"{nope")
        no_query = client.post(url, json={"variables": {}})
        unknown = client.post(f"{server.base_url}/t/nope", json={"query": "{ __typename }"})
        bad_fault = client.post(f"{url}/__fault", json={"fault": "explode"})
    assert [r.status_code for r in (not_json, no_query, unknown, bad_fault)] == [400, 400, 404, 400]
    for response in (not_json, no_query, unknown, bad_fault):
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert app.faults == {}
    assert app.recorders["t"].requests == []


def test_corpus_authoring_mistakes_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a.graphql").write_text("type Query { x: Int }")
    (tmp_path / "cases.yaml").write_text("cases:\n  - {name: c, query: '{ x }', wrong: 1}\n")
    with pytest.raises(CorpusError, match="unknown keys"):
        load_set(tmp_path)
    (tmp_path / "cases.yaml").write_text(
        "cases:\n  - {name: c, query: '{ x }', plan: {fetch: 1}}\n"
    )
    with pytest.raises(CorpusError, match="unknown plan keys"):
        load_set(tmp_path)
    with pytest.raises(CorpusError, match="no URL for subgraph b"):
        with_urls('@join__graph(name: "b", url: "http://x")', {"a": "http://a"})
