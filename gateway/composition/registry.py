"""The subgraph registry: a TOML file listing the subgraphs to compose.

```toml
[[subgraphs]]
name = "partners"                          # unique; becomes @join__graph(name:)
url = "http://127.0.0.1:4001/graphql"      # where the gateway calls it
sdl = "subgraphs/partners.graphql"         # optional: SDL file, relative to this file
schema = "subgraphs.partners.schema:schema"  # optional: a Strawberry federation schema
headers = { Authorization = "Bearer ..." } # optional: sent when fetching `_service { sdl }`
```

Where the SDL comes from, first that applies: `sdl` (a file), `schema` (a Python object
printed in process, so the bundled subgraphs compose without running), else `{ _service {
sdl } }` fetched from `url`. TOML because Python reads it with the standard library.
"""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from gateway.composition.compose import Composition, SubgraphSource, compose

_KEYS = frozenset({"name", "url", "sdl", "schema", "headers"})


class RegistryError(Exception):
    """The registry file, or a subgraph it lists, cannot be read. Nothing was changed."""

    code = "INVALID_REGISTRY"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def extensions(self) -> dict[str, str]:
        return {"code": self.code}


@dataclass(frozen=True, slots=True)
class SubgraphEntry:
    name: str
    url: str
    sdl_file: Path | None = None
    schema: str | None = None  # "module:attribute"
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Registry:
    path: Path
    subgraphs: tuple[SubgraphEntry, ...]

    @property
    def directory(self) -> Path:
        return self.path.parent


def load_registry(path: str | Path) -> Registry:
    """Read and check the registry file; raise `RegistryError` saying what is wrong."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"cannot read the registry {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path} is not valid TOML: {exc}") from exc
    entries = data.get("subgraphs")
    if not isinstance(entries, list) or not entries:
        raise RegistryError(f"{path}: list the subgraphs as [[subgraphs]] tables")
    subgraphs: list[SubgraphEntry] = []
    for index, entry in enumerate(entries, start=1):
        subgraphs.append(_entry(path, index, entry))
    names = [s.name for s in subgraphs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RegistryError(f"{path}: subgraph names must be unique: {', '.join(duplicates)}")
    return Registry(path=path, subgraphs=tuple(subgraphs))


def _entry(path: Path, index: int, entry: Any) -> SubgraphEntry:
    where = f"{path}: subgraph #{index}"
    if not isinstance(entry, dict):
        raise RegistryError(f"{where} must be a table")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise RegistryError(f"{where}: unknown keys {', '.join(unknown)} (known: {sorted(_KEYS)})")
    name, url = entry.get("name"), entry.get("url")
    if not isinstance(name, str) or not name.strip():
        raise RegistryError(f"{where}: `name` must be a non-empty string")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise RegistryError(f"{where} ({name}): `url` must be an http(s) URL")
    headers = entry.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise RegistryError(f"{where} ({name}): `headers` must map strings to strings")
    sdl = entry.get("sdl")
    schema = entry.get("schema")
    if sdl is not None and not isinstance(sdl, str):
        raise RegistryError(f"{where} ({name}): `sdl` must be a file path")
    if schema is not None and (not isinstance(schema, str) or ":" not in schema):
        raise RegistryError(f"{where} ({name}): `schema` must be 'module:attribute'")
    return SubgraphEntry(
        name=name,
        url=url,
        sdl_file=(path.parent / sdl) if sdl else None,
        schema=schema,
        headers=dict(headers),
    )


async def fetch_sources(
    registry: Registry, client: httpx.AsyncClient | None = None
) -> list[SubgraphSource]:
    """The SDL of every subgraph in the registry, in registry order."""
    sources: list[SubgraphSource] = []
    async with _ClientScope(client) as http:
        for entry in registry.subgraphs:
            sources.append(SubgraphSource(entry.name, entry.url, await _sdl(entry, http)))
    return sources


class _ClientScope:
    """Use the caller's client, or a short-lived one of our own."""

    def __init__(self, client: httpx.AsyncClient | None) -> None:
        self.given = client
        self.own: httpx.AsyncClient | None = None

    async def __aenter__(self) -> httpx.AsyncClient:
        if self.given is not None:
            return self.given
        self.own = httpx.AsyncClient(timeout=10.0)
        return self.own

    async def __aexit__(self, *exc: object) -> None:
        if self.own is not None:
            await self.own.aclose()


async def _sdl(entry: SubgraphEntry, http: httpx.AsyncClient) -> str:
    if entry.sdl_file is not None:
        try:
            return entry.sdl_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise RegistryError(
                f"subgraph {entry.name}: cannot read {entry.sdl_file}: {exc.strerror}"
            ) from exc
    if entry.schema is not None:
        return _schema_sdl(entry)
    try:
        response = await http.post(
            entry.url, json={"query": "{ _service { sdl } }"}, headers=dict(entry.headers)
        )
        body = response.json()
        return str(body["data"]["_service"]["sdl"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise RegistryError(
            f"subgraph {entry.name}: cannot fetch `_service {{ sdl }}` from {entry.url}: "
            f"{exc!r}; is it running?"
        ) from exc


def _schema_sdl(entry: SubgraphEntry) -> str:
    assert entry.schema is not None
    module_name, _, attribute = entry.schema.partition(":")
    try:
        schema = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise RegistryError(f"subgraph {entry.name}: cannot import {entry.schema}: {exc}") from exc
    result = schema.execute_sync("{ _service { sdl } }")
    if result.errors or not result.data:
        raise RegistryError(
            f"subgraph {entry.name}: {entry.schema} does not answer `_service {{ sdl }}` "
            "(is it a federation schema?)"
        )
    return str(result.data["_service"]["sdl"])


async def compose_registry(path: str | Path) -> Composition:
    """Read the registry, fetch every SDL and compose: what `partnergraph dev` and a live
    reload call. Raises `RegistryError` or `CompositionFailed`; writes nothing."""
    return compose(await fetch_sources(load_registry(path)))
