"""`partnergraph compose` end to end: the checked-in outputs are current, the registry is read
(files, Python schemas, real HTTP subgraphs), `--check` lists breaking changes and sets the
exit code, and every failure writes nothing."""

from __future__ import annotations

import argparse
import io
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from gateway.compose_command import (
    EXIT_BREAKING,
    EXIT_FAILED,
    EXIT_OK,
    add_compose_arguments,
    client_sdl,
    compose_main,
)
from gateway.composition.registry import (
    RegistryError,
    compose_registry,
    fetch_sources,
    load_registry,
)

ROOT = Path(__file__).resolve().parents[2]
HEADER = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])\n'
PRODUCTS = (
    HEADER
    + """
type Query { product(id: ID!): Product, products(first: Int): [Product!]! }
type Product @key(fields: "id") { id: ID! name: String! status: Status! }
enum Status { ACTIVE RETIRED }
"""
)
STOCK = (
    HEADER
    + """
type Product @key(fields: "id") { id: ID! stock(warehouse: ID): Int! }
"""
)


def run(argv: list[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    add_compose_arguments(parser)
    out, err = io.StringIO(), io.StringIO()
    code = compose_main(parser.parse_args(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def write_set(folder: Path, products: str = PRODUCTS, stock: str = STOCK) -> Path:
    (folder / "products.graphql").write_text(products)
    (folder / "stock.graphql").write_text(stock)
    config = folder / "partnergraph.toml"
    config.write_text(
        '[[subgraphs]]\nname = "products"\nurl = "http://products.example/graphql"\n'
        'sdl = "products.graphql"\n\n'
        '[[subgraphs]]\nname = "stock"\nurl = "http://stock.example/graphql"\n'
        'sdl = "stock.graphql"\n'
    )
    return config


async def test_checked_in_supergraph_and_schema_are_current() -> None:
    composition = await compose_registry(ROOT / "partnergraph.toml")
    hint = "run `python -m gateway.compose_command` (partnergraph compose) and commit"
    assert (ROOT / "supergraph.graphql").read_text() == composition.supergraph_sdl, hint
    assert (ROOT / "schema.graphql").read_text() == client_sdl(composition), hint


def test_compose_writes_supergraph_and_api_schema(tmp_path: Path) -> None:
    config = write_set(tmp_path)
    code, out, _ = run(["--config", str(config)])
    assert code == EXIT_OK
    supergraph = (tmp_path / "supergraph.graphql").read_text()
    assert '@join__graph(name: "stock", url: "http://stock.example/graphql")' in supergraph
    schema = (tmp_path / "schema.graphql").read_text()
    assert "stock(warehouse: ID): Int!" in schema and "join__" not in schema
    assert "wrote" in out


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda p, s: (p.replace(" name: String!", ""), s), "FIELD_REMOVED"),
        (lambda p, s: (p.replace(" RETIRED", ""), s), "VALUE_REMOVED_FROM_ENUM"),
        (lambda p, s: (p, s.replace("warehouse: ID", "warehouse: ID!")), "ARG_CHANGED_KIND"),
        (lambda p, s: (p.replace("name: String!", "name: Int!"), s), "FIELD_CHANGED_KIND"),
        (
            lambda p, s: (
                p.replace("enum Status { ACTIVE RETIRED }", "").replace(" status: Status!", ""),
                s,
            ),
            "TYPE_REMOVED",
        ),
    ],
)
def test_check_reports_breaking_change_and_exits_2(
    tmp_path: Path, change: Callable[[str, str], tuple[str, str]], code: str
) -> None:
    config = write_set(tmp_path)
    assert run(["--config", str(config)])[0] == EXIT_OK
    before = (tmp_path / "schema.graphql").read_text()
    write_set(tmp_path, *change(PRODUCTS, STOCK))
    status, out, err = run(["--config", str(config), "--check"])
    assert status == EXIT_BREAKING
    assert f"BREAKING {code}" in out
    assert "--allow-breaking" in err
    assert (tmp_path / "schema.graphql").read_text() == before  # --check writes nothing
    allowed, out, _ = run(["--config", str(config), "--check", "--allow-breaking"])
    assert allowed == EXIT_OK and f"BREAKING {code}" in out


def test_check_passes_additions(tmp_path: Path) -> None:
    config = write_set(tmp_path)
    run(["--config", str(config)])
    write_set(tmp_path, PRODUCTS.replace("name: String!", "name: String! sku: String"))
    status, out, _ = run(["--config", str(config), "--check"])
    assert status == EXIT_OK
    assert "no breaking change" in out and "not current" in out


def test_required_input_field_added_is_breaking(tmp_path: Path) -> None:
    products = PRODUCTS.replace("products(first: Int)", "products(filter: Filter)") + (
        "input Filter { name: String }\n"
    )
    config = write_set(tmp_path, products)
    run(["--config", str(config)])
    write_set(tmp_path, products.replace("{ name: String }", "{ name: String, tag: String! }"))
    status, out, _ = run(["--config", str(config), "--check"])
    assert status == EXIT_BREAKING and "REQUIRED_INPUT_FIELD_ADDED" in out


def test_input_field_made_required_is_breaking(tmp_path: Path) -> None:
    products = PRODUCTS.replace("products(first: Int)", "products(filter: Filter)") + (
        "input Filter { name: String }\n"
    )
    config = write_set(tmp_path, products)
    run(["--config", str(config)])
    write_set(tmp_path, products.replace("{ name: String }", "{ name: String! }"))
    status, out, _ = run(["--config", str(config), "--check"])
    assert status == EXIT_BREAKING
    assert (
        "BREAKING FIELD_CHANGED_KIND: Field Filter.name changed type from String to String!" in out
    )


def test_composition_failure_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    config = write_set(tmp_path)
    run(["--config", str(config)])
    outputs = [tmp_path / "supergraph.graphql", tmp_path / "schema.graphql"]
    before = [p.read_text() for p in outputs]
    write_set(tmp_path, stock=STOCK.replace("stock(warehouse: ID): Int!", "name: String!"))
    status, _, err = run(["--config", str(config)])
    assert status == EXIT_FAILED
    assert "INVALID_FIELD_SHARING" in err and "Product.name" in err and "Hint:" in err
    assert [p.read_text() for p in outputs] == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[subgraphs]\n", "not valid TOML"),
        ("title = 'x'\n", "[[subgraphs]]"),
        ('[[subgraphs]]\nname = "a"\n', "`url` must be an http(s) URL"),
        ('[[subgraphs]]\nname = "a"\nurl = "http://a"\nport = 1\n', "unknown keys port"),
        (
            '[[subgraphs]]\nname = "a"\nurl = "http://a"\n[[subgraphs]]\nname = "a"\nurl = "http://b"\n',
            "must be unique: a",
        ),
        (
            '[[subgraphs]]\nname = "a"\nurl = "http://a"\nschema = "no.such.module:schema"\n',
            "cannot import no.such.module:schema",
        ),
        ('[[subgraphs]]\nname = "a"\nurl = "http://a"\nsdl = "missing.graphql"\n', "cannot read"),
    ],
)
def test_bad_registry_exits_1_with_a_clear_message(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "partnergraph.toml"
    config.write_text(text)
    status, _, err = run(["--config", str(config)])
    assert status == EXIT_FAILED
    assert "INVALID_REGISTRY" in err and message in err
    assert not (tmp_path / "supergraph.graphql").exists()


def test_missing_registry_file(tmp_path: Path) -> None:
    with pytest.raises(RegistryError) as failure:
        load_registry(tmp_path / "nope.toml")
    assert failure.value.extensions == {"code": "INVALID_REGISTRY"}


class _SdlServer(BaseHTTPRequestHandler):
    sdl = STOCK
    seen_headers: list[dict[str, str]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        query = json.loads(self.rfile.read(length))["query"]
        type(self).seen_headers.append(dict(self.headers))
        body = {"data": {"_service": {"sdl": self.sdl}}} if "_service" in query else {}
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sdl_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SdlServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/graphql"
    finally:
        server.shutdown()
        server.server_close()


async def test_registry_fetches_sdl_over_http_with_headers(tmp_path: Path, sdl_server: str) -> None:
    (tmp_path / "products.graphql").write_text(PRODUCTS)
    config = tmp_path / "partnergraph.toml"
    config.write_text(
        '[[subgraphs]]\nname = "products"\nurl = "http://products.example/graphql"\n'
        'sdl = "products.graphql"\n\n'
        f'[[subgraphs]]\nname = "stock"\nurl = "{sdl_server}"\n'
        'headers = { Authorization = "Bearer compose-test" }\n'
    )
    sources = await fetch_sources(load_registry(config))
    assert [s.name for s in sources] == ["products", "stock"]
    assert sources[1].sdl == STOCK
    assert _SdlServer.seen_headers[-1]["Authorization"] == "Bearer compose-test"
    composition = await compose_registry(config)
    assert f'url: "{sdl_server}"' in composition.supergraph_sdl


async def test_unreachable_subgraph_is_a_registry_error(tmp_path: Path) -> None:
    config = tmp_path / "partnergraph.toml"
    config.write_text('[[subgraphs]]\nname = "gone"\nurl = "http://127.0.0.1:9/graphql"\n')
    with pytest.raises(RegistryError) as failure:
        await fetch_sources(load_registry(config))
    assert "gone" in failure.value.message and "is it running?" in failure.value.message


def test_arguments_work_as_a_cli_subcommand(tmp_path: Path) -> None:
    """How gateway/cli.py wires it: a `compose` subparser calling compose_main(args)."""
    parser = argparse.ArgumentParser(prog="partnergraph")
    commands = parser.add_subparsers(dest="command", required=True)
    add_compose_arguments(commands.add_parser("compose"))
    config = write_set(tmp_path)
    args = parser.parse_args(["compose", "--config", str(config), "--check"])
    assert args.command == "compose" and args.check and not args.allow_breaking
    assert compose_main(args, io.StringIO(), io.StringIO()) == EXIT_OK
    assert not (tmp_path / "schema.graphql").exists()  # --check writes nothing
